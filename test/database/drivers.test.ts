/**
 * The two database drivers against fake connections: the exact statements they send, in order, and
 * how they read what a server answers. The real servers (postgres.test.ts, mysql.test.ts, tls.test.ts)
 * show that those statements do what they should; these pin what a real server here cannot show:
 * MySQL 8's partial revokes (REVOKE lines in SHOW GRANTS; MariaDB has none), each TLS requirement a
 * MySQL account can have, each way a connection can fail, and every refusal sending nothing.
 */
import { format as mysqlFormat, escape as mysqlEscape } from 'mysql2';
import { escapeIdentifier, escapeLiteral } from 'pg';
import type { Endpoint, Session } from '../../lambda/rotation/strategies/database/driver';
import { DatabaseError } from '../../lambda/rotation/strategies/database/database-error';

jest.mock('mysql2/promise', () => ({ createConnection: jest.fn() }));
jest.mock('pg', () => ({ ...jest.requireActual('pg'), Client: jest.fn() }));

// eslint-disable-next-line @typescript-eslint/no-require-imports
const mysql2 = require('mysql2/promise') as { createConnection: jest.Mock };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const pg = require('pg') as { Client: jest.Mock };

import { mysqlDriver, parseGrantLine } from '../../lambda/rotation/strategies/database/mysql-driver';
import { cloneProblems, postgresDriver } from '../../lambda/rotation/strategies/database/postgres-driver';
import { failure } from './support/fixtures';

const PENDING = "pending-'pw\\";
const CREDENTIALS = { username: 'app', password: 'current-pw' };

// ---------------------------------------------------------------------------------------------------
// MySQL

interface FakeMysql {
  version: string;
  /** `user@host` -> SHOW GRANTS lines */
  grants: Map<string, string[]>;
  /** `user@host` -> its mysql.user TLS columns (null: no row) */
  tls: Map<string, Record<string, unknown> | null>;
  account: string;
  /** Every statement sent, as formatted. */
  readonly sent: string[];
  /** A statement matching this fails with `statementError`. */
  failOn?: RegExp;
  /** What a failing statement throws (a function gets the statement). */
  statementError?: unknown;
  ended: boolean;
  destroyed: boolean;
}

function fakeMysql(fields: Partial<FakeMysql> = {}): FakeMysql {
  const server: FakeMysql = {
    version: '8.0.36',
    grants: new Map([['app@%', ['GRANT USAGE ON *.* TO `app`@`%`']]]),
    tls: new Map(),
    account: 'app@%',
    sent: [],
    ended: false,
    destroyed: false,
    ...fields,
  };
  const connection = {
    on: () => undefined,
    format: (sql: string, values: Parameters<typeof mysqlFormat>[1]) => mysqlFormat(sql, values),
    escape: (value: Parameters<typeof mysqlEscape>[0]) => mysqlEscape(value),
    end: async () => {
      server.ended = true;
      if (server.failOn?.test('END')) throw new Error('end failed');
    },
    destroy: () => {
      server.destroyed = true;
    },
    query: async ({ sql }: { sql: string }) => {
      server.sent.push(sql);
      if (server.failOn?.test(sql)) {
        const error = server.statementError;
        throw typeof error === 'function' ? error(sql) : (error ?? new Error('failed'));
      }
      let match: RegExpMatchArray | null;
      if (/^SELECT VERSION\(\)/.test(sql)) return [[{ version: server.version }]];
      if (/^SELECT CURRENT_USER\(\)/.test(sql)) return [[{ account: server.account }]];
      if ((match = sql.match(/^SHOW GRANTS FOR '(.*)'@'(.*)'$/))) {
        const key = `${match[1]}@${match[2]}`;
        return [(server.grants.get(key) ?? []).map((line) => ({ [`Grants for ${key}`]: line }))];
      }
      if ((match = sql.match(/^SELECT 1 FROM mysql\.user WHERE User = '(.*)' AND Host = '(.*)'$/))) {
        return [server.grants.has(`${match[1]}@${match[2]}`) ? [{ 1: 1 }] : []];
      }
      if ((match = sql.match(/^SELECT ssl_type.* WHERE User = '(.*)' AND Host = '(.*)'$/))) {
        const key = `${match[1]}@${match[2]}`;
        const row = server.tls.has(key) ? server.tls.get(key) : { ssl_type: '' };
        return [row === null ? [] : [row]];
      }
      return [{ affectedRows: 0 }];
    },
  };
  mysql2.createConnection.mockReset();
  mysql2.createConnection.mockResolvedValue(connection);
  return server;
}

const MYSQL_ENDPOINT: Endpoint = { host: 'db.internal', port: 3306, dbname: 'app', tls: 'verified' };

async function mysqlSession(): Promise<Session> {
  return mysqlDriver.connect(MYSQL_ENDPOINT, CREDENTIALS);
}

