/**
 * What tls.test.ts needs to prove rotations over verified TLS: a throwaway CA and server certificate,
 * logins that report whether the server saw TLS, and the built bundle run in a child node process
 * (Node reads NODE_EXTRA_CA_CERTS only at start-up, which is also how Lambda's runtime gets the RDS CAs).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createConnection, createServer, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { createSecureContext, TLSSocket } from 'node:tls';
import { join } from 'node:path';
import { Client as PgClient } from 'pg';
import {
  createConnection as createMysqlConnection,
  type Connection as MysqlConnection,
  type RowDataPacket,
} from 'mysql2/promise';
import { FAKE_AWS_ENV } from '../../support/moto';
import { reportCoverage, strykerEnv, type MutantCoverage } from './bundle-process';
import { TLS_ONLY_ROLE, type DatabaseServer, type EngineName, type ServerTls } from '../../support/databases';

// ---------------------------------------------------------------------------------------------------
// A throwaway CA

export interface Certificates extends ServerTls {
  readonly dir: string;
  /** A certificate the same CA issued for another name (impostor.example), and its key: an impostor's. */
  readonly impostorCertFile: string;
  readonly impostorKeyFile: string;
  /** The CA certificate (PEM), as the tests' own verifying logins trust it. */
  readonly caPem: string;
  /** Removes every file, the keys included. */
  cleanup(): void;
}

const CERT_DIR_PREFIX = 'secrets-vault-tls-';

/** Removes certificate folders that runs killed before their afterAll left behind (their process is gone). */
function sweepAbandoned(): void {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(CERT_DIR_PREFIX)) continue;
    const pid = Number(name.slice(CERT_DIR_PREFIX.length).split('-')[0]);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    try {
      process.kill(pid, 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ESRCH') {
        rmSync(join(tmpdir(), name), { recursive: true, force: true });
      }
    }
  }
}

function openssl(dir: string, args: string[]): void {
  const result = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (result.error) throw new Error(`openssl could not be run: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`openssl ${args[0]} failed: ${result.stderr || result.stdout}`);
}

/** What the server certificate names by default: the address and name the private servers answer at. */
const LOCAL_ALT_NAMES = ['IP:127.0.0.1', 'DNS:localhost'] as const;

/**
 * A CA valid for a day, a server certificate it signed for `serverAltNames` only (openssl's
 * `IP:<address>` or `DNS:<name>`, a wildcard allowed; its subject's CN is the first of them), and one
 * for impostor.example only (P-256 keys: instant to make), in a fresh temporary folder. Nothing here
 * is committed or reused; the CA's key is deleted once both are signed.
 */
export function makeCertificates(serverAltNames: readonly string[] = LOCAL_ALT_NAMES): Certificates {
  sweepAbandoned();
  const dir = mkdtempSync(join(tmpdir(), `${CERT_DIR_PREFIX}${process.pid}-`));
  try {
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    openssl(dir, [
      'req',
      '-x509',
      '-new',
      ...ec,
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '1',
      '-subj',
      '/CN=secrets-vault throwaway test CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    const leaf = (name: string, subject: string, altNames: string) => {
      openssl(dir, ['req', '-new', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject]);
      writeFileSync(
        join(dir, `${name}.ext`),
        [
          `subjectAltName=${altNames}`,
          'basicConstraints=critical,CA:FALSE',
          'keyUsage=critical,digitalSignature,keyEncipherment',
          'extendedKeyUsage=serverAuth',
          '',
        ].join('\n'),
      );
      openssl(dir, [
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-set_serial',
        `0x${Date.now().toString(16)}${name === 'server' ? '01' : '02'}`,
        '-days',
        '1',
        '-extfile',
        `${name}.ext`,
        '-out',
        `${name}.crt`,
      ]);
    };
    leaf('server', `/CN=${serverAltNames[0].replace(/^[A-Z]+:/, '')}`, serverAltNames.join(','));
    leaf('impostor', '/CN=impostor.example', 'DNS:impostor.example');
    // The CA's key is not needed any more: nothing else can be signed with it.
    rmSync(join(dir, 'ca.key'));
    const caFile = join(dir, 'ca.crt');
    return {
      dir,
      caFile,
      certFile: join(dir, 'server.crt'),
      keyFile: join(dir, 'server.key'),
      impostorCertFile: join(dir, 'impostor.crt'),
      impostorKeyFile: join(dir, 'impostor.key'),
      caPem: readFileSync(caFile, 'utf8'),
      cleanup: () => rmSync(dir, { recursive: true, force: true }),
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------------
// Logins that say how they got in

export type LoginResult =
  | {
      readonly ok: true;
      /** What the server says protects this session ('' when plain TCP). */ readonly cipher: string;
    }
  | { readonly ok: false; readonly code: string; readonly message: string };

/** After the TLS-only grant, the server refuses every login of `username` that does not use TLS. */
export async function requireTls(server: DatabaseServer, username: string): Promise<void> {
  if (server.engine === 'postgres') {
    await server.adminQuery(`GRANT ${TLS_ONLY_ROLE} TO "${username.replace(/"/g, '""')}"`);
  } else {
    await server.adminQuery("ALTER USER ?@'%' REQUIRE SSL", [username]);
  }
}

