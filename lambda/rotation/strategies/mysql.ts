import { ENGINES } from '../../../lib/contract/rotation-contract';
import { databaseStrategy } from './database/definitions';
import type { EngineSpec } from './database/engine';

/** MySQL, MariaDB and Aurora MySQL, with the `mysql2` driver (loaded only when such a secret rotates). */
export const MYSQL: EngineSpec = {
  ...ENGINES.mysql,
  loadDriver: async () => (await import('./database/mysql-driver')).mysqlDriver,
};

export const mysqlSingleStrategy = databaseStrategy(MYSQL, 'single');
export const mysqlAlternatingStrategy = databaseStrategy(MYSQL, 'alternating');