/** The statements that change something, the placeholder password shown as <placeholder>. */
function changes(server: FakeMysql): string[] {
  return server.sent
    .filter((sql) => /^(CREATE|GRANT|REVOKE|ALTER|SET PASSWORD)/.test(sql))
    .map((sql) => sql.replace(/^(CREATE USER '[^']*'@'[^']*' IDENTIFIED BY )'[^']*'$/, "$1'<placeholder>'"));
}

describe('MySQL driver: connecting', () => {
  test.each([
    ['verified', { rejectUnauthorized: true, verifyIdentity: true }],
    ['unverified', { rejectUnauthorized: false }],
    ['plaintext', undefined],
  ] as const)('%s TLS: exactly these ssl options, no multiple statements', async (tls, ssl) => {
    fakeMysql();
    await mysqlDriver.connect({ ...MYSQL_ENDPOINT, tls }, CREDENTIALS);
    expect(mysql2.createConnection).toHaveBeenCalledWith({
      host: 'db.internal',
      port: 3306,
      database: 'app',
      user: 'app',
      password: 'current-pw',
      connectTimeout: 5000,
      ssl,
      multipleStatements: false,
    });
  });

  test.each(['10.0.0.5', '::1', '[fd00::1]'])(
    'verified TLS to the IP address %s: refused before any connection',
    async (host) => {
      fakeMysql();
      const error = await failure(mysqlDriver.connect({ ...MYSQL_ENDPOINT, host }, CREDENTIALS));
      expect(error).toBeInstanceOf(DatabaseError);
      expect(error.failure).toBe('tls');
      expect(error.message).toBe(
        `TLS could not be set up with MySQL at ${host}:3306 as user "app": verified TLS checks the certificate against a host name, and the MySQL driver cannot check an IP address; pin the database by its DNS name (such as the RDS endpoint address). No connection was made.`,
      );
      expect(mysql2.createConnection).not.toHaveBeenCalled();
    },
  );

  test.each(['unverified', 'plaintext'] as const)('%s TLS to an IP address connects', async (tls) => {
    fakeMysql();
    await mysqlDriver.connect({ ...MYSQL_ENDPOINT, host: '10.0.0.5', tls }, CREDENTIALS);
    expect(mysql2.createConnection).toHaveBeenCalledTimes(1);
  });

  test.each([
    [{ code: 'ER_ACCESS_DENIED_ERROR' }, 'auth', 'could not log in to'],
    [{ code: 'ER_ACCESS_DENIED_NO_PASSWORD_ERROR' }, 'auth', 'could not log in to'],
    [{ code: 'ER_DBACCESS_DENIED_ERROR' }, 'auth', 'could not log in to'],
    [{ code: 'ER_ACCOUNT_HAS_BEEN_LOCKED' }, 'auth', 'could not log in to'],
    [{ code: 'ER_MUST_CHANGE_PASSWORD_LOGIN' }, 'auth', 'could not log in to'],
    [{ code: 'ER_SOMETHING', sqlState: '28000' }, 'auth', 'could not log in to'],
    [{ code: 'ECONNREFUSED' }, 'unreachable', 'could not connect to'],
    [{ code: 'ER_CON_COUNT_ERROR', errno: 1040 }, 'unreachable', 'could not connect to'],
    [{ code: 'ER_SOMETHING', sqlState: '08004' }, 'unreachable', 'could not connect to'],
  ])('a connection error %j is a failure of kind %s', async (fields, kind, words) => {
    fakeMysql();
    mysql2.createConnection.mockRejectedValue(Object.assign(new Error('refused with current-pw'), fields));
    const error = await failure(mysqlSession());
    expect(error.failure).toBe(kind);
    expect(error.message).toBe(
      `${words} MySQL at db.internal:3306/app as user "app": refused with <redacted>`,
    );
  });

  test('a server without TLS: a TLS failure saying so, for a verified or unverified pin', async () => {
    for (const tls of ['verified', 'unverified'] as const) {
      fakeMysql();
      mysql2.createConnection.mockRejectedValue(
        Object.assign(new Error('Server does not support secure connection'), {
          code: 'HANDSHAKE_NO_SSL_SUPPORT',
        }),
      );
      const error = await failure(mysqlDriver.connect({ ...MYSQL_ENDPOINT, tls }, CREDENTIALS));
      expect(error.failure).toBe('tls');
      expect(error.message).toBe(
        `TLS is required (this deployment pins ${tls} TLS for this database) but could not be set up with MySQL at db.internal:3306/app as user "app": the server does not offer TLS; enable TLS on the server (no credential was sent)`,
      );
    }
  });
});

describe('MySQL driver: a session', () => {
  test('ping runs SELECT 1; accountHost reads the host part of CURRENT_USER()', async () => {
    const server = fakeMysql({ account: 'app@10.0.%' });
    const session = await mysqlSession();
    await session.ping();
    expect(await session.accountHost()).toBe('10.0.%');
    server.account = 'app';
    expect(await session.accountHost()).toBeUndefined();
    expect(server.sent.slice(0, 2)).toEqual(['SELECT 1', 'SELECT CURRENT_USER() AS account']);
  });

  test.each([
    ['8.0.36', "SET PASSWORD = 'pending-\\'pw\\\\'"],
    ['10.11.6-MariaDB', "SET PASSWORD = PASSWORD('pending-\\'pw\\\\')"],
  ])('setOwnPassword on %s: escapes turned back on for the session, once', async (version, statement) => {
    const server = fakeMysql({ version });
    const session = await mysqlSession();
    await session.setOwnPassword('app', PENDING);
    await session.setOwnPassword('app', PENDING);
    expect(server.sent).toEqual([
      'SELECT VERSION() AS version',
      "SET SESSION sql_mode = REPLACE(@@SESSION.sql_mode, 'NO_BACKSLASH_ESCAPES', '')",
      statement,
      statement,
    ]);
  });

  test('a failed statement names what was done and never the password, raw or escaped', async () => {
    const server = fakeMysql({
      failOn: /^SET PASSWORD/,
      statementError: Object.assign(new Error(`syntax error near 'pending-\\'pw\\\\' and ${PENDING}`), {
        code: 'ER_PARSE_ERROR',
        errno: 1064,
      }),
    });
    const session = await mysqlSession();
    const error = await failure(session.setOwnPassword('app', PENDING));
    expect(error.failure).toBe('statement');
    expect(error.message).toBe(
      `setting the password of user "app" as user "app" on MySQL at db.internal:3306/app failed: syntax error near '<redacted>' and <redacted>`,
    );
    expect(server.sent).toHaveLength(3);
  });

  test('a statement cut off by the network is "unreachable"', async () => {
    fakeMysql({
      failOn: /^SELECT 1/,
      statementError: Object.assign(new Error('gone'), { code: 'ECONNRESET' }),
    });
    const session = await mysqlSession();
    expect((await failure(session.ping())).failure).toBe('unreachable');
  });

  test('close ends the connection, and destroys it when ending fails', async () => {
    const server = fakeMysql();
    await (await mysqlSession()).close();
    expect([server.ended, server.destroyed]).toEqual([true, false]);
    const failing = fakeMysql({ failOn: /^END$/ });
    await (await mysqlSession()).close();
    expect([failing.ended, failing.destroyed]).toEqual([true, true]);
  });
});

describe('MySQL driver: the clone is an exact copy, or nothing is done', () => {
  // MySQL 8 with partial_revokes: a global grant minus one schema shows as a REVOKE line.
  const TEMPLATE = [
    'GRANT USAGE ON *.* TO `app`@`%`',
    'GRANT SELECT, INSERT ON *.* TO `app`@`%`',
    'REVOKE INSERT ON `mysql`.* FROM `app`@`%`',
    'GRANT UPDATE (`note`) ON `db`.`items` TO `app`@`%` WITH GRANT OPTION',
    'GRANT `reporting`@`%` TO `app`@`%`',
  ];
  const REQUEST = { template: 'app', templateHost: '%', username: 'app_clone', password: PENDING };
  const PASSWORD_LAST = "ALTER USER 'app_clone'@'%' IDENTIFIED BY 'pending-\\'pw\\\\'";

  test('a new clone gets every grant and partial revoke of the user, then its password, last', async () => {
    const server = fakeMysql({ grants: new Map([['app@%', TEMPLATE]]) });
    expect(await (await mysqlSession()).upsertClone(REQUEST)).toBe('created');
    expect(changes(server)).toEqual([
      "CREATE USER 'app_clone'@'%' IDENTIFIED BY '<placeholder>'",
      "GRANT USAGE ON *.* TO 'app_clone'@'%'",
      "GRANT SELECT, INSERT ON *.* TO 'app_clone'@'%'",
      "REVOKE INSERT ON `mysql`.* FROM 'app_clone'@'%'",
      "GRANT UPDATE (`note`) ON `db`.`items` TO 'app_clone'@'%' WITH GRANT OPTION",
      "GRANT `reporting`@`%` TO 'app_clone'@'%'",
      "ALTER USER 'app_clone'@'%' REQUIRE NONE",
      PASSWORD_LAST,
    ]);
    // The throwaway password of CREATE USER is random, and not the pending one.
    const create = server.sent.find((sql) => sql.startsWith('CREATE USER')) as string;
    expect(create).toMatch(/IDENTIFIED BY '[A-Za-z0-9+/=]{32}'$/);
    expect(create).not.toContain('pending');
  });

  test('a failed statement never shows the pending or the throwaway password, and names what was copied', async () => {
    const server = fakeMysql({ grants: new Map([['app@%', TEMPLATE]]) });
    server.failOn = /^REVOKE/;
    server.statementError = Object.assign(new Error(`denied near '${PENDING}'`), {
      code: 'ER_X',
      errno: 1227,
    });
    const error = await failure((await mysqlSession()).upsertClone(REQUEST));
    expect(error.message).toBe(
      `copying a partial revoke of "app" to "app_clone" (REVOKE INSERT ON \`mysql\`.*) as user "app" on MySQL at db.internal:3306/app failed: denied near '<redacted>'`,
    );
    // The throwaway password of CREATE USER, quoted back by a failing server.
    let quoted = '';
    fakeMysql({
      grants: new Map([['app@%', TEMPLATE]]),
      failOn: /^CREATE USER/,
      statementError: (sql: string) => {
        quoted = (sql.match(/'([^']+)'$/) as RegExpMatchArray)[1];
        return Object.assign(new Error(`bad password '${quoted}'`), { code: 'ER_Y', errno: 1819 });
      },
    });
    const createError = await failure((await mysqlSession()).upsertClone(REQUEST));
    expect(quoted).toHaveLength(32);
    expect(createError.message).toBe(
      `creating user "app_clone"@"%" as user "app" on MySQL at db.internal:3306/app failed: bad password '<redacted>'`,
    );
  });

  test('without the account host of the login, the clone is made for any host (%)', async () => {
    const server = fakeMysql();
    await (await mysqlSession()).upsertClone({ ...REQUEST, templateHost: undefined });
    expect(server.sent).toContain("SHOW GRANTS FOR 'app'@'%'");
    expect(changes(server)[0]).toBe("CREATE USER 'app_clone'@'%' IDENTIFIED BY '<placeholder>'");
  });

  test("an existing clone with some of the user's lines (a partial revoke missing) ends an exact copy", async () => {
    const server = fakeMysql({
      grants: new Map([
        ['app@%', TEMPLATE],
        [
          'app_clone@%',
          ['GRANT USAGE ON *.* TO `app_clone`@`%`', 'GRANT SELECT, INSERT ON *.* TO `app_clone`@`%`'],
        ],
      ]),
    });
    expect(await (await mysqlSession()).upsertClone(REQUEST)).toBe('updated');
    const sent = changes(server);
    expect(sent.filter((sql) => sql.startsWith('CREATE'))).toEqual([]);
    expect(sent).toContain("REVOKE INSERT ON `mysql`.* FROM 'app_clone'@'%'");
    expect(sent[sent.length - 1]).toBe(PASSWORD_LAST);
  });

  test.each([
    ['a grant the user does not have', 'GRANT ALL PRIVILEGES ON *.* TO `app_clone`@`%`'],
    [
      'a grant with GRANT OPTION where the user has none',
      'GRANT SELECT, INSERT ON *.* TO `app_clone`@`%` WITH GRANT OPTION',
    ],
    ['a line that is not a grant', 'SET DEFAULT ROLE `reporting`@`%` FOR `app_clone`@`%`'],
  ])('an existing clone with %s: refused, nothing changed', async (_name, line) => {
    const server = fakeMysql({
      grants: new Map([
        ['app@%', TEMPLATE],
        ['app_clone@%', ['GRANT USAGE ON *.* TO `app_clone`@`%`', line]],
      ]),
    });
    const error = await failure((await mysqlSession()).upsertClone(REQUEST));
    expect(error.failure).toBe('statement');
    expect(error.message).toMatch(
      /^(user "app_clone"@"%" already exists on MySQL at db\.internal:3306 with privileges that are not a copy of "app"'s; refusing to set its password \(drop that user, so that the rotation creates it again as an exact copy, or give it exactly "app"'s grants\)|SHOW GRANTS for "app_clone"@"%" lists a statement this rotation cannot copy exactly \("SET DEFAULT \.\.\."\); refusing to create or update its clone with other privileges than it has)$/,
    );
    expect(changes(server)).toEqual([]);
  });

  test.each([
    ['SET DEFAULT ROLE `reporting`@`%` FOR `app`@`%`', 'SET DEFAULT'],
    ['GRANT SELECT ON *.* TO `someone`@`%`', 'GRANT SELECT'],
    ["GRANT PROXY ON ''@'' TO 'app'@'localhost'", 'GRANT PROXY'],
  ])('a user line it cannot copy exactly (%s): refused before anything is made', async (line, kind) => {
    const server = fakeMysql({ grants: new Map([['app@%', [...TEMPLATE, line]]]) });
    const error = await failure((await mysqlSession()).upsertClone(REQUEST));
    expect(error.message).toBe(
      `SHOW GRANTS for "app"@"%" lists a statement this rotation cannot copy exactly ("${kind} ..."); refusing to create or update its clone with other privileges than it has`,
    );
    expect(changes(server)).toEqual([]);
    expect(server.sent.filter((sql) => sql.startsWith('SELECT 1 FROM mysql.user'))).toEqual([]);
  });

  test.each([
    [{ ssl_type: 'ANY' }, "ALTER USER 'app_clone'@'%' REQUIRE SSL"],
    [{ ssl_type: Buffer.from('X509') }, "ALTER USER 'app_clone'@'%' REQUIRE X509"],
    [
      { ssl_type: 'SPECIFIED', ssl_cipher: '', x509_issuer: Buffer.from('/CN=ca'), x509_subject: '/CN=app' },
      "ALTER USER 'app_clone'@'%' REQUIRE ISSUER '/CN=ca' AND SUBJECT '/CN=app'",
    ],
    [
      { ssl_type: 'specified', ssl_cipher: 'AES256-SHA', x509_issuer: '', x509_subject: '' },
      "ALTER USER 'app_clone'@'%' REQUIRE CIPHER 'AES256-SHA'",
    ],
    [
      { ssl_type: 'SPECIFIED', ssl_cipher: null, x509_issuer: null, x509_subject: null },
      "ALTER USER 'app_clone'@'%' REQUIRE SSL",
    ],
  ])("the user's TLS requirement %j is copied as %s", async (row, statement) => {
    const server = fakeMysql({ tls: new Map([['app@%', row]]) });
    await (await mysqlSession()).upsertClone(REQUEST);
    const sent = changes(server);
    expect(sent[sent.length - 2]).toBe(statement);
  });

  test('a user without a TLS row (it vanished meanwhile) leaves the clone as created', async () => {
    const server = fakeMysql({ tls: new Map([['app@%', null]]) });
    await (await mysqlSession()).upsertClone(REQUEST);
    expect(changes(server).filter((sql) => sql.includes('REQUIRE'))).toEqual([]);
    expect(changes(server).pop()).toBe(PASSWORD_LAST);
  });
});

