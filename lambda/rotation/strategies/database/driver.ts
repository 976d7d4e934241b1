import type { TlsMode } from '../../../../lib/contract/rotation-contract';

/**
 * How a login reaches the database: everything but the credentials. Always the target the deployment
 * pinned, never a secret's value.
 */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
  readonly dbname?: string;
  /**
   * Exactly as pinned, with no fallback: `verified` (chain and host name), `unverified` (TLS, any
   * certificate) or `plaintext`. A server that offers no TLS fails a `verified` or `unverified` login.
   */
  readonly tls: TlsMode;
}

export interface Credentials {
  readonly username: string;
  readonly password: string;
}

/** The copy of a user that alternating users creates: same grants, its own name and password. */
export interface CloneRequest {
  /** The user whose grants the clone gets (the current user). */
  readonly template: string;
  /** MySQL only: the host part of the template's account (`%` when unknown). */
  readonly templateHost?: string;
  readonly username: string;
  readonly password: string;
}

/** One open, authenticated connection. Always close() it. */
export interface Session {
  /** Runs `SELECT 1`. */
  ping(): Promise<void>;
  /** MySQL only: the host part of CURRENT_USER(), i.e. which account this login matched. */
  accountHost(): Promise<string | undefined>;
  /** The logged-in user sets its own password. */
  setOwnPassword(username: string, password: string): Promise<void>;
  /**
   * With admin rights: creates the clone with the template's grants if it does not exist, else keeps
   * its grants in step; then sets its password. The password is set last, so a half-done run leaves a
   * clone the pending credential cannot log in as, and the next setSecret redoes the whole thing.
   */
  upsertClone(request: CloneRequest): Promise<'created' | 'updated'>;
  close(): Promise<void>;
}

export interface DatabaseDriver {
  /** Opens a session, or throws a DatabaseError saying why (never quoting the password). */
  connect(endpoint: Endpoint, credentials: Credentials): Promise<Session>;
}

/** Connections and statements give up after this long: a rotation step runs inside a Lambda timeout. */
export const CONNECT_TIMEOUT_MS = 5000;
export const STATEMENT_TIMEOUT_MS = 10000;
