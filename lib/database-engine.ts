import { ENGINES, type EngineFacts, type EngineName, type TlsMode } from './contract/rotation-contract';

/**
 * A database engine whose credentials the rotation function can rotate. An enum-like class; its facts
 * come from the contract the rotation function reads too.
 */
export class DatabaseEngine {
  /** PostgreSQL (and Aurora PostgreSQL). Its passwords also leave out `:` (it breaks connection URIs). */
  public static readonly POSTGRES = new DatabaseEngine(ENGINES.postgres);

  /** MySQL and MariaDB (and Aurora MySQL). Usernames are kept within MySQL's 32 characters. */
  public static readonly MYSQL = new DatabaseEngine(ENGINES.mysql);

  /** The `engine` field of the secret, and the prefix of the rotation profile's kind. */
  public readonly name: EngineName;
  /** The port the engine listens on unless told otherwise. */
  public readonly defaultPort: number;
  /** The longest username the engine accepts. */
  public readonly maxUsernameLength: number;
  /** Characters generated passwords leave out by default for this engine. */
  public readonly defaultExcludeCharacters: string;

  private constructor(
    /** The contract's facts about the engine. */
    public readonly facts: EngineFacts,
  ) {
    this.name = facts.name;
    this.defaultPort = facts.defaultPort;
    this.maxUsernameLength = facts.maxUsernameLength;
    this.defaultExcludeCharacters = facts.defaultExcludeCharacters;
  }
}

/**
 * How the rotation function's connections to a database are protected. An enum-like class: the
 * default verifies; each other choice names the risk it takes.
 */
export class DatabaseTls {
  /** TLS with the certificate chain and the host name verified. The default, and required for admin logins. */
  public static readonly VERIFIED = new DatabaseTls('verified');

  /**
   * TLS without verifying the certificate: encrypted, but a man in the middle can present any
   * certificate and read the password.
   */
  public static readonly UNVERIFIED_INSECURE = new DatabaseTls('unverified');

  /** No TLS: passwords cross the network in the clear. Only for a database on a trusted, private link. */
  public static readonly PLAINTEXT_INSECURE = new DatabaseTls('plaintext');

  private constructor(
    /** The mode as the rotation function's configuration names it. */
    public readonly mode: TlsMode,
  ) {}
}
