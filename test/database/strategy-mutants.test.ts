/**
 * What the mutation run left alive in the PostgreSQL driver, the database errors, the retry loop and
 * the two database strategies (scripts/mutation.sh), each pinned by the behaviour it changes: the
 * redaction of secrets a server quotes back, a role that vanishes between two reads, a dropped
 * connection, the classification and wording of connection failures, the retry budget's exact end
 * and its real pause, and exactly what setSecret logs (never a password).
 */
import type { EventEmitter } from 'node:events';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { StrategyContext } from '../../lambda/rotation/strategies/strategy';
import { AlternatingUsersStrategy } from '../../lambda/rotation/strategies/database/alternating-users';
import { connectionError, DatabaseError } from '../../lambda/rotation/strategies/database/database-error';
import type {
  Credentials,
  DatabaseDriver,
  Endpoint,
  Session,
} from '../../lambda/rotation/strategies/database/driver';
import { postgresDriver, settingProblems } from '../../lambda/rotation/strategies/database/postgres-driver';
import { withRetry } from '../../lambda/rotation/strategies/database/retry';
import { SingleUserStrategy } from '../../lambda/rotation/strategies/database/single-user';
import {
  POSTGRES,
  postgresAlternatingStrategy,
  postgresSingleStrategy,
} from '../../lambda/rotation/strategies/postgres';
import { randomSuffix, useDatabase } from '../support/databases';
import { ARN, failure, strategyContext } from './support/fixtures';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const pg = require('pg') as typeof import('pg');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------------
// The PostgreSQL driver against a fake pg client (what a real server cannot be made to answer)

interface FakeClient {
  readonly sent: string[];
  /** What `SELECT 1 FROM pg_roles` finds (the role exists) and what the clone-state read returns. */
  exists: boolean;
  stateRows: Record<string, unknown>[];
  connectError?: unknown;
  failOn?: RegExp;
  statementError?: unknown;
}

function fakeClient(fields: Partial<FakeClient> = {}): FakeClient {
  const fake: FakeClient = { sent: [], exists: false, stateRows: [], ...fields };
  jest.spyOn(pg, 'Client').mockImplementation(
    () =>
      ({
        on: () => undefined,
        connect: async () => {
          if (fake.connectError !== undefined) throw fake.connectError;
        },
        end: async () => undefined,
        escapeIdentifier: pg.escapeIdentifier,
        escapeLiteral: pg.escapeLiteral,
        query: async (sql: string) => {
          fake.sent.push(sql.replace(/\s+/g, ' '));
          if (fake.failOn?.test(sql)) throw fake.statementError;
          if (sql.startsWith('SELECT 1 FROM pg_roles')) return { rows: fake.exists ? [{}] : [] };
          if (sql.startsWith('SELECT r.rolsuper')) return { rows: fake.stateRows };
          return { rows: [] };
        },
      }) as unknown as import('pg').Client,
  );
  return fake;
}

const FAKE_ENDPOINT: Endpoint = { host: 'db.internal', port: 5432, dbname: 'app', tls: 'verified' };
const CREDENTIALS = { username: 'app', password: 'current-pw' };

