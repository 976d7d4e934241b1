import type { DatabaseDriver } from './driver';

/** What differs between database engines, apart from the driver itself. */
export interface EngineSpec {
  /** The profile kinds' prefix: `postgres` gives `postgres-single` and `postgres-alternating`. */
  readonly name: 'postgres' | 'mysql';
  /** Values of the secret's `engine` field this engine accepts. */
  readonly engineValues: readonly string[];
  readonly defaultPort: number;
  /** The database a login uses when the secret has no `dbname` (undefined: none). */
  readonly defaultDbname?: string;
  /** The longest username the engine accepts; alternating users must fit `<user>_clone` in it. */
  readonly maxUsernameLength: number;
  /** How the engine counts a username's length (PostgreSQL: bytes of NAMEDATALEN; MySQL: characters). */
  readonly usernameLength: (username: string) => number;
  /** Characters generated passwords leave out when the profile does not say. */
  readonly defaultExcludeCharacters: string;
  /** Loads the driver on first use, so that other strategies never pay for it at cold start. */
  loadDriver(): Promise<DatabaseDriver>;
}
