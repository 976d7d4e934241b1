import { randomBytes } from 'node:crypto';
import type { checkServerIdentity } from 'node:tls';
import type { Connection, ConnectionOptions, RowDataPacket } from 'mysql2/promise';
import {
  connectionError,
  DatabaseError,
  driverMessage,
  statementError,
  type DatabaseFailure,
} from './database-error';
import {
  CONNECT_TIMEOUT_MS,
  STATEMENT_TIMEOUT_MS,
  connectWithTls,
  type CloneRequest,
  type Credentials,
  type DatabaseDriver,
  type Endpoint,
  type Session,
} from './driver';

type MysqlModule = typeof import('mysql2/promise');

// Refused logins: a wrong password (1045), an unknown user (MariaDB answers 1698), a locked or expired account.
const AUTH_ERRORS = new Set([
  'ER_ACCESS_DENIED_ERROR',
  'ER_ACCESS_DENIED_NO_PASSWORD_ERROR',
  'ER_DBACCESS_DENIED_ERROR',
  'ER_ACCOUNT_HAS_BEEN_LOCKED',
  'ER_MUST_CHANGE_PASSWORD_LOGIN',
]);

function classify(error: unknown): DatabaseFailure {
  const { code, errno, sqlState } = error as { code?: unknown; errno?: unknown; sqlState?: unknown };
  // SQLSTATE class 28: invalid authorization specification.
  if (
    (typeof code === 'string' && AUTH_ERRORS.has(code)) ||
    (typeof sqlState === 'string' && sqlState.startsWith('28'))
  ) {
    return 'auth';
  }
  if (code === 'HANDSHAKE_NO_SSL_SUPPORT') return 'tls';
  // Server-side errors have a numeric errno from the server; network ones a Node code (ECONNREFUSED...).
  if (typeof errno === 'number' && errno >= 1000 && typeof code === 'string' && code.startsWith('ER_')) {
    return 'statement';
  }
  return 'unreachable';
}

function isNoTls(error: unknown): boolean {
  return (error as { code?: unknown }).code === 'HANDSHAKE_NO_SSL_SUPPORT';
}

async function open(
  mysql: MysqlModule,
  endpoint: Endpoint,
  credentials: Credentials,
  tls: 'require' | 'disable',
): Promise<Connection> {
  const options: ConnectionOptions = {
    host: endpoint.host,
    port: endpoint.port,
    database: endpoint.dbname,
    user: credentials.username,
    password: credentials.password,
    connectTimeout: CONNECT_TIMEOUT_MS,
    // Verified against the runtime's trust store (NODE_EXTRA_CA_CERTS adds the RDS CAs on Lambda), and
    // for the host name: without verifyIdentity mysql2 accepts a trusted certificate for any name.
    ssl: tls === 'require' ? { rejectUnauthorized: true, verifyIdentity: true } : undefined,
    // Statements are built with format(): no multiple statements, no server-side surprises.
    multipleStatements: false,
  };
  const connection =
    tls === 'require'
      ? await checkingServerName(endpoint.host, () => mysql.createConnection(options))
      : await mysql.createConnection(options);
  connection.on('error', () => undefined);
  return connection;
}

// Node's own tls module object, the one mysql2 reads `checkServerIdentity` from during its handshake.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const nodeTls = require('node:tls') as { checkServerIdentity: typeof checkServerIdentity };
let handshakes: Promise<unknown> = Promise.resolve();

/**
 * mysql2 gives Node no server name when the host is an IP address, so Node would check the
 * certificate against "localhost", and accept a trusted certificate that names localhost for any
 * address. While this connection's TLS handshake runs (before any credential is sent), the check
 * uses the host we dialled instead. Handshakes run one at a time, so two hosts never share it.
 */
function checkingServerName<T>(host: string, connect: () => Promise<T>): Promise<T> {
  const run = async () => {
    const original = nodeTls.checkServerIdentity;
    nodeTls.checkServerIdentity = (_name, certificate) => original(host, certificate);
    try {
      return await connect();
    } finally {
      nodeTls.checkServerIdentity = original;
    }
  };
  const result = handshakes.then(run, run);
  handshakes = result.catch(() => undefined);
  return result;
}

