/**
 * The database strategies' parts, with fakes: parsing, naming, retry, grant replay, and the order in
 * which setSecret tries credentials. Each behaviour here is also exercised end to end on real servers
 * (postgres.test.ts, mysql.test.ts); these tests pin the exact messages (which the handler's redaction
 * of every secret field partly hides there) and the paths a real server cannot be made to take.
 */
import { ConfigurationError } from '../../lambda/rotation/env';
import { RotationError } from '../../lambda/rotation/errors';
import type { TargetSpec } from '../../lib/contract/rotation-contract';
import {
  connectionError,
  DatabaseError,
  driverMessage,
  isDatabaseError,
} from '../../lambda/rotation/strategies/database/database-error';
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
import { ARN, WHERE, pgSecret, strategyContext } from './support/fixtures';

const PG_TARGET = {
  engine: 'postgres' as const,
  host: 'db.internal',
  port: 5432,
  dbname: 'app',
  tls: 'plaintext' as const,
};
const PG_ALT_TARGET = { ...PG_TARGET, tls: 'verified' as const, admin: 'arn:admin' };
const MYSQL_TARGET = { engine: 'mysql' as const, host: 'h', port: 3307, tls: 'verified' as const };

describe('parseDatabaseSecret (checked against the pinned target)', () => {
  const parse = (text: string, target: TargetSpec = PG_TARGET, checkDbname?: boolean) =>
    parseDatabaseSecret(text, POSTGRES, target, WHERE, { arn: ARN, checkDbname });

  test('reads the credentials; fields left out take the pinned values', () => {
    const parsed = parse(JSON.stringify({ username: 'u', password: 'p' }));
    expect(parsed.credentials).toEqual({ username: 'u', password: 'p' });
    expect(parsed.raw).toEqual({ username: 'u', password: 'p' });
  });

  test('accepts the usual RDS fields when they agree with the target: host in any case, port as digits', () => {
    const parsed = parse(pgSecret({ engine: 'aurora-postgresql', host: 'DB.Internal', port: '5432' }));
    expect(parsed.credentials).toEqual({ username: 'app_user', password: 'current-pw' });
    const mysql = parseDatabaseSecret(
      JSON.stringify({ engine: 'mariadb', host: 'h', port: '3307', username: 'u', password: 'p' }),
      MYSQL,
      MYSQL_TARGET,
      WHERE,
      { arn: ARN },
    );
    expect(mysql.credentials.username).toBe('u');
  });

  test('empty or null connection fields count as left out', () => {
    expect(parse(pgSecret({ engine: '', host: null, port: '', dbname: null })).credentials.username).toBe(
      'app_user',
    );
  });

  test.each([
    ['true', true],
    ['false', false],
    ['"maybe"', 'maybe'],
  ])('the "ssl" field chooses nothing and is not checked (ssl: %s)', (_name, ssl) => {
    expect(parse(pgSecret({ ssl })).raw.ssl).toEqual(ssl);
  });

  test('a dbname defaults to the engine\'s ("postgres") when the target pins none', () => {
    const target = { ...PG_TARGET, dbname: undefined };
    expect(parse(pgSecret({ dbname: 'postgres' }), target).credentials.username).toBe('app_user');
    expect(() => parse(pgSecret({ dbname: 'app' }), target)).toThrow(
      `${WHERE} points at host db.internal, port 5432, dbname app, but this deployment pinned secret ${ARN} to db.internal:5432/postgres; refusing to connect anywhere`,
    );
  });

  test('the admin secret may name another database (checkDbname false), never another host', () => {
    expect(parse(pgSecret({ dbname: 'postgres' }), PG_TARGET, false).credentials.username).toBe('app_user');
    expect(() => parse(pgSecret({ host: 'evil.example', dbname: 'postgres' }), PG_TARGET, false)).toThrow(
      'points at host evil.example',
    );
  });

  const pinned = `but this deployment pinned secret ${ARN} to db.internal:5432/app; refusing to connect anywhere (fix the value, or deploy the new endpoint, then rotate again)`;
  /** The refusal's suggestion for a database that moved: the `movedFrom` entry naming what the value names. */
  const moved = (entry: string) =>
    `. If the database moved from there, declare \`movedFrom: [{ ${entry} }]\` in the options of secret ${ARN} and deploy: the next rotation then writes the new endpoint`;
  test.each([
    ['not JSON', '{"password": "hunter2', `${WHERE} is not JSON (a database secret is a JSON object)`],
    ['an array', '[]', `${WHERE} is not a JSON object`],
    ['null', 'null', `${WHERE} is not a JSON object`],
    [
      'no username',
      JSON.stringify({ engine: 'postgres', host: 'db.internal', password: 'current-pw' }),
      `${WHERE} has no non-empty string field "username"`,
    ],
    ['an empty username', pgSecret({ username: '' }), `${WHERE} has no non-empty string field "username"`],
    [
      'no password',
      JSON.stringify({ engine: 'postgres', host: 'db.internal', username: 'u' }),
      `${WHERE} has no string field "password"`,
    ],
    ['a numeric password', pgSecret({ password: 42 }), `${WHERE} has no string field "password"`],
    [
      'another engine',
      pgSecret({ engine: 'mysql' }),
      `${WHERE} has engine "mysql", but this deployment pinned secret ${ARN} to a postgres database ("postgres" or "aurora-postgresql"); refusing to connect`,
    ],
    [
      'an engine that is not a string',
      pgSecret({ engine: ['postgres'] }),
      `${WHERE} has engine ["postgres"], but this deployment pinned secret ${ARN} to a postgres database ("postgres" or "aurora-postgresql"); refusing to connect`,
    ],
    [
      'another host',
      pgSecret({ host: 'evil.example' }),
      `${WHERE} points at host evil.example, port 5432, dbname app, ${pinned}${moved('host: "evil.example", port: 5432')}`,
    ],
    [
      'a host that is not a string',
      pgSecret({ host: 42 }),
      `${WHERE} points at host 42, port 5432, dbname app, ${pinned}${moved('host: "42", port: 5432')}`,
    ],
    [
      'another port',
      pgSecret({ port: 5433 }),
      `${WHERE} points at host db.internal, port 5433, dbname app, ${pinned}${moved('host: "db.internal", port: 5433')}`,
    ],
    [
      'a port out of range',
      pgSecret({ port: 70000 }),
      `${WHERE} points at host db.internal, port 70000, dbname app, ${pinned}${moved('host: "db.internal", port: 70000')}`,
    ],
    [
      'a port that is not a number',
      pgSecret({ port: '5432x' }),
      `${WHERE} points at host db.internal, port 5432x, dbname app, ${pinned}${moved('host: "db.internal", port: "5432x"')}`,
    ],
    [
      'another dbname',
      pgSecret({ dbname: 'postgres' }),
      `${WHERE} points at host db.internal, port 5432, dbname postgres, ${pinned}${moved('host: "db.internal", port: 5432, dbname: "postgres"')}`,
    ],
    [
      'a long host, shown cut at 80 characters',
      pgSecret({ host: 'h'.repeat(200) }),
      `${WHERE} points at host ${'h'.repeat(80)}, port 5432, dbname app, ${pinned}${moved(`host: "${'h'.repeat(80)}", port: 5432`)}`,
    ],
  ])('rejects %s before any connection, never quoting the password', (_name, text, message) => {
    let error: Error | undefined;
    try {
      parse(text);
    } catch (e) {
      error = e as Error;
    }
    expect(error).toBeInstanceOf(RotationError);
    expect(error?.message).toBe(message);
    expect(error?.message).not.toMatch(/hunter2|current-pw/);
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
    expect(pg.password.excludeCharacters).toBe('/@"\'\\:');
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
      'ROTATION_PROFILES["db"].password: invalid length; allowed: a whole number from 1 to 4096',
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

  test('an empty secret (an empty password) cuts nothing; the text is trimmed', () => {
    expect(driverMessage(new Error('  abc  '), [''])).toBe('abc');
    expect(driverMessage('not an Error', [])).toBe('not an Error');
  });

  test('at most 300 characters', () => {
    expect(driverMessage(new Error('x'.repeat(300)), [])).toBe('x'.repeat(300));
    expect(driverMessage(new Error('y'.repeat(301)), [])).toBe(`${'y'.repeat(300)}...`);
  });
});

describe('connectionError and isDatabaseError', () => {
  const endpoint = (tls: Endpoint['tls']): Endpoint => ({ host: 'h', port: 1, dbname: 'd', tls });
  const base = { engine: 'PostgreSQL', username: 'u', failure: 'auth' as const };

  test('plain TCP: a "no TLS" answer or a certificate word is not a TLS failure', () => {
    const error = connectionError({
      ...base,
      endpoint: endpoint('plaintext'),
      message: 'certificate of something; server does not support SSL',
      serverHasNoTls: true,
    });
    expect(error.failure).toBe('auth');
    expect(error.message).toBe(
      'could not log in to PostgreSQL at h:1/d as user "u": certificate of something; server does not support SSL; this deployment pins plain TCP (DatabaseTls.PLAINTEXT_INSECURE), which a server that requires secure transport refuses the same way (MariaDB with require_secure_transport=ON, or a user with REQUIRE SSL): if it does, pin DatabaseTls.VERIFIED',
    );
  });

  test('TLS: a certificate problem is a TLS failure, whatever the engine called it', () => {
    const error = connectionError({
      ...base,
      endpoint: endpoint('unverified'),
      message: 'ERR_TLS_CERT_ALTNAME_INVALID',
      serverHasNoTls: false,
    });
    expect(error.failure).toBe('tls');
  });

  test('isDatabaseError with and without a kind', () => {
    const error = new DatabaseError('auth', 'x');
    expect(isDatabaseError(error)).toBe(true);
    expect(isDatabaseError(error, 'auth')).toBe(true);
    expect(isDatabaseError(error, 'tls')).toBe(false);
    expect(isDatabaseError(new Error('x'))).toBe(false);
  });
});

describe('the strategy definitions', () => {
  test('create() refuses a target that checkTarget would refuse (for direct callers)', () => {
    const single = profile('single');
    expect(() => postgresSingleStrategy.create(single, undefined)).toThrow(
      'profile kind "postgres-single" needs a pinned database target',
    );
    expect(() => postgresSingleStrategy.create(single, { ...PG_TARGET, engine: 'mysql' })).toThrow(
      'profile kind "postgres-single" cannot rotate a mysql target',
    );
    expect(() => postgresAlternatingStrategy.create(profile('alternating'), PG_TARGET)).toThrow(
      'profile kind "postgres-alternating" needs a target that names its admin secret',
    );
  });

  test('each scheme gets its own strategy, which reads AWSCURRENT in createSecret', async () => {
    const { SingleUserStrategy } = await import('../../lambda/rotation/strategies/database/single-user');
    const { AlternatingUsersStrategy } =
      await import('../../lambda/rotation/strategies/database/alternating-users');
    const single = postgresSingleStrategy.create(profile('single'), PG_TARGET);
    const alternating = postgresAlternatingStrategy.create(profile('alternating'), PG_ALT_TARGET);
    expect(single).toBeInstanceOf(SingleUserStrategy);
    expect(alternating).toBeInstanceOf(AlternatingUsersStrategy);
    expect([single.needsCurrentValue, alternating.needsCurrentValue]).toEqual([true, true]);
  });
});

// ---------------------------------------------------------------------------------------------------
// setSecret's decisions, with a fake driver

interface FakeDb {
  /** username -> password the fake database accepts */
  readonly passwords: Map<string, string>;
  down: boolean;
  readonly calls: string[];
  /** username -> the TLS mode of each of its logins */
  readonly tls?: Map<string, string[]>;
}

function fakeDriver(db: FakeDb): DatabaseDriver {
  return {
    async connect(endpoint: Endpoint, credentials: Credentials): Promise<Session> {
      db.calls.push(`connect ${credentials.username}`);
      db.tls?.set(credentials.username, [...(db.tls.get(credentials.username) ?? []), endpoint.tls]);
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

const ADMIN_VALUE = JSON.stringify({
  engine: 'postgres',
  host: 'db.internal',
  port: 5432,
  username: 'admin',
  password: 'admin-pw',
});

function context(
  values: { current: string; pending: string; previous?: string },
  sent: unknown[] = [],
  admin: { value?: string; remembered?: string[] } = {},
) {
  return strategyContext(
    async (command: { input: unknown }) => {
      sent.push(command.input);
      return { SecretString: 'value' in admin ? admin.value : ADMIN_VALUE };
    },
    { ...values, remember: (text) => void admin.remembered?.push(text) },
  );
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
  return new SingleUserStrategy(withDriver(db), profile('single'), PG_TARGET).setSecret(context(values));
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
      `the AWSPENDING value of secret ${ARN} points at host evil.example, port 5432, dbname app, but this deployment pinned secret ${ARN} to db.internal:5432/app; refusing to connect anywhere`,
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
    await new AlternatingUsersStrategy(withDriver(db), profile('alternating'), PG_ALT_TARGET).setSecret(
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
      new AlternatingUsersStrategy(withDriver(db), profile('alternating'), PG_ALT_TARGET).setSecret(
        context({ current, pending }, sent),
      ),
    ).rejects.toThrow(
      `setSecret: the AWSCURRENT credential of secret ${ARN} (user "app_user") does not log in to postgres at db.internal:5432/app; refusing to use the admin secret for it`,
    );
    expect(sent).toEqual([]);
  });

  test('createSecret: no masterarn needed (the admin secret is pinned); the pending value is the clone, with the pinned fields', async () => {
    const strategy = postgresAlternatingStrategy.create(profile('alternating'), PG_ALT_TARGET);
    const value = await strategy.createPendingValue(context({ current: pgSecret(), pending: '' }));
    expect(JSON.parse(value)).toEqual({
      ...JSON.parse(pgSecret()),
      username: 'app_user_clone',
      password: 'generated-pw',
      ssl: true,
      masterarn: 'arn:admin',
    });
    const withArn = await strategy.createPendingValue(context({ current, pending: '' }));
    expect(JSON.parse(withArn)).toEqual({
      ...JSON.parse(current),
      username: 'app_user_clone',
      password: 'generated-pw',
      ssl: true,
    });
  });

  test.each([
    ['another ARN', 'arn:other-admin', '"arn:other-admin"'],
    ['a number', 42, '"42"'],
  ])(
    'a masterarn naming %s is refused in createSecret, before a password is generated',
    async (_name, masterarn, shown) => {
      const strategy = postgresAlternatingStrategy.create(profile('alternating'), PG_ALT_TARGET);
      const ctx = context({ current: pgSecret({ masterarn }), pending: '' });
      const generate = jest.spyOn(ctx, 'generatePassword');
      await expect(strategy.createPendingValue(ctx)).rejects.toThrow(
        `the AWSCURRENT value of secret ${ARN} names admin secret ${shown} in "masterarn", but this deployment pinned arn:admin; refusing to use any admin secret (fix the value, or deploy the new admin secret, then rotate again)`,
      );
      expect(generate).not.toHaveBeenCalled();
    },
  );

  test('setSecret: a masterarn naming another admin secret is refused before any login or admin read', async () => {
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
    await expect(
      new AlternatingUsersStrategy(withDriver(db), profile('alternating'), PG_ALT_TARGET).setSecret(
        context({ current: pgSecret({ masterarn: 'arn:other-admin' }), pending }, sent),
      ),
    ).rejects.toThrow('names admin secret "arn:other-admin" in "masterarn"');
    expect(sent).toEqual([]);
    expect(db.calls).toEqual([]);
  });
});

describe('alternating users: the admin secret', () => {
  const current = pgSecret();
  const pending = pgSecret({ username: 'app_user_clone', password: 'pending-pw' });
  const db = (): FakeDb => ({
    passwords: new Map([
      ['app_user', 'current-pw'],
      ['admin', 'admin-pw'],
    ]),
    down: false,
    calls: [],
    tls: new Map(),
  });

  async function setSecret(
    fake: FakeDb,
    target: TargetSpec,
    admin: { value?: string; remembered?: string[] } = {},
  ) {
    const { AlternatingUsersStrategy } =
      await import('../../lambda/rotation/strategies/database/alternating-users');
    return new AlternatingUsersStrategy(withDriver(fake), profile('alternating'), target).setSecret(
      context({ current, pending }, [], admin),
    );
  }

  test('the admin logs in over verified TLS even if its target were pinned otherwise', async () => {
    const fake = db();
    // The contract refuses such a target; built by hand here, the admin login is still verified.
    await setSecret(fake, { ...PG_ALT_TARGET, tls: 'unverified' });
    expect(fake.tls?.get('admin')).toEqual(['verified']);
    expect(fake.tls?.get('app_user')).toEqual(['unverified']);
    expect(fake.tls?.get('app_user_clone')).toEqual(['unverified']);
  });

  test('its value is remembered for redaction before anything can fail', async () => {
    const remembered: string[] = [];
    await setSecret(db(), PG_ALT_TARGET, { remembered });
    expect(remembered).toEqual([ADMIN_VALUE]);
  });

  test('a value that points at another host: refused before the admin logs in', async () => {
    const fake = db();
    await expect(
      setSecret(fake, PG_ALT_TARGET, {
        value: JSON.stringify({ ...JSON.parse(ADMIN_VALUE), host: 'evil.example' }),
      }),
    ).rejects.toThrow(
      `the AWSCURRENT value of admin secret arn:admin points at host evil.example, port 5432, but this deployment pinned secret ${ARN} to db.internal:5432/app; refusing to connect anywhere`,
    );
    expect(fake.calls).not.toContain('connect admin');
  });

  test('a value for another database of the same server is fine (its own dbname)', async () => {
    const fake = db();
    await setSecret(fake, PG_ALT_TARGET, {
      value: JSON.stringify({ ...JSON.parse(ADMIN_VALUE), dbname: 'postgres' }),
    });
    expect(fake.calls).toContain('upsertClone app_user_clone from app_user');
  });

  test('no SecretString: refused', async () => {
    const fake = db();
    await expect(setSecret(fake, PG_ALT_TARGET, { value: undefined })).rejects.toThrow(
      'the admin secret arn:admin has no SecretString',
    );
    expect(fake.calls).not.toContain('connect admin');
  });

  test('an admin password the database refuses: a clear failure, no clone', async () => {
    const fake = db();
    fake.passwords.set('admin', 'changed');
    await expect(setSecret(fake, PG_ALT_TARGET)).rejects.toThrow(
      'setSecret: the admin secret arn:admin (user "admin") does not log in to postgres at db.internal:5432/app',
    );
    expect(fake.calls.filter((c) => c.startsWith('upsertClone'))).toEqual([]);
  });

  test('the pending value already logs in: nothing else happens (no admin read)', async () => {
    const fake = db();
    fake.passwords.set('app_user_clone', 'pending-pw');
    const sent: unknown[] = [];
    const { AlternatingUsersStrategy } =
      await import('../../lambda/rotation/strategies/database/alternating-users');
    await new AlternatingUsersStrategy(withDriver(fake), profile('alternating'), PG_ALT_TARGET).setSecret(
      context({ current, pending }, sent),
    );
    expect(fake.calls).toEqual(['connect app_user_clone', 'close app_user_clone']);
    expect(sent).toEqual([]);
  });
});

describe('alternating users: more of setSecret', () => {
  const pending = pgSecret({ username: 'app_user_clone', password: 'pending-pw' });
  const db = (): FakeDb => ({
    passwords: new Map([
      ['app_user', 'current-pw'],
      ['admin', 'admin-pw'],
    ]),
    down: false,
    calls: [],
  });
  async function strategy(fake: FakeDb) {
    const { AlternatingUsersStrategy } =
      await import('../../lambda/rotation/strategies/database/alternating-users');
    return new AlternatingUsersStrategy(withDriver(fake), profile('alternating'), PG_ALT_TARGET);
  }

  test('a pending value for another user: refused before any connection', async () => {
    const fake = db();
    await expect(
      (await strategy(fake)).setSecret(
        context({ current: pgSecret(), pending: pgSecret({ username: 'admin' }) }),
      ),
    ).rejects.toThrow(
      `the AWSPENDING value of secret ${ARN} has username "admin", but this rotation may only set a password for "app_user_clone" on db.internal:5432/app`,
    );
    expect(fake.calls).toEqual([]);
  });

  test('the clone is made for the account host the current login matched', async () => {
    const fake = db();
    const requests: unknown[] = [];
    const driver = fakeDriver(fake);
    const spec: EngineSpec = {
      ...POSTGRES,
      loadDriver: async () => ({
        connect: async (endpoint, credentials) => {
          const session = await driver.connect(endpoint, credentials);
          return {
            ...session,
            accountHost: async () => '10.0.%',
            upsertClone: async (request) => {
              requests.push(request);
              return 'created';
            },
          };
        },
      }),
    };
    const { AlternatingUsersStrategy } =
      await import('../../lambda/rotation/strategies/database/alternating-users');
    await new AlternatingUsersStrategy(spec, profile('alternating'), PG_ALT_TARGET).setSecret(
      context({ current: pgSecret(), pending }),
    );
    expect(requests).toEqual([
      { template: 'app_user', templateHost: '10.0.%', username: 'app_user_clone', password: 'pending-pw' },
    ]);
  });

  test('a masterarn of null counts as absent', async () => {
    const fake = db();
    await (await strategy(fake)).setSecret(context({ current: pgSecret({ masterarn: null }), pending }));
    expect(fake.calls).toContain('upsertClone app_user_clone from app_user');
  });

  test('a long foreign masterarn is shown cut at 2048 characters', async () => {
    const fake = db();
    const long = `arn:${'x'.repeat(3000)}`;
    await expect(
      (await strategy(fake)).setSecret(context({ current: pgSecret({ masterarn: long }), pending })),
    ).rejects.toThrow(`names admin secret "${long.slice(0, 2048)}" in "masterarn"`);
  });
});

describe('testSecret (fake database)', () => {
  async function test_(fake: FakeDb, seconds: number, pendingValue = pgSecret({ password: 'pending-pw' })) {
    const { SingleUserStrategy } = await import('../../lambda/rotation/strategies/database/single-user');
    const strategy = new SingleUserStrategy(
      withDriver(fake),
      { ...profile('single'), testTimeoutSeconds: seconds },
      PG_TARGET,
    );
    return strategy.testSecret(context({ current: pgSecret(), pending: pendingValue }));
  }

  test('the pending credential logs in and runs SELECT 1: passes', async () => {
    const fake: FakeDb = { passwords: new Map([['app_user', 'pending-pw']]), down: false, calls: [] };
    await test_(fake, 0);
    expect(fake.calls).toEqual(['connect app_user', 'close app_user']);
  });

  test('a refused login is retried within the budget, then fails naming the secret', async () => {
    const fake: FakeDb = { passwords: new Map(), down: false, calls: [] };
    // 6 s: the first retries fit (each attempt is counted at the 5 s connect timeout).
    await expect(test_(fake, 6)).rejects.toThrow(
      `the AWSPENDING credential of secret ${ARN} does not work: could not log in as "app_user"`,
    );
    expect(fake.calls.filter((c) => c.startsWith('connect')).length).toBeGreaterThan(1);
  });

  test('a login that cannot run SELECT 1 does not pass', async () => {
    const fake: FakeDb = { passwords: new Map([['app_user', 'pending-pw']]), down: false, calls: [] };
    const driver = fakeDriver(fake);
    const { SingleUserStrategy } = await import('../../lambda/rotation/strategies/database/single-user');
    const strategy = new SingleUserStrategy(
      {
        ...POSTGRES,
        loadDriver: async () => ({
          connect: async (endpoint, credentials) => ({
            ...(await driver.connect(endpoint, credentials)),
            ping: async () => {
              throw new DatabaseError('statement', 'permission denied for database app');
            },
          }),
        }),
      },
      { ...profile('single'), testTimeoutSeconds: 0 },
      PG_TARGET,
    );
    await expect(
      strategy.testSecret(context({ current: pgSecret(), pending: pgSecret({ password: 'pending-pw' }) })),
    ).rejects.toThrow(
      `the AWSPENDING credential of secret ${ARN} does not work: permission denied for database app`,
    );
    expect(fake.calls).toEqual(['connect app_user', 'close app_user']);
  });

  test('no budget: one attempt only', async () => {
    const fake: FakeDb = { passwords: new Map(), down: false, calls: [] };
    await expect(test_(fake, 0)).rejects.toThrow('does not work');
    expect(fake.calls).toEqual(['connect app_user']);
  });

  test('a TLS failure is not retried', async () => {
    const fake: FakeDb = { passwords: new Map(), down: false, calls: [] };
    const tlsDriver: DatabaseDriver = {
      connect: async () => {
        fake.calls.push('connect');
        throw new DatabaseError('tls', 'TLS could not be set up');
      },
    };
    const { SingleUserStrategy } = await import('../../lambda/rotation/strategies/database/single-user');
    const strategy = new SingleUserStrategy(
      { ...POSTGRES, loadDriver: async () => tlsDriver },
      { ...profile('single'), testTimeoutSeconds: 6 },
      PG_TARGET,
    );
    const error = await strategy
      .testSecret(context({ current: pgSecret(), pending: pgSecret({ password: 'pending-pw' }) }))
      .catch((e: DatabaseError) => e);
    expect(error).toBeInstanceOf(DatabaseError);
    expect((error as DatabaseError).failure).toBe('tls');
    expect((error as DatabaseError).message).toBe(
      `the AWSPENDING credential of secret ${ARN} does not work: TLS could not be set up`,
    );
    expect(fake.calls).toEqual(['connect']);
  });

  test("an error that is not the database's passes through unchanged", async () => {
    const boom = new TypeError('driver bug');
    const { SingleUserStrategy } = await import('../../lambda/rotation/strategies/database/single-user');
    const strategy = new SingleUserStrategy(
      { ...POSTGRES, loadDriver: async () => ({ connect: async () => Promise.reject(boom) }) },
      { ...profile('single'), testTimeoutSeconds: 0 },
      PG_TARGET,
    );
    await expect(
      strategy.testSecret(context({ current: pgSecret(), pending: pgSecret({ password: 'pending-pw' }) })),
    ).rejects.toBe(boom);
  });

  test('a pending value that points elsewhere: refused before any login', async () => {
    const fake: FakeDb = { passwords: new Map(), down: false, calls: [] };
    await expect(test_(fake, 0, pgSecret({ host: 'evil.example', password: 'pending-pw' }))).rejects.toThrow(
      'points at host evil.example',
    );
    expect(fake.calls).toEqual([]);
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
    strategies.postgresSingleStrategy.create(profile('single'), PG_TARGET);
    const driver = await strategies.POSTGRES.loadDriver();
    expect(loaded).toEqual([]);
    // The first connection (here to a closed port) is what loads `pg`.
    await expect(
      driver.connect(
        { host: '127.0.0.1', port: 1, dbname: 'x', tls: 'plaintext' },
        { username: 'u', password: 'p' },
      ),
    ).rejects.toThrow(/could not connect to PostgreSQL at 127\.0\.0\.1:1\/x as user "u": .*ECONNREFUSED/);
    expect(loaded).toEqual(['pg']);
  });
});
