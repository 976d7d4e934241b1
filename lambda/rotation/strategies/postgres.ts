import { databaseStrategy } from './database/definitions';
import type { EngineSpec } from './database/engine';

/** PostgreSQL and Aurora PostgreSQL, with the `pg` driver (loaded only when a PostgreSQL secret rotates). */
export const POSTGRES: EngineSpec = {
  name: 'postgres',
  engineValues: ['postgres', 'aurora-postgresql'],
  defaultPort: 5432,
  defaultDbname: 'postgres',
  // NAMEDATALEN - 1 bytes; longer names are silently truncated by the server, which would make the
  // clone's name differ from the secret's.
  maxUsernameLength: 63,
  usernameLength: (username) => Buffer.byteLength(username, 'utf8'),
  // `:` too: it breaks postgres:// connection URIs.
  defaultExcludeCharacters: ':/@"\'\\',
  loadDriver: async () => (await import('./database/postgres-driver')).postgresDriver,
};

export const postgresSingleStrategy = databaseStrategy(POSTGRES, 'single');
export const postgresAlternatingStrategy = databaseStrategy(POSTGRES, 'alternating');
