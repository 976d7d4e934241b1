/**
 * The checks of lambda/rotation/strategies/database/rds-endpoint.ts against a fake RDS client (an
 * object whose `send` returns canned DescribeDBInstances / DescribeDBClusters output): what RDS
 * answers must name exactly the pinned identifier, run the pinned engine and have a complete writer
 * endpoint, or the function refuses before any login. rds-endpoint.test.ts runs the same code against
 * moto, which only ever answers well-formed output; these tests feed it the answers moto cannot give.
 */
import {
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  type DBCluster,
  type DBInstance,
  type RDSClient,
} from '@aws-sdk/client-rds';
import { RotationError } from '../../lambda/rotation/errors';
import {
  checkManagedSecretTag,
  describeRdsEndpoint,
  type RdsEndpoint,
  type RdsSource,
} from '../../lambda/rotation/strategies/database/rds-endpoint';
import { MYSQL } from '../../lambda/rotation/strategies/mysql';
import { POSTGRES } from '../../lambda/rotation/strategies/postgres';

const INSTANCE: RdsSource = { kind: 'instance', identifier: 'orders' };
const CLUSTER: RdsSource = { kind: 'cluster', identifier: 'ledger' };
const INSTANCE_ARN = 'arn:aws:rds:us-east-1:123456789012:db:orders';
const CLUSTER_ARN = 'arn:aws:rds:us-east-1:123456789012:cluster:ledger';
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-1234-AbCdEf';

const ORDERS: DBInstance = {
  DBInstanceIdentifier: 'orders',
  Engine: 'postgres',
  Endpoint: { Address: 'orders.abc.us-east-1.rds.amazonaws.com', Port: 5432 },
  DBInstanceArn: INSTANCE_ARN,
};
const LEDGER: DBCluster = {
  DBClusterIdentifier: 'ledger',
  Engine: 'aurora-mysql',
  Endpoint: 'ledger.cluster-abc.us-east-1.rds.amazonaws.com',
  Port: 3306,
  DBClusterArn: CLUSTER_ARN,
};

/** A fake RDS client answering every command with `answer` (or throwing it), recording what it was asked. */
function fakeRds(answer: unknown, { throws = false } = {}) {
  const sent: unknown[] = [];
  const rds = {
    send: async (command: unknown) => {
      sent.push(command);
      if (throws) throw answer;
      return answer;
    },
  } as unknown as Pick<RDSClient, 'send'>;
  return { rds, sent };
}

/** The error `describeRdsEndpoint` rejects with (jest's `rejects.toThrow` would accept any class). */
async function refusal(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a refusal, but the lookup succeeded');
}

