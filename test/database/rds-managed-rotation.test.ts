/**
 * An application user whose admin is RDS's managed master secret, rotated by the built bundle against
 * moto's RDS and Secrets Manager: the deployment pins the database by identifier, the function takes
 * host and port from DescribeDBInstances / DescribeDBClusters (the separately bundled RDS client), and
 * the managed secret's `aws:rds:*` tag must name that database before any login. moto's endpoints
 * resolve nowhere, so the proof that the function goes where RDS says is the login error naming that
 * host; the proof that it goes nowhere else is a listener on the value's host that receives nothing.
 */
import { createServer, type Server } from 'node:net';
import { CreateDBClusterCommand, CreateDBInstanceCommand, RDSClient } from '@aws-sdk/client-rds';
import type { TargetSpec } from '../../lib/contract/rotation-contract';
import { MOTO_REGION, useMoto } from '../support/moto';
import { PinnedEnvironment, Vault } from '../rotation/fixture';
import { resolveBundle } from './support/bundle';
import { BundleProcess } from './support/bundle-process';
import { VAULT_PREFIX, bundleEnv } from './support/suite';

const bundle = resolveBundle();
afterAll(() => bundle.cleanup());

const moto = useMoto();
let vault: Vault;
let bundleProcess: BundleProcess;
let deployment: PinnedEnvironment;
interface Made {
  readonly arn: string;
  readonly secretArn: string;
  readonly host: string;
  readonly port: number;
}
const made: Record<string, Made> = {};

beforeAll(async () => {
  const rds = new RDSClient({ endpoint: moto.server.endpoint, region: MOTO_REGION });
  for (const id of ['orders', 'reports']) {
    const { DBInstance: i } = await rds.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: id,
        Engine: 'postgres',
        DBInstanceClass: 'db.t4g.micro',
        MasterUsername: 'postgres',
        ManageMasterUserPassword: true,
        AllocatedStorage: 20,
      }),
    );
    made[id] = {
      arn: i!.DBInstanceArn!,
      secretArn: i!.MasterUserSecret!.SecretArn!,
      host: i!.Endpoint!.Address!,
      port: i!.Endpoint!.Port!,
    };
  }
  const { DBCluster: c } = await rds.send(
    new CreateDBClusterCommand({
      DBClusterIdentifier: 'ledger',
      Engine: 'aurora-postgresql',
      MasterUsername: 'postgres',
      ManageMasterUserPassword: true,
    }),
  );
  made.ledger = {
    arn: c!.DBClusterArn!,
    secretArn: c!.MasterUserSecret!.SecretArn!,
    host: c!.Endpoint!,
    port: c!.Port!,
  };
  rds.destroy();
  vault = await Vault.create(moto.server);
  deployment = new PinnedEnvironment(bundleEnv('postgres'));
  bundleProcess = await BundleProcess.start({ bundle: bundle.path, awsEndpoint: moto.server.endpoint });
}, 60000);
afterAll(async () => {
  await bundleProcess?.close();
});
beforeEach(() => bundleProcess.clearOutput());

