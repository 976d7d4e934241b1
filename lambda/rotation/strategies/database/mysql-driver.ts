import { randomBytes } from 'node:crypto';
import type { Connection, ConnectionOptions, RowDataPacket } from 'mysql2/promise';
import { verifiedHostProblem } from '../../../../lib/contract/rotation-contract';
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
  // The server's errors carry its error number (1000 and up), named by mysql2 or not (MariaDB's own
  // 19xx have no name there); network ones a Node code (ECONNRESET...) with a negative errno or none.
  // A server without TLS (HANDSHAKE_NO_SSL_SUPPORT) is told apart by connectionError, from isNoTls.
  if (typeof errno === 'number' && errno >= 1000) return 'statement';
  return 'unreachable';
}

function isNoTls(error: unknown): boolean {
  return (error as { code?: unknown }).code === 'HANDSHAKE_NO_SSL_SUPPORT';
}

function sslOptions(tls: Endpoint['tls']): ConnectionOptions['ssl'] {
  // Verified against the runtime's trust store (NODE_EXTRA_CA_CERTS adds the RDS CAs on Lambda), and
  // for the host name: without verifyIdentity mysql2 accepts a trusted certificate for any name.
  if (tls === 'verified') return { rejectUnauthorized: true, verifyIdentity: true };
  if (tls === 'unverified') return { rejectUnauthorized: false };
  return undefined;
}

/**
 * A verified login to an IP address is refused before anything is sent (the contract's
 * verifiedHostProblem says why); synth refuses such a target too.
 */
function assertVerifiableHost(endpoint: Endpoint, credentials: Credentials): void {
  const problem = verifiedHostProblem('mysql', endpoint.tls, endpoint.host);
  if (problem !== undefined) {
    throw new DatabaseError(
      'tls',
      `TLS could not be set up with MySQL at ${endpoint.host}:${endpoint.port} as user "${credentials.username}": ${problem}; pin the database by its DNS name (such as the RDS endpoint address). No connection was made.`,
    );
  }
}

async function open(mysql: MysqlModule, endpoint: Endpoint, credentials: Credentials): Promise<Connection> {
  const options: ConnectionOptions = {
    host: endpoint.host,
    port: endpoint.port,
    database: endpoint.dbname,
    user: credentials.username,
    password: credentials.password,
    connectTimeout: CONNECT_TIMEOUT_MS,
    ssl: sslOptions(endpoint.tls),
    // Statements are built with format(): no multiple statements, no server-side surprises.
    multipleStatements: false,
  };
  const connection = await mysql.createConnection(options);
  connection.on('error', () => undefined);
  return connection;
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

/** One SHOW GRANTS line of `user`@`host`, split so that it can be replayed for another account. */
export interface GrantLine {
  /** `GRANT ...` or `REVOKE ...` (a partial revoke), without the grantee and what follows it. */
  readonly statement: string;
  /** `TO` for a grant, `FROM` for a revoke. */
  readonly preposition: 'TO' | 'FROM';
  readonly withGrantOption: boolean;
}

/**
 * Splits one SHOW GRANTS line of `user`@`host`: a GRANT ... TO it, or a partial revoke (MySQL 8's
 * `REVOKE ... FROM` it, which must be copied too, or the clone would hold more than its template).
 * Anything else is undefined: the caller refuses rather than copy a user inexactly.
 */
export function parseGrantLine(line: string, user: string, host: string): GrantLine | undefined {
  // MariaDB and MySQL 8 quote the grantee with backticks, MySQL 5.7 with single quotes.
  const grantees = [
    `\`${user.replace(/`/g, '``')}\`@\`${host.replace(/`/g, '``')}\``,
    `'${user.replace(/'/g, "''")}'@'${host.replace(/'/g, "''")}'`,
  ];
  const preposition = /^GRANT\s/i.test(line) ? 'TO' : /^REVOKE\s/i.test(line) ? 'FROM' : undefined;
  if (preposition === undefined) return undefined;
  for (const grantee of grantees) {
    const marker = ` ${preposition} ${grantee}`;
    const at = line.lastIndexOf(marker);
    if (at > 0) {
      // What follows the grantee (IDENTIFIED BY PASSWORD '<hash>', REQUIRE ..., WITH ...) is the
      // account's own, not a privilege: never replayed (it would copy the password hash).
      const rest = line.slice(at + marker.length);
      return {
        statement: line.slice(0, at),
        preposition,
        withGrantOption: preposition === 'TO' && /\bWITH GRANT OPTION\b/i.test(rest),
      };
    }
  }
  return undefined;
}

