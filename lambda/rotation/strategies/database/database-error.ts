import { RotationError } from '../../errors';
import type { Endpoint } from './driver';
import { describeEndpoint } from './secret';

/**
 * Why a database operation failed, as far as the rotation cares:
 * - `auth`: the server refused these credentials (the usual "not this password" case);
 * - `unreachable`: no connection (refused, timed out, DNS), the server may be down;
 * - `tls`: TLS was required and could not be set up; retrying will not help;
 * - `statement`: logged in, but a statement failed (privileges, a grant that cannot be replayed).
 */
export type DatabaseFailure = 'auth' | 'unreachable' | 'tls' | 'statement';

/**
 * A database error with a message of our own: driver errors can carry the SQL text (mysql2 keeps the
 * formatted statement, password included, on `error.sql`), so they are never passed on as they are or
 * as a `cause`. Only the driver's message survives, with every known secret cut out.
 */
export class DatabaseError extends RotationError {
  constructor(
    public readonly failure: DatabaseFailure,
    message: string,
  ) {
    super(message);
  }
}

export function isDatabaseError(error: unknown, failure?: DatabaseFailure): error is DatabaseError {
  return error instanceof DatabaseError && (failure === undefined || error.failure === failure);
}

/** The driver's own message, without any of `secrets`, on one line, at most 300 characters. */
export function driverMessage(error: unknown, secrets: readonly string[]): string {
  let text = error instanceof Error ? error.message : String(error);
  for (const secret of secrets) {
    if (secret.length > 0) text = text.split(secret).join('<redacted>');
  }
  text = text.replace(/\s+/g, ' ').trim();
  return text.length > 300 ? `${text.slice(0, 300)}...` : text;
}

const TLS_FAILURE = /certificate|self[- ]signed|unable to verify|ERR_TLS|altnames/i;

/** What went wrong opening a connection, in the same words for every engine. */
export interface ConnectionFailure {
  /** The engine's name as people say it, e.g. `PostgreSQL`. */
  readonly engine: string;
  readonly endpoint: Endpoint;
  readonly username: string;
  /** The driver's message, secrets already cut out (`driverMessage`). */
  readonly message: string;
  /** The server answered that it offers no TLS at all. */
  readonly serverHasNoTls: boolean;
  /** The engine's own reading of the error, for a failure that is not about TLS. */
  readonly failure: DatabaseFailure;
}

export function connectionError(f: ConnectionFailure): DatabaseError {
  const where = `${f.engine} at ${describeEndpoint(f.endpoint)} as user "${f.username}"`;
  if (f.serverHasNoTls && f.endpoint.tls !== 'plaintext') {
    return new DatabaseError(
      'tls',
      `TLS is required (this deployment pins ${f.endpoint.tls} TLS for this database) but could not be set up with ${where}: the server does not offer TLS; enable TLS on the server (no credential was sent)`,
    );
  }
  if (f.endpoint.tls !== 'plaintext' && TLS_FAILURE.test(f.message)) {
    return new DatabaseError(
      'tls',
      `TLS could not be set up with ${where}: ${f.message} (the server's certificate must be trusted by the runtime: on Lambda set NODE_EXTRA_CA_CERTS=/var/runtime/ca-cert.pem for RDS)`,
    );
  }
  const what = f.failure === 'auth' ? 'could not log in to' : 'could not connect to';
  const hint = f.failure === 'auth' ? plaintextHint(f.endpoint) : '';
  return new DatabaseError(f.failure, `${what} ${where}: ${f.message}${hint}`);
}

/**
 * For a refused login over plain TCP: a server that requires secure transport may refuse it exactly
 * as it refuses a wrong password (MariaDB with require_secure_transport=ON, a user with REQUIRE SSL).
 */
export function plaintextHint(endpoint: Endpoint): string {
  return endpoint.tls === 'plaintext'
    ? '; this deployment pins plain TCP (DatabaseTls.PLAINTEXT_INSECURE), which a server that requires secure transport refuses the same way (MariaDB with require_secure_transport=ON, or a user with REQUIRE SSL): if it does, pin DatabaseTls.VERIFIED'
    : '';
}

/**
 * A statement that failed on a logged-in session, in the same words for every engine. A server
 * message may quote part of the statement, so `escaped` (each secret as the engine quotes it) is cut
 * out as well as the secrets themselves.
 */
export function statementError(
  engine: string,
  endpoint: Endpoint,
  username: string,
  shown: string,
  error: unknown,
  secrets: readonly string[],
  escaped: readonly string[],
  failure: DatabaseFailure,
): DatabaseError {
  return new DatabaseError(
    failure === 'unreachable' ? 'unreachable' : 'statement',
    `${shown} as user "${username}" on ${engine} at ${describeEndpoint(endpoint)} failed: ${driverMessage(error, [...secrets, ...escaped])}`,
  );
}
