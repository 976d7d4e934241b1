import { ENGINES } from '../../../lib/contract/rotation-contract';
import { databaseStrategy } from './database/definitions';
import type { EngineSpec } from './database/engine';

/** PostgreSQL and Aurora PostgreSQL, with the `pg` driver (loaded only when a PostgreSQL secret rotates). */
export const POSTGRES: EngineSpec = {
  ...ENGINES.postgres,
  loadDriver: async () => (await import('./database/postgres-driver')).postgresDriver,
};

export const postgresSingleStrategy = databaseStrategy(POSTGRES, 'single');
export const postgresAlternatingStrategy = databaseStrategy(POSTGRES, 'alternating');
