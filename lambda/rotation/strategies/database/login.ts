import { isDatabaseError } from './database-error';
import type { Credentials, DatabaseDriver, Endpoint, Session } from './driver';

/**
 * Logs in, or returns undefined when the server refuses these credentials. Any other failure (the
 * server is down, TLS cannot be set up) is thrown: it says nothing about the password, and the step
 * must fail rather than go on to try other credentials or change anything.
 */
export async function tryLogin(
  driver: DatabaseDriver,
  endpoint: Endpoint,
  credentials: Credentials,
): Promise<Session | undefined> {
  try {
    return await driver.connect(endpoint, credentials);
  } catch (error) {
    if (isDatabaseError(error, 'auth')) return undefined;
    throw error;
  }
}

/** True when the credentials log in and run SELECT 1; the session is always closed. */
export async function loginWorks(
  driver: DatabaseDriver,
  endpoint: Endpoint,
  credentials: Credentials,
): Promise<boolean> {
  const session = await tryLogin(driver, endpoint, credentials);
  if (session === undefined) return false;
  try {
    await session.ping();
    return true;
  } finally {
    await session.close();
  }
}
