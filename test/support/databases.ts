/**
 * Real PostgreSQL and MariaDB servers for the database rotation tests.
 *
 * Two ways to get one, in this order:
 * 1. Servers someone already started (CI runs `scripts/databases.sh start` and exports its variables):
 *    PGHOST, PGPORT, PGUSER, PGPASSWORD (a superuser) and MYSQL_HOST, MYSQL_PORT, MYSQL_USER,
 *    MYSQL_PASSWORD (a user with ALL PRIVILEGES ... WITH GRANT OPTION). All four of an engine must be set.
 * 2. Otherwise a private server per test file: a temporary data directory, a free port on 127.0.0.1,
 *    run as the engine's OS user (PostgreSQL refuses root), stopped in afterAll, and stopped by a
 *    watchdog too when this process dies without afterAll (its stdin closes), so no run leaves an orphan.
 *
 * Either way each test file gets its own database and its own uniquely named users, so test files can
 * share one server, run in parallel, and leave nothing behind.
 *
 * With the `tls` option (a certificate and key, e.g. from a throwaway CA a test made) the server is
 * always a private one, since a server someone else started does not serve that certificate: it offers
 * TLS besides plain TCP, and PostgreSQL refuses plain-TCP logins of members of TLS_ONLY_ROLE.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, createConnection, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client as PgClient } from 'pg';
import { createConnection as createMysqlConnection, type RowDataPacket } from 'mysql2/promise';

export type EngineName = 'postgres' | 'mysql';

export interface DatabaseServer {
  readonly engine: EngineName;
  readonly host: string;
  readonly port: number;
  readonly adminUser: string;
  readonly adminPassword: string;
  /** A database made for this test file; its table `items` is where test users get their grants. */
  readonly dbname: string;
  /** Runs one statement as the admin user in `dbname`; returns the rows. */
  adminQuery(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  /** A login user that may SELECT and INSERT on `items` (and nothing else), dropped at stop(). */
  createUser(username: string, password: string): Promise<void>;
  userExists(username: string): Promise<boolean>;
  /** True when the credentials log in (on `port`, by default the server's) and run SELECT 1. */
  canLogin(username: string, password: string, port?: number): Promise<boolean>;
  stop(): Promise<void>;
}

/** PEM files for a private server's TLS; copied into the server's own folder, owned by its OS user. */
export interface ServerTls {
  /** The server certificate (its chain, leaf first, when an intermediate CA signed it). */
  readonly certFile: string;
  /** Its private key (the copy the server reads is made mode 0600, as PostgreSQL insists). */
  readonly keyFile: string;
  /** The CA; the servers use it only to check client certificates, which no test sends. */
  readonly caFile: string;
}

export interface DatabaseOptions {
  /** Start a private server that offers TLS with this certificate (plain TCP stays allowed). */
  readonly tls?: ServerTls;
}

/**
 * PostgreSQL servers started with `tls`: a NOLOGIN role whose members may log in over TLS only (a
 * `hostnossl ... reject` line in pg_hba.conf), so that a completed login of a member proves TLS.
 * `GRANT sv_tls_only TO <user>`; MariaDB's per-user `ALTER USER ... REQUIRE SSL` does the same there.
 */
export const TLS_ONLY_ROLE = 'sv_tls_only';

const LOOPBACK = '127.0.0.1';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function randomSuffix(): string {
  return randomBytes(4).toString('hex');
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, LOOPBACK, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------------------------------------------
// Child processes with a watchdog

const running = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    // Closing stdin is what the wrapper waits for; it then shuts its server down.
    for (const child of running) child.stdin?.destroy();
  });
}

function osUser(name: string): { uid: number; gid: number } {
  const id = (flag: string) => {
    const result = spawnSync('id', [flag, name], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`OS user ${name} does not exist (${result.stderr.trim()})`);
    return Number(result.stdout.trim());
  };
  return { uid: id('-u'), gid: id('-g') };
}