function connectError(error: unknown, endpoint: Endpoint, credentials: Credentials): DatabaseError {
  const failure = classify(error);
  return connectionError({
    engine: 'MySQL',
    endpoint,
    username: credentials.username,
    message: driverMessage(error, [credentials.password]),
    serverHasNoTls: isNoTls(error),
    failure: failure === 'statement' ? 'unreachable' : failure,
  });
}

/** The grant part of one SHOW GRANTS line for `user`@`host`, and whether it carries WITH GRANT OPTION. */
export function grantToReplay(
  line: string,
  user: string,
  host: string,
): { grant: string; withGrantOption: boolean } | undefined {
  // MariaDB and MySQL 8 quote the grantee with backticks, MySQL 5.7 with single quotes.
  const grantees = [
    `\`${user.replace(/`/g, '``')}\`@\`${host.replace(/`/g, '``')}\``,
    `'${user.replace(/'/g, "''")}'@'${host.replace(/'/g, "''")}'`,
  ];
  for (const grantee of grantees) {
    const at = line.lastIndexOf(` TO ${grantee}`);
    if (at > 0) {
      // What follows the grantee (IDENTIFIED BY PASSWORD '<hash>', REQUIRE ..., WITH ...) is the
      // account's own, not a privilege: never replayed (it would copy the password hash).
      const rest = line.slice(at + 4 + grantee.length);
      return { grant: line.slice(0, at), withGrantOption: /\bWITH GRANT OPTION\b/i.test(rest) };
    }
  }
  return undefined;
}

class MysqlSession implements Session {
  private mariadb?: boolean;

  constructor(
    private readonly connection: Connection,
    private readonly endpoint: Endpoint,
    private readonly username: string,
  ) {}

  public async ping(): Promise<void> {
    await this.run('SELECT 1', [], []);
  }

  public async accountHost(): Promise<string | undefined> {
    const rows = await this.run('SELECT CURRENT_USER() AS account', [], []);
    const account = String(rows[0]?.account ?? '');
    const at = account.lastIndexOf('@');
    return at >= 0 ? account.slice(at + 1) : undefined;
  }

  public async setOwnPassword(username: string, password: string): Promise<void> {
    await this.prepareSession();
    // MariaDB's SET PASSWORD = '<string>' expects a hash; PASSWORD() hashes. MySQL 5.7.6+ takes the
    // plain text (and 8.0 has no PASSWORD() any more).
    const sql = this.mariadb ? 'SET PASSWORD = PASSWORD(?)' : 'SET PASSWORD = ?';
    await this.run(sql, [password], [password], `setting the password of user "${username}"`);
  }

  public async upsertClone(request: CloneRequest): Promise<'created' | 'updated'> {
    await this.prepareSession();
    const host = request.templateHost ?? '%';
    const secrets = [request.password];
    const existing = await this.run(
      'SELECT 1 FROM mysql.user WHERE User = ? AND Host = ?',
      [request.username, host],
      secrets,
    );
    const created = existing.length === 0;
    if (created) {
      // A throwaway password until the grants are in place: the pending password works only at the end.
      const placeholder = randomBytes(24).toString('base64');
      await this.run(
        'CREATE USER ?@? IDENTIFIED BY ?',
        [request.username, host, placeholder],
        [placeholder],
        `creating user "${request.username}"@"${host}"`,
      );
    }
    const grants = await this.run(
      'SHOW GRANTS FOR ?@?',
      [request.template, host],
      secrets,
      `reading the grants of "${request.template}"@"${host}"`,
    );
    for (const row of grants) {
      const line = String(Object.values(row)[0] ?? '');
      const replay = grantToReplay(line, request.template, host);
      if (replay === undefined) continue;
      await this.run(
        `${replay.grant} TO ?@?${replay.withGrantOption ? ' WITH GRANT OPTION' : ''}`,
        [request.username, host],
        secrets,
        `copying a grant of "${request.template}" to "${request.username}" (${replay.grant.slice(0, 120)})`,
      );
    }
    await this.copyTlsRequirement(request.template, request.username, host, secrets);
    await this.run(
      'ALTER USER ?@? IDENTIFIED BY ?',
      [request.username, host, request.password],
      secrets,
      `setting the password of user "${request.username}"@"${host}"`,
    );
    return created ? 'created' : 'updated';
  }

