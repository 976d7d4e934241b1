/**
 * The database strategies' parts, with fakes: parsing, naming, retry, grant replay, and the order in
 * which setSecret tries credentials. Each behaviour here is also exercised end to end on real servers
 * (postgres.test.ts, mysql.test.ts); these tests pin the exact messages (which the handler's redaction
 * of every secret field partly hides there) and the paths a real server cannot be made to take.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigurationError } from '../../lambda/rotation/env';
import type { SecretMetadata } from '../../lambda/rotation/metadata';
import type { PasswordOptions } from '../../lambda/rotation/password';
import type { StrategyContext } from '../../lambda/rotation/strategies/strategy';
import type { SecretValues } from '../../lambda/rotation/values';
import { DatabaseError, driverMessage } from '../../lambda/rotation/strategies/database/database-error';
import type {
  Credentials,
  DatabaseDriver,
  Endpoint,
  Session,
} from '../../lambda/rotation/strategies/database/driver';
import type { EngineSpec } from '../../lambda/rotation/strategies/database/engine';
import { grantToReplay } from '../../lambda/rotation/strategies/database/mysql-driver';
import { withRetry } from '../../lambda/rotation/strategies/database/retry';
import { parseDatabaseSecret } from '../../lambda/rotation/strategies/database/secret';
import { alternateUsername } from '../../lambda/rotation/strategies/database/usernames';
import { MYSQL, mysqlAlternatingStrategy, mysqlSingleStrategy } from '../../lambda/rotation/strategies/mysql';
import {
  POSTGRES,
  postgresAlternatingStrategy,
  postgresSingleStrategy,
} from '../../lambda/rotation/strategies/postgres';

const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:vault/db-AbCdEf';
const WHERE = 'the AWSCURRENT value of secret X';

function pgSecret(fields: Record<string, unknown> = {}): string {
  return JSON.stringify({
    engine: 'postgres',
    host: 'db.internal',
    port: 5432,
    dbname: 'app',
    username: 'app_user',
    password: 'current-pw',
    ...fields,
  });
}

describe('parseDatabaseSecret', () => {
  test('reads the usual RDS fields, with defaults for port and dbname', () => {
    const parsed = parseDatabaseSecret(
      JSON.stringify({ engine: 'postgres', host: 'h', username: 'u', password: 'p' }),
      POSTGRES,
      WHERE,
    );
    expect(parsed.endpoint).toEqual({ host: 'h', port: 5432, dbname: 'postgres', tls: 'prefer' });
    expect(parsed.credentials).toEqual({ username: 'u', password: 'p' });
    const mysql = parseDatabaseSecret(
      JSON.stringify({
        engine: 'mariadb',
        host: 'h',
        port: '3307',
        username: 'u',
        password: 'p',
        ssl: 'TRUE',
      }),
      MYSQL,
      WHERE,
    );
    expect(mysql.endpoint).toEqual({ host: 'h', port: 3307, dbname: undefined, tls: 'require' });
  });

  test.each([
    ['not JSON', '{"password": "hunter2', /is not JSON/],
    ['an array', '[]', /is not a JSON object/],
    [
      'no host',
      JSON.stringify({ engine: 'postgres', username: 'u', password: 'p' }),
      /has no non-empty string field "host"/,
    ],
    ['no username', JSON.stringify({ engine: 'postgres', host: 'h', password: 'p' }), /field "username"/],
    [
      'no password',
      JSON.stringify({ engine: 'postgres', host: 'h', username: 'u' }),
      /no string field "password"/,
    ],
    [
      'another engine',
      pgSecret({ engine: 'mysql' }),
      /has engine "mysql", but this profile rotates "postgres" or "aurora-postgresql" secrets/,
    ],
    ['a bad port', pgSecret({ port: 70000 }), /field "port" that is not a port number/],
    ['a bad ssl', pgSecret({ ssl: 'maybe' }), /field "ssl" that is neither true nor false/],
    ['a bad masterarn', pgSecret({ masterarn: 42 }), /field "masterarn" that is not a non-empty string/],
  ])('rejects %s, naming where, never quoting the value', (_name, text, message) => {
    expect(() => parseDatabaseSecret(text, POSTGRES, WHERE)).toThrow(message);
    try {
      parseDatabaseSecret(text, POSTGRES, WHERE);
    } catch (error) {
      expect((error as Error).message.startsWith(WHERE)).toBe(true);
      expect((error as Error).message).not.toMatch(/hunter2|current-pw/);
    }
  });
});

describe('alternateUsername', () => {
  test('toggles between a user and its clone', () => {
    expect(alternateUsername('app', POSTGRES)).toBe('app_clone');
    expect(alternateUsername('app_clone', POSTGRES)).toBe('app');
    expect(alternateUsername('_clone', POSTGRES)).toBe('_clone_clone');
  });

  test('PostgreSQL: 63 bytes, counted in UTF-8', () => {
    expect(alternateUsername('a'.repeat(57), POSTGRES)).toHaveLength(63);
    expect(() => alternateUsername('a'.repeat(58), POSTGRES)).toThrow(
      `cannot alternate user "${'a'.repeat(58)}": its clone "${'a'.repeat(58)}_clone" would be 64 bytes long, over postgres's limit of 63; use a username of at most 57 for alternating users`,
    );
    // 29 two-byte characters: 58 bytes, 64 with the suffix.
    expect(() => alternateUsername('é'.repeat(29), POSTGRES)).toThrow(/would be 64 bytes long/);
  });

  test('MySQL: 32 characters, even on MariaDB (which allows 80)', () => {
    expect(alternateUsername('a'.repeat(26), MYSQL)).toHaveLength(32);
    expect(() => alternateUsername('a'.repeat(27), MYSQL)).toThrow(
      /would be 33 characters long, over mysql's limit of 32; use a username of at most 26/,
    );
  });
});

describe('profiles', () => {
  const where = 'ROTATION_PROFILES["db"]';

  test('PostgreSQL profiles leave out ":" by default, MySQL ones do not', () => {
    const pg = postgresSingleStrategy.parseProfile('db', { kind: 'postgres-single' }, where);
    expect(pg.password.excludeCharacters).toBe(':/@"\'\\');
    expect(pg).toMatchObject({ id: 'db', kind: 'postgres-single', scheme: 'single', testTimeoutSeconds: 20 });
    const mysql = mysqlAlternatingStrategy.parseProfile(
      'db',
      { kind: 'mysql-alternating', password: { length: 40 } },
      where,
    );
    expect(mysql.password).toMatchObject({ length: 40, excludeCharacters: '/@"\'\\' });
    expect(mysql.scheme).toBe('alternating');
  });

  test('an explicit excludeCharacters wins, even an empty one', () => {
    const pg = postgresAlternatingStrategy.parseProfile(
      'db',
      { kind: 'postgres-alternating', password: { excludeCharacters: '', length: 12 } },
      where,
    );
    expect(pg.password.excludeCharacters).toBe('');
  });

  test.each([
    [
      { kind: 'postgres-single', jsonField: 'password' },
      /has unknown key\(s\) "jsonField" \(allowed for kind "postgres-single": kind, password, testTimeoutSeconds\)/,
    ],
    [
      { kind: 'postgres-single', password: { length: 0 } },
      /ROTATION_PROFILES\["db"\]\.password\.length must be an integer/,
    ],
    [{ kind: 'postgres-single', password: 'strong' }, /\.password must be an object/],
    [
      { kind: 'postgres-single', testTimeoutSeconds: -1 },
      /testTimeoutSeconds must be a number of seconds from 0 to 600/,
    ],
  ])('rejects %j', (raw, message) => {
    expect(() => postgresSingleStrategy.parseProfile('db', raw, where)).toThrow(ConfigurationError);
    expect(() => postgresSingleStrategy.parseProfile('db', raw, where)).toThrow(message);
  });

  test('the four kinds', () => {
    expect(
      [
        postgresSingleStrategy,
        postgresAlternatingStrategy,
        mysqlSingleStrategy,
        mysqlAlternatingStrategy,
      ].map((d) => d.kind),
    ).toEqual(['postgres-single', 'postgres-alternating', 'mysql-single', 'mysql-alternating']);
  });
});

describe('grantToReplay (MySQL SHOW GRANTS lines)', () => {
  test('keeps the privilege part and never the password hash', () => {
    expect(
      grantToReplay("GRANT USAGE ON *.* TO `app`@`%` IDENTIFIED BY PASSWORD '*ABCDEF0123'", 'app', '%'),
    ).toEqual({ grant: 'GRANT USAGE ON *.*', withGrantOption: false });
  });

  test('keeps WITH GRANT OPTION, and names quoted by the server', () => {
    expect(
      grantToReplay('GRANT SELECT, INSERT ON `a TO b`.* TO `app`@`%` WITH GRANT OPTION', 'app', '%'),
    ).toEqual({
      grant: 'GRANT SELECT, INSERT ON `a TO b`.*',
      withGrantOption: true,
    });
  });

  test('MySQL 5.7 quoting, roles, and lines for someone else', () => {
    expect(grantToReplay("GRANT SELECT ON `db`.* TO 'app'@'10.0.0.%'", 'app', '10.0.0.%')?.grant).toBe(
      'GRANT SELECT ON `db`.*',
    );
    expect(grantToReplay('GRANT `reporting` TO `app`@`%`', 'app', '%')?.grant).toBe('GRANT `reporting`');
    expect(grantToReplay('GRANT SELECT ON *.* TO `other`@`%`', 'app', '%')).toBeUndefined();
  });
});

describe('withRetry', () => {
  function clock() {
    let now = 0;
    return { now: () => now, sleep: async (ms: number) => void (now += ms) };
  }

  test('retries with doubling pauses until it works', async () => {
    const c = clock();
    const pauses: number[] = [];
    let calls = 0;
    const result = await withRetry(
      async () => {
        calls += 1;
        if (calls < 4) throw new Error('not yet');
        return 'ok';
      },
      {
        budgetMs: 20000,
        attemptMs: 5000,
        retryable: () => true,
        onRetry: (_e, _a, d) => pauses.push(d),
        ...c,
      },
    );
    expect(result).toBe('ok');
    expect(pauses).toEqual([250, 500, 1000]);
  });

  test('stops at once on an error retrying cannot fix', async () => {
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls += 1;
          throw new DatabaseError('tls', 'no TLS');
        },
        { budgetMs: 20000, attemptMs: 5000, retryable: (e) => !(e instanceof DatabaseError), ...clock() },
      ),
    ).rejects.toThrow('no TLS');
    expect(calls).toBe(1);
  });

  test('starts no attempt that could not finish within the budget', async () => {
    const c = clock();
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls += 1;
          throw new Error(`attempt ${calls}`);
        },
        { budgetMs: 7000, attemptMs: 5000, retryable: () => true, ...c },
      ),
    ).rejects.toThrow('attempt 4');
    // 0 +250 +500 +1000 = 1750 ms of pauses; a fifth attempt after 2000 more would end past 7000.
    expect(c.now()).toBe(1750);
  });
});

describe('driverMessage', () => {
  test('cuts every secret out, on one line', () => {
    expect(driverMessage(new Error("syntax error near 'hunter2'\n  at line 1"), ['hunter2'])).toBe(
      "syntax error near '<redacted>' at line 1",
    );
  });
});

// ---------------------------------------------------------------------------------------------------
// setSecret's decisions, with a fake driver

interface FakeDb {
  /** username -> password the fake database accepts */
  readonly passwords: Map<string, string>;
  down: boolean;
  readonly calls: string[];
}

