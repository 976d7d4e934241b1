/**
 * The MySQL driver against the run's real MariaDB, on the cases its mutation survivors showed untested
 * (lambda/rotation/strategies/database/mysql-driver.ts, issue 9): how a failed statement is classed
 * when the server answers, when the connection is reset or was killed; what a failing copy of a grant
 * is called; lines of SHOW GRANTS that only look like a partial revoke or a grant option; a TLS
 * requirement whose leftover columns the server ignores; the account host of an anonymous login.
 * drivers.test.ts pins the statements against a fake connection; these show what a real server does.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { DatabaseError } from '../../lambda/rotation/strategies/database/database-error';
import type { Endpoint, Session } from '../../lambda/rotation/strategies/database/driver';
import { mysqlDriver } from '../../lambda/rotation/strategies/database/mysql-driver';
import { randomSuffix, useDatabase } from '../support/databases';
import { failure } from './support/fixtures';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const mysql2 = require('mysql2/promise') as typeof import('mysql2/promise');

const db = useDatabase('mysql');
const PENDING = 'pending-pw-1';

function endpoint(port = db.server.port): Endpoint {
  return { host: db.server.host, port, dbname: db.server.dbname, tls: 'plaintext' };
}

/** How the driver names this server in its messages. */
function where(port = db.server.port): string {
  return `MySQL at ${db.server.host}:${port}/${db.server.dbname}`;
}

/** A user of this file's database (dropped with its `_clone` when the server stops). */
async function user(prefix: string): Promise<string> {
  const name = `${prefix}_${randomSuffix()}`;
  await db.server.createUser(name, `${name}-pw`);
  return name;
}

async function login(username: string, port?: number): Promise<Session> {
  return mysqlDriver.connect(endpoint(port), { username, password: `${username}-pw` });
}

/** Copies `template` to `<template>_clone` (any host) with the pending password, expecting a failure; closes the session. */
async function copyFails(session: Session, template: string): Promise<DatabaseError> {
  try {
    return await failure(
      session.upsertClone({ template, templateHost: '%', username: `${template}_clone`, password: PENDING }),
    );
  } finally {
    await session.close();
  }
}

async function grantsOf(username: string): Promise<string[]> {
  const rows = await db.server.adminQuery("SHOW GRANTS FOR ?@'%'", [username]);
  return rows.map((row) => String(Object.values(row)[0]));
}

/**
 * A TCP forwarder to the server that can stop passing the server's answers on (`hold`) and reset the
 * client's connection, so that a statement is cut off while it waits. Connects upstream from
 * `localAddress`, which is the client host the server sees.
 */
class Forwarder {
  public hold = false;
  private readonly clients = new Set<Socket>();
  private readonly upstreams = new Set<Socket>();
  private readonly server: Server;

