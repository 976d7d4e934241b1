/**
 * What breaks alternating users on PostgreSQL after a swap, on a real server: objects that
 * `<user>_clone` creates belong to `<user>_clone`, so once `<user>` is current again it cannot use them
 * (and neither can a migration run as `<user>`). The remedy proposed for the driver's upsertClone
 * (/tmp/issue14-proposal.md): the clone's sessions act as the user's role (`ALTER ROLE <clone> SET
 * ROLE <user>`), so everything it creates belongs to `<user>`. The clone is made by the rotation's
 * own driver, as in a rotation.
 */
import { postgresDriver } from '../../lambda/rotation/strategies/database/postgres-driver';
import type { Endpoint } from '../../lambda/rotation/strategies/database/driver';
import { randomSuffix, useDatabase } from '../support/databases';

const db = useDatabase('postgres');

async function as<T>(
  username: string,
  password: string,
  run: (query: (sql: string) => Promise<unknown[]>) => Promise<T>,
) {
  const { Client } = await import('pg');
  const s = db.server;
  const client = new Client({ host: s.host, port: s.port, user: username, password, database: s.dbname });
  await client.connect();
  try {
    return await run(async (sql) => (await client.query(sql)).rows);
  } finally {
    await client.end();
  }
}

/** A user that may create tables in the test database, and its clone made by the rotation's driver. */
async function pair(): Promise<{ user: string; clone: string; password: string; clonePassword: string }> {
  const s = db.server;
  const user = `sv_owner_${randomSuffix()}`;
  const password = `Pw-${randomSuffix()}`;
  const clonePassword = `Pw-${randomSuffix()}`;
  await s.createUser(user, password);
  await s.adminQuery(`GRANT CREATE ON SCHEMA public TO "${user}"`);
  const endpoint: Endpoint = { host: s.host, port: s.port, dbname: s.dbname, tls: 'plaintext' };
  const admin = await postgresDriver.connect(endpoint, { username: s.adminUser, password: s.adminPassword });
  try {
    await admin.upsertClone({ template: user, username: `${user}_clone`, password: clonePassword });
  } finally {
    await admin.close();
  }
  return { user, clone: `${user}_clone`, password, clonePassword };
}

test('the problem: a table the clone creates belongs to the clone, and the user cannot read it after the swap', async () => {
  const { user, clone, password, clonePassword } = await pair();
  const table = `t_${randomSuffix()}`;
  await as(clone, clonePassword, (q) => q(`CREATE TABLE ${table} (id int)`));
  const owner = await db.server.adminQuery(`SELECT tableowner FROM pg_tables WHERE tablename = '${table}'`);
  expect(owner).toEqual([{ tableowner: clone }]);
  await expect(as(user, password, (q) => q(`SELECT * FROM ${table}`))).rejects.toThrow(
    `permission denied for table ${table}`,
  );
});

test('the remedy: with ALTER ROLE <clone> SET ROLE <user>, what the clone creates belongs to the user, and both can use it', async () => {
  const { user, clone, password, clonePassword } = await pair();
  await db.server.adminQuery(`ALTER ROLE "${clone}" SET ROLE "${user}"`);
  const table = `t_${randomSuffix()}`;
  const current = await as(clone, clonePassword, async (q) => {
    await q(`CREATE TABLE ${table} (id int)`);
    await q(`INSERT INTO ${table} VALUES (1)`);
    return q('SELECT current_user AS acting, session_user AS login');
  });
  expect(current).toEqual([{ acting: user, login: clone }]);
  const owner = await db.server.adminQuery(`SELECT tableowner FROM pg_tables WHERE tablename = '${table}'`);
  expect(owner).toEqual([{ tableowner: user }]);
  expect(await as(user, password, (q) => q(`SELECT id FROM ${table}`))).toEqual([{ id: 1 }]);
  // And the clone still reaches what the user made before (it is a member of the user's role).
  await as(user, password, (q) => q(`CREATE TABLE ${table}_u (id int)`));
  expect(await as(clone, clonePassword, (q) => q(`SELECT count(*)::int AS n FROM ${table}_u`))).toEqual([
    { n: 0 },
  ]);
});