describe('PostgreSQL driver: survivors shown with a fake client', () => {
  afterEach(() => jest.restoreAllMocks());

  test('a connection error whose code is not a string is "unreachable", even when it looks like a SQLSTATE', async () => {
    fakeClient({ connectError: Object.assign(new Error('odd failure'), { code: 42601 }) });
    const error = await failure(postgresDriver.connect(FAKE_ENDPOINT, CREDENTIALS));
    expect(error).toBeInstanceOf(DatabaseError);
    expect(error.failure).toBe('unreachable');
    expect(error.message).toBe(
      'could not connect to PostgreSQL at db.internal:5432/app as user "app": odd failure',
    );
  });

  test('a password with a quote and no backslash, quoted back as escaped: redacted', async () => {
    // escapeLiteral("pend'x") is 'pend''x' (no E prefix: no backslash); a server may quote its inside.
    const password = "pend'x";
    fakeClient({
      failOn: /^ALTER USER/,
      statementError: Object.assign(new Error(`near "pend''x" and '${password}'`), { code: '42601' }),
    });
    const session = await postgresDriver.connect(FAKE_ENDPOINT, CREDENTIALS);
    const error = await failure(session.setOwnPassword('app', password));
    expect(error.failure).toBe('statement');
    expect(error.message).toBe(
      `setting the password of user "app" as user "app" on PostgreSQL at db.internal:5432/app failed: near "<redacted>" and '<redacted>'`,
    );
  });

  test('creating the clone fails and the server quotes the pending password: never in the error, raw or escaped', async () => {
    const password = "new'pw\\1";
    const fake = fakeClient({
      failOn: /^CREATE ROLE/,
      statementError: Object.assign(new Error(`bad password new''pw\\\\1 (${password})`), { code: '42601' }),
    });
    const session = await postgresDriver.connect(FAKE_ENDPOINT, CREDENTIALS);
    const error = await failure(session.upsertClone({ template: 'app', username: 'app_clone', password }));
    expect(error.message).toBe(
      'creating user "app_clone" as user "app" on PostgreSQL at db.internal:5432/app failed: bad password <redacted> (<redacted>)',
    );
    expect(fake.sent.filter((sql) => !sql.startsWith('SELECT'))).toEqual([
      'BEGIN',
      `CREATE ROLE "app_clone" WITH LOGIN PASSWORD E'new''pw\\\\1'`,
      'ROLLBACK',
    ]);
  });

  test('a clone that vanishes between the two reads (dropped meanwhile): refused, nothing granted', async () => {
    const fake = fakeClient({ exists: true, stateRows: [] });
    const session = await postgresDriver.connect(FAKE_ENDPOINT, CREDENTIALS);
    const error = await failure(
      session.upsertClone({ template: 'app', username: 'app_clone', password: 'pending-pw' }),
    );
    expect(error.message).toBe(
      'user "app_clone" exists on PostgreSQL at db.internal:5432/app but is not a copy of "app": it does not exist; refusing to set the password of "app_clone" (drop "app_clone", so that the rotation creates it again as a member of "app" and nothing else, or give it exactly that)',
    );
    expect(fake.sent.filter((sql) => !sql.startsWith('SELECT'))).toEqual(['BEGIN', 'ROLLBACK']);
  });
});

describe('settingProblems: a setting with an empty name', () => {
  test('shows the (empty) name, never the value', () => {
    expect(settingProblems([{ database: null, setting: '=hunter2' }], 'app')).toEqual([
      'has login settings other than SET ROLE "app" ()',
    ]);
  });
});

// ---------------------------------------------------------------------------------------------------
// The PostgreSQL driver on the real server

describe('PostgreSQL driver on a real server', () => {
  const db = useDatabase('postgres');

  test('a session whose connection the server drops does not crash the process; its next statement fails as "unreachable"', async () => {
    const server = db.server;
    const username = `sv_drop_${randomSuffix()}`;
    await server.createUser(username, 'drop-pw');
    const endpoint: Endpoint = {
      host: server.host,
      port: server.port,
      dbname: server.dbname,
      tls: 'plaintext',
    };
    const session = await postgresDriver.connect(endpoint, { username, password: 'drop-pw' });
    const client = (session as unknown as { client: EventEmitter }).client;
    const ended = new Promise((resolve) => client.once('end', resolve));
    const terminated = await server.adminQuery(
      'SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity WHERE usename = $1',
      [username],
    );
    expect(terminated).toEqual([{ done: true }]);
    // pg reports the server's FATAL 57P01 and the closed socket as 'error' events on the idle client;
    // without a listener, the first one would be thrown out of the socket's handler (a crash on Lambda).
    const gone = await Promise.race([ended.then(() => true), sleep(5000).then(() => false)]);
    expect(gone).toBe(true);
    const error = await failure(session.ping());
    expect(error).toBeInstanceOf(DatabaseError);
    expect(error.failure).toBe('unreachable');
    expect(error.message).toMatch(
      new RegExp(`^running SELECT as user "${username}" on PostgreSQL at [^ ]+ failed: `),
    );
    await session.close();
  });
});

// ---------------------------------------------------------------------------------------------------
// connectionError's wording

describe('connectionError: TLS wording and the plain-TCP hint', () => {
  const endpoint = (tls: Endpoint['tls']): Endpoint => ({ host: 'h', port: 1, dbname: 'd', tls });

  test.each([
    'self-signed chain',
    'self signed chain',
    'unable to verify the first one',
    'ERR_TLS_X',
    'no altnames',
  ])('verified TLS: "%s" alone is a TLS failure', (message) => {
    const error = connectionError({
      engine: 'PostgreSQL',
      endpoint: endpoint('verified'),
      username: 'u',
      message,
      serverHasNoTls: false,
      failure: 'unreachable',
    });
    expect(error.failure).toBe('tls');
  });

  test('plain TCP, a server that cannot be reached: no secure-transport hint (that is for refused logins)', () => {
    const error = connectionError({
      engine: 'PostgreSQL',
      endpoint: endpoint('plaintext'),
      username: 'u',
      message: 'connect ECONNREFUSED',
      serverHasNoTls: false,
      failure: 'unreachable',
    });
    expect(error.failure).toBe('unreachable');
    expect(error.message).toBe('could not connect to PostgreSQL at h:1/d as user "u": connect ECONNREFUSED');
  });
});

