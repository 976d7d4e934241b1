/**
 * A database engine whose credentials the rotation function can rotate. An enum-like class.
 */
export class DatabaseEngine {
  /** PostgreSQL (and Aurora PostgreSQL). Its passwords also leave out `:` (it breaks connection URIs). */
  public static readonly POSTGRES = new DatabaseEngine('postgres', 5432, 63, '/@"\'\\:');

  /** MySQL and MariaDB (and Aurora MySQL). Usernames are kept within MySQL's 32 characters. */
  public static readonly MYSQL = new DatabaseEngine('mysql', 3306, 32, '/@"\'\\');

  private constructor(
    /** The `engine` field of the secret, and the prefix of the rotation profile's kind. */
    public readonly name: string,
    /** The port the engine listens on unless told otherwise. */
    public readonly defaultPort: number,
    /** The longest username the engine accepts. */
    public readonly maxUsernameLength: number,
    /** Characters generated passwords leave out by default for this engine. */
    public readonly defaultExcludeCharacters: string,
  ) {}
}
