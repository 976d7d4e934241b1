/**
 * Real PostgreSQL and MariaDB servers for the database rotation tests.
 *
 * Two ways to get one, in this order:
 * 1. The run's shared server: jest's global setup (test/support/global-setup.ts) installs the packages
 *    when it may, starts one private server per engine and hands it to every test file as a URL in
 *    SECRETS_VAULT_TEST_POSTGRES_URL / SECRETS_VAULT_TEST_MYSQL_URL (`postgres://user:password@host:port`,
 *    `mysql://...`; the user a superuser, or ALL PRIVILEGES ... WITH GRANT OPTION). Set one yourself to
 *    use a server of your own instead. These names, and not PGHOST/PGPASSWORD, because the pg driver
 *    falls back to PG* variables for every field a connection leaves empty: a rotation test could
 *    then log in with the admin's credentials without saying so.
 * 2. Otherwise a private server per test file: a temporary data directory, a free port on 127.0.0.1,
 *    run as the engine's OS user when we are root (PostgreSQL refuses root) and as ourselves when not,
 *    stopped in afterAll, and stopped by a watchdog too when this process dies without afterAll (its
 *    stdin closes), so no run leaves an orphan. Test files that ask for TLS need one (below); the
 *    others get one when jest runs without the global setup.
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
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, createConnection, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client as PgClient, escapeIdentifier, escapeLiteral } from 'pg';
import { createConnection as createMysqlConnection, type RowDataPacket } from 'mysql2/promise';
import {
  DatabaseSetupError,
  INSTALL_COMMAND,
  SERVER_PACKAGES,
  findMariadb,
  findPostgresBinDir,
} from './database-install';

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

/** Where a test file finds the run's shared server of each engine (see the top of this file). */
export const SERVER_URL_VARIABLES: Readonly<Record<EngineName, string>> = {
  postgres: 'SECRETS_VAULT_TEST_POSTGRES_URL',
  mysql: 'SECRETS_VAULT_TEST_MYSQL_URL',
};

const LOOPBACK = '127.0.0.1';
/**
 * Generous for a loopback login: on a loaded 2-core machine (the TLS test file starts four servers and
 * moto at once, next to other test files) an admin login once ran past 5 s. A refused or wrong login
 * still fails at once.
 */
const CONNECT_TIMEOUT_MS = 20000;
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

interface OsUser {
  readonly uid: number;
  readonly gid: number;
}

const isRoot = process.getuid?.() === 0;

/** Who runs a private server: the engine's OS user when we are root, else ourselves. */
function serverUser(name: string): OsUser | undefined {
  if (!isRoot) return undefined;
  const id = (flag: string) => {
    const result = spawnSync('id', [flag, name], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`OS user ${name} does not exist (${result.stderr.trim()})`);
    return Number(result.stdout.trim());
  };
  return { uid: id('-u'), gid: id('-g') };
}

function giveTo(path: string, user: OsUser | undefined): void {
  if (user) chownSync(path, user.uid, user.gid);
}

