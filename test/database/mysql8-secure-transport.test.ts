/**
 * MySQL 8 (RDS MySQL, Aurora MySQL) with `require_secure_transport=ON` refuses a plain-TCP login with an
 * error of its own (3159), unlike MariaDB, which answers "Access denied" (tls.test.ts runs that on a
 * real server). No MySQL 8 server runs here, so mysql2 is faked, answering as mysql2 does for 3159:
 * the login fails with the server's words, and the step fails with them instead of trying other
 * passwords (it is no refused password).
 */
import type { Endpoint } from '../../lambda/rotation/strategies/database/driver';
import { isDatabaseError } from '../../lambda/rotation/strategies/database/database-error';

jest.mock('mysql2/promise', () => ({ createConnection: jest.fn() }));
// eslint-disable-next-line @typescript-eslint/no-require-imports
const mysql2 = require('mysql2/promise') as { createConnection: jest.Mock };

import { mysqlDriver } from '../../lambda/rotation/strategies/database/mysql-driver';
import { tryLogin } from '../../lambda/rotation/strategies/database/login';

const INSECURE = 'Connections using insecure transport are prohibited while --require_secure_transport=ON.';
const ENDPOINT: Endpoint = { host: 'db.internal', port: 3306, dbname: 'app', tls: 'plaintext' };
const CREDENTIALS = { username: 'app', password: 'current-pw' };

beforeEach(() => {
  mysql2.createConnection.mockReset();
  mysql2.createConnection.mockRejectedValue(
    Object.assign(new Error(INSECURE), {
      code: 'ER_SECURE_TRANSPORT_REQUIRED',
      errno: 3159,
      sqlState: 'HY000',
    }),
  );
});

test('a plaintext pin on a MySQL 8 server that requires secure transport: the login fails with the server saying so', async () => {
  const error = await mysqlDriver.connect(ENDPOINT, CREDENTIALS).catch((e: unknown) => e);
  expect(isDatabaseError(error, 'unreachable')).toBe(true);
  expect((error as Error).message).toBe(
    `could not connect to MySQL at db.internal:3306/app as user "app": ${INSECURE}`,
  );
  expect(mysql2.createConnection).toHaveBeenCalledWith(expect.objectContaining({ ssl: undefined }));
});

test('tryLogin (how every step logs in) passes it on rather than take it for a refused password', async () => {
  await expect(tryLogin(mysqlDriver, ENDPOINT, CREDENTIALS)).rejects.toThrow(
    `could not connect to MySQL at db.internal:3306/app as user "app": ${INSECURE}`,
  );
  expect(mysql2.createConnection).toHaveBeenCalledTimes(1);
});