/**
 * `command` runs in the background of a small shell that waits for its stdin to close, then sends
 * `signal` to the server, waits for it and removes `removeAfter` (its data): closing our end (stop(),
 * or this process dying) shuts the server down cleanly and leaves nothing behind.
 */
function spawnWatched(
  command: string[],
  signal: 'INT' | 'TERM',
  user: { uid: number; gid: number },
  removeAfter: string,
): { child: ChildProcess; output: () => string } {
  installExitHook();
  const quote = (part: string) => `'${part.replace(/'/g, `'\\''`)}'`;
  // The data directory goes with the server, even when this process died without afterAll.
  const script = `${command.map(quote).join(' ')} & pid=$!; cat >/dev/null; kill -${signal} $pid 2>/dev/null; wait $pid; rm -rf ${quote(removeAfter)}`;
  const child = spawn('sh', ['-c', script], {
    stdio: ['pipe', 'pipe', 'pipe'],
    uid: user.uid,
    gid: user.gid,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C', HOME: tmpdir() },
  });
  running.add(child);
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.once('exit', () => running.delete(child));
  return { child, output: () => output };
}

async function stopWatched(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.stdin?.end();
  const timer = setTimeout(() => child.kill('SIGKILL'), 15000);
  await exited;
  clearTimeout(timer);
}

async function waitFor(what: string, child: ChildProcess, output: () => string, probe: () => Promise<void>) {
  const deadline = Date.now() + 60000;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`${what} exited during start-up (code ${child.exitCode}):\n${output().slice(-1500)}`);
    }
    try {
      await probe();
      return;
    } catch (error) {
      lastError = error;
    }
    await sleep(100);
  }
  throw new Error(`${what} did not accept connections within 60 s: ${String(lastError)}\n${output()}`);
}

function runAs(user: { uid: number; gid: number }, command: string, args: string[]): void {
  const result = spawnSync(command, args, {
    uid: user.uid,
    gid: user.gid,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C', HOME: tmpdir() },
  });
  if (result.status !== 0) {
    throw new Error(`${command} failed (${result.status}): ${result.stderr || result.stdout}`);
  }
}

function makeTempDir(prefix: string, owner: { uid: number; gid: number }): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chownSync(dir, owner.uid, owner.gid);
  return dir;
}

/** Copies the TLS files into `dir` for the server's OS user: the key readable by that user only. */
function installTls(
  tls: ServerTls,
  dir: string,
  owner: { uid: number; gid: number },
): { cert: string; key: string; ca: string } {
  const paths = { cert: join(dir, 'server.crt'), key: join(dir, 'server.key'), ca: join(dir, 'ca.crt') };
  for (const [from, to] of [
    [tls.certFile, paths.cert],
    [tls.keyFile, paths.key],
    [tls.caFile, paths.ca],
  ]) {
    copyFileSync(from, to);
    chownSync(to, owner.uid, owner.gid);
    chmodSync(to, to === paths.key ? 0o600 : 0o644);
  }
  return paths;
}

// ---------------------------------------------------------------------------------------------------
// PostgreSQL

export function postgresBinDir(): string {
  if (process.env.PG_BIN_DIR) return process.env.PG_BIN_DIR;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'postgres')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0) {
    throw new Error(
      'PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/postgres): run `scripts/databases.sh install`',
    );
  }
  return join(root, versions[0], 'bin');
}

interface Admin {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
}

async function pgQuery(
  admin: Admin,
  database: string,
  sql: string,
  params: unknown[] = [],
): Promise<Record<string, unknown>[]> {
  const client = new PgClient({
    host: admin.host,
    port: admin.port,
    user: admin.user,
    password: admin.password,
    database,
    connectionTimeoutMillis: 5000,
  });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as Record<string, unknown>[];
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function startPrivatePostgres(tls?: ServerTls): Promise<{ admin: Admin; stop: () => Promise<void> }> {
  const user = osUser('postgres');
  const bin = postgresBinDir();
  const dir = makeTempDir('secrets-vault-pg-', user);
  const password = randomBytes(12).toString('hex');
  const pwfile = join(dir, 'pw');
  writeFileSync(pwfile, password, { mode: 0o600 });
  chownSync(pwfile, user.uid, user.gid);
  const data = join(dir, 'data');
  runAs(user, join(bin, 'initdb'), [
    '-D',
    data,
    '-U',
    'admin',
    `--pwfile=${pwfile}`,
    '--auth=scram-sha-256',
    '--encoding=UTF8',
    '--locale=C',
    '--no-sync',
    '--no-instructions',
  ]);
  const tlsArgs: string[] = [];
  if (tls) {
    const files = installTls(tls, dir, user);
    tlsArgs.push(
      '-c',
      'ssl=on',
      '-c',
      `ssl_cert_file=${files.cert}`,
      '-c',
      `ssl_key_file=${files.key}`,
      '-c',
      `ssl_ca_file=${files.ca}`,
    );
    // First match wins: members of TLS_ONLY_ROLE never get past this line without TLS.
    const hba = join(data, 'pg_hba.conf');
    writeFileSync(hba, `hostnossl all +${TLS_ONLY_ROLE} all reject\n${readFileSync(hba, 'utf8')}`);
  }
  const port = await freePort();
  const { child, output } = spawnWatched(
    [
      join(bin, 'postgres'),
      '-D',
      data,
      '-c',
      `listen_addresses=${LOOPBACK}`,
      '-p',
      String(port),
      '-k',
      dir,
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
      '-c',
      'max_connections=60',
      '-c',
      'shared_buffers=16MB',
      ...tlsArgs,
    ],
    'INT',
    user,
    dir,
  );
  const admin = { host: LOOPBACK, port, user: 'admin', password };
  const stop = async () => {
    await stopWatched(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor('postgres', child, output, async () => {
      await pgQuery(admin, 'postgres', 'SELECT 1');
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { admin, stop };
}

export async function startPostgres(options: DatabaseOptions = {}): Promise<DatabaseServer> {
  const env = process.env;
  let admin: Admin;
  let stopServer = async () => undefined as void;
  if (!options.tls && env.PGHOST && env.PGPORT && env.PGUSER && env.PGPASSWORD) {
    admin = { host: env.PGHOST, port: Number(env.PGPORT), user: env.PGUSER, password: env.PGPASSWORD };
  } else {
    const started = await startPrivatePostgres(options.tls);
    admin = started.admin;
    stopServer = started.stop;
    if (options.tls) {
      try {
        await pgQuery(admin, 'postgres', `CREATE ROLE ${TLS_ONLY_ROLE} NOLOGIN`);
      } catch (error) {
        await stopServer();
        throw error;
      }
    }
  }
  const dbname = `sv_test_${randomSuffix()}`;
  const users: string[] = [];
  await pgQuery(admin, 'postgres', `CREATE DATABASE ${dbname}`);
  await pgQuery(admin, dbname, 'CREATE TABLE items (id serial PRIMARY KEY, note text)');
  const canLogin = async (username: string, password: string, port = admin.port) => {
    try {
      await pgQuery({ ...admin, user: username, password, port }, dbname, 'SELECT 1');
      return true;
    } catch {
      return false;
    }
  };
  return {
    engine: 'postgres',
    host: admin.host,
    port: admin.port,
    adminUser: admin.user,
    adminPassword: admin.password,
    dbname,
    adminQuery: (sql, params) => pgQuery(admin, dbname, sql, params),
    async createUser(username, password) {
      const client = new PgClient({ ...admin, database: dbname });
      await client.connect();
      try {
        const u = client.escapeIdentifier(username);
        await client.query(`CREATE ROLE ${u} WITH LOGIN PASSWORD ${client.escapeLiteral(password)}`);
        users.push(username);
        await client.query(`GRANT CONNECT ON DATABASE ${dbname} TO ${u}`);
        await client.query(`GRANT SELECT, INSERT ON items TO ${u}`);
        await client.query(`GRANT USAGE ON SEQUENCE items_id_seq TO ${u}`);
      } finally {
        await client.end();
      }
    },
    async userExists(username) {
      const rows = await pgQuery(admin, dbname, 'SELECT 1 FROM pg_roles WHERE rolname = $1', [username]);
      return rows.length > 0;
    },
    canLogin,
    async stop() {
      try {
        await pgQuery(admin, 'postgres', `DROP DATABASE IF EXISTS ${dbname} WITH (FORCE)`);
        // The rotation's clones are members of the test roles: drop them first.
        for (const name of [...users.map((u) => `${u}_clone`), ...users]) {
          await pgQuery(admin, 'postgres', `DROP ROLE IF EXISTS "${name.replace(/"/g, '""')}"`);
        }
      } finally {
        await stopServer();
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// MariaDB / MySQL

export function mariadbServerBinary(): string {
  for (const candidate of ['/usr/sbin/mariadbd', '/usr/sbin/mysqld']) {
    if (existsSync(candidate)) return candidate;
  }
  throw new Error('MariaDB is not installed (no /usr/sbin/mariadbd): run `scripts/databases.sh install`');
}

async function mysqlQuery(
  admin: Admin,
  database: string | undefined,
  sql: string,
  params: unknown[] = [],
): Promise<Record<string, unknown>[]> {
  const connection = await createMysqlConnection({
    host: admin.host,
    port: admin.port,
    user: admin.user,
    password: admin.password,
    database,
    connectTimeout: 5000,
  });
  try {
    const [rows] = await connection.query(sql, params);
    return Array.isArray(rows) ? (rows as RowDataPacket[]) : [];
  } finally {
    await connection.end().catch(() => connection.destroy());
  }
}

async function startPrivateMariadb(tls?: ServerTls): Promise<{ admin: Admin; stop: () => Promise<void> }> {
  const user = osUser('mysql');
  const dir = makeTempDir('secrets-vault-mariadb-', user);
  const data = join(dir, 'data');
  const password = randomBytes(12).toString('hex');
  const result = spawnSync(
    'mariadb-install-db',
    [
      '--no-defaults',
      `--datadir=${data}`,
      '--user=mysql',
      '--auth-root-authentication-method=socket',
      '--skip-test-db',
      '--skip-name-resolve',
    ],
    { encoding: 'utf8' },
  );
  if (result.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`mariadb-install-db failed: ${result.stderr || result.stdout}`);
  }
  // Runs at every start: the admin user the tests (and the rotation's admin secret) use.
  const init = join(dir, 'init.sql');
  writeFileSync(
    init,
    [
      `CREATE USER IF NOT EXISTS 'admin'@'%' IDENTIFIED BY '${password}';`,
      `GRANT ALL PRIVILEGES ON *.* TO 'admin'@'%' WITH GRANT OPTION;`,
      '',
    ].join('\n'),
  );
  chownSync(init, user.uid, user.gid);
  const tlsArgs: string[] = [];
  if (tls) {
    const files = installTls(tls, dir, user);
    tlsArgs.push(`--ssl-cert=${files.cert}`, `--ssl-key=${files.key}`, `--ssl-ca=${files.ca}`);
  }
  const port = await freePort();
  const { child, output } = spawnWatched(
    [
      mariadbServerBinary(),
      '--no-defaults',
      `--datadir=${data}`,
      `--socket=${join(dir, 'mysqld.sock')}`,
      `--pid-file=${join(dir, 'mysqld.pid')}`,
      `--port=${port}`,
      `--bind-address=${LOOPBACK}`,
      '--skip-name-resolve',
      '--skip-log-bin',
      `--init-file=${init}`,
      '--innodb-buffer-pool-size=32M',
      '--innodb-flush-log-at-trx-commit=0',
      '--max-connections=100',
      ...tlsArgs,
    ],
    'TERM',
    user,
    dir,
  );
  const admin = { host: LOOPBACK, port, user: 'admin', password };
  const stop = async () => {
    await stopWatched(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor('mariadbd', child, output, async () => {
      await mysqlQuery(admin, undefined, 'SELECT 1');
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { admin, stop };
}

export async function startMysql(options: DatabaseOptions = {}): Promise<DatabaseServer> {
  const env = process.env;
  let admin: Admin;
  let stopServer = async () => undefined as void;
  if (!options.tls && env.MYSQL_HOST && env.MYSQL_PORT && env.MYSQL_USER && env.MYSQL_PASSWORD) {
    admin = {
      host: env.MYSQL_HOST,
      port: Number(env.MYSQL_PORT),
      user: env.MYSQL_USER,
      password: env.MYSQL_PASSWORD,
    };
  } else {
    const started = await startPrivateMariadb(options.tls);
    admin = started.admin;
    stopServer = started.stop;
  }
  const dbname = `sv_test_${randomSuffix()}`;
  const users: string[] = [];
  await mysqlQuery(admin, undefined, `CREATE DATABASE ${dbname}`);
  await mysqlQuery(admin, dbname, 'CREATE TABLE items (id INT AUTO_INCREMENT PRIMARY KEY, note TEXT)');
  const canLogin = async (username: string, password: string, port = admin.port) => {
    try {
      await mysqlQuery({ ...admin, user: username, password, port }, dbname, 'SELECT 1');
      return true;
    } catch {
      return false;
    }
  };
  return {
    engine: 'mysql',
    host: admin.host,
    port: admin.port,
    adminUser: admin.user,
    adminPassword: admin.password,
    dbname,
    adminQuery: (sql, params) => mysqlQuery(admin, dbname, sql, params),
    async createUser(username, password) {
      await mysqlQuery(admin, dbname, "CREATE USER ?@'%' IDENTIFIED BY ?", [username, password]);
      users.push(username);
      await mysqlQuery(admin, dbname, `GRANT SELECT, INSERT ON ${dbname}.items TO ?@'%'`, [username]);
    },
    async userExists(username) {
      const rows = await mysqlQuery(admin, undefined, 'SELECT 1 FROM mysql.user WHERE User = ?', [username]);
      return rows.length > 0;
    },
    canLogin,
    async stop() {
      try {
        // The users this file made, and the rotation's clones of them.
        for (const name of [...users, ...users.map((u) => `${u}_clone`)]) {
          await mysqlQuery(admin, undefined, "DROP USER IF EXISTS ?@'%'", [name]);
        }
        await mysqlQuery(admin, undefined, `DROP DATABASE IF EXISTS ${dbname}`);
      } finally {
        await stopServer();
      }
    },
  };
}

export function startDatabase(engine: EngineName, options: DatabaseOptions = {}): Promise<DatabaseServer> {
  return engine === 'postgres' ? startPostgres(options) : startMysql(options);
}

/**
 * Jest helper: one server (and database) per test file, started in beforeAll and stopped in afterAll.
 * `options` is read in beforeAll, so a function can hand over what an earlier beforeAll made.
 */
export function useDatabase(
  engine: EngineName,
  options: DatabaseOptions | (() => DatabaseOptions) = {},
): { readonly server: DatabaseServer } {
  const holder: { server?: DatabaseServer } = {};
  beforeAll(async () => {
    holder.server = await startDatabase(engine, typeof options === 'function' ? options() : options);
  }, 90000);
  afterAll(async () => {
    await holder.server?.stop();
  }, 60000);
  return {
    get server(): DatabaseServer {
      if (!holder.server) throw new Error(`${engine} is not running: use the server inside a test or hook`);
      return holder.server;
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// A TCP proxy: a database that can go down and come back on the same address

export class TcpProxy {
  private server?: Server;
  private readonly sockets = new Set<Socket>();

  private constructor(
    public readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  public static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const proxy = new TcpProxy(await freePort(), target);
    await proxy.up();
    return proxy;
  }

  /** Accepts connections again, on the same port. */
  public async up(): Promise<void> {
    if (this.server) return;
    const server = createServer((client) => {
      const upstream = createConnection(this.target.port, this.target.host);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, LOOPBACK, () => resolve());
    });
    this.server = server;
  }

  /** Refuses new connections and cuts the open ones: the database is "down". */
  public async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  public async close(): Promise<void> {
    await this.down();
  }
}