const childEnv = () => ({ PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C', HOME: tmpdir() });

/**
 * `command` runs in the background of a small shell that waits for its stdin to close, then sends
 * `signal` to the server, waits for it and removes `removeAfter` (its data): closing our end (stop(),
 * or this process dying) shuts the server down cleanly and leaves nothing behind.
 */
function spawnWatched(
  command: readonly string[],
  signal: 'INT' | 'TERM',
  user: OsUser | undefined,
  removeAfter: string,
): { child: ChildProcess; output: () => string } {
  installExitHook();
  const quote = (part: string) => `'${part.replace(/'/g, `'\\''`)}'`;
  // The data directory goes with the server, even when this process died without afterAll.
  const script = `${command.map(quote).join(' ')} & pid=$!; cat >/dev/null; kill -${signal} $pid 2>/dev/null; wait $pid; rm -rf ${quote(removeAfter)}`;
  const child = spawn('sh', ['-c', script], {
    stdio: ['pipe', 'pipe', 'pipe'],
    ...user,
    env: childEnv(),
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

async function waitFor(
  what: string,
  child: ChildProcess,
  output: () => string,
  probe: () => Promise<unknown>,
) {
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

function run(user: OsUser | undefined, command: string, args: readonly string[]): void {
  const result = spawnSync(command, args, { ...user, encoding: 'utf8', env: childEnv() });
  if (result.status !== 0) {
    throw new Error(`${command} failed (${result.status}): ${result.stderr || result.stdout}`);
  }
}

/** Copies the TLS files into `dir` for the server's OS user: the key readable by that user only. */
function installTls(
  tls: ServerTls,
  dir: string,
  owner: OsUser | undefined,
): { cert: string; key: string; ca: string } {
  const paths = { cert: join(dir, 'server.crt'), key: join(dir, 'server.key'), ca: join(dir, 'ca.crt') };
  for (const [from, to] of [
    [tls.certFile, paths.cert],
    [tls.keyFile, paths.key],
    [tls.caFile, paths.ca],
  ]) {
    copyFileSync(from, to);
    giveTo(to, owner);
    chmodSync(to, to === paths.key ? 0o600 : 0o644);
  }
  return paths;
}

/** What a test file that runs without the global setup sees when a server is not installed. */
function notInstalled(engine: EngineName): DatabaseSetupError {
  const pkg = SERVER_PACKAGES[engine];
  return new DatabaseSetupError(
    `${pkg.label} is not installed (Debian package ${pkg.debianPackage}): run \`${isRoot ? '' : 'sudo '}` +
      `${INSTALL_COMMAND}\`, or \`npm test\`, which installs it when it may`,
  );
}

export function postgresBinDir(): string {
  const dir = findPostgresBinDir();
  if (!dir) throw notInstalled('postgres');
  return dir;
}

export function mariadbServerBinary(): string {
  const found = findMariadb();
  if (!found) throw notInstalled('mysql');
  return found.server;
}

// ---------------------------------------------------------------------------------------------------
// What differs between the engines; everything below it serves both

interface Admin {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
}

type Row = Record<string, unknown>;

interface Statement {
  readonly sql: string;
  readonly params?: unknown[];
}

const statement = (sql: string, params?: unknown[]): Statement => ({ sql, params });

/** A private server's folder, its admin password and port, for an engine to initialise. */
interface NewServer {
  readonly dir: string;
  readonly user: OsUser | undefined;
  readonly password: string;
  readonly port: number;
  readonly tls?: { cert: string; key: string; ca: string };
}

interface Engine {
  readonly name: EngineName;
  readonly label: string;
  /** The OS user that runs a private server when we are root. */
  readonly osUser: string;
  readonly urlScheme: string;
  readonly stopSignal: 'INT' | 'TERM';
  /** Throws the one "not installed" message when the server's programs are missing. */
  checkInstalled(): void;
  /**
   * Runs the statements in order on one connection to `database` (undefined: no database, or
   * PostgreSQL's `postgres`) and returns the rows of the last.
   */
  run(admin: Admin, database: string | undefined, statements: readonly Statement[]): Promise<Row[]>;
  /** Makes the data directory in `server.dir`; returns the command that serves it. */
  initialise(server: NewServer): string[];
  /** Runs once a server started with TLS accepts connections. */
  readonly afterTlsStart: readonly Statement[];
  createDatabase(dbname: string): { readonly server: Statement; readonly inside: Statement };
  /** The CREATE statement, then the grants (a user whose grants failed is still dropped at stop()). */
  createUser(dbname: string, username: string, password: string): [Statement, ...Statement[]];
  userExists(username: string): Statement;
  /** Run with no database: drops the test file's database, its users and the rotation's clones. */
  dropAll(dbname: string, usernames: readonly string[]): Statement[];
}

const POSTGRES: Engine = {
  name: 'postgres',
  label: 'PostgreSQL',
  osUser: 'postgres',
  urlScheme: 'postgres',
  stopSignal: 'INT',
  checkInstalled: () => void postgresBinDir(),
  async run(admin, database, statements) {
    const client = new PgClient({
      ...admin,
      database: database ?? 'postgres',
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    });
    client.on('error', () => undefined);
    await client.connect();
    try {
      let rows: Row[] = [];
      for (const s of statements) rows = (await client.query(s.sql, s.params ?? [])).rows as Row[];
      return rows;
    } finally {
      await client.end().catch(() => undefined);
    }
  },
  initialise({ dir, user, password, port, tls }) {
    const bin = postgresBinDir();
    const pwfile = join(dir, 'pw');
    writeFileSync(pwfile, password, { mode: 0o600 });
    giveTo(pwfile, user);
    const data = join(dir, 'data');
    run(user, join(bin, 'initdb'), [
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
    rmSync(pwfile);
    const command = [
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
      'max_connections=100',
      '-c',
      'shared_buffers=16MB',
    ];
    if (tls) {
      command.push('-c', 'ssl=on', '-c', `ssl_cert_file=${tls.cert}`, '-c', `ssl_key_file=${tls.key}`);
      command.push('-c', `ssl_ca_file=${tls.ca}`);
      // First match wins: members of TLS_ONLY_ROLE never get past this line without TLS.
      const hba = join(data, 'pg_hba.conf');
      writeFileSync(hba, `hostnossl all +${TLS_ONLY_ROLE} all reject\n${readFileSync(hba, 'utf8')}`);
    }
    return command;
  },
  afterTlsStart: [statement(`CREATE ROLE ${TLS_ONLY_ROLE} NOLOGIN`)],
  createDatabase: (dbname) => ({
    server: statement(`CREATE DATABASE ${dbname}`),
    inside: statement('CREATE TABLE items (id serial PRIMARY KEY, note text)'),
  }),
  createUser(dbname, username, password) {
    const u = escapeIdentifier(username);
    return [
      statement(`CREATE ROLE ${u} WITH LOGIN PASSWORD ${escapeLiteral(password)}`),
      statement(`GRANT CONNECT ON DATABASE ${dbname} TO ${u}`),
      statement(`GRANT SELECT, INSERT ON items TO ${u}`),
      statement(`GRANT USAGE ON SEQUENCE items_id_seq TO ${u}`),
    ];
  },
  userExists: (username) => statement('SELECT 1 FROM pg_roles WHERE rolname = $1', [username]),
  dropAll: (dbname, usernames) => [
    statement(`DROP DATABASE IF EXISTS ${dbname} WITH (FORCE)`),
    // The rotation's clones are members of the test roles: drop them first.
    ...[...usernames.map((u) => `${u}_clone`), ...usernames].map((name) =>
      statement(`DROP ROLE IF EXISTS ${escapeIdentifier(name)}`),
    ),
  ],
};

const MARIADB: Engine = {
  name: 'mysql',
  label: 'MariaDB',
  osUser: 'mysql',
  urlScheme: 'mysql',
  stopSignal: 'TERM',
  checkInstalled: () => void mariadbServerBinary(),
  async run(admin, database, statements) {
    const connection = await createMysqlConnection({
      ...admin,
      database,
      connectTimeout: CONNECT_TIMEOUT_MS,
    });
    try {
      let rows: Row[] = [];
      for (const s of statements) {
        const [result] = await connection.query(s.sql, s.params ?? []);
        rows = Array.isArray(result) ? (result as RowDataPacket[]) : [];
      }
      return rows;
    } finally {
      await connection.end().catch(() => connection.destroy());
    }
  },
  initialise({ dir, user, password, port, tls }) {
    const found = findMariadb();
    if (!found) throw notInstalled('mysql');
    const data = join(dir, 'data');
    run(undefined, found.installDb, [
      '--no-defaults',
      `--datadir=${data}`,
      // As root it makes the data directory for the OS user; otherwise for ourselves.
      ...(user ? [`--user=${MARIADB.osUser}`] : []),
      '--auth-root-authentication-method=socket',
      '--skip-test-db',
      '--skip-name-resolve',
      // Passed on to the bootstrap server: its temporary tables live with the server, not in a /tmp
      // that other jobs on the machine clean up (a bootstrap once failed on a temp file gone missing).
      `--tmpdir=${dir}`,
    ]);
    // Runs at every start: the admin user the tests (and the rotation's admin secret) use.
    const init = join(dir, 'init.sql');
    writeFileSync(
      init,
      [
        `CREATE USER IF NOT EXISTS 'admin'@'%' IDENTIFIED BY '${password}';`,
        `GRANT ALL PRIVILEGES ON *.* TO 'admin'@'%' WITH GRANT OPTION;`,
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    giveTo(init, user);
    return [
      found.server,
      '--no-defaults',
      `--datadir=${data}`,
      `--socket=${join(dir, 'mysqld.sock')}`,
      `--pid-file=${join(dir, 'mysqld.pid')}`,
      `--tmpdir=${dir}`,
      `--port=${port}`,
      `--bind-address=${LOOPBACK}`,
      '--skip-name-resolve',
      '--skip-log-bin',
      `--init-file=${init}`,
      '--innodb-buffer-pool-size=32M',
      '--innodb-flush-log-at-trx-commit=0',
      '--max-connections=200',
      ...(tls ? [`--ssl-cert=${tls.cert}`, `--ssl-key=${tls.key}`, `--ssl-ca=${tls.ca}`] : []),
    ];
  },
  afterTlsStart: [],
  createDatabase: (dbname) => ({
    server: statement(`CREATE DATABASE ${dbname}`),
    inside: statement('CREATE TABLE items (id INT AUTO_INCREMENT PRIMARY KEY, note TEXT)'),
  }),
  createUser: (dbname, username, password) => [
    statement("CREATE USER ?@'%' IDENTIFIED BY ?", [username, password]),
    statement(`GRANT SELECT, INSERT ON ${dbname}.items TO ?@'%'`, [username]),
  ],
  userExists: (username) => statement('SELECT 1 FROM mysql.user WHERE User = ?', [username]),
  dropAll: (dbname, usernames) => [
    // The users this file made, and the rotation's clones of them.
    ...[...usernames, ...usernames.map((u) => `${u}_clone`)].map((name) =>
      statement("DROP USER IF EXISTS ?@'%'", [name]),
    ),
    statement(`DROP DATABASE IF EXISTS ${dbname}`),
  ],
};

const ENGINES: Readonly<Record<EngineName, Engine>> = { postgres: POSTGRES, mysql: MARIADB };

// ---------------------------------------------------------------------------------------------------
// Servers

async function startPrivateServer(
  engine: Engine,
  tls?: ServerTls,
): Promise<{ admin: Admin; stop: () => Promise<void> }> {
  // Before anything else, so that a missing server says so instead of naming a missing OS user.
  engine.checkInstalled();
  const user = serverUser(engine.osUser);
  const dir = mkdtempSync(join(tmpdir(), `secrets-vault-${engine.name}-`));
  giveTo(dir, user);
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  const password = randomBytes(12).toString('hex');
  const port = await freePort();
  let command: string[];
  try {
    command = engine.initialise({ dir, user, password, port, tls: tls && installTls(tls, dir, user) });
  } catch (error) {
    removeDir();
    throw error;
  }
  const { child, output } = spawnWatched(command, engine.stopSignal, user, dir);
  const admin = { host: LOOPBACK, port, user: 'admin', password };
  const stop = async () => {
    await stopWatched(child);
    removeDir();
  };
  try {
    await waitFor(engine.label, child, output, () => engine.run(admin, undefined, [statement('SELECT 1')]));
    if (tls && engine.afterTlsStart.length > 0) await engine.run(admin, undefined, engine.afterTlsStart);
  } catch (error) {
    await stop();
    throw error;
  }
  return { admin, stop };
}

function adminUrl(engine: Engine, admin: Admin): string {
  const credentials = `${encodeURIComponent(admin.user)}:${encodeURIComponent(admin.password)}`;
  return `${engine.urlScheme}://${credentials}@${admin.host}:${admin.port}`;
}

/** The run's shared server of this engine, when SERVER_URL_VARIABLES names one. */
function sharedServer(engine: Engine): Admin | undefined {
  const variable = SERVER_URL_VARIABLES[engine.name];
  const value = process.env[variable];
  if (!value) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  // The value holds a password: the message names the variable and the expected form only.
  if (!url || url.protocol !== `${engine.urlScheme}:` || !url.hostname || !url.port || !url.username) {
    throw new Error(`${variable} must look like ${engine.urlScheme}://user:password@host:port`);
  }
  return {
    host: url.hostname,
    port: Number(url.port),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
  };
}

/**
 * A private server for the whole run (jest's global setup starts one per engine): its URL, the value of
 * the engine's SERVER_URL_VARIABLES entry, and how to stop it. The watchdog stops it too when this
 * process ends.
 */
export async function startSharedServer(
  engine: EngineName,
): Promise<{ url: string; stop: () => Promise<void> }> {
  const spec = ENGINES[engine];
  const { admin, stop } = await startPrivateServer(spec);
  return { url: adminUrl(spec, admin), stop };
}

/**
 * A server that has just answered its readiness query can still reset the next connection on a loaded
 * machine (seen with MariaDB over TLS while two jest workers and other jobs share two cores): retry the
 * first statement a few times on a connection-level error, never on an SQL error.
 */
async function retryTransient<T>(run: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      const code = (error as { code?: string }).code;
      const transient = ['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'PROTOCOL_CONNECTION_LOST'].includes(
        code ?? '',
      );
      if (!transient || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
    }
  }
}

async function startServer(engine: Engine, options: DatabaseOptions): Promise<DatabaseServer> {
  let admin = options.tls ? undefined : sharedServer(engine);
  let stopServer = async (): Promise<void> => undefined;
  if (!admin) {
    const started = await startPrivateServer(engine, options.tls);
    admin = started.admin;
    stopServer = started.stop;
  }
  const server = admin;
  const dbname = `sv_test_${randomSuffix()}`;
  const users: string[] = [];
  try {
    const { server: create, inside } = engine.createDatabase(dbname);
    await retryTransient(() => engine.run(server, undefined, [create]));
    await engine.run(server, dbname, [inside]);
  } catch (error) {
    await stopServer();
    throw error;
  }
  return {
    engine: engine.name,
    host: server.host,
    port: server.port,
    adminUser: server.user,
    adminPassword: server.password,
    dbname,
    adminQuery: (sql, params) => engine.run(server, dbname, [statement(sql, params)]),
    async createUser(username, password) {
      const [create, ...grants] = engine.createUser(dbname, username, password);
      await engine.run(server, dbname, [create]);
      users.push(username);
      await engine.run(server, dbname, grants);
    },
    async userExists(username) {
      return (await engine.run(server, undefined, [engine.userExists(username)])).length > 0;
    },
    async canLogin(username, password, port = server.port) {
      try {
        await engine.run({ ...server, user: username, password, port }, dbname, [statement('SELECT 1')]);
        return true;
      } catch {
        return false;
      }
    },
    async stop() {
      try {
        await engine.run(server, undefined, engine.dropAll(dbname, users));
      } finally {
        await stopServer();
      }
    },
  };
}

export function startPostgres(options: DatabaseOptions = {}): Promise<DatabaseServer> {
  return startServer(POSTGRES, options);
}

export function startMysql(options: DatabaseOptions = {}): Promise<DatabaseServer> {
  return startServer(MARIADB, options);
}

export function startDatabase(engine: EngineName, options: DatabaseOptions = {}): Promise<DatabaseServer> {
  return startServer(ENGINES[engine], options);
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
