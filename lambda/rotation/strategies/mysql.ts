import { databaseStrategy } from './database/definitions';
import type { EngineSpec } from './database/engine';

/** MySQL, MariaDB and Aurora MySQL, with the `mysql2` driver (loaded only when such a secret rotates). */
export const MYSQL: EngineSpec = {
  name: 'mysql',
  engineValues: ['mysql', 'mariadb', 'aurora-mysql', 'aurora'],
  defaultPort: 3306,
  // MySQL allows 32 characters (MariaDB 80): 32 keeps a pair valid on both.
  maxUsernameLength: 32,
  usernameLength: (username) => [...username].length,
  defaultExcludeCharacters: '/@"\'\\',
  loadDriver: async () => (await import('./database/mysql-driver')).mysqlDriver,
};

export const mysqlSingleStrategy = databaseStrategy(MYSQL, 'single');
export const mysqlAlternatingStrategy = databaseStrategy(MYSQL, 'alternating');