describe('parseGrantLine', () => {
  test.each([
    [
      "GRANT USAGE ON *.* TO `app`@`%` IDENTIFIED BY PASSWORD '*ABCDEF0123'",
      'GRANT USAGE ON *.*',
      'TO',
      false,
    ],
    ['GRANT SELECT ON `a TO b`.* TO `app`@`%` WITH GRANT OPTION', 'GRANT SELECT ON `a TO b`.*', 'TO', true],
    ["GRANT SELECT ON `db`.* TO 'app'@'10.0.0.%'", 'GRANT SELECT ON `db`.*', 'TO', false],
    ['REVOKE INSERT ON `mysql`.* FROM `app`@`%`', 'REVOKE INSERT ON `mysql`.*', 'FROM', false],
    ["GRANT SELECT ON *.* TO 'o''brien'@'%'", 'GRANT SELECT ON *.*', 'TO', false],
    ['GRANT SELECT ON *.* TO `we``ird`@`%`', 'GRANT SELECT ON *.*', 'TO', false],
  ])('%s', (line, statement, preposition, withGrantOption) => {
    const user = line.includes('brien') ? "o'brien" : line.includes('we``ird') ? 'we`ird' : 'app';
    const host = line.includes('10.0.0.%') ? '10.0.0.%' : '%';
    expect(parseGrantLine(line, user, host)).toEqual({ statement, preposition, withGrantOption });
  });

  test.each([
    'GRANT SELECT ON *.* TO `other`@`%`',
    'GRANT SELECT ON *.* TO `app`@`localhost`',
    'SET DEFAULT ROLE `r` FOR `app`@`%`',
    'TO `app`@`%`',
    'REVOKE SELECT ON *.* TO `app`@`%`',
    // The server writes keywords in upper case; anything else is not read as a grant (refused).
    'revoke insert on `mysql`.* from `app`@`%`',
  ])('%s: not a line of app@%', (line) => {
    expect(parseGrantLine(line, 'app', '%')).toBeUndefined();
  });

  test('WITH GRANT OPTION counts only after the grantee, not inside a quoted name', () => {
    expect(parseGrantLine('GRANT SELECT ON `WITH GRANT OPTION`.* TO `app`@`%`', 'app', '%')).toEqual({
      statement: 'GRANT SELECT ON `WITH GRANT OPTION`.*',
      preposition: 'TO',
      withGrantOption: false,
    });
  });

  test('a revoke is never taken as WITH GRANT OPTION', () => {
    expect(parseGrantLine('REVOKE GRANT OPTION ON *.* FROM `app`@`%` WITH GRANT OPTION', 'app', '%')).toEqual(
      {
        statement: 'REVOKE GRANT OPTION ON *.*',
        preposition: 'FROM',
        withGrantOption: false,
      },
    );
  });
});