describe('describeRdsEndpoint: a DB instance', () => {
  test('asks RDS for exactly the pinned identifier and returns its endpoint, ARN and engine', async () => {
    const { rds, sent } = fakeRds({ DBInstances: [ORDERS] });
    await expect(describeRdsEndpoint(rds, INSTANCE, POSTGRES)).resolves.toEqual({
      host: 'orders.abc.us-east-1.rds.amazonaws.com',
      port: 5432,
      arn: INSTANCE_ARN,
      engine: 'postgres',
    });
    expect(sent).toHaveLength(1);
    expect(sent[0]).toBeInstanceOf(DescribeDBInstancesCommand);
    expect((sent[0] as DescribeDBInstancesCommand).input).toEqual({ DBInstanceIdentifier: 'orders' });
  });

  test('the identifier as RDS spells it may differ in case only (RDS stores identifiers in lower case)', async () => {
    const { rds } = fakeRds({ DBInstances: [{ ...ORDERS, DBInstanceIdentifier: 'ORDERS' }] });
    await expect(describeRdsEndpoint(rds, INSTANCE, POSTGRES)).resolves.toMatchObject({ arn: INSTANCE_ARN });
  });

  const notFound = 'RDS DB instance "orders" was not found exactly once';
  const noEndpoint =
    'RDS DB instance "orders" has no endpoint yet (is it still being created?); rotate again later';
  test.each<[string, unknown, string]>([
    ['an answer without a DBInstances list', {}, notFound],
    ['an empty DBInstances list', { DBInstances: [] }, notFound],
    [
      'two instances, the first of them the pinned one',
      { DBInstances: [ORDERS, { ...ORDERS, DBInstanceIdentifier: 'orders-copy' }] },
      notFound,
    ],
    [
      'an instance with another identifier',
      { DBInstances: [{ ...ORDERS, DBInstanceIdentifier: 'reports' }] },
      notFound,
    ],
    [
      'an instance without an identifier',
      { DBInstances: [{ ...ORDERS, DBInstanceIdentifier: undefined }] },
      notFound,
    ],
    [
      'an instance of another engine',
      { DBInstances: [{ ...ORDERS, Engine: 'mysql' }] },
      'RDS DB instance "orders" runs engine "mysql", not postgres (postgres, aurora-postgresql); refusing to connect',
    ],
    [
      'an instance without an engine',
      { DBInstances: [{ ...ORDERS, Engine: undefined }] },
      'RDS DB instance "orders" runs engine undefined, not postgres (postgres, aurora-postgresql); refusing to connect',
    ],
    ['an instance without an endpoint', { DBInstances: [{ ...ORDERS, Endpoint: undefined }] }, noEndpoint],
    [
      'an endpoint without an address',
      { DBInstances: [{ ...ORDERS, Endpoint: { Port: 5432 } }] },
      noEndpoint,
    ],
    [
      'an endpoint with an empty address',
      { DBInstances: [{ ...ORDERS, Endpoint: { Address: '', Port: 5432 } }] },
      noEndpoint,
    ],
    [
      'an endpoint without a port',
      { DBInstances: [{ ...ORDERS, Endpoint: { Address: 'orders.abc' } }] },
      noEndpoint,
    ],
    [
      'a port that is not a number',
      { DBInstances: [{ ...ORDERS, Endpoint: { Address: 'orders.abc', Port: '5432' } }] },
      noEndpoint,
    ],
    ['an instance without an ARN', { DBInstances: [{ ...ORDERS, DBInstanceArn: undefined }] }, noEndpoint],
  ])('refuses %s, naming the identifier', async (_name, answer, message) => {
    const error = await refusal(describeRdsEndpoint(fakeRds(answer).rds, INSTANCE, POSTGRES));
    expect(error).toBeInstanceOf(RotationError);
    expect(error.message).toBe(message);
  });
});

describe('describeRdsEndpoint: an Aurora DB cluster', () => {
  test('asks RDS for exactly the pinned identifier and returns its writer endpoint, ARN and engine', async () => {
    const { rds, sent } = fakeRds({ DBClusters: [LEDGER] });
    await expect(describeRdsEndpoint(rds, CLUSTER, MYSQL)).resolves.toEqual({
      host: 'ledger.cluster-abc.us-east-1.rds.amazonaws.com',
      port: 3306,
      arn: CLUSTER_ARN,
      engine: 'aurora-mysql',
    });
    expect(sent).toHaveLength(1);
    expect(sent[0]).toBeInstanceOf(DescribeDBClustersCommand);
    expect((sent[0] as DescribeDBClustersCommand).input).toEqual({ DBClusterIdentifier: 'ledger' });
  });

  const notFound = 'RDS DB cluster "ledger" was not found exactly once';
  const noEndpoint =
    'RDS DB cluster "ledger" has no endpoint yet (is it still being created?); rotate again later';
  test.each<[string, unknown, string]>([
    ['an answer without a DBClusters list', {}, notFound],
    ['an empty DBClusters list', { DBClusters: [] }, notFound],
    [
      'two clusters, the first of them the pinned one',
      { DBClusters: [LEDGER, { ...LEDGER, DBClusterIdentifier: 'ledger-copy' }] },
      notFound,
    ],
    [
      'a cluster with another identifier',
      { DBClusters: [{ ...LEDGER, DBClusterIdentifier: 'audit' }] },
      notFound,
    ],
    [
      'a cluster of another engine',
      { DBClusters: [{ ...LEDGER, Engine: 'aurora-postgresql' }] },
      'RDS DB cluster "ledger" runs engine "aurora-postgresql", not mysql (mysql, mariadb, aurora-mysql, aurora); refusing to connect',
    ],
    [
      'a cluster whose writer endpoint is missing',
      { DBClusters: [{ ...LEDGER, Endpoint: undefined }] },
      noEndpoint,
    ],
    ['a cluster without a port', { DBClusters: [{ ...LEDGER, Port: undefined }] }, noEndpoint],
    ['a cluster without an ARN', { DBClusters: [{ ...LEDGER, DBClusterArn: undefined }] }, noEndpoint],
  ])('refuses %s, naming the identifier', async (_name, answer, message) => {
    const error = await refusal(describeRdsEndpoint(fakeRds(answer).rds, CLUSTER, MYSQL));
    expect(error).toBeInstanceOf(RotationError);
    expect(error.message).toBe(message);
  });
});

