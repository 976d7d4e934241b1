/**
 * What rds-managed-real-server.test.ts needs to send the built bundle to a real PostgreSQL under the
 * name moto's RDS reports (`<id>.aaaaaaaaaa.<region>.rds.amazonaws.com`), which resolves nowhere:
 * - a throwaway CA and a server certificate for a wildcard RDS name only (as RDS's own certificates
 *   are), so that a verified login succeeds only when the client asked for that name;
 * - a preload for the child process (`node --require`, passed through NODE_OPTIONS) that answers
 *   dns.lookup for exactly the names given and reports every lookup it sees, so that the test process
 *   and everything else keep the machine's resolver;
 * - a TCP forwarder that counts the connections it receives;
 * - a login by the test itself, over TLS verified for the RDS name.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client as PgClient } from 'pg';
import type { DatabaseServer, ServerTls } from '../../support/databases';

export interface RdsCertificates extends ServerTls {
  readonly dir: string;
  /** The CA certificate (PEM), as the test's own verifying logins trust it. */
  readonly caPem: string;
  /** Removes every file, the keys included. */
  cleanup(): void;
}

/**
 * The prefix of tls.ts's certificate folders: its sweep removes ours too when a killed run left one
 * behind (the folder names the process that made it).
 */
const CERT_DIR_PREFIX = 'secrets-vault-tls-';

function openssl(dir: string, args: string[]): void {
  const result = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (result.error) throw new Error(`openssl could not be run: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`openssl ${args[0]} failed: ${result.stderr || result.stdout}`);
}

/**
 * A CA valid for a day and a server certificate it signed for `dnsName` only (a wildcard such as
 * `*.aaaaaaaaaa.us-east-1.rds.amazonaws.com` is allowed; no IP address), P-256 keys, in a fresh
 * temporary folder. The CA's key is deleted once the certificate is signed.
 */
export function makeRdsCertificates(dnsName: string): RdsCertificates {
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
      '/CN=secrets-vault throwaway RDS test CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    openssl(dir, [
      'req',
      '-new',
      ...ec,
      '-keyout',
      'server.key',
      '-out',
      'server.csr',
      '-subj',
      `/CN=${dnsName}`,
    ]);
    writeFileSync(
      join(dir, 'server.ext'),
      [
        `subjectAltName=DNS:${dnsName}`,
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
      'server.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-set_serial',
      `0x${Date.now().toString(16)}03`,
      '-days',
      '1',
      '-extfile',
      'server.ext',
      '-out',
      'server.crt',
    ]);
    rmSync(join(dir, 'ca.key'));
    const caFile = join(dir, 'ca.crt');
    return {
      dir,
      caFile,
      certFile: join(dir, 'server.crt'),
      keyFile: join(dir, 'server.key'),
      caPem: readFileSync(caFile, 'utf8'),
      cleanup: () => rmSync(dir, { recursive: true, force: true }),
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** How the preload reports a lookup on stderr (the child's output): `<marker> <name> -> <answer>`. */
export const DNS_SHIM_MARKER = '[test dns shim]';

/**
 * Writes `dir/dns-shim.js`, a preload that makes dns.lookup (which net.connect, and so the pg driver,
 * uses for a host name) answer `address` for exactly the names in `hosts`, and pass every other name
 * to the real resolver. Each lookup is reported on stderr: answered (`<name> -> <address>`) or passed
 * on (`<name> -> system resolver`). Returns the NODE_OPTIONS value that loads it.
 */
export function writeDnsShim(dir: string, hosts: readonly string[], address: string): string {
  const path = join(dir, 'dns-shim.js');
  writeFileSync(
    path,
    `'use strict';
const dns = require('node:dns');
const { isIP } = require('node:net');
const hosts = new Set(${JSON.stringify(hosts.map((h) => h.toLowerCase()))});
const address = ${JSON.stringify(address)};
const family = isIP(address);
const original = dns.lookup;
dns.lookup = function lookup(hostname, options, callback) {
  if (typeof options === 'function') {
    callback = options;
    options = {};
  }
  const name = String(hostname).toLowerCase();
  if (!hosts.has(name)) {
    process.stderr.write(${JSON.stringify(DNS_SHIM_MARKER)} + ' ' + name + ' -> system resolver\\n');
    return original.call(this, hostname, options, callback);
  }
  process.stderr.write(${JSON.stringify(DNS_SHIM_MARKER)} + ' ' + name + ' -> ' + address + '\\n');
  const all = typeof options === 'object' && options !== null && options.all === true;
  process.nextTick(() => (all ? callback(null, [{ address, family }]) : callback(null, address, family)));
  return {};
};
`,
  );
  return `--require ${path}`;
}

export interface CountingForwarder {
  readonly port: number;
  /** TCP connections received so far. */
  connections(): number;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1, on a free port, and forwards every connection to `target`, counting them. */
export async function countingForwarder(target: { host: string; port: number }): Promise<CountingForwarder> {
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
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : 0,
    connections: () => count,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type TlsLogin =
  | { readonly ok: true; readonly ssl: boolean; readonly acting: string }
  | { readonly ok: false; readonly code: string };

/**
 * Logs in to `server` (at its own address) as `username`, over TLS verified against `caPem` for the
 * name `servername`, and reports whether the server sees TLS on that session and whom it acts as (a
 * PostgreSQL clone acts as its user).
 */
export async function loginAs(
  server: DatabaseServer,
  username: string,
  password: string,
  tls: { caPem: string; servername: string },
): Promise<TlsLogin> {
  const client = new PgClient({
    host: server.host,
    port: server.port,
    user: username,
    password,
    database: server.dbname,
    ssl: { ca: tls.caPem, servername: tls.servername, rejectUnauthorized: true },
    connectionTimeoutMillis: 10000,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const acting = (await client.query<{ acting: string }>('SELECT current_user AS acting')).rows[0].acting;
    // pg_stat_ssl shows a session's details only to the session's own role.
    await client.query('SET ROLE NONE');
    const { rows } = await client.query<{ ssl: boolean }>(
      'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
    );
    return { ok: true, ssl: rows[0]?.ssl === true, acting };
  } catch (error) {
    return { ok: false, code: String((error as { code?: unknown }).code ?? (error as Error).message) };
  } finally {
    await client.end().catch(() => undefined);
  }
}
