/**
 * PostgreSQL objects that `<user>_clone` creates, on a real server, through the rotation's own driver
 * (the requests alternating users sends: to the clone, back to the user, to the clone again).
 *
 * Without more, a table the clone creates belongs to the clone, and once `<user>` is current again it
 * cannot use it (nor can a migration run as `<user>`). So the driver makes the clone act as the user's
 * role: it is a member of `<user>` and `ALTER ROLE "<user>_clone" SET ROLE "<user>"`, so what it creates
 * belongs to `<user>`. An existing clone is taken as ours with exactly that setting (or none yet, when a
 * rotation made it before the driver set it) and refused with any other.
 */
import { postgresDriver } from '../../lambda/rotation/strategies/database/postgres-driver';
import type { CloneRequest, Endpoint } from '../../lambda/rotation/strategies/database/driver';
import { randomSuffix, useDatabase } from '../support/databases';

const db = useDatabase('postgres');

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

function endpoint(): Endpoint {
  const s = db.server;
  // The run's shared server offers no TLS; TLS is tls.test.ts's subject.
  return { host: s.host, port: s.port, dbname: s.dbname, tls: 'plaintext' };
}

/** Runs `run` in a session of `username` in the test database. */
async function as<T>(
  username: string,
  password: string,
  run: (query: (sql: string) => Promise<Record<string, unknown>[]>) => Promise<T>,
): Promise<T> {
  const { Client } = await import('pg');
  const s = db.server;
  const client = new Client({ host: s.host, port: s.port, user: username, password, database: s.dbname });
  await client.connect();
  try {
    return await run(async (sql) => (await client.query(sql)).rows as Record<string, unknown>[]);
  } finally {
    await client.end();
  }
}

/** One upsertClone, as the rotation's setSecret sends it, logged in as `admin` (default: the server's). */
async function upsert(
  request: CloneRequest,
  admin = { username: db.server.adminUser, password: db.server.adminPassword },
): Promise<'created' | 'updated'> {
  const session = await postgresDriver.connect(endpoint(), admin);
  try {
    return await session.upsertClone(request);
  } finally {
    await session.close();
  }
}

/** A user that may create tables in the test database (as an application's migrations do). */
async function user(): Promise<{ user: string; clone: string; password: string }> {
  const s = db.server;
  const name = `sv_owner_${randomSuffix()}`;
  const password = `Pw-${randomSuffix()}`;
  await s.createUser(name, password);
  await s.adminQuery(`GRANT CREATE ON SCHEMA public TO ${quote(name)}`);
  return { user: name, clone: `${name}_clone`, password };
}

/** The role's login settings, as pg_db_role_setting holds them (`<database or *>: name=value`). */
async function settingsOf(role: string): Promise<string[]> {
  const rows = await db.server.adminQuery(
    `SELECT COALESCE(d.datname, '*') || ': ' || c AS setting
     FROM pg_db_role_setting s LEFT JOIN pg_database d ON d.oid = s.setdatabase
     CROSS JOIN LATERAL unnest(s.setconfig) AS c
     WHERE s.setrole = (SELECT oid FROM pg_roles WHERE rolname = $1) ORDER BY 1`,
    [role],
  );
  return rows.map((row) => String(row.setting));
}

async function ownerOf(table: string): Promise<unknown> {
  const rows = await db.server.adminQuery('SELECT tableowner FROM pg_tables WHERE tablename = $1', [table]);
  return rows[0]?.tableowner;
}

test('without the setting (a clone made by hand): what the clone creates is its own, and the user cannot use it', async () => {
  const { user: name, clone, password } = await user();
  const clonePassword = `Pw-${randomSuffix()}`;
  await db.server.adminQuery(`CREATE ROLE ${quote(clone)} WITH LOGIN PASSWORD '${clonePassword}'`);
  await db.server.adminQuery(`GRANT ${quote(name)} TO ${quote(clone)}`);
  const table = `t_${randomSuffix()}`;
  await as(clone, clonePassword, (q) => q(`CREATE TABLE ${table} (id int)`));
  expect(await ownerOf(table)).toBe(clone);
  await expect(as(name, password, (q) => q(`SELECT * FROM ${table}`))).rejects.toThrow(
    `permission denied for table ${table}`,
  );
});