// ---------------------------------------------------------------------------------------------------
// PostgreSQL

interface FakePg {
  config?: Record<string, unknown>;
  readonly sent: string[];
  /** rolname -> pg_roles row (as cloneState's query returns it) */
  readonly roles: Map<string, Record<string, unknown>>;
  connectError?: unknown;
  failOn?: RegExp;
  statementError?: unknown;
  ended: number;
}

function fakePg(fields: Partial<FakePg> = {}): FakePg {
  const server: FakePg = { sent: [], roles: new Map(), ended: 0, ...fields };
  pg.Client.mockReset();
  pg.Client.mockImplementation((config: Record<string, unknown>) => {
    server.config = config;
    return {
      on: () => undefined,
      connect: async () => {
        if (server.connectError) throw server.connectError;
      },
      end: async () => {
        server.ended += 1;
      },
      escapeIdentifier,
      escapeLiteral,
      query: async (sql: string, params: unknown[] = []) => {
        server.sent.push(sql.replace(/\s+/g, ' '));
        if (server.failOn?.test(sql)) throw server.statementError ?? new Error('failed');
        if (sql.startsWith('SELECT 1 FROM pg_roles')) {
          return { rows: server.roles.has(params[0] as string) ? [{ '?column?': 1 }] : [] };
        }
        if (sql.startsWith('SELECT r.rolsuper')) {
          const row = server.roles.get(params[0] as string);
          return { rows: row ? [row] : [] };
        }
        return { rows: [] };
      },
    };
  });
  return server;
}

