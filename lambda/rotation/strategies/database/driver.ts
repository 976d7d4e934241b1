/** How a login reaches the database: everything but the credentials. */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
  readonly dbname?: string;
  /**
   * `require`: TLS with a verified certificate, or fail. `disable`: no TLS. `prefer` (the secret has no
   * `ssl` field, as in AWS's templates): TLS with a verified certificate, and plain TCP only when the
   * server offers no TLS at all (a certificate that fails verification is an error, never a downgrade).
   */
  readonly tls: 'require' | 'prefer' | 'disable';
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

/** How one engine opens a connection, for `connectWithTls`. */
export interface Connector<C> {
  /** Opens a connection with TLS required (verified) or off. */
  open(tls: 'require' | 'disable'): Promise<C>;
  /** True when the failure says the server offers no TLS at all (the only case `prefer` falls back on). */
  offersNoTls(error: unknown): boolean;
  /** The error to throw for a failed connection (never quoting the password). */
  failure(error: unknown): Error;
}

/**
 * Connects as the endpoint's `tls` says: `require` and `prefer` try verified TLS first; only `prefer`
 * then falls back to plain TCP, and only when the server has no TLS, never after a certificate failure.
 */
export async function connectWithTls<C>(endpoint: Endpoint, connector: Connector<C>): Promise<C> {
  const first = endpoint.tls === 'disable' ? 'disable' : 'require';
  try {
    return await connector.open(first);
  } catch (error) {
    if (!(endpoint.tls === 'prefer' && connector.offersNoTls(error))) throw connector.failure(error);
  }
  try {
    return await connector.open('disable');
  } catch (error) {
    throw connector.failure(error);
  }
}
