import { RotationError } from '../../errors';

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
