/**
 * The RDS lookup of an RDS-managed master secret's database (lambda/rotation/strategies/database/
 * rds-endpoint.ts), against moto's RDS and Secrets Manager APIs: the host comes from DescribeDBInstances
 * / DescribeDBClusters for the identifier the deployment pinned, and the secret's `aws:rds:*` tag must
 * name that database.
 */
import { CreateDBClusterCommand, CreateDBInstanceCommand, RDSClient } from '@aws-sdk/client-rds';
import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  checkManagedSecretTag,
  describeRdsEndpoint,
  rdsClient,
  type RdsSource,
} from '../../lambda/rotation/strategies/database/rds-endpoint';
import { MYSQL } from '../../lambda/rotation/strategies/mysql';
import { POSTGRES } from '../../lambda/rotation/strategies/postgres';
import { MOTO_REGION, useMoto } from '../support/moto';

useMoto();
let rds: RDSClient;
let sm: SecretsManagerClient;
const made: Record<string, { arn: string; secretArn: string; host: string; port: number }> = {};

async function tagsOf(secretArn: string): Promise<Record<string, string>> {
  const out = await sm.send(new DescribeSecretCommand({ SecretId: secretArn }));
  return Object.fromEntries((out.Tags ?? []).map((t) => [t.Key as string, t.Value as string]));
}

beforeAll(async () => {
  rds = await rdsClient();
  sm = new SecretsManagerClient({ region: MOTO_REGION });
  const instance = await rds.send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: 'orders',
      Engine: 'postgres',
      DBInstanceClass: 'db.t4g.micro',
      MasterUsername: 'postgres',
      ManageMasterUserPassword: true,
      AllocatedStorage: 20,
    }),
  );
  const i = instance.DBInstance!;
  made.orders = {
    arn: i.DBInstanceArn!,
    secretArn: i.MasterUserSecret!.SecretArn!,
    host: i.Endpoint!.Address!,
    port: i.Endpoint!.Port!,
  };
  const other = await rds.send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: 'reports',
      Engine: 'postgres',
      DBInstanceClass: 'db.t4g.micro',
      MasterUsername: 'postgres',
      ManageMasterUserPassword: true,
      AllocatedStorage: 20,
    }),
  );
  made.reports = {
    arn: other.DBInstance!.DBInstanceArn!,
    secretArn: other.DBInstance!.MasterUserSecret!.SecretArn!,
    host: other.DBInstance!.Endpoint!.Address!,
    port: other.DBInstance!.Endpoint!.Port!,
  };
  const cluster = await rds.send(
    new CreateDBClusterCommand({
      DBClusterIdentifier: 'ledger',
      Engine: 'aurora-mysql',
      MasterUsername: 'admin',
      ManageMasterUserPassword: true,
    }),
  );
  const c = cluster.DBCluster!;
  made.ledger = {
    arn: c.DBClusterArn!,
    secretArn: c.MasterUserSecret!.SecretArn!,
    host: c.Endpoint!,
    port: c.Port!,
  };
}, 60000);

test('an instance: its endpoint comes from DescribeDBInstances, and its managed secret’s tag names it', async () => {
  const source: RdsSource = { kind: 'instance', identifier: 'orders' };
  const endpoint = await describeRdsEndpoint(rds, source, POSTGRES);
  expect(endpoint).toEqual({
    host: made.orders.host,
    port: made.orders.port,
    arn: made.orders.arn,
    engine: 'postgres',
  });
  expect(() => checkManagedSecretTag({}, source, endpoint, made.orders.secretArn)).toThrow(
    `secret ${made.orders.secretArn} has no aws:rds:primaryDBInstanceArn tag`,
  );
  expect(() =>
    checkManagedSecretTag({ 'aws:rds:primaryDBInstanceArn': made.orders.arn }, source, endpoint, 'x'),
  ).not.toThrow();
  checkManagedSecretTag(await tagsOf(made.orders.secretArn), source, endpoint, made.orders.secretArn);
});

test('a cluster: its writer endpoint comes from DescribeDBClusters, and its managed secret’s tag names it', async () => {
  const source: RdsSource = { kind: 'cluster', identifier: 'ledger' };
  const endpoint = await describeRdsEndpoint(rds, source, MYSQL);
  expect(endpoint).toEqual({
    host: made.ledger.host,
    port: made.ledger.port,
    arn: made.ledger.arn,
    engine: 'aurora-mysql',
  });
  expect(endpoint.host).toMatch(/^ledger\.cluster-/);
  checkManagedSecretTag(await tagsOf(made.ledger.secretArn), source, endpoint, made.ledger.secretArn);
});

test('another database’s managed secret is refused: its tag names that database', async () => {
  const source: RdsSource = { kind: 'instance', identifier: 'orders' };
  const endpoint = await describeRdsEndpoint(rds, source, POSTGRES);
  const tags = await tagsOf(made.reports.secretArn);
  expect(() => checkManagedSecretTag(tags, source, endpoint, made.reports.secretArn)).toThrow(
    `secret ${made.reports.secretArn} is RDS's master secret of ${made.reports.arn}, but this deployment pinned RDS DB instance "orders" (${made.orders.arn}); refusing to use it`,
  );
});

test('an identifier RDS does not know is refused, naming it', async () => {
  await expect(describeRdsEndpoint(rds, { kind: 'instance', identifier: 'nope' }, POSTGRES)).rejects.toThrow(
    'RDS DB instance "nope" does not exist: the deployment pinned it as this secret\'s database',
  );
  await expect(describeRdsEndpoint(rds, { kind: 'cluster', identifier: 'nope' }, MYSQL)).rejects.toThrow(
    'RDS DB cluster "nope" does not exist',
  );
});

test('a database of another engine than the pinned one is refused before any connection', async () => {
  await expect(describeRdsEndpoint(rds, { kind: 'instance', identifier: 'orders' }, MYSQL)).rejects.toThrow(
    'RDS DB instance "orders" runs engine "postgres", not mysql (mysql, mariadb, aurora-mysql, aurora); refusing to connect',
  );
});