const PG_ENDPOINT: Endpoint = { host: 'db.internal', port: 5432, dbname: 'app', tls: 'verified' };
const PLAIN_ROLE = {
  rolsuper: false,
  rolcreaterole: false,
  rolcreatedb: false,
  rolreplication: false,
  rolbypassrls: false,
  member_of: [] as string[],
  admin_of_base: false,
  own_privileges: false,
};

function pgChanges(server: FakePg): string[] {
  return server.sent.filter((sql) => !sql.startsWith('SELECT'));
}

describe('PostgreSQL driver: connecting', () => {
  test.each([
    ['verified', { rejectUnauthorized: true }],
    ['unverified', { rejectUnauthorized: false }],
    ['plaintext', false],
  ] as const)('%s TLS: exactly this ssl setting, with timeouts', async (tls, ssl) => {
    const server = fakePg();
    await postgresDriver.connect({ ...PG_ENDPOINT, tls }, CREDENTIALS);
    expect(server.config).toEqual({
      host: 'db.internal',
      port: 5432,
      database: 'app',
      user: 'app',
      password: 'current-pw',
      ssl,
      connectionTimeoutMillis: 5000,
      statement_timeout: 10000,
      query_timeout: 10000,
      application_name: 'secrets-vault-rotation',
    });
  });

  test.each([
    [{ code: '28P01' }, 'auth', 'could not log in to'],
    [{ code: '28000' }, 'auth', 'could not log in to'],
    [{ code: '3D000' }, 'statement', 'could not connect to'],
    [{ code: 'ECONNREFUSED' }, 'unreachable', 'could not connect to'],
    [{}, 'unreachable', 'could not connect to'],
  ])(
    'a connection error %j is a failure of kind %s, and the client is ended',
    async (fields, kind, words) => {
      const server = fakePg({ connectError: Object.assign(new Error('no, current-pw'), fields) });
      const error = await failure(postgresDriver.connect(PG_ENDPOINT, CREDENTIALS));
      expect(error.failure).toBe(kind);
      expect(error.message).toBe(`${words} PostgreSQL at db.internal:5432/app as user "app": no, <redacted>`);
      expect(server.ended).toBe(1);
    },
  );

  test('a server without TLS: a TLS failure saying so', async () => {
    fakePg({ connectError: new Error('The server does not support SSL connections') });
    const error = await failure(postgresDriver.connect(PG_ENDPOINT, CREDENTIALS));
    expect(error.failure).toBe('tls');
    expect(error.message).toMatch(
      /the server does not offer TLS; enable TLS on the server \(no credential was sent\)$/,
    );
  });

  test('a certificate that cannot be verified: a TLS failure pointing at NODE_EXTRA_CA_CERTS', async () => {
    fakePg({
      connectError: Object.assign(new Error('self-signed certificate in certificate chain'), {
        code: 'SELF_SIGNED_CERT_IN_CHAIN',
      }),
    });
    const error = await failure(postgresDriver.connect(PG_ENDPOINT, CREDENTIALS));
    expect(error.failure).toBe('tls');
    expect(error.message).toBe(
      'TLS could not be set up with PostgreSQL at db.internal:5432/app as user "app": self-signed certificate in certificate chain (the server\'s certificate must be trusted by the runtime: on Lambda set NODE_EXTRA_CA_CERTS=/var/runtime/ca-cert.pem for RDS)',
    );
  });
});