function fakeDriver(db: FakeDb): DatabaseDriver {
  return {
    async connect(endpoint: Endpoint, credentials: Credentials): Promise<Session> {
      db.calls.push(`connect ${credentials.username}`);
      if (db.down)
        throw new DatabaseError('unreachable', `could not connect to ${endpoint.host}: ECONNREFUSED`);
      if (db.passwords.get(credentials.username) !== credentials.password) {
        throw new DatabaseError('auth', `could not log in as "${credentials.username}"`);
      }
      return {
        ping: async () => undefined,
        accountHost: async () => '%',
        setOwnPassword: async (username, password) => {
          db.calls.push(`setOwnPassword ${username}`);
          db.passwords.set(username, password);
        },
        upsertClone: async (request) => {
          db.calls.push(`upsertClone ${request.username} from ${request.template}`);
          const created = !db.passwords.has(request.username);
          db.passwords.set(request.username, request.password);
          return created ? 'created' : 'updated';
        },
        close: async () => void db.calls.push(`close ${credentials.username}`),
      };
    },
  };
}

function context(values: { current: string; pending: string; previous?: string }, sent: unknown[] = []) {
  const logger = new Logger({ serviceName: 'unit', logLevel: 'SILENT' });
  const ctx: StrategyContext = {
    client: {
      send: async (command: { input: unknown }) => {
        sent.push(command.input);
        return {
          SecretString: JSON.stringify({
            engine: 'postgres',
            host: 'db.internal',
            port: 5432,
            username: 'admin',
            password: 'admin-pw',
          }),
        };
      },
    } as unknown as SecretsManagerClient,
    logger,
    secret: {
      arn: ARN,
      name: 'vault/db',
      rotationEnabled: true,
      versionIdsToStages: {},
      tags: {},
    } as SecretMetadata,
    token: 'token',
    values: {
      current: async () => values.current,
      pending: async () => values.pending,
      previous: async () => values.previous,
      remember: () => undefined,
    } as unknown as SecretValues,
    generatePassword: async (_options: PasswordOptions) => 'generated-pw',
  };
  return ctx;
}