// ---------------------------------------------------------------------------------------------------
// withRetry

describe('withRetry: the counter, the budget, the real pause', () => {
  function clock() {
    let now = 0;
    return { now: () => now, sleep: async (ms: number) => void (now += ms) };
  }

  test('attempts are numbered 1, 2, 3, ... to the function and to onRetry', async () => {
    const seen: number[] = [];
    const retried: number[] = [];
    const result = await withRetry(
      async (attempt) => {
        seen.push(attempt);
        if (attempt < 3) throw new Error('not yet');
        return attempt;
      },
      {
        budgetMs: 60000,
        attemptMs: 1000,
        retryable: () => true,
        onRetry: (_error, attempt) => retried.push(attempt),
        ...clock(),
      },
    );
    expect(result).toBe(3);
    expect(seen).toEqual([1, 2, 3]);
    expect(retried).toEqual([1, 2]);
  });

  test('an attempt that would end exactly at the budget still starts', async () => {
    let calls = 0;
    const c = clock();
    const result = await withRetry(
      async () => {
        calls += 1;
        if (calls === 1) throw new Error('first');
        return 'second';
      },
      // 0 elapsed + 250 pause + 5000 attempt = 5250 = the budget.
      { budgetMs: 5250, attemptMs: 5000, retryable: () => true, ...c },
    );
    expect(result).toBe('second');
    expect(c.now()).toBe(250);
  });

  test('without a sleep of its own it really pauses between attempts', async () => {
    let calls = 0;
    const started = Date.now();
    await withRetry(
      async () => {
        calls += 1;
        if (calls === 1) throw new Error('first');
      },
      { budgetMs: 60000, attemptMs: 1000, initialDelayMs: 200, retryable: () => true },
    );
    expect(calls).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });
});

// ---------------------------------------------------------------------------------------------------
// What setSecret logs

const TARGET = { engine: 'postgres' as const, host: 'db.internal', port: 5432, dbname: 'app' };
const ADMIN = JSON.stringify({
  engine: 'postgres',
  host: 'db.internal',
  username: 'admin',
  password: 'admin-pw',
});

function value(fields: Record<string, unknown>): string {
  return JSON.stringify({ engine: 'postgres', host: 'db.internal', port: 5432, dbname: 'app', ...fields });
}

/** A database that accepts `passwords` (username -> password); upsertClone reports `created` for a new user. */
function fakeDriver(passwords: Map<string, string>): DatabaseDriver {
  return {
    async connect(_endpoint: Endpoint, credentials: Credentials): Promise<Session> {
      if (passwords.get(credentials.username) !== credentials.password) {
        throw new DatabaseError('auth', `could not log in as "${credentials.username}"`);
      }
      return {
        ping: async () => undefined,
        accountHost: async () => undefined,
        setOwnPassword: async (username, password) => void passwords.set(username, password),
        upsertClone: async (request) => {
          const created = !passwords.has(request.username);
          passwords.set(request.username, request.password);
          return created ? 'created' : 'updated';
        },
        close: async () => undefined,
      };
    },
  };
}

interface Logged {
  readonly info: jest.Mock;
  readonly warn: jest.Mock;
  /** Every call, as [level, message, fields]. */
  all(): unknown[][];
}

function context(values: { current: string; pending: string; previous?: string }) {
  const logged = { info: jest.fn(), warn: jest.fn(), error: jest.fn(), debug: jest.fn() };
  const ctx: StrategyContext = {
    ...strategyContext(async () => ({ SecretString: ADMIN }), values),
    logger: logged as unknown as Logger,
  };
  const log: Logged = {
    info: logged.info,
    warn: logged.warn,
    all: () => Object.entries(logged).flatMap(([level, fn]) => fn.mock.calls.map((call) => [level, ...call])),
  };
  return { ctx, log };
}

const PASSWORDS = ['current-pw', 'pending-pw', 'old-pw', 'admin-pw'];