test('as rotations alternate, every table made while logged in as the clone belongs to the user, and both can use it', async () => {
  const { user: name, clone, password: first } = await user();
  const made: string[] = [];
  /** Logged in as `login`, creates a table and writes a row; then both users read every table so far. */
  async function createAndUse(login: string, password: string, other: { name: string; password: string }) {
    const table = `t_${randomSuffix()}`;
    const who = await as(login, password, async (q) => {
      await q(`CREATE TABLE ${table} (id int)`);
      await q(`INSERT INTO ${table} VALUES (${made.length})`);
      return q('SELECT current_user AS acting, session_user AS login');
    });
    made.push(table);
    expect(who).toEqual([{ acting: name, login }]);
    expect(await ownerOf(table)).toBe(name);
    for (const [i, t] of made.entries()) {
      for (const [u, pw] of [
        [login, password],
        [other.name, other.password],
      ]) {
        expect(await as(u, pw, (q) => q(`SELECT id FROM ${t}`))).toEqual([{ id: i }]);
      }
    }
  }

  // Rotation 1: the clone is created, a member of the user that acts as the user.
  const p1 = `Pw1-${randomSuffix()}`;
  expect(await upsert({ template: name, username: clone, password: p1 })).toBe('created');
  expect(await settingsOf(clone)).toEqual([`*: role=${name}`]);
  await createAndUse(clone, p1, { name, password: first });
  // The user itself still creates as itself.
  await createAndUse(name, first, { name: clone, password: p1 });

  // Rotation 2: back to the user; what the clone made is the user's, so the user keeps working.
  const p2 = `Pw2-${randomSuffix()}`;
  expect(await upsert({ template: clone, username: name, password: p2 })).toBe('updated');
  await createAndUse(name, p2, { name: clone, password: p1 });

  // Rotation 3: the clone again; its setting is as the rotation left it, and nothing was added.
  const p3 = `Pw3-${randomSuffix()}`;
  expect(await upsert({ template: name, username: clone, password: p3 })).toBe('updated');
  expect(await settingsOf(clone)).toEqual([`*: role=${name}`]);
  await createAndUse(clone, p3, { name, password: p2 });
  expect(made).toHaveLength(4);
});

test('an admin that is no superuser (CREATEROLE, as the RDS master) makes the clone act as the user', async () => {
  const s = db.server;
  const { user: name, clone, password } = await user();
  const admin = `sv_admin_${randomSuffix()}`;
  const adminPassword = `Adm-${randomSuffix()}`;
  await s.createUser(admin, adminPassword);
  await s.adminQuery(`ALTER ROLE ${quote(admin)} CREATEROLE`);
  const pending = `Pw-${randomSuffix()}`;
  const asAdmin = { username: admin, password: adminPassword };
  expect(await upsert({ template: name, username: clone, password: pending }, asAdmin)).toBe('created');
  expect(await settingsOf(clone)).toEqual([`*: role=${name}`]);
  const table = `t_${randomSuffix()}`;
  await as(clone, pending, (q) => q(`CREATE TABLE ${table} (id int)`));
  expect(await ownerOf(table)).toBe(name);
  expect(await as(name, password, (q) => q(`SELECT count(*)::int AS n FROM ${table}`))).toEqual([{ n: 0 }]);
  expect(await upsert({ template: clone, username: name, password: `Pw-${randomSuffix()}` }, asAdmin)).toBe(
    'updated',
  );
});