  public async close(): Promise<void> {
    await this.connection.end().catch(() => this.connection.destroy());
  }

  /** As AWS's template: the clone must need TLS (or a certificate) exactly when the current user does. */
  private async copyTlsRequirement(template: string, clone: string, host: string, secrets: string[]) {
    const rows = await this.run(
      'SELECT ssl_type, ssl_cipher, x509_issuer, x509_subject FROM mysql.user WHERE User = ? AND Host = ?',
      [template, host],
      secrets,
    );
    const row = rows[0];
    if (row === undefined) return;
    const text = (value: unknown) => (Buffer.isBuffer(value) ? value.toString('utf8') : String(value ?? ''));
    const type = text(row.ssl_type).toUpperCase();
    const what = `copying the TLS requirement of "${template}" to "${clone}"`;
    if (type === '') await this.run('ALTER USER ?@? REQUIRE NONE', [clone, host], secrets, what);
    else if (type === 'ANY') await this.run('ALTER USER ?@? REQUIRE SSL', [clone, host], secrets, what);
    else if (type === 'X509') await this.run('ALTER USER ?@? REQUIRE X509', [clone, host], secrets, what);
    else {
      const parts: string[] = [];
      const values: unknown[] = [clone, host];
      for (const [clause, value] of [
        ['CIPHER', row.ssl_cipher],
        ['ISSUER', row.x509_issuer],
        ['SUBJECT', row.x509_subject],
      ] as const) {
        if (text(value) !== '') {
          parts.push(`${clause} ?`);
          values.push(text(value));
        }
      }
      const sql =
        parts.length > 0 ? `ALTER USER ?@? REQUIRE ${parts.join(' AND ')}` : 'ALTER USER ?@? REQUIRE SSL';
      await this.run(sql, values, secrets, what);
    }
  }

  /**
   * Finds out the server kind, and turns NO_BACKSLASH_ESCAPES off for this session: the driver escapes
   * quotes and backslashes with backslashes, which that mode would take literally (and so set a
   * different password than the secret holds).
   */
  private async prepareSession(): Promise<void> {
    if (this.mariadb !== undefined) return;
    const rows = await this.run('SELECT VERSION() AS version', [], []);
    this.mariadb = /mariadb/i.test(String(rows[0]?.version ?? ''));
    await this.run("SET SESSION sql_mode = REPLACE(@@SESSION.sql_mode, 'NO_BACKSLASH_ESCAPES', '')", [], []);
  }

  private async run(
    sql: string,
    values: unknown[],
    secrets: readonly string[],
    what?: string,
  ): Promise<RowDataPacket[]> {
    try {
      // format() escapes every value (strings quoted, identifiers never pasted in): never a string
      // built from a password.
      const [rows] = await this.connection.query<RowDataPacket[]>({
        sql: this.connection.format(sql, values),
        timeout: STATEMENT_TIMEOUT_MS,
      });
      return Array.isArray(rows) ? rows : [];
    } catch (error) {
      throw statementError(
        'MySQL',
        this.endpoint,
        this.username,
        what ?? `running ${sql.split(' ')[0]}`,
        error,
        secrets,
        secrets.map((s) => this.connection.escape(s).slice(1, -1)),
        classify(error),
      );
    }
  }
}

export const mysqlDriver: DatabaseDriver = {
  async connect(endpoint, credentials) {
    // Loaded on first use, from the function's own node_modules (scripts/bundle.mjs builds each driver
    // apart from the handler), so that rotations of generated values never read the driver's code.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mysql = require('mysql2/promise') as MysqlModule;
    const connection = await connectWithTls(endpoint, {
      open: (tls) => open(mysql, endpoint, credentials, tls),
      offersNoTls: isNoTls,
      failure: (error) => connectError(error, endpoint, credentials),
    });
    return new MysqlSession(connection, endpoint, credentials.username);
  },
};
