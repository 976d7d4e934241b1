/**
 * What the database strategies write and where they connect, with fakes (a fake driver, a fake Secrets
 * Manager client, and aws-sdk-client-mock for RDS): every new version carries the pinned connection
 * fields whatever the current value holds; a target pinned by RDS identifier takes its host and port
 * from the RDS API, and its admin secret must carry RDS's tag naming that database, before any login.
 * The same paths run end to end in test/database/pinned-fields.test.ts (real PostgreSQL) and
 * test/database/rds-managed-rotation.test.ts (moto's RDS).
 */
import {
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  RDSClient,
  type DBInstance,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import type { TargetSpec } from '../../lib/contract/rotation-contract';
import type { StrategyContext } from '../../lambda/rotation/strategies/strategy';
import { DatabaseError } from '../../lambda/rotation/strategies/database/database-error';
import type { DatabaseDriver, Endpoint } from '../../lambda/rotation/strategies/database/driver';
import type { EngineSpec } from '../../lambda/rotation/strategies/database/engine';
import { AlternatingUsersStrategy } from '../../lambda/rotation/strategies/database/alternating-users';
import { SingleUserStrategy } from '../../lambda/rotation/strategies/database/single-user';
import { MYSQL } from '../../lambda/rotation/strategies/mysql';
import {
  POSTGRES,
  postgresAlternatingStrategy,
  postgresSingleStrategy,
} from '../../lambda/rotation/strategies/postgres';
import { ARN, strategyContext } from '../database/support/fixtures';

const ADMIN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-0a1b-AbCdEf';
const DB_ARN = 'arn:aws:rds:us-east-1:123456789012:db:orders';
const RDS_HOST = 'orders.abcdefghij.us-east-1.rds.amazonaws.com';

const rds = mockClient(RDSClient);
beforeEach(() => rds.reset());

/** A fake database that accepts `passwords`, recording every connection (endpoint and user). */
function fakeEngine(
  passwords: Map<string, string>,
  calls: string[],
  spec: EngineSpec = POSTGRES,
): EngineSpec {
  const driver: DatabaseDriver = {
    async connect(endpoint: Endpoint, credentials) {
      calls.push(`connect ${credentials.username}@${endpoint.host}:${endpoint.port}/${endpoint.dbname}`);
      if (passwords.get(credentials.username) !== credentials.password) {
        throw new DatabaseError('auth', `could not log in as "${credentials.username}"`);
      }
      return {
        ping: async () => undefined,
        accountHost: async () => '%',
        setOwnPassword: async (username, password) => void passwords.set(username, password),
        upsertClone: async (request) => {
          passwords.set(request.username, request.password);
          return 'created';
        },
        close: async () => undefined,
      };
    },
  };
  return { ...spec, loadDriver: async () => driver };
}

interface Fakes {
  /** What the fake Secrets Manager client was sent (command name and input). */
  readonly sent: string[];
  /** The admin secret's tags, as DescribeSecret returns them. */
  tags: Record<string, string>;
  adminValue: string;
}

function context(values: { current: string; pending?: string }, fakes: Fakes): StrategyContext {
  return strategyContext(async (command: { constructor: { name: string }; input: { SecretId?: string } }) => {
    fakes.sent.push(`${command.constructor.name} ${command.input.SecretId}`);
    if (command.constructor.name === 'DescribeSecretCommand') {
      return { Tags: Object.entries(fakes.tags).map(([Key, Value]) => ({ Key, Value })) };
    }
    return { SecretString: fakes.adminValue };
  }, values);
}

const fakes = (fields: Partial<Fakes> = {}): Fakes => ({
  sent: [],
  tags: { 'aws:rds:primaryDBInstanceArn': DB_ARN },
  adminValue: JSON.stringify({ username: 'postgres', password: 'admin-pw' }),
  ...fields,
});

const singleProfile = postgresSingleStrategy.parseProfile('s', { kind: 'postgres-single' }, 'p');
const alternatingProfile = postgresAlternatingStrategy.parseProfile(
  'a',
  { kind: 'postgres-alternating' },
  'p',
);
const HOST_TARGET: TargetSpec = {
  engine: 'postgres',
  host: 'db.internal',
  port: 5433,
  dbname: 'app',
  tls: 'verified',
};
const RDS_TARGET: TargetSpec = {
  engine: 'postgres',
  rds: { kind: 'instance', identifier: 'orders' },
  dbname: 'app',
  tls: 'verified',
  admin: ADMIN,
};
const ONLY_CREDENTIALS = JSON.stringify({ username: 'app_user', password: 'current-pw' });

function instance(fields: Partial<DBInstance> = {}): DBInstance {
  return {
    DBInstanceIdentifier: 'orders',
    DBInstanceArn: DB_ARN,
    Engine: 'postgres',
    Endpoint: { Address: RDS_HOST, Port: 5432 },
    ...fields,
  };
}

describe('every new version carries the pinned connection fields', () => {
  /** The connection fields of HOST_TARGET, as a new version holds them. */
  const HOST_FIELDS = { engine: 'postgres', host: 'db.internal', port: 5433, dbname: 'app', ssl: true };

  /** The new version `strategy` creates from the AWSCURRENT value `current`, parsed. */
  async function pendingValue(
    strategy: { createPendingValue(ctx: StrategyContext): Promise<string> },
    current = ONLY_CREDENTIALS,
  ): Promise<Record<string, unknown>> {
    return JSON.parse(await strategy.createPendingValue(context({ current }, fakes())));
  }

  test('single user: a value of only username and password gains engine, host, port, dbname and ssl', async () => {
    const strategy = new SingleUserStrategy(fakeEngine(new Map(), []), singleProfile, HOST_TARGET);
    expect(await pendingValue(strategy)).toEqual({
      ...HOST_FIELDS,
      username: 'app_user',
      password: 'generated-pw',
    });
  });

  test('alternating users: masterarn is the pinned admin secret', async () => {
    const target: TargetSpec = { ...HOST_TARGET, admin: ADMIN };
    const strategy = new AlternatingUsersStrategy(fakeEngine(new Map(), []), alternatingProfile, target);
    expect(await pendingValue(strategy)).toEqual({
      ...HOST_FIELDS,
      masterarn: ADMIN,
      username: 'app_user_clone',
      password: 'generated-pw',
    });
  });

  test('pinned fields override what the value says where it agrees (host case, port as digits, ssl); other fields are copied', async () => {
    const current = JSON.stringify({
      engine: 'postgres',
      host: 'DB.Internal',
      port: '5433',
      ssl: false,
      dbInstanceIdentifier: 'orders',
      note: 'kept',
      username: 'app_user',
      password: 'current-pw',
    });
    const strategy = new SingleUserStrategy(fakeEngine(new Map(), []), singleProfile, HOST_TARGET);
    expect(await pendingValue(strategy, current)).toEqual({
      ...HOST_FIELDS,
      dbInstanceIdentifier: 'orders',
      note: 'kept',
      username: 'app_user',
      password: 'generated-pw',
    });
  });

  test('a value that disagrees with the pin is still refused before a password is generated (issue #9)', async () => {
    const strategy = new SingleUserStrategy(fakeEngine(new Map(), []), singleProfile, HOST_TARGET);
    const ctx = context(
      { current: JSON.stringify({ host: 'evil.example', username: 'u', password: 'p' }) },
      fakes(),
    );
    const generate = jest.spyOn(ctx, 'generatePassword');
    await expect(strategy.createPendingValue(ctx)).rejects.toThrow(
      `the AWSCURRENT value of secret ${ARN} points at host evil.example, but this deployment pinned secret ${ARN} to db.internal:5433/app; refusing to connect anywhere`,
    );
    expect(generate).not.toHaveBeenCalled();
  });

  test.each([
    ['plaintext', false],
    ['unverified', true],
  ] as const)('tls %s: ssl is %s; no dbname pinned: none written', async (tls, ssl) => {
    const target: TargetSpec = { engine: 'postgres', host: 'db.internal', port: 5432, tls };
    const value = await pendingValue(
      new SingleUserStrategy(fakeEngine(new Map(), []), singleProfile, target),
    );
    expect(value.ssl).toBe(ssl);
    expect(value).not.toHaveProperty('dbname');
  });

  test('the engine: the value’s own when it names this engine ("mariadb" stays), else the canonical one', async () => {
    const target: TargetSpec = { engine: 'mysql', host: 'db.internal', port: 3306, tls: 'verified' };
    const profile = { ...singleProfile, kind: 'mysql-single' };
    const strategy = new SingleUserStrategy(fakeEngine(new Map(), [], MYSQL), profile, target);
    const mariadb = JSON.stringify({ engine: 'mariadb', username: 'u', password: 'p' });
    expect((await pendingValue(strategy, mariadb)).engine).toBe('mariadb');
    const fresh = new SingleUserStrategy(fakeEngine(new Map(), [], MYSQL), profile, target);
    const none = JSON.stringify({ username: 'u', password: 'p' });
    expect((await pendingValue(fresh, none)).engine).toBe('mysql');
  });
});

describe('a target pinned by RDS identifier', () => {
  test('createSecret writes the host and port RDS reports, RDS’s engine and the pinned admin', async () => {
    rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'orders' }).resolves({
      DBInstances: [instance({ Engine: 'postgres' })],
    });
    const f = fakes();
    const strategy = new AlternatingUsersStrategy(fakeEngine(new Map(), []), alternatingProfile, RDS_TARGET);
    const value = JSON.parse(await strategy.createPendingValue(context({ current: ONLY_CREDENTIALS }, f)));
    expect(value).toEqual({
      engine: 'postgres',
      host: RDS_HOST,
      port: 5432,
      dbname: 'app',
      ssl: true,
      masterarn: ADMIN,
      username: 'app_user_clone',
      password: 'generated-pw',
    });
    expect(rds.commandCalls(DescribeDBInstancesCommand)).toHaveLength(1);
    expect(f.sent).toEqual([`DescribeSecretCommand ${ADMIN}`]);
  });

  test('setSecret logs in at RDS’s endpoint only, never at the host a value could name; one lookup per step', async () => {
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [instance()] });
    const passwords = new Map([
      ['app_user', 'current-pw'],
      ['postgres', 'admin-pw'],
    ]);
    const calls: string[] = [];
    const pending = JSON.stringify({ username: 'app_user_clone', password: 'new-pw' });
    const strategy = new AlternatingUsersStrategy(
      fakeEngine(passwords, calls),
      alternatingProfile,
      RDS_TARGET,
    );
    await strategy.setSecret(context({ current: ONLY_CREDENTIALS, pending }, fakes()));
    expect(calls).toEqual([
      `connect app_user_clone@${RDS_HOST}:5432/app`,
      `connect app_user@${RDS_HOST}:5432/app`,
      `connect postgres@${RDS_HOST}:5432/app`,
    ]);
    expect(passwords.get('app_user_clone')).toBe('new-pw');
    expect(rds.commandCalls(DescribeDBInstancesCommand)).toHaveLength(1);
  });

  test('a value naming another host than RDS reports is refused before any login', async () => {
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [instance()] });
    const calls: string[] = [];
    const current = JSON.stringify({
      host: 'localhost',
      port: 5432,
      username: 'app_user',
      password: 'current-pw',
    });
    const strategy = new AlternatingUsersStrategy(
      fakeEngine(new Map(), calls),
      alternatingProfile,
      RDS_TARGET,
    );
    await expect(
      strategy.setSecret(context({ current, pending: ONLY_CREDENTIALS }, fakes())),
    ).rejects.toThrow(
      `the AWSCURRENT value of secret ${ARN} points at host localhost, port 5432, but this deployment pinned secret ${ARN} to ${RDS_HOST}:5432/app; refusing to connect anywhere`,
    );
    expect(calls).toEqual([]);
  });

  test('an admin secret whose RDS tag names another database is refused before any login or admin read', async () => {
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [instance()] });
    const other = 'arn:aws:rds:us-east-1:123456789012:db:reports';
    const f = fakes({ tags: { 'aws:rds:primaryDBInstanceArn': other } });
    const calls: string[] = [];
    const pending = JSON.stringify({ username: 'app_user_clone', password: 'new-pw' });
    const strategy = new AlternatingUsersStrategy(
      fakeEngine(new Map(), calls),
      alternatingProfile,
      RDS_TARGET,
    );
    await expect(strategy.setSecret(context({ current: ONLY_CREDENTIALS, pending }, f))).rejects.toThrow(
      `secret ${ADMIN} is RDS's master secret of ${other}, but this deployment pinned RDS DB instance "orders" (${DB_ARN}); refusing to use it`,
    );
    expect(calls).toEqual([]);
    expect(f.sent).toEqual([`DescribeSecretCommand ${ADMIN}`]);
  });

  test('an admin secret without the tag (not RDS-managed) is refused, in createSecret too', async () => {
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [instance()] });
    const ctx = context(
      { current: ONLY_CREDENTIALS },
      fakes({ tags: { 'aws:rds:primaryDBInstanceArn-x': DB_ARN } }),
    );
    const generate = jest.spyOn(ctx, 'generatePassword');
    const strategy = new AlternatingUsersStrategy(fakeEngine(new Map(), []), alternatingProfile, RDS_TARGET);
    await expect(strategy.createPendingValue(ctx)).rejects.toThrow(
      `secret ${ADMIN} has no aws:rds:primaryDBInstanceArn tag: it is not the master secret RDS manages for RDS DB instance "orders"`,
    );
    expect(generate).not.toHaveBeenCalled();
  });

  test('a cluster: DescribeDBClusters, the writer endpoint, the cluster tag', async () => {
    const clusterArn = 'arn:aws:rds:us-east-1:123456789012:cluster:ledger';
    rds.on(DescribeDBClustersCommand, { DBClusterIdentifier: 'ledger' }).resolves({
      DBClusters: [
        {
          DBClusterIdentifier: 'ledger',
          DBClusterArn: clusterArn,
          Engine: 'aurora-postgresql',
          Endpoint: 'ledger.cluster-abc.us-east-1.rds.amazonaws.com',
          Port: 5432,
        },
      ],
    });
    const target: TargetSpec = { ...RDS_TARGET, rds: { kind: 'cluster', identifier: 'ledger' } };
    const f = fakes({ tags: { 'aws:rds:primaryDBClusterArn': clusterArn } });
    const strategy = new AlternatingUsersStrategy(fakeEngine(new Map(), []), alternatingProfile, target);
    const value = JSON.parse(await strategy.createPendingValue(context({ current: ONLY_CREDENTIALS }, f)));
    expect(value).toMatchObject({
      engine: 'aurora-postgresql',
      host: 'ledger.cluster-abc.us-east-1.rds.amazonaws.com',
      port: 5432,
    });
    expect(rds.commandCalls(DescribeDBInstancesCommand)).toHaveLength(0);
  });

  test('single user on an RDS target: no admin, so no tag to check; the host comes from RDS', async () => {
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [instance()] });
    const f = fakes();
    const target: TargetSpec = {
      engine: 'postgres',
      rds: { kind: 'instance', identifier: 'orders' },
      tls: 'verified',
    };
    const strategy = new SingleUserStrategy(fakeEngine(new Map(), []), singleProfile, target);
    const value = JSON.parse(await strategy.createPendingValue(context({ current: ONLY_CREDENTIALS }, f)));
    expect(value).toMatchObject({ host: RDS_HOST, port: 5432 });
    expect(value).not.toHaveProperty('masterarn');
    expect(f.sent).toEqual([]);
  });

  test('an RDS API failure fails the step, naming the identifier, before anything else', async () => {
    rds.on(DescribeDBInstancesCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied' }));
    const ctx = context({ current: ONLY_CREDENTIALS }, fakes());
    const generate = jest.spyOn(ctx, 'generatePassword');
    const strategy = new AlternatingUsersStrategy(fakeEngine(new Map(), []), alternatingProfile, RDS_TARGET);
    await expect(strategy.createPendingValue(ctx)).rejects.toThrow(
      'could not describe RDS DB instance "orders": AccessDenied',
    );
    expect(generate).not.toHaveBeenCalled();
  });
});