describe('describeRdsEndpoint: errors of the RDS API', () => {
  test.each<[string, RdsSource, unknown, string]>([
    [
      'DBInstanceNotFoundFault',
      INSTANCE,
      { name: 'DBInstanceNotFoundFault', message: 'DBInstance orders not found.' },
      'RDS DB instance "orders" does not exist: the deployment pinned it as this secret\'s database',
    ],
    [
      'DBClusterNotFoundFault',
      CLUSTER,
      { name: 'DBClusterNotFoundFault', message: 'DBCluster ledger not found.' },
      'RDS DB cluster "ledger" does not exist: the deployment pinned it as this secret\'s database',
    ],
    [
      'another error, by its name only',
      INSTANCE,
      { name: 'AccessDenied', message: 'User: arn:aws:sts::123456789012:assumed-role/x is not authorized' },
      'could not describe RDS DB instance "orders": AccessDenied',
    ],
    ['an error without a name', CLUSTER, {}, 'could not describe RDS DB cluster "ledger": Error'],
  ])('%s', async (_name, source, thrown, message) => {
    const spec = source.kind === 'instance' ? POSTGRES : MYSQL;
    const error = await refusal(describeRdsEndpoint(fakeRds(thrown, { throws: true }).rds, source, spec));
    expect(error).toBeInstanceOf(RotationError);
    expect(error.message).toBe(message);
  });
});

describe('checkManagedSecretTag', () => {
  const instanceEndpoint: RdsEndpoint = { host: 'h', port: 5432, arn: INSTANCE_ARN, engine: 'postgres' };
  const clusterEndpoint: RdsEndpoint = { host: 'h', port: 3306, arn: CLUSTER_ARN, engine: 'aurora-mysql' };

  test('accepts the secret whose aws:rds tag names the pinned database', () => {
    expect(() =>
      checkManagedSecretTag(
        { 'aws:rds:primaryDBInstanceArn': INSTANCE_ARN },
        INSTANCE,
        instanceEndpoint,
        SECRET_ARN,
      ),
    ).not.toThrow();
    expect(() =>
      checkManagedSecretTag(
        { 'aws:rds:primaryDBClusterArn': CLUSTER_ARN },
        CLUSTER,
        clusterEndpoint,
        SECRET_ARN,
      ),
    ).not.toThrow();
  });

  test.each<[string, Record<string, string>, RdsSource, RdsEndpoint, string]>([
    [
      'no aws:rds tag',
      {},
      INSTANCE,
      instanceEndpoint,
      `secret ${SECRET_ARN} has no aws:rds:primaryDBInstanceArn tag: it is not the master secret RDS manages for RDS DB instance "orders"`,
    ],
    [
      'the instance tag on a secret pinned to a cluster',
      { 'aws:rds:primaryDBInstanceArn': CLUSTER_ARN },
      CLUSTER,
      clusterEndpoint,
      `secret ${SECRET_ARN} has no aws:rds:primaryDBClusterArn tag: it is not the master secret RDS manages for RDS DB cluster "ledger"`,
    ],
    [
      'a tag naming another database',
      { 'aws:rds:primaryDBInstanceArn': 'arn:aws:rds:us-east-1:123456789012:db:reports' },
      INSTANCE,
      instanceEndpoint,
      `secret ${SECRET_ARN} is RDS's master secret of arn:aws:rds:us-east-1:123456789012:db:reports, but this deployment pinned RDS DB instance "orders" (${INSTANCE_ARN}); refusing to use it`,
    ],
  ])('refuses a secret with %s', (_name, tags, source, endpoint, message) => {
    let error: Error | undefined;
    try {
      checkManagedSecretTag(tags, source, endpoint, SECRET_ARN);
    } catch (e) {
      error = e as Error;
    }
    expect(error).toBeInstanceOf(RotationError);
    expect(error?.message).toBe(message);
  });
});