function expectNoPassword(log: Logged): void {
  const text = JSON.stringify(log.all());
  for (const password of PASSWORDS) expect(text).not.toContain(password);
}

describe('single user setSecret: exactly what it logs', () => {
  const spec = (passwords: Map<string, string>) => ({
    ...POSTGRES,
    loadDriver: async () => fakeDriver(passwords),
  });
  const profile = postgresSingleStrategy.parseProfile('db', { kind: 'postgres-single' }, 'p');
  const target = { ...TARGET, tls: 'plaintext' as const };
  const current = value({ username: 'app_user', password: 'current-pw' });
  const pending = value({ username: 'app_user', password: 'pending-pw' });
  const where = { username: 'app_user', host: 'db.internal', port: 5432 };

  test('sets the password via AWSCURRENT; without AWSPREVIOUS nothing is warned about', async () => {
    const passwords = new Map([['app_user', 'current-pw']]);
    const { ctx, log } = context({ current, pending });
    await new SingleUserStrategy(spec(passwords), profile, target).setSecret(ctx);
    expect(passwords.get('app_user')).toBe('pending-pw');
    expect(log.all()).toEqual([
      ['info', 'set the pending password in the database', { ...where, via: 'AWSCURRENT', outcome: 'set' }],
    ]);
    expectNoPassword(log);
  });

  test('the database already takes the pending password', async () => {
    const passwords = new Map([['app_user', 'pending-pw']]);
    const { ctx, log } = context({ current, pending });
    await new SingleUserStrategy(spec(passwords), profile, target).setSecret(ctx);
    expect(log.all()).toEqual([
      [
        'info',
        'database already accepts the pending password; nothing to set',
        { ...where, outcome: 'already-set' },
      ],
    ]);
  });

  test('no credential works and there is no AWSPREVIOUS: the step fails, and nothing is said about an AWSPREVIOUS value', async () => {
    const passwords = new Map([['app_user', 'other-pw']]);
    const { ctx, log } = context({ current, pending });
    await expect(new SingleUserStrategy(spec(passwords), profile, target).setSecret(ctx)).rejects.toThrow(
      `setSecret: could not log in to postgres at db.internal:5432/app as user "app_user" with the AWSPENDING, AWSCURRENT or AWSPREVIOUS password of secret ${ARN}; set the user's password to the AWSCURRENT value by hand, then rotate again; this deployment pins plain TCP`,
    );
    expect(log.all()).toEqual([]);
  });

  test('an AWSPREVIOUS that does not parse is ignored with a warning that carries no password', async () => {
    const passwords = new Map([['app_user', 'other-pw']]);
    const { ctx, log } = context({ current, pending, previous: '{"password": "old-pw", ' });
    await expect(new SingleUserStrategy(spec(passwords), profile, target).setSecret(ctx)).rejects.toThrow(
      'could not log in to postgres',
    );
    expect(log.all()).toEqual([['warn', 'ignoring the AWSPREVIOUS value', { reason: expect.any(String) }]]);
    expectNoPassword(log);
  });

  test('via AWSPREVIOUS', async () => {
    const passwords = new Map([['app_user', 'old-pw']]);
    const { ctx, log } = context({
      current,
      pending,
      previous: value({ username: 'app_user', password: 'old-pw' }),
    });
    await new SingleUserStrategy(spec(passwords), profile, target).setSecret(ctx);
    expect(log.all()).toEqual([
      ['info', 'set the pending password in the database', { ...where, via: 'AWSPREVIOUS', outcome: 'set' }],
    ]);
    expectNoPassword(log);
  });
});