  private constructor(localAddress: string) {
    this.server = createServer((client) => {
      const upstream = createConnection({ host: db.server.host, port: db.server.port, localAddress });
      this.clients.add(client);
      this.upstreams.add(upstream);
      for (const socket of [client, upstream]) socket.on('error', () => undefined);
      client.on('data', (data) => upstream.write(data));
      upstream.on('data', (data) => {
        if (!this.hold) client.write(data);
      });
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
  }

  public static async start(localAddress = '127.0.0.1'): Promise<Forwarder> {
    const forwarder = new Forwarder(localAddress);
    await new Promise<void>((resolve) => forwarder.server.listen(0, '127.0.0.1', () => resolve()));
    return forwarder;
  }

  public get port(): number {
    return (this.server.address() as { port: number }).port;
  }

  /** Resets (RST) every client connection. */
  public reset(): void {
    for (const client of this.clients) client.resetAndDestroy();
  }

  public async close(): Promise<void> {
    for (const socket of [...this.clients, ...this.upstreams]) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

describe('MySQL driver on MariaDB: a failed statement says what failed and why', () => {
  test('a grant the admin may not give: a "statement" failure naming the grant, cut at 120 characters', async () => {
    const template = await user('mm_long');
    const admin = await user('mm_admin');
    const table = `items_${'x'.repeat(50)}`;
    await db.server.adminQuery(`CREATE TABLE ${table} (note TEXT)`);
    try {
      await db.server.adminQuery(`REVOKE SELECT, INSERT ON ${db.server.dbname}.items FROM ?@'%'`, [template]);
      await db.server.adminQuery(
        `GRANT SELECT (note), INSERT (note), UPDATE (note) ON ${db.server.dbname}.${table} TO ?@'%'`,
        [template],
      );
      // May make users, read their grants and give USAGE; holds nothing on the table.
      await db.server.adminQuery("GRANT CREATE USER ON *.* TO ?@'%' WITH GRANT OPTION", [admin]);
      await db.server.adminQuery("GRANT SELECT ON mysql.* TO ?@'%'", [admin]);
      const statement = `GRANT SELECT (\`note\`), INSERT (\`note\`), UPDATE (\`note\`) ON \`${db.server.dbname}\`.\`${table}\``;
      expect(await grantsOf(template)).toContain(`${statement} TO \`${template}\`@\`%\``);
      expect(statement.length).toBeGreaterThan(120);

      const session = await login(admin);
      const error = await copyFails(session, template);
      expect(error).toBeInstanceOf(DatabaseError);
      expect(error.failure).toBe('statement');
      expect(error.message).toBe(
        `copying a grant of "${template}" to "${template}_clone" (${statement.slice(0, 120)}) as user "${admin}" on ${where()} failed: SELECT, INSERT, UPDATE command denied to user '${admin}'@'127.0.0.1' for table \`${db.server.dbname}\`.\`${table}\``,
      );
      // The password is set last: the half-made clone does not take the pending credential.
      expect(await db.server.canLogin(`${template}_clone`, PENDING)).toBe(false);
    } finally {
      await db.server.adminQuery(`DROP TABLE ${table}`);
    }
  });

  test('a server error mysql2 has no name for (MariaDB 1959: a role dropped meanwhile) is a "statement" failure', async () => {
    const template = await user('mm_role');
    const role = `mm_role_${randomSuffix()}`;
    await db.server.adminQuery(`CREATE ROLE ${role}`);
    await db.server.adminQuery(`GRANT ${role} TO ?@'%'`, [template]);
    // The role goes away right after the driver read the grants, before it replays them. (Only the
    // driver's connection is watched; the admin's own connections are made as usual.)
    const create = mysql2.createConnection;
    const spy = jest.spyOn(mysql2, 'createConnection').mockImplementationOnce(async (options) => {
      const connection = await create(options as string);
      const query = connection.query.bind(connection) as (options: { sql: string }) => Promise<unknown>;
      Object.assign(connection, {
        query: async (options: { sql: string }) => {
          const result = await query(options);
          if (options.sql.startsWith(`SHOW GRANTS FOR '${template}'`)) {
            await db.server.adminQuery(`DROP ROLE ${role}`);
          }
          return result;
        },
      });
      return connection;
    });
    try {
      const session = await mysqlDriver.connect(endpoint(), {
        username: db.server.adminUser,
        password: db.server.adminPassword,
      });
      const error = await copyFails(session, template);
      expect(error).toBeInstanceOf(DatabaseError);
      expect(error.message).toBe(
        `copying a grant of "${template}" to "${template}_clone" (GRANT \`${role}\`) as user "${db.server.adminUser}" on ${where()} failed: Invalid role specification \`${role}\``,
      );
      expect(error.failure).toBe('statement');
    } finally {
      spy.mockRestore();
      await db.server.adminQuery(`DROP ROLE IF EXISTS ${role}`);
    }
  });

  test('a statement cut off by a reset connection (read ECONNRESET, errno -104) is "unreachable"', async () => {
    const name = await user('mm_reset');
    const forwarder = await Forwarder.start();
    try {
      const session = await login(name, forwarder.port);
      forwarder.hold = true;
      const ping = failure(session.ping());
      // SELECT 1 has gone out; its answer is held back until the connection is reset under it.
      await new Promise((resolve) => setTimeout(resolve, 200));
      forwarder.reset();
      const error = await ping;
      await session.close();
      expect(error).toBeInstanceOf(DatabaseError);
      expect(error.message).toBe(
        `running SELECT as user "${name}" on ${where(forwarder.port)} failed: Error: read ECONNRESET`,
      );
      expect(error.failure).toBe('unreachable');
    } finally {
      await forwarder.close();
    }
  });

  test('a session the server killed: the next statement is "unreachable", and closing it still resolves', async () => {
    const name = await user('mm_killed');
    // The driver's connection, to know when it has seen the server hang up (its 'end').
    const create = mysql2.createConnection;
    let ended: Promise<void> | undefined;
    const spy = jest.spyOn(mysql2, 'createConnection').mockImplementationOnce(async (options) => {
      const connection = await create(options as string);
      ended = new Promise((resolve) => connection.once('end', () => resolve()));
      return connection;
    });
    const session = await login(name).finally(() => spy.mockRestore());
    const [row] = await db.server.adminQuery(
      'SELECT ID AS id FROM information_schema.PROCESSLIST WHERE USER = ?',
      [name],
    );
    await db.server.adminQuery(`KILL ${Number(row.id)}`);
    await ended;
    // The socket's 'close' (which marks the connection closed) follows its 'end'.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const error = await failure(session.ping());
    expect(error).toBeInstanceOf(DatabaseError);
    expect(error.message).toBe(
      `running SELECT as user "${name}" on ${where()} failed: Can't add new command when connection is in closed state`,
    );
    expect(error.failure).toBe('unreachable');
    await expect(session.close()).resolves.toBeUndefined();
  });
});

describe('MySQL driver on MariaDB: the clone is an exact copy, or nothing is made', () => {
  async function adminSession(): Promise<Session> {
    return mysqlDriver.connect(endpoint(), {
      username: db.server.adminUser,
      password: db.server.adminPassword,
    });
  }

  async function upsert(template: string): Promise<DatabaseError | 'created' | 'updated'> {
    const session = await adminSession();
    try {
      return await session
        .upsertClone({ template, templateHost: '%', username: `${template}_clone`, password: PENDING })
        .catch((error: DatabaseError) => error);
    } finally {
      await session.close();
    }
  }

  // A role name can hold any text; these make MariaDB's SET DEFAULT ROLE line contain what a partial
  // revoke line (`... FROM 'user'@'%'`), or a line without any preposition, would end with.
  test.each([
    ['REVOKE r FROM', 'a partial revoke'],
    ['r undefined', 'no preposition at all'],
  ])("a default role named \"%s '<user>'@'%%'\" (a line like %s): refused, no clone made", async (words) => {
    const template = await user('mm_default');
    const role = `${words} '${template}'@'%'`;
    await db.server.adminQuery('CREATE ROLE ?', [role]);
    try {
      await db.server.adminQuery("GRANT ? TO ?@'%'", [role, template]);
      await db.server.adminQuery(`SET DEFAULT ROLE \`${role}\` FOR ?@'%'`, [template]);
      expect(await grantsOf(template)).toContain(`SET DEFAULT ROLE \`${role}\` FOR \`${template}\`@\`%\``);

      const result = await upsert(template);
      expect(result).toBeInstanceOf(DatabaseError);
      expect((result as DatabaseError).message).toBe(
        `SHOW GRANTS for "${template}"@"%" lists a statement this rotation cannot copy exactly ("SET DEFAULT ..."); refusing to create or update its clone with other privileges than it has`,
      );
      expect(await db.server.userExists(`${template}_clone`)).toBe(false);
    } finally {
      await db.server.adminQuery('DROP ROLE ?', [role]);
    }
  });

  test('a database named "WITH GRANT OPTION ...": the clone gets its grant, without the grant option', async () => {
    // A long user name makes " TO `<user>`@`%`" longer than the database name before it.
    const template = await user('mm_grant_option_user');
    const dbname = `WITH GRANT OPTION ${randomSuffix()}`;
    await db.server.adminQuery(`CREATE DATABASE \`${dbname}\``);
    try {
      await db.server.adminQuery(`GRANT SELECT ON \`${dbname}\`.* TO ?@'%'`, [template]);
      expect(await grantsOf(template)).toContain(`GRANT SELECT ON \`${dbname}\`.* TO \`${template}\`@\`%\``);

      expect(await upsert(template)).toBe('created');
      const clone = `${template}_clone`;
      expect(await grantsOf(clone)).toContain(`GRANT SELECT ON \`${dbname}\`.* TO \`${clone}\`@\`%\``);
      expect((await grantsOf(clone)).filter((line) => line.endsWith('WITH GRANT OPTION'))).toEqual([]);
      expect(await db.server.canLogin(clone, PENDING)).toBe(true);
    } finally {
      await db.server.adminQuery(`DROP DATABASE \`${dbname}\``);
    }
  });

  test('a user whose REQUIRE SSL row still holds an old subject: the clone needs TLS, as the server reads the user', async () => {
    const template = await user('mm_tls');
    await db.server.adminQuery("ALTER USER ?@'%' REQUIRE SSL", [template]);
    // Left behind by an edit of the privilege table: ssl_type ANY (REQUIRE SSL) with a subject, which
    // the server ignores for such a user.
    await db.server.adminQuery(
      "UPDATE mysql.global_priv SET priv = JSON_SET(priv, '$.x509_subject', '/CN=old') WHERE User = ? AND Host = '%'",
      [template],
    );
    await db.server.adminQuery('FLUSH PRIVILEGES');
    expect(
      await db.server.adminQuery(
        "SELECT ssl_type, x509_subject FROM mysql.user WHERE User = ? AND Host = '%'",
        [template],
      ),
    ).toEqual([{ ssl_type: 'ANY', x509_subject: '/CN=old' }]);
    const requirement = async (name: string) =>
      String(Object.values((await db.server.adminQuery("SHOW CREATE USER ?@'%'", [name]))[0])[0]).replace(
        /^.* IDENTIFIED BY PASSWORD '[^']*'/,
        '',
      );
    expect(await requirement(template)).toBe(' REQUIRE SSL');

    expect(await upsert(template)).toBe('created');
    expect(await requirement(`${template}_clone`)).toBe(' REQUIRE SSL');
  });
});

describe('MySQL driver on MariaDB: the account a login matched', () => {
  test('an anonymous account (CURRENT_USER() is "@host"): accountHost is that host', async () => {
    // Only the forwarder connects from 127.0.0.2, so no other login of the run matches this account.
    const password = `anon-${randomSuffix()}`;
    await db.server.adminQuery("CREATE USER ''@'127.0.0.2' IDENTIFIED BY ?", [password]);
    await db.server.adminQuery(`GRANT SELECT ON ${db.server.dbname}.items TO ''@'127.0.0.2'`);
    const forwarder = await Forwarder.start('127.0.0.2');
    try {
      const session = await mysqlDriver.connect(endpoint(forwarder.port), {
        username: `nobody_${randomSuffix()}`,
        password,
      });
      try {
        expect(await session.accountHost()).toBe('127.0.0.2');
      } finally {
        await session.close();
      }
    } finally {
      await forwarder.close();
      await db.server.adminQuery("DROP USER ''@'127.0.0.2'");
    }
  });
});
