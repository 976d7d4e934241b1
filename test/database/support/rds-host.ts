/**
 * What rds-managed-real-server.test.ts needs to send the built bundle to a real PostgreSQL under the
 * name moto's RDS reports (`<id>.aaaaaaaaaa.<region>.rds.amazonaws.com`), which resolves nowhere:
 * - tls.ts's throwaway CA with a server certificate for a wildcard RDS name only (as RDS's own
 *   certificates are), so that a verified login succeeds only when the client asked for that name;
 * - a preload for the child process (`node --require`, passed through NODE_OPTIONS) that answers
 *   dns.lookup for exactly the names given and reports every lookup it sees, so that the test process
 *   and everything else keep the machine's resolver;
 * - tls.ts's TCP forwarder, which counts the connections it receives, on 127.0.0.1;
 * - a login by the test itself, over TLS verified for the RDS name.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client as PgClient } from 'pg';
import type { DatabaseServer } from '../../support/databases';
import { forwardFrom, makeCertificates, type Certificates, type Forwarder } from './tls';

/** tls.ts's certificates; the impostor's pair, made alongside, goes unused here. */
export type RdsCertificates = Certificates;

/**
 * tls.ts's throwaway CA with a server certificate for `dnsName` only (a wildcard such as
 * `*.aaaaaaaaaa.us-east-1.rds.amazonaws.com` is allowed; no IP address), as RDS's own are.
 */
export function makeRdsCertificates(dnsName: string): RdsCertificates {
  return makeCertificates([`DNS:${dnsName}`]);
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

/** A forwarder on 127.0.0.1; the type leaves the host out (moved-database.test.ts names it itself). */
export type CountingForwarder = Omit<Forwarder, 'host'>;

/** tls.ts's `forwardFrom` on 127.0.0.1: forwards every connection to `target`, counting them. */
export function countingForwarder(target: { host: string; port: number }): Promise<CountingForwarder> {
  return forwardFrom('127.0.0.1', target);
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