describe('alternating users setSecret: exactly what it logs', () => {
  const spec = (passwords: Map<string, string>) => ({
    ...POSTGRES,
    loadDriver: async () => fakeDriver(passwords),
  });
  const profile = postgresAlternatingStrategy.parseProfile('db', { kind: 'postgres-alternating' }, 'p');
  const target = { ...TARGET, tls: 'verified' as const, admin: 'arn:admin' };
  const current = value({ username: 'app_user', password: 'current-pw' });
  const pending = value({ username: 'app_user_clone', password: 'pending-pw' });
  const where = { username: 'app_user_clone', host: 'db.internal', port: 5432 };

  async function setSecret(passwords: Map<string, string>) {
    const { ctx, log } = context({ current, pending });
    await new AlternatingUsersStrategy(spec(passwords), profile, target).setSecret(ctx);
    expectNoPassword(log);
    return log.all();
  }

  test('a new clone: "created"', async () => {
    const logged = await setSecret(
      new Map([
        ['app_user', 'current-pw'],
        ['admin', 'admin-pw'],
      ]),
    );
    expect(logged).toEqual([
      ['info', "created the alternate user with the current user's grants", { ...where, outcome: 'created' }],
    ]);
  });

  test('an existing clone: "updated"', async () => {
    const logged = await setSecret(
      new Map([
        ['app_user', 'current-pw'],
        ['app_user_clone', 'older-pw'],
        ['admin', 'admin-pw'],
      ]),
    );
    expect(logged).toEqual([
      ['info', 'set a new password for the alternate user', { ...where, outcome: 'updated' }],
    ]);
  });

  test('the pending credential already logs in', async () => {
    const logged = await setSecret(new Map([['app_user_clone', 'pending-pw']]));
    expect(logged).toEqual([
      [
        'info',
        'database already accepts the pending credential; nothing to set',
        { ...where, outcome: 'already-set' },
      ],
    ]);
  });
});

describe('createPendingValue and testSecret: exactly what they log', () => {
  /** What testSecret logs when the pending credential logs in. */
  const LOGGED_IN = [
    'info',
    'pending credential logs in',
    { username: 'app_user', host: 'db.internal', outcome: 'tested' },
  ];
  const profile = postgresSingleStrategy.parseProfile('db', { kind: 'postgres-single' }, 'p');
  const target = { ...TARGET, tls: 'plaintext' as const };
  const current = value({ username: 'app_user', password: 'current-pw' });
  const pending = value({ username: 'app_user', password: 'pending-pw' });

  test('a pending credential that logs in: one line naming the user and host, no password', async () => {
    const passwords = new Map([['app_user', 'pending-pw']]);
    const spec = { ...POSTGRES, loadDriver: async () => fakeDriver(passwords) };
    const { ctx, log } = context({ current, pending });
    await new SingleUserStrategy(spec, profile, target).testSecret(ctx);
    expect(log.all()).toEqual([LOGGED_IN]);
    expectNoPassword(log);
  });

  test('a pending credential refused once, then taken: the retry is logged with its attempt, pause and reason', async () => {
    const passwords = new Map([['app_user', 'not-yet']]);
    const driver = fakeDriver(passwords);
    const spec = {
      ...POSTGRES,
      loadDriver: async () => ({
        connect: async (endpoint: Endpoint, credentials: Credentials) => {
          // The database takes the pending password after the first attempt (a replica catching up).
          const session = driver.connect(endpoint, credentials);
          passwords.set('app_user', 'pending-pw');
          return session;
        },
      }),
    };
    const { ctx, log } = context({ current, pending });
    await new SingleUserStrategy(spec, profile, target).testSecret(ctx);
    // log.all() lists by level: info, then warn.
    expect(log.all()).toEqual([
      LOGGED_IN,
      [
        'warn',
        'pending credential does not work yet; retrying',
        { attempt: 1, delayMs: expect.any(Number), reason: 'could not log in as "app_user"' },
      ],
    ]);
    expectNoPassword(log);
  });

  test('a current value naming the former endpoint: the move is logged from there to the pin', async () => {
    const moved = { ...target, formerly: [{ host: 'old.internal', port: 6432, dbname: 'app' }] };
    const spec = { ...POSTGRES, loadDriver: async () => fakeDriver(new Map()) };
    const { ctx, log } = context({
      current: value({ host: 'old.internal', port: 6432, username: 'app_user', password: 'current-pw' }),
      pending: '',
    });
    const created = JSON.parse(await new SingleUserStrategy(spec, profile, moved).createPendingValue(ctx));
    expect(created).toMatchObject({
      host: 'db.internal',
      port: 5432,
      dbname: 'app',
      password: 'generated-pw',
    });
    expect(log.all()).toEqual([
      [
        'info',
        'the current value names a former endpoint; the new version names the pinned one',
        { from: 'old.internal:6432', to: 'db.internal:5432' },
      ],
    ]);
  });

  test('a current value with an empty engine: the new version names the engine, not ""', async () => {
    const spec = { ...POSTGRES, loadDriver: async () => fakeDriver(new Map()) };
    const { ctx } = context({
      current: value({ engine: '', username: 'app_user', password: 'current-pw' }),
      pending: '',
    });
    const created = JSON.parse(await new SingleUserStrategy(spec, profile, target).createPendingValue(ctx));
    expect(created.engine).toBe('postgres');
  });
});