function withDriver(db: FakeDb): EngineSpec {
  return { ...POSTGRES, loadDriver: async () => fakeDriver(db) };
}

const profile = (kind: 'single' | 'alternating') =>
  (kind === 'single' ? postgresSingleStrategy : postgresAlternatingStrategy).parseProfile(
    'db',
    { kind: `postgres-${kind}` },
    'p',
  );

async function single(db: FakeDb, values: Parameters<typeof context>[0]) {
  const { SingleUserStrategy } = await import('../../lambda/rotation/strategies/database/single-user');
  return new SingleUserStrategy(withDriver(db), profile('single')).setSecret(context(values));
}

describe('single user setSecret (fake database)', () => {
  const current = pgSecret();
  const pending = pgSecret({ password: 'pending-pw' });

  test('logs in with current and sets the pending password, closing the session', async () => {
    const db: FakeDb = { passwords: new Map([['app_user', 'current-pw']]), down: false, calls: [] };
    await single(db, { current, pending });
    expect(db.calls).toEqual([
      'connect app_user', // pending: refused
      'connect app_user', // current
      'setOwnPassword app_user',
      'close app_user',
    ]);
    expect(db.passwords.get('app_user')).toBe('pending-pw');
  });

  test('falls back to AWSPREVIOUS only for the same user', async () => {
    const db: FakeDb = { passwords: new Map([['app_user', 'old-pw']]), down: false, calls: [] };
    await single(db, { current, pending, previous: pgSecret({ password: 'old-pw' }) });
    expect(db.passwords.get('app_user')).toBe('pending-pw');
    const other: FakeDb = { passwords: new Map([['app_user', 'old-pw']]), down: false, calls: [] };
    await expect(
      single(other, { current, pending, previous: pgSecret({ username: 'someone', password: 'old-pw' }) }),
    ).rejects.toThrow(
      `setSecret: could not log in to postgres at db.internal:5432/app as user "app_user" with the AWSPENDING, AWSCURRENT or AWSPREVIOUS password of secret ${ARN}`,
    );
    expect(other.calls).toEqual(['connect app_user', 'connect app_user']);
  });

  test('a database that is down fails at once: no other credential is tried', async () => {
    const db: FakeDb = { passwords: new Map(), down: true, calls: [] };
    await expect(single(db, { current, pending, previous: current })).rejects.toThrow(
      'could not connect to db.internal: ECONNREFUSED',
    );
    expect(db.calls).toEqual(['connect app_user']);
  });

  test.each([
    [
      'host',
      { host: 'evil.example' },
      `the AWSPENDING value of secret ${ARN} points at evil.example:5432/app, not at the AWSCURRENT value's db.internal:5432/app`,
    ],
    [
      'username',
      { username: 'postgres' },
      `the AWSPENDING value of secret ${ARN} has username "postgres", but this rotation may only set a password for "app_user" on db.internal:5432/app`,
    ],
  ])('a pending value with another %s: refused before any connection', async (_f, change, message) => {
    const db: FakeDb = { passwords: new Map([['app_user', 'current-pw']]), down: false, calls: [] };
    await expect(single(db, { current, pending: pgSecret({ ...change, password: 'x' }) })).rejects.toThrow(
      message,
    );
    expect(db.calls).toEqual([]);
  });
});