/** The grant part of one SHOW GRANTS line for `user`@`host`, and whether it carries WITH GRANT OPTION. */
export function grantToReplay(
  line: string,
  user: string,
  host: string,
): { grant: string; withGrantOption: boolean } | undefined {
  const parsed = parseGrantLine(line, user, host);
  return parsed?.preposition === 'TO'
    ? { grant: parsed.statement, withGrantOption: parsed.withGrantOption }
    : undefined;
}

/** A grant line with its grantee taken out, to compare two accounts' privileges. */
function normalized(line: GrantLine): string {
  return `${line.statement} ${line.preposition}${line.withGrantOption ? ' WITH GRANT OPTION' : ''}`;
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
    // Read (and check) the template's grants before anything changes: a line that cannot be copied
    // exactly stops the rotation here, with nothing created.
    const grants = await this.grantsOf(request.template, host, secrets);
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
    } else {
      // An account of that name that this rotation did not make (or that gained privileges since)
      // must not get a new password from us: it could hold more than the user it would stand in for.
      const own = await this.grantsOf(request.username, host, secrets);
      const allowed = new Set(grants.map(normalized));
      if (!own.every((line) => allowed.has(normalized(line)))) {
        throw new DatabaseError(
          'statement',
          `user "${request.username}"@"${host}" already exists on MySQL at ${this.endpoint.host}:${this.endpoint.port} with privileges that are not a copy of "${request.template}"'s; refusing to set its password (drop that user, so that the rotation creates it again as an exact copy, or give it exactly "${request.template}"'s grants)`,
        );
      }
    }
    for (const line of grants) {
      await this.run(
        `${line.statement} ${line.preposition} ?@?${line.withGrantOption ? ' WITH GRANT OPTION' : ''}`,
        [request.username, host],
        secrets,
        `copying a ${line.preposition === 'TO' ? 'grant' : 'partial revoke'} of "${request.template}" to "${request.username}" (${line.statement.slice(0, 120)})`,
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

  /** SHOW GRANTS of an account, each line parsed; a line that cannot be copied exactly is an error. */
  private async grantsOf(user: string, host: string, secrets: string[]): Promise<GrantLine[]> {
    const rows = await this.run(
      'SHOW GRANTS FOR ?@?',
      [user, host],
      secrets,
      `reading the grants of "${user}"@"${host}"`,
    );
    return rows.map((row) => {
      const line = String(Object.values(row)[0] ?? '');
      const parsed = parseGrantLine(line, user, host);
      if (parsed === undefined) {
        // Only the statement's first words: the rest of a line can quote a password hash.
        const kind = line.split(/\s+/).slice(0, 2).join(' ');
        throw new DatabaseError(
          'statement',
          `SHOW GRANTS for "${user}"@"${host}" lists a statement this rotation cannot copy exactly ("${kind} ..."); refusing to create or update its clone with other privileges than it has`,
        );
      }
      return parsed;
    });
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
    assertVerifiableHost(endpoint, credentials);
    let connection: Connection;
    try {
      connection = await open(mysql, endpoint, credentials);
    } catch (error) {
      throw connectError(error, endpoint, credentials);
    }
    return new MysqlSession(connection, endpoint, credentials.username);
  },
};
