import type {
  DescribeDBClustersCommandOutput,
  DescribeDBInstancesCommandOutput,
  RDSClient,
} from '@aws-sdk/client-rds';
import type { RdsSource } from '../../../../lib/contract/rotation-contract';
import { RotationError } from '../../errors';
import type { EngineSpec } from './engine';

/**
 * Where a database the deployment pinned by RDS identifier listens (its secrets, such as RDS's managed
 * master secret, hold only username and password). The identifier comes from the deployment; the host
 * and port from the RDS API; nothing from a secret's value. An admin secret's own `aws:rds:*` tag
 * (which only RDS can write: the `aws:` prefix is reserved) must name the same database before the
 * function logs in with it.
 */
export type { RdsSource };

export interface RdsEndpoint {
  readonly host: string;
  readonly port: number;
  /** The database's ARN, as RDS reports it. */
  readonly arn: string;
  /** Its engine, as RDS reports it (one of the engine's `engineValues`). */
  readonly engine: string;
}

/** The tag RDS puts on the master secret it manages, naming the database it belongs to. */
export const RDS_SECRET_TAGS = {
  instance: 'aws:rds:primaryDBInstanceArn',
  cluster: 'aws:rds:primaryDBClusterArn',
} as const;

type RdsModule = typeof import('@aws-sdk/client-rds');

/**
 * The RDS SDK, loaded on first use: scripts/bundle.mjs keeps it out of the handler's file (a plain
 * `require`, as for the drivers, which the bundle keeps as it is).
 */
function rdsModule(): RdsModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('@aws-sdk/client-rds') as RdsModule;
}

/** The RDS client, created once per execution environment and only when a target needs it. */
let client: RDSClient | undefined;
export async function rdsClient(): Promise<RDSClient> {
  client ??= new (rdsModule().RDSClient)({});
  return client;
}

function describe(source: RdsSource): string {
  return `RDS DB ${source.kind} ${JSON.stringify(source.identifier)}`;
}

/**
 * The writer endpoint of the pinned instance or cluster, checked: exactly that identifier, an engine
 * of `spec`, an address and a port. Fails (naming the identifier, never a secret) otherwise.
 */
export async function describeRdsEndpoint(
  rds: Pick<RDSClient, 'send'>,
  source: RdsSource,
  spec: EngineSpec,
): Promise<RdsEndpoint> {
  const { DescribeDBInstancesCommand, DescribeDBClustersCommand } = rdsModule();
  let found: { id?: string; engine?: string; host?: string; port?: number; arn?: string } | undefined;
  try {
    if (source.kind === 'instance') {
      const out: DescribeDBInstancesCommandOutput = await rds.send(
        new DescribeDBInstancesCommand({ DBInstanceIdentifier: source.identifier }),
      );
      const list = out.DBInstances ?? [];
      if (list.length === 1) {
        const i = list[0];
        found = {
          id: i.DBInstanceIdentifier,
          engine: i.Engine,
          host: i.Endpoint?.Address,
          port: i.Endpoint?.Port,
          arn: i.DBInstanceArn,
        };
      }
    } else {
      const out: DescribeDBClustersCommandOutput = await rds.send(
        new DescribeDBClustersCommand({ DBClusterIdentifier: source.identifier }),
      );
      const list = out.DBClusters ?? [];
      if (list.length === 1) {
        const c = list[0];
        found = {
          id: c.DBClusterIdentifier,
          engine: c.Engine,
          host: c.Endpoint,
          port: c.Port,
          arn: c.DBClusterArn,
        };
      }
    }
  } catch (error) {
    const name = (error as { name?: string }).name ?? 'Error';
    if (name === 'DBInstanceNotFoundFault' || name === 'DBClusterNotFoundFault') {
      throw new RotationError(
        `${describe(source)} does not exist: the deployment pinned it as this secret's database`,
      );
    }
    throw new RotationError(`could not describe ${describe(source)}: ${name}`);
  }
  if (found === undefined || found.id?.toLowerCase() !== source.identifier.toLowerCase()) {
    throw new RotationError(`${describe(source)} was not found exactly once`);
  }
  if (found.engine === undefined || !spec.engineValues.includes(found.engine)) {
    throw new RotationError(
      `${describe(source)} runs engine ${JSON.stringify(found.engine)}, not ${spec.name} (${spec.engineValues.join(', ')}); refusing to connect`,
    );
  }
  if (!found.host || typeof found.port !== 'number' || found.arn === undefined) {
    throw new RotationError(
      `${describe(source)} has no endpoint yet (is it still being created?); rotate again later`,
    );
  }
  return { host: found.host, port: found.port, arn: found.arn, engine: found.engine };
}

/**
 * The RDS-managed secret must belong to the pinned database: its `aws:rds:*` tag names it. A secret
 * with no such tag (not managed by RDS) or naming another database is refused before any login.
 */
export function checkManagedSecretTag(
  tags: Readonly<Record<string, string>>,
  source: RdsSource,
  endpoint: RdsEndpoint,
  secretArn: string,
): void {
  const tag = RDS_SECRET_TAGS[source.kind];
  const value = tags[tag];
  if (value === undefined) {
    throw new RotationError(
      `secret ${secretArn} has no ${tag} tag: it is not the master secret RDS manages for ${describe(source)}`,
    );
  }
  if (value !== endpoint.arn) {
    throw new RotationError(
      `secret ${secretArn} is RDS's master secret of ${value}, but this deployment pinned ${describe(source)} (${endpoint.arn}); refusing to use it`,
    );
  }
}
