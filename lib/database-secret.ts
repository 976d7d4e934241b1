import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { DatabaseEngine } from './database-engine';
import { RotationStrategy } from './rotation-strategy';
import { PasswordOptions } from './secret-content';
import { VaultSecretOptions } from './vault-secret';

/**
 * Whose password a database secret's rotation changes. An enum-like class.
 */
export class DatabaseUserRotation {
  /** The secret's own user changes its password. Simple; connections on the old password must re-read. */
  public static singleUser(): DatabaseUserRotation {
    return new DatabaseUserRotation();
  }

  /**
   * Two users take turns (`<username>` and `<username>_clone`), set up by the admin credential in
   * `adminSecret`; the current credential keeps working throughout a rotation.
   */
  public static alternatingUsers(adminSecret: secretsmanager.ISecret): DatabaseUserRotation {
    return new DatabaseUserRotation(adminSecret);
  }

  private constructor(
    /** The admin secret, for alternating users. */
    public readonly adminSecret?: secretsmanager.ISecret,
  ) {}

  /** The rotation strategy for a secret of `engine`. */
  public strategyFor(engine: DatabaseEngine, options?: PasswordOptions): RotationStrategy {
    return this.adminSecret
      ? RotationStrategy.alternatingUsers(engine, this.adminSecret, options)
      : RotationStrategy.singleUser(engine, options);
  }
}

/**
 * Options of `SecretsVault.addDatabaseSecret`: the connection the secret describes, and how its
 * password rotates.
 */
export interface DatabaseSecretOptions extends Omit<VaultSecretOptions, 'content' | 'rotationStrategy'> {
  /** The database engine. */
  readonly engine: DatabaseEngine;

  /** The database's host name (a token, such as an RDS endpoint, is fine). */
  readonly host: string;

  /**
   * The database's port.
   *
   * @default the engine's default port (5432, 3306)
   */
  readonly port?: number;

  /** The database user whose credential the secret holds. */
  readonly username: string;

  /**
   * The database to connect to.
   *
   * @default - none in the secret; the engine's default for the user
   */
  readonly dbname?: string;

  /**
   * Require TLS on every connection the rotation function makes; a server without TLS then fails
   * rotation with a clear error instead of receiving a password in the clear.
   *
   * @default true
   */
  readonly ssl?: boolean;

  /**
   * Whose password rotates.
   *
   * @default DatabaseUserRotation.singleUser()
   */
  readonly userRotation?: DatabaseUserRotation;

  /**
   * How passwords are generated.
   *
   * @default - 32 characters without `/ @ " ' \` (and `:` for PostgreSQL)
   */
  readonly passwordOptions?: PasswordOptions;
}