describe('alternating users setSecret (fake database)', () => {
  const current = pgSecret({ masterarn: 'arn:admin' });
  const pending = pgSecret({ masterarn: 'arn:admin', username: 'app_user_clone', password: 'pending-pw' });

  test('current logs in, then the admin (read at AWSCURRENT) creates the clone', async () => {
    const db: FakeDb = {
      passwords: new Map([
        ['app_user', 'current-pw'],
        ['admin', 'admin-pw'],
      ]),
      down: false,
      calls: [],
    };
    const sent: unknown[] = [];
    const { AlternatingUsersStrategy } =
      await import('../../lambda/rotation/strategies/database/alternating-users');
    await new AlternatingUsersStrategy(withDriver(db), profile('alternating')).setSecret(
      context({ current, pending }, sent),
    );
    expect(sent).toEqual([{ SecretId: 'arn:admin', VersionStage: 'AWSCURRENT' }]);
    expect(db.calls).toEqual([
      'connect app_user_clone',
      'connect app_user',
      'close app_user',
      'connect admin',
      'upsertClone app_user_clone from app_user',
      'close admin',
    ]);
  });

  test('a current credential that does not work: the admin secret is never read', async () => {
    const db: FakeDb = { passwords: new Map([['admin', 'admin-pw']]), down: false, calls: [] };
    const sent: unknown[] = [];
    const { AlternatingUsersStrategy } =
      await import('../../lambda/rotation/strategies/database/alternating-users');
    await expect(
      new AlternatingUsersStrategy(withDriver(db), profile('alternating')).setSecret(
        context({ current, pending }, sent),
      ),
    ).rejects.toThrow(
      `setSecret: the AWSCURRENT credential of secret ${ARN} (user "app_user") does not log in to postgres at db.internal:5432/app; refusing to use the admin secret for it`,
    );
    expect(sent).toEqual([]);
  });

  test('createSecret needs masterarn and a clone name that fits', async () => {
    const strategy = postgresAlternatingStrategy.create(profile('alternating'));
    await expect(strategy.createPendingValue(context({ current: pgSecret(), pending: '' }))).rejects.toThrow(
      `the AWSCURRENT value of secret ${ARN} has no field "masterarn"`,
    );
    const value = await strategy.createPendingValue(context({ current, pending: '' }));
    expect(JSON.parse(value)).toEqual({
      ...JSON.parse(current),
      username: 'app_user_clone',
      password: 'generated-pw',
    });
  });
});