describe('a moved database: the deployment declares where it was (movedFrom)', () => {
  const MOVED: TargetSpec = {
    engine: 'postgres',
    host: 'new.internal',
    port: 6432,
    dbname: 'app',
    tls: 'verified',
    formerly: [
      { host: 'old.internal', port: 5432, dbname: 'app' },
      { host: 'older.internal', port: 5432, dbname: 'legacy' },
    ],
  };
  const AT_OLD = (fields: Record<string, unknown> = {}) =>
    JSON.stringify({
      engine: 'postgres',
      host: 'old.internal',
      port: 5432,
      dbname: 'app',
      ssl: true,
      note: 'kept',
      username: 'app_user',
      password: 'current-pw',
      ...fields,
    });
  const PIN_FIELDS = { engine: 'postgres', host: 'new.internal', port: 6432, dbname: 'app', ssl: true };
  const refusal = (claimed: string, entry: string) =>
    `the AWSCURRENT value of secret ${ARN} points at ${claimed}, but this deployment pinned secret ${ARN} to new.internal:6432/app; refusing to connect anywhere (fix the value, or deploy the new endpoint, then rotate again). If the database moved from there, declare \`movedFrom: [{ ${entry} }]\` in the options of secret ${ARN} and deploy: the next rotation then writes the new endpoint`;

  test('a value naming a former endpoint is accepted, and the pending value names the pin', async () => {
    const strategy = new SingleUserStrategy(fakeEngine(new Map(), []), singleProfile, MOVED);
    const value = JSON.parse(await strategy.createPendingValue(context({ current: AT_OLD() }, fakes())));
    expect(value).toEqual({
      ...PIN_FIELDS,
      note: 'kept',
      username: 'app_user',
      password: 'generated-pw',
    });
    // Any of the former endpoints, host in any case, port as digits.
    const older = AT_OLD({ host: 'OLDER.internal', port: '5432', dbname: 'legacy' });
    const again = new SingleUserStrategy(fakeEngine(new Map(), []), singleProfile, MOVED);
    expect(JSON.parse(await again.createPendingValue(context({ current: older }, fakes())))).toEqual({
      ...PIN_FIELDS,
      note: 'kept',
      username: 'app_user',
      password: 'generated-pw',
    });
  });

  test('moved to a pin without dbname: the former database does not stay in the new version', async () => {
    const target: TargetSpec = {
      engine: 'postgres',
      host: 'new.internal',
      port: 5432,
      tls: 'verified',
      formerly: [{ host: 'old.internal', port: 5432, dbname: 'legacy' }],
    };
    const strategy = new SingleUserStrategy(fakeEngine(new Map(), []), singleProfile, target);
    const value = JSON.parse(
      await strategy.createPendingValue(context({ current: AT_OLD({ dbname: 'legacy' }) }, fakes())),
    );
    expect(value).not.toHaveProperty('dbname');
    expect(value).toMatchObject({ host: 'new.internal', port: 5432 });
  });

  test('setSecret (single user): every login goes to the pin, never to the former endpoint', async () => {
    const passwords = new Map([['app_user', 'current-pw']]);
    const calls: string[] = [];
    const pending = JSON.stringify({ ...PIN_FIELDS, username: 'app_user', password: 'new-pw' });
    const strategy = new SingleUserStrategy(fakeEngine(passwords, calls), singleProfile, MOVED);
    await strategy.setSecret(context({ current: AT_OLD(), pending }, fakes()));
    expect(calls).toEqual([
      'connect app_user@new.internal:6432/app',
      'connect app_user@new.internal:6432/app',
    ]);
    expect(passwords.get('app_user')).toBe('new-pw');
    // testSecret too.
    const tested: string[] = [];
    await new SingleUserStrategy(fakeEngine(passwords, tested), singleProfile, MOVED).testSecret(
      context({ current: AT_OLD(), pending }, fakes()),
    );
    expect(tested).toEqual(['connect app_user@new.internal:6432/app']);
  });

  test('alternating users: an admin value naming the former endpoint is accepted; the admin logs in at the pin only', async () => {
    const target: TargetSpec = { ...MOVED, admin: ADMIN };
    const passwords = new Map([
      ['app_user', 'current-pw'],
      ['postgres', 'admin-pw'],
    ]);
    const calls: string[] = [];
    const adminValue = JSON.stringify({
      host: 'old.internal',
      port: 5432,
      dbname: 'postgres',
      username: 'postgres',
      password: 'admin-pw',
    });
    const pending = JSON.stringify({ ...PIN_FIELDS, username: 'app_user_clone', password: 'new-pw' });
    const strategy = new AlternatingUsersStrategy(fakeEngine(passwords, calls), alternatingProfile, target);
    await strategy.setSecret(context({ current: AT_OLD(), pending }, fakes({ adminValue })));
    expect(calls).toEqual([
      'connect app_user_clone@new.internal:6432/app',
      'connect app_user@new.internal:6432/app',
      'connect postgres@new.internal:6432/app',
    ]);
    expect(passwords.get('app_user_clone')).toBe('new-pw');
  });

  test.each<[string, Record<string, unknown>, string, string]>([
    [
      'another host',
      { host: 'other.internal' },
      'host other.internal, port 5432, dbname app',
      'host: "other.internal", port: 5432',
    ],
    [
      // A former host with the pin's port is neither endpoint: each is matched as a whole.
      'a former host with the pinned port',
      { port: 6432 },
      'host old.internal, port 6432, dbname app',
      'host: "old.internal", port: 6432',
    ],
    [
      'a former endpoint with another database',
      { dbname: 'reports' },
      'host old.internal, port 5432, dbname reports',
      'host: "old.internal", port: 5432, dbname: "reports"',
    ],
    [
      'no host (the pin’s) and another port as digits',
      { host: undefined, port: '7000' },
      'port 7000, dbname app',
      'host: "new.internal", port: 7000',
    ],
    [
      'a port that is no number',
      { port: '54x' },
      'host old.internal, port 54x, dbname app',
      'host: "old.internal", port: "54x"',
    ],
    [
      'a long host, cut at 80 characters',
      { host: 'h'.repeat(200) },
      `host ${'h'.repeat(80)}, port 5432, dbname app`,
      `host: "${'h'.repeat(80)}", port: 5432`,
    ],
  ])(
    'a value naming %s: refused as before, saying which movedFrom would declare it; nothing generated or connected',
    async (_name, fields, claimed, entry) => {
      const calls: string[] = [];
      const strategy = new SingleUserStrategy(fakeEngine(new Map(), calls), singleProfile, MOVED);
      const ctx = context({ current: AT_OLD(fields), pending: AT_OLD() }, fakes());
      const generate = jest.spyOn(ctx, 'generatePassword');
      await expect(strategy.createPendingValue(ctx)).rejects.toThrow(new Error(refusal(claimed, entry)));
      await expect(strategy.setSecret(ctx)).rejects.toThrow(new Error(refusal(claimed, entry)));
      expect(generate).not.toHaveBeenCalled();
      expect(calls).toEqual([]);
    },
  );

  test('without former endpoints, a value naming the old endpoint is refused (issue #9 unchanged)', async () => {
    const pinOnly: TargetSpec = {
      engine: 'postgres',
      host: 'new.internal',
      port: 6432,
      dbname: 'app',
      tls: 'verified',
    };
    const calls: string[] = [];
    const strategy = new SingleUserStrategy(
      fakeEngine(new Map(), calls),
      singleProfile,
      pinOnly as TargetSpec,
    );
    const ctx = context({ current: AT_OLD() }, fakes());
    await expect(strategy.createPendingValue(ctx)).rejects.toThrow(
      new Error(refusal('host old.internal, port 5432, dbname app', 'host: "old.internal", port: 5432')),
    );
    expect(calls).toEqual([]);
  });
});