/**
 * Logs in as `username` over TLS verified against `caPem` (or, without it, over plain TCP) and asks the
 * server, from that very session, which cipher protects it.
 */
export async function login(
  server: DatabaseServer,
  username: string,
  password: string,
  caPem?: string,
): Promise<LoginResult> {
  const ssl = caPem === undefined ? undefined : { ca: caPem, rejectUnauthorized: true };
  const failed = (error: unknown): LoginResult => ({
    ok: false,
    code: String((error as { code?: unknown }).code ?? ''),
    message: (error as Error).message,
  });
  if (server.engine === 'postgres') {
    const client = new PgClient({
      host: server.host,
      port: server.port,
      user: username,
      password,
      database: server.dbname,
      ssl: ssl ?? false,
      connectionTimeoutMillis: 5000,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      const { rows } = await client.query<{ ssl: boolean; cipher: string | null }>(
        'SELECT ssl, cipher FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
      );
      return { ok: true, cipher: rows[0]?.ssl ? String(rows[0].cipher) : '' };
    } catch (error) {
      return failed(error);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  let connection: MysqlConnection | undefined;
  try {
    connection = await createMysqlConnection({
      host: server.host,
      port: server.port,
      user: username,
      password,
      database: server.dbname,
      ssl,
      connectTimeout: 5000,
    });
    const [rows] = await connection.query<RowDataPacket[]>("SHOW SESSION STATUS LIKE 'Ssl_cipher'");
    return { ok: true, cipher: String(rows[0]?.Value ?? '') };
  } catch (error) {
    return failed(error);
  } finally {
    await connection?.end().catch(() => connection?.destroy());
  }
}

/** The server's answer to a wrong password (SQLSTATE 28P01; MariaDB's access denied). */
export function isWrongPassword(result: LoginResult): boolean {
  return !result.ok && ['28P01', 'ER_ACCESS_DENIED_ERROR'].includes(result.code);
}

// ---------------------------------------------------------------------------------------------------
// Another address for the same server

export interface Forwarder {
  readonly host: string;
  readonly port: number;
  /** TCP connections received so far. */
  connections(): number;
  close(): Promise<void>;
}

/**
 * Listens on `host` on a free port and forwards every connection to `target`, counting them: the same
 * server at another address (tls.test.ts: 127.0.0.2, which the certificate does not name, so
 * certificate verification must refuse it; rds-host.ts's `countingForwarder`: 127.0.0.1).
 */
export async function forwardFrom(host: string, target: { host: string; port: number }): Promise<Forwarder> {
  let count = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    count += 1;
    const upstream = createConnection(target.port, target.host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const address = server.address();
  return {
    host,
    port: typeof address === 'object' && address !== null ? address.port : 0,
    connections: () => count,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// An impostor: a man in the middle with a certificate from a trusted CA, for another name

export interface Impostor {
  readonly host: string;
  readonly port: number;
  /** TCP connections accepted. */
  readonly connections: () => number;
  /** Clients that asked for TLS (and got the impostor's certificate). */
  readonly tlsOffered: () => number;
  /** TLS sessions a client completed with the impostor. */
  readonly tlsCompleted: () => number;
  /** Bytes received inside TLS: a login (username, password or its hash) if any. */
  readonly bytesInsideTls: () => number;
  close(): Promise<void>;
}

/**
 * MySQL's first packet: protocol 10, a MariaDB version, an 8 + 12 byte scramble, and the capabilities
 * of a server that offers TLS (PROTOCOL_41, SSL, SECURE_CONNECTION, PLUGIN_AUTH, ...).
 */
function mysqlGreeting(): Buffer {
  const capabilities = 0x1 | 0x8 | 0x200 | 0x800 | 0x2000 | 0x8000 | 0x80000;
  const u16 = (n: number) => Buffer.from([n & 0xff, (n >> 8) & 0xff]);
  const payload = Buffer.concat([
    Buffer.from([10]),
    Buffer.from('5.5.5-10.11.0-MariaDB-impostor\0', 'latin1'),
    Buffer.from([1, 0, 0, 0]),
    Buffer.from('abcdefgh', 'latin1'),
    Buffer.from([0]),
    u16(capabilities & 0xffff),
    Buffer.from([33]),
    u16(2),
    u16(capabilities >>> 16),
    Buffer.from([21]),
    Buffer.alloc(10),
    Buffer.from('ijklmnopqrst\0', 'latin1'),
    Buffer.from('mysql_native_password\0', 'latin1'),
  ]);
  const header = Buffer.from([payload.length & 0xff, (payload.length >> 8) & 0xff, 0, 0]);
  return Buffer.concat([header, payload]);
}

/**
 * A fake `engine` server on 127.0.0.1 that plays a man in the middle holding a certificate the
 * client's CA really issued, but for impostor.example: it offers TLS as the real server would
 * (PostgreSQL: answers an SSLRequest with "S"; MySQL: greets with the SSL capability and takes the
 * client's SSL request), then presents that certificate, and counts what the client sends inside TLS.
 * A client that checks the host name stops at the certificate and sends nothing.
 */
export async function startImpostor(engine: EngineName, certs: Certificates): Promise<Impostor> {
  const context = createSecureContext({
    cert: readFileSync(certs.impostorCertFile),
    key: readFileSync(certs.impostorKeyFile),
  });
  const counts = { connections: 0, tlsOffered: 0, tlsCompleted: 0, bytesInsideTls: 0 };
  const sockets = new Set<Socket | TLSSocket>();
  // The bytes before TLS: PostgreSQL's SSLRequest (8), MySQL's SSL request packet (4 + 32).
  const preamble = engine === 'postgres' ? 8 : 36;
  const server = createServer((socket) => {
    counts.connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    if (engine === 'mysql') socket.write(mysqlGreeting());
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length < preamble) return;
      socket.off('data', onData);
      counts.tlsOffered += 1;
      if (engine === 'postgres') socket.write('S');
      // MySQL clients send their TLS hello right behind the SSL request: hand it over with the rest.
      const bridge = new Duplex({
        read() {},
        write(data, _encoding, done) {
          socket.write(data, done);
        },
        final(done) {
          socket.end();
          done();
        },
      });
      const rest = buffered.subarray(preamble);
      if (rest.length > 0) bridge.push(rest);
      socket.on('data', (data: Buffer) => bridge.push(data));
      socket.on('end', () => bridge.push(null));
      const secure = new TLSSocket(bridge, { isServer: true, secureContext: context });
      sockets.add(secure);
      secure.on('close', () => sockets.delete(secure));
      secure.on('error', () => socket.destroy());
      secure.on('secure', () => (counts.tlsCompleted += 1));
      secure.on('data', (data: Buffer) => (counts.bytesInsideTls += data.length));
    };
    socket.on('data', onData);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  return {
    host: '127.0.0.1',
    port: typeof address === 'object' && address !== null ? address.port : 0,
    connections: () => counts.connections,
    tlsOffered: () => counts.tlsOffered,
    tlsCompleted: () => counts.tlsCompleted,
    bytesInsideTls: () => counts.bytesInsideTls,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// The bundle in a child process

export interface StepRun {
  readonly arn: string;
  readonly token: string;
  /** Run in order; the first failure ends this run (as Secrets Manager would stop calling). */
  readonly steps: readonly string[];
}

export interface StepResult {
  readonly arn: string;
  readonly step: string;
  readonly ok: boolean;
  readonly message?: string;
}

export interface ChildRun {
  readonly results: StepResult[];
  /** What the child wrote to stdout and stderr: the handler's logs, Node's warnings. */
  readonly output: string;
}

/**
 * Runs in the child: loads the bundle, invokes the steps, writes the results to fd 3. Its stdin is a
 * lifeline: when the test process dies (even by SIGKILL) the pipe closes and the child exits.
 */
const CHILD_SCRIPT = `
const { writeSync } = require('node:fs');
process.stdin.on('end', () => process.exit(70));
process.stdin.on('error', () => process.exit(70));
process.stdin.resume();
const input = JSON.parse(process.argv[1]);
(async () => {
  const { handler } = require(input.bundle);
  const results = [];
  for (const run of input.runs) {
    for (const step of run.steps) {
      try {
        await handler({ Step: step, SecretId: run.arn, ClientRequestToken: run.token });
        results.push({ arn: run.arn, step, ok: true });
      } catch (error) {
        results.push({ arn: run.arn, step, ok: false, message: String((error && error.message) || error) });
        break;
      }
    }
  }
  const ns = globalThis.__stryker__;
  writeSync(3, JSON.stringify({ results, coverage: ns && ns.mutantCoverage }));
  process.exit(0);
})().catch((error) => {
  writeSync(3, JSON.stringify({ crashed: String((error && error.stack) || error) }));
  process.exit(1);
});
`;

const children = new Set<ChildProcess>();
let exitHookInstalled = false;

/**
 * `node -e CHILD_SCRIPT` with an environment built from scratch (nothing inherited, so no stray
 * NODE_EXTRA_CA_CERTS or NODE_OPTIONS): the fake AWS credentials, AWS_ENDPOINT_URL (moto), `env` (the
 * rotation's own), and NODE_EXTRA_CA_CERTS only when `extraCaCerts` is given.
 */
export async function runStepsInChild(options: {
  readonly bundle: string;
  readonly awsEndpoint: string;
  readonly env: Readonly<Record<string, string>>;
  readonly extraCaCerts?: string;
  readonly runs: readonly StepRun[];
  readonly timeoutMs?: number;
}): Promise<ChildRun> {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const child of children) child.kill('SIGKILL');
    });
  }
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: tmpdir(),
    LANG: 'C',
    ...FAKE_AWS_ENV,
    AWS_ENDPOINT_URL: options.awsEndpoint,
    ...options.env,
    ...(options.extraCaCerts === undefined ? {} : { NODE_EXTRA_CA_CERTS: options.extraCaCerts }),
    ...strykerEnv(),
  };
  const input = JSON.stringify({ bundle: options.bundle, runs: options.runs });
  const child = spawn(process.execPath, ['-e', CHILD_SCRIPT, input], {
    cwd: tmpdir(),
    env,
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
  });
  children.add(child);
  let output = '';
  let report = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  (child.stdio[3] as NodeJS.ReadableStream).on('data', (chunk: Buffer) => (report += chunk.toString()));
  const timeoutMs = options.timeoutMs ?? 30000;
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  try {
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (c, s) => resolve([c, s]));
    });
    const parsed = report
      ? (JSON.parse(report) as { results?: StepResult[]; crashed?: string; coverage?: MutantCoverage })
      : {};
    reportCoverage(parsed.coverage);
    if (parsed.results === undefined) {
      throw new Error(
        `the rotation child ${signal ? `was killed (${signal}, after ${timeoutMs} ms?)` : `exited with code ${code}`}: ${parsed.crashed ?? ''}\n${output.slice(-3000)}`,
      );
    }
    return { results: parsed.results, output };
  } finally {
    clearTimeout(timer);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    children.delete(child);
  }
}