describe('cold start', () => {
  test('the strategy modules load a database driver only when a database secret is rotated', async () => {
    const loaded: string[] = [];
    let pg: typeof import('../../lambda/rotation/strategies/postgres') | undefined;
    jest.isolateModules(() => {
      jest.doMock('pg', () => {
        loaded.push('pg');
        return jest.requireActual('pg');
      });
      jest.doMock('mysql2/promise', () => {
        loaded.push('mysql2');
        return jest.requireActual('mysql2/promise');
      });
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      pg = require('../../lambda/rotation/strategies/postgres');
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require('../../lambda/rotation/strategies/mysql');
    });
    const strategies = pg as typeof import('../../lambda/rotation/strategies/postgres');
    strategies.postgresSingleStrategy.create(profile('single'));
    const driver = await strategies.POSTGRES.loadDriver();
    expect(loaded).toEqual([]);
    // The first connection (here to a closed port) is what loads `pg`.
    await expect(
      driver.connect(
        { host: '127.0.0.1', port: 1, dbname: 'x', tls: 'disable' },
        { username: 'u', password: 'p' },
      ),
    ).rejects.toThrow(/could not connect to PostgreSQL at 127\.0\.0\.1:1\/x as user "u": .*ECONNREFUSED/);
    expect(loaded).toEqual(['pg']);
  });
});