test.each([
  ['to the clone', 'to'],
  ['back to the user', 'back'],
] as const)(
  'a clone made before the driver set it (a member, no setting): the rotation %s makes it act as the user',
  async (_name, direction) => {
    const s = db.server;
    const { user: name, clone } = await user();
    await s.adminQuery(`CREATE ROLE ${quote(clone)} WITH LOGIN PASSWORD 'old-${randomSuffix()}'`);
    await s.adminQuery(`GRANT ${quote(name)} TO ${quote(clone)}`);
    expect(await settingsOf(clone)).toEqual([]);
    const pending = `Pw-${randomSuffix()}`;
    const request =
      direction === 'to'
        ? { template: name, username: clone, password: pending }
        : { template: clone, username: name, password: pending };
    expect(await upsert(request)).toBe('updated');
    expect(await settingsOf(clone)).toEqual([`*: role=${name}`]);
    const login = direction === 'to' ? clone : name;
    expect(await as(login, pending, (q) => q('SELECT current_user AS acting'))).toEqual([{ acting: name }]);
  },
);

describe('an existing clone with other login settings is refused and left untouched', () => {
  test.each([
    ['another setting', 'ALTER ROLE %clone% SET search_path = public', '(search_path)'],
    [
      'a setting only an admin can make (session_replication_role)',
      "ALTER ROLE %clone% SET session_replication_role = 'replica'",
      '(session_replication_role)',
    ],
    ['SET ROLE to another role', 'ALTER ROLE %clone% SET ROLE %other%', '(role "%other%")'],
    [
      'SET ROLE to the user in one database only',
      'ALTER ROLE %clone% IN DATABASE %db% SET ROLE %user%',
      '(role "%user%" in database "%db%")',
    ],
  ])('%s', async (_name, sql, listed) => {
    const s = db.server;
    const { user: name, clone, password } = await user();
    const other = `sv_other_${randomSuffix()}`;
    await s.adminQuery(`CREATE ROLE ${quote(other)} NOLOGIN`);
    const theirs = `Theirs-${randomSuffix()}`;
    await s.adminQuery(`CREATE ROLE ${quote(clone)} WITH LOGIN PASSWORD '${theirs}'`);
    await s.adminQuery(`GRANT ${quote(name)} TO ${quote(clone)}`);
    const fill = (text: string, q: (n: string) => string) =>
      text
        .replace(/%clone%/g, q(clone))
        .replace(/%other%/g, q(other))
        .replace(/%user%/g, q(name))
        .replace(/%db%/g, q(s.dbname));
    await s.adminQuery(fill(sql, quote));
    const before = await settingsOf(clone);
    const pending = `Pw-${randomSuffix()}`;
    await expect(upsert({ template: name, username: clone, password: pending })).rejects.toThrow(
      `user "${clone}" exists on PostgreSQL at ${s.host}:${s.port}/${s.dbname} but is not a copy of "${name}": it has login settings other than SET ROLE "${name}" ${fill(listed, (n) => n)}; refusing to set the password of "${clone}"`,
    );
    expect(await settingsOf(clone)).toEqual(before);
    expect(await s.canLogin(clone, theirs)).toBe(true);
    expect(await s.canLogin(clone, pending)).toBe(false);
    expect(await s.canLogin(name, password)).toBe(true);
  });

  test('the exact setting plus another: refused too, rotating back to the user as well', async () => {
    const s = db.server;
    const { user: name, clone } = await user();
    const p1 = `Pw-${randomSuffix()}`;
    await upsert({ template: name, username: clone, password: p1 });
    await s.adminQuery(`ALTER ROLE ${quote(clone)} SET work_mem = '64MB'`);
    const before = await settingsOf(clone);
    expect(before).toEqual([`*: role=${name}`, '*: work_mem=64MB']);
    await expect(
      upsert({ template: clone, username: name, password: `Pw-${randomSuffix()}` }),
    ).rejects.toThrow(
      `it has login settings other than SET ROLE "${name}" (work_mem); refusing to set the password of "${name}"`,
    );
    expect(await settingsOf(clone)).toEqual(before);
    expect(await s.canLogin(clone, p1)).toBe(true);
  });
});