describe('PostgreSQL driver: a session', () => {
  test('ping, accountHost (none), and setOwnPassword with the literal escaped', async () => {
    const server = fakePg();
    const session = await postgresDriver.connect(PG_ENDPOINT, CREDENTIALS);
    await session.ping();
    expect(await session.accountHost()).toBeUndefined();
    await session.setOwnPassword('app"x', PENDING);
    expect(server.sent).toEqual(['SELECT 1', `ALTER USER "app""x" WITH PASSWORD E'pending-''pw\\\\'`]);
    await session.close();
    expect(server.ended).toBe(1);
  });

  test('a failed statement never shows the password, raw or escaped', async () => {
    fakePg({
      failOn: /^ALTER USER/,
      statementError: Object.assign(new Error(`bad: pending-''pw\\\\ / ${PENDING}`), { code: '42601' }),
    });
    const session = await postgresDriver.connect(PG_ENDPOINT, CREDENTIALS);
    const error = await failure(session.setOwnPassword('app', PENDING));
    expect(error.failure).toBe('statement');
    expect(error.message).toBe(
      'setting the password of user "app" as user "app" on PostgreSQL at db.internal:5432/app failed: bad: <redacted> / <redacted>',
    );
  });
});

describe('PostgreSQL driver: the clone is a member of the user and nothing else, or nothing is done', () => {
  const TO_CLONE = { template: 'app', username: 'app_clone', password: PENDING };
  const BACK = { template: 'app_clone', username: 'app', password: PENDING };
  const PASSWORD = `E'pending-''pw\\\\'`;

  async function upsert(server: FakePg, request: typeof TO_CLONE) {
    const session = await postgresDriver.connect(PG_ENDPOINT, CREDENTIALS);
    return { result: await session.upsertClone(request).catch((error: DatabaseError) => error), server };
  }

  test('a new clone: created, made a member of the user, in one transaction', async () => {
    const { result, server } = await upsert(fakePg(), TO_CLONE);
    expect(result).toBe('created');
    expect(pgChanges(server)).toEqual([
      'BEGIN',
      `CREATE ROLE "app_clone" WITH LOGIN PASSWORD ${PASSWORD}`,
      'GRANT "app" TO "app_clone"',
      'ALTER ROLE "app_clone" SET ROLE "app"',
      'COMMIT',
    ]);
  });

  test('an existing clone that is a member of the user acting as it, nothing else: only its password changes', async () => {
    const server = fakePg();
    server.roles.set('app_clone', {
      ...PLAIN_ROLE,
      member_of: ['app'],
      settings: [{ database: null, setting: 'role=app' }],
    });
    const { result } = await upsert(server, TO_CLONE);
    expect(result).toBe('updated');
    expect(pgChanges(server)).toEqual([
      'BEGIN',
      `ALTER USER "app_clone" WITH LOGIN PASSWORD ${PASSWORD}`,
      'COMMIT',
    ]);
  });

  test('an existing clone with nothing at all: made a member of the user, then its password set', async () => {
    const server = fakePg();
    server.roles.set('app_clone', PLAIN_ROLE);
    const { result } = await upsert(server, TO_CLONE);
    expect(result).toBe('updated');
    expect(pgChanges(server)).toEqual([
      'BEGIN',
      'GRANT "app" TO "app_clone"',
      'ALTER ROLE "app_clone" SET ROLE "app"',
      `ALTER USER "app_clone" WITH LOGIN PASSWORD ${PASSWORD}`,
      'COMMIT',
    ]);
  });

  test('back to the user: the clone must be its member, and only its password changes', async () => {
    const server = fakePg();
    server.roles.set('app', { ...PLAIN_ROLE, own_privileges: true });
    server.roles.set('app_clone', {
      ...PLAIN_ROLE,
      member_of: ['app'],
      settings: [{ database: null, setting: 'role=app' }],
    });
    const { result } = await upsert(server, BACK);
    expect(result).toBe('updated');
    expect(pgChanges(server)).toEqual([
      'BEGIN',
      `ALTER USER "app" WITH LOGIN PASSWORD ${PASSWORD}`,
      'COMMIT',
    ]);
    expect(server.sent.find((sql) => sql.startsWith('SELECT r.rolsuper'))).toBeDefined();
  });

  test('a member clone made before clones acted as the user: given SET ROLE, then its password', async () => {
    const server = fakePg();
    server.roles.set('app_clone', { ...PLAIN_ROLE, member_of: ['app'] });
    const { result } = await upsert(server, TO_CLONE);
    expect(result).toBe('updated');
    expect(pgChanges(server)).toEqual([
      'BEGIN',
      'ALTER ROLE "app_clone" SET ROLE "app"',
      `ALTER USER "app_clone" WITH LOGIN PASSWORD ${PASSWORD}`,
      'COMMIT',
    ]);
  });

  test('a clone with a login setting besides SET ROLE: refused, rolled back, nothing changed', async () => {
    const server = fakePg();
    server.roles.set('app_clone', {
      ...PLAIN_ROLE,
      member_of: ['app'],
      settings: [
        { database: null, setting: 'role=app' },
        { database: null, setting: 'search_path=x' },
      ],
    });
    const { result } = await upsert(server, TO_CLONE);
    expect((result as DatabaseError).message).toContain(
      'has login settings other than SET ROLE "app" (search_path)',
    );
    expect(pgChanges(server)).toEqual(['BEGIN', 'ROLLBACK']);
  });

  test.each([
    [
      'SUPERUSER and CREATEROLE',
      { rolsuper: true, rolcreaterole: true, member_of: ['app'] },
      'has role attributes SUPERUSER, CREATEROLE',
    ],
    ['CREATEDB', { rolcreatedb: true, member_of: ['app'] }, 'has role attributes CREATEDB'],
    [
      'REPLICATION and BYPASSRLS',
      { rolreplication: true, rolbypassrls: true },
      'has role attributes REPLICATION, BYPASSRLS',
    ],
    [
      'other roles',
      { member_of: ['app', 'pg_read_all_data', 'admin'] },
      'is also a member of "pg_read_all_data", "admin"',
    ],
    ['ADMIN OPTION', { member_of: ['app'], admin_of_base: true }, 'may grant "app" to others (ADMIN OPTION)'],
    [
      'privileges of its own',
      { own_privileges: true },
      'holds privileges of its own (granted to it, not to a role it is a member of)',
    ],
  ])('an existing clone with %s: refused, rolled back, nothing changed', async (_name, fields, problem) => {
    const server = fakePg();
    server.roles.set('app_clone', { ...PLAIN_ROLE, ...fields });
    const { result } = await upsert(server, TO_CLONE);
    expect((result as DatabaseError).message).toBe(
      `user "app_clone" exists on PostgreSQL at db.internal:5432/app but is not a copy of "app": it ${problem}; refusing to set the password of "app_clone" (drop "app_clone", so that the rotation creates it again as a member of "app" and nothing else, or give it exactly that)`,
    );
    expect(pgChanges(server)).toEqual(['BEGIN', 'ROLLBACK']);
  });

  test('back to the user with a clone that is not its member: refused', async () => {
    const server = fakePg();
    server.roles.set('app', PLAIN_ROLE);
    server.roles.set('app_clone', PLAIN_ROLE);
    const { result } = await upsert(server, BACK);
    expect((result as DatabaseError).message).toContain(
      'it is not a member of "app"; refusing to set the password of "app"',
    );
    expect(pgChanges(server)).toEqual(['BEGIN', 'ROLLBACK']);
  });

  test('back to a user that no longer exists: refused, never created from its clone', async () => {
    const server = fakePg();
    server.roles.set('app_clone', { ...PLAIN_ROLE, member_of: ['app'] });
    const { result } = await upsert(server, BACK);
    expect((result as DatabaseError).message).toBe(
      'user "app" does not exist on PostgreSQL at db.internal:5432/app; alternating users create only "app_clone", never the user it copies: create "app" again (or rotate from a secret for an existing user)',
    );
    expect(pgChanges(server)).toEqual(['BEGIN', 'ROLLBACK']);
  });

  test('two users that are not a user and its clone: refused before anything', async () => {
    const server = fakePg();
    const { result } = await upsert(server, { template: 'app', username: 'admin', password: PENDING });
    expect((result as DatabaseError).message).toBe(
      '"admin" and "app" are not a user and its "_clone"; refusing to copy privileges between them',
    );
    expect(server.sent).toEqual([]);
  });

  test('a failed statement rolls back, and names what failed', async () => {
    const server = fakePg({
      failOn: /^GRANT/,
      statementError: Object.assign(new Error('permission denied'), { code: '42501' }),
    });
    const { result } = await upsert(server, TO_CLONE);
    expect((result as DatabaseError).message).toBe(
      'granting "app" to "app_clone" as user "app" on PostgreSQL at db.internal:5432/app failed: permission denied',
    );
    expect(pgChanges(server)).toEqual([
      'BEGIN',
      `CREATE ROLE "app_clone" WITH LOGIN PASSWORD ${PASSWORD}`,
      'GRANT "app" TO "app_clone"',
      'ROLLBACK',
    ]);
  });
});

describe('cloneProblems', () => {
  const state = { exists: true, attributes: [], memberOf: ['app'], adminOfBase: false, ownPrivileges: false };

  test('a member of its base and nothing else has none', () => {
    expect(cloneProblems(state, 'app', false)).toEqual([]);
  });

  test('a role that is no member yet may join, unless rotating back to the base', () => {
    expect(cloneProblems({ ...state, memberOf: [] }, 'app', true)).toEqual([]);
    expect(cloneProblems({ ...state, memberOf: [] }, 'app', false)).toEqual(['is not a member of "app"']);
  });

  test('a role that does not exist', () => {
    expect(cloneProblems({ ...state, exists: false }, 'app', true)).toEqual(['does not exist']);
  });

  test('every problem, in order', () => {
    expect(
      cloneProblems(
        { exists: true, attributes: ['SUPERUSER'], memberOf: ['x'], adminOfBase: true, ownPrivileges: true },
        'app',
        false,
      ),
    ).toEqual([
      'has role attributes SUPERUSER',
      'is also a member of "x"',
      'is not a member of "app"',
      'may grant "app" to others (ADMIN OPTION)',
      'holds privileges of its own (granted to it, not to a role it is a member of)',
    ]);
  });
});