/** A listener that counts the connections it receives. */
async function listener(): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
  let count = 0;
  const server: Server = createServer((socket) => {
    count += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : 0,
    connections: () => count,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function rdsTarget(kind: 'instance' | 'cluster', identifier: string, admin: string): TargetSpec {
  return { engine: 'postgres', rds: { kind, identifier }, tls: 'verified', admin };
}

/** An application user's secret under the vault's prefix, bound to `target` (alternating users). */
async function userSecret(target: TargetSpec, value: Record<string, unknown>): Promise<string> {
  const name = vault.uniqueName(`${VAULT_PREFIX}app`);
  deployment.bind(name, 'alternating', target);
  return vault.createSecret(
    name,
    JSON.stringify({ username: 'orders_app', password: 'Init-pw-0123', ...value }),
    'alternating',
  );
}

async function step(Step: string, SecretId: string, ClientRequestToken: string): Promise<void> {
  await bundleProcess.load(deployment.env());
  return bundleProcess.invoke({ Step, SecretId, ClientRequestToken });
}

test('the secret RDS created is tagged with its database, and holds no connection field', async () => {
  // What the rest relies on: moto tags the managed secret as RDS does.
  const { DescribeSecretCommand, GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
  const described = await vault.client.send(new DescribeSecretCommand({ SecretId: made.orders.secretArn }));
  expect(described.Tags).toContainEqual({ Key: 'aws:rds:primaryDBInstanceArn', Value: made.orders.arn });
  const value = await vault.client.send(
    new GetSecretValueCommand({ SecretId: made.orders.secretArn, VersionStage: 'AWSCURRENT' }),
  );
  expect(Object.keys(JSON.parse(value.SecretString as string)).sort()).toEqual(['password', 'username']);
});

test('createSecret writes the host and port moto’s RDS reports; setSecret logs in there and nowhere else', async () => {
  const arn = await userSecret(rdsTarget('instance', 'orders', made.orders.secretArn), {});
  const token = await vault.startRotation(arn);
  await step('createSecret', arn, token);
  expect(JSON.parse((await vault.valueOf(arn, token)) as string)).toEqual({
    engine: 'postgres',
    host: made.orders.host,
    port: made.orders.port,
    ssl: true,
    masterarn: made.orders.secretArn,
    username: 'orders_app_clone',
    password: expect.any(String),
  });
  // moto's endpoint resolves nowhere: the login error names the host RDS reported.
  await expect(step('setSecret', arn, token)).rejects.toThrow(
    `could not connect to PostgreSQL at ${made.orders.host}:${made.orders.port}/postgres as user "orders_app_clone"`,
  );
  expect(bundleProcess.records()).toContainEqual(
    expect.objectContaining({
      message: 'found the database through the RDS API',
      rds: 'instance orders',
      host: made.orders.host,
    }),
  );
  expect(await vault.valueAt(arn, 'AWSCURRENT')).toContain('Init-pw-0123');
});

test('a value naming another host: refused before any connection; a listener there receives nothing', async () => {
  const fake = await listener();
  try {
    const arn = await userSecret(rdsTarget('instance', 'orders', made.orders.secretArn), {
      host: '127.0.0.1',
      port: fake.port,
    });
    const token = await vault.startRotation(arn);
    const refusal = `points at host 127.0.0.1, port ${fake.port}, but this deployment pinned secret ${arn} to ${made.orders.host}:${made.orders.port}/postgres; refusing to connect anywhere`;
    await expect(step('createSecret', arn, token)).rejects.toThrow(refusal);
    expect(await vault.valueOf(arn, token)).toBeUndefined();
    await expect(step('setSecret', arn, token)).rejects.toThrow(refusal);
    expect(fake.connections()).toBe(0);
  } finally {
    await fake.close();
  }
});

test('an admin secret whose RDS tag names another database: refused before any connection, nothing written', async () => {
  const arn = await userSecret(rdsTarget('instance', 'orders', made.reports.secretArn), {});
  const token = await vault.startRotation(arn);
  const refusal = `secret ${made.reports.secretArn} is RDS's master secret of ${made.reports.arn}, but this deployment pinned RDS DB instance "orders" (${made.orders.arn}); refusing to use it`;
  await expect(step('createSecret', arn, token)).rejects.toThrow(refusal);
  expect(await vault.valueOf(arn, token)).toBeUndefined();
  // Without the check, setSecret would try moto's host and fail on it: it fails on the tag instead.
  await expect(step('setSecret', arn, token)).rejects.toThrow(refusal);
  expect(bundleProcess.output()).not.toContain('could not connect');
});

test('an identifier RDS does not know fails the step, naming it', async () => {
  const arn = await userSecret(rdsTarget('instance', 'gone', made.orders.secretArn), {});
  const token = await vault.startRotation(arn);
  await expect(step('createSecret', arn, token)).rejects.toThrow(
    'RDS DB instance "gone" does not exist: the deployment pinned it as this secret\'s database',
  );
  expect(await vault.valueOf(arn, token)).toBeUndefined();
});

test('an Aurora cluster: the writer endpoint from DescribeDBClusters, the cluster tag checked', async () => {
  const arn = await userSecret(rdsTarget('cluster', 'ledger', made.ledger.secretArn), {});
  const token = await vault.startRotation(arn);
  await step('createSecret', arn, token);
  expect(JSON.parse((await vault.valueOf(arn, token)) as string)).toMatchObject({
    engine: 'aurora-postgresql',
    host: made.ledger.host,
    port: made.ledger.port,
    masterarn: made.ledger.secretArn,
  });
  await expect(step('setSecret', arn, token)).rejects.toThrow(
    `could not connect to PostgreSQL at ${made.ledger.host}:${made.ledger.port}/postgres`,
  );
});
