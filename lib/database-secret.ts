import { Token } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { CLONE_SUFFIX } from './contract/rotation-contract';
import { DatabaseEngine, DatabaseTls } from './database-engine';
import { invalid, summary } from './private/validation';
import { checkDatabaseTarget, DatabaseTarget, RotationStrategy } from './rotation-strategy';
import { PasswordOptions, SecretContent } from './secret-content';
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
   * `adminSecret`; the current credential keeps working throughout a rotation. Needs verified TLS.
   */
  public static alternatingUsers(adminSecret: secretsmanager.ISecret): DatabaseUserRotation {
    return new DatabaseUserRotation(adminSecret);
  }

  private constructor(
    /** The admin secret, for alternating users. */
    public readonly adminSecret?: secretsmanager.ISecret,
  ) {}

  /** The rotation strategy for a secret of `target`. */
  public strategyFor(target: DatabaseTarget, options?: PasswordOptions): RotationStrategy {
    return this.adminSecret
      ? RotationStrategy.alternatingUsers(target, this.adminSecret, options)
      : RotationStrategy.singleUser(target, options);
  }
}

/**
 * Options of `SecretsVault.addDatabaseSecret`: the connection the secret describes, and how its
 * password rotates. The rotation function is pinned to this connection: it sends the secret's
 * credentials to this host, port and database only, with this TLS mode, whatever the secret's value
 * later says.
 */
export interface DatabaseSecretOptions extends Omit<VaultSecretOptions, 'content' | 'rotationStrategy'> {
  /** The database engine. */
  readonly engine: DatabaseEngine;

  /** The database's host name (a token, such as an RDS endpoint address, is fine). */
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
   * How the rotation function's connections are protected. Verified TLS (certificate chain and host
   * name) unless you choose, by name, to accept the risk of a man in the middle. Alternating users
   * need verified TLS (the admin credential never travels otherwise).
   *
   * @default DatabaseTls.VERIFIED
   */
  readonly tls?: DatabaseTls;

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

/**
 * Checks a database secret's options and makes what the vault adds: the secret's content (the usual
 * JSON, with a generated password) and its rotation strategy, pinned to the connection.
 */
/** A value that should have been one of an enum-like class's members, as a message shows it. */
function describeEnumValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || value === undefined) return String(value);
  if (typeof value !== 'object') return `a ${typeof value}`;
  const name = (value as object).constructor?.name;
  return name && name !== 'Object' ? `an instance of ${name}` : 'an object';
}

export function databaseSecretSetup(
  owner: string,
  options: DatabaseSecretOptions,
): { secretOptions: VaultSecretOptions } {
  const { engine, host, username, dbname, passwordOptions, userRotation, tls, ...secretOptions } = options;
  // JavaScript callers (and `as any`) can pass a string: say what is allowed, not a TypeError.
  if (!(engine instanceof DatabaseEngine)) {
    invalid(
      owner,
      'engine',
      summary(describeEnumValue(engine)),
      'allowed: DatabaseEngine.POSTGRES or DatabaseEngine.MYSQL',
    );
  }
  if (tls !== undefined && !(tls instanceof DatabaseTls)) {
    invalid(
      owner,
      'tls',
      summary(describeEnumValue(tls)),
      'allowed: DatabaseTls.VERIFIED, DatabaseTls.UNVERIFIED_INSECURE or DatabaseTls.PLAINTEXT_INSECURE',
    );
  }
  const port = options.port ?? engine.defaultPort;
  const rotation = userRotation ?? DatabaseUserRotation.singleUser();
  const mode = tls ?? DatabaseTls.VERIFIED;
  if (!Token.isUnresolved(username)) {
    const longest = rotation.adminSecret ? username.length + CLONE_SUFFIX.length : username.length;
    if (username.length === 0 || longest > engine.maxUsernameLength) {
      invalid(
        owner,
        'username',
        username,
        `allowed: 1 to ${engine.maxUsernameLength - (rotation.adminSecret ? CLONE_SUFFIX.length : 0)} characters for ${engine.name}` +
          (rotation.adminSecret ? ` (alternating users add "${CLONE_SUFFIX}")` : ''),
      );
    }
  }
  const target = { engine, host, port, dbname, tls: mode };
  checkDatabaseTarget(owner, target, rotation.adminSecret !== undefined);
  const template: Record<string, string | number | boolean> = {
    engine: engine.name,
    host,
    port,
    username,
    ...(dbname !== undefined ? { dbname } : {}),
    // For the applications that read the secret; the rotation function reads only its pinned mode.
    ssl: mode !== DatabaseTls.PLAINTEXT_INSECURE,
    ...(rotation.adminSecret ? { masterarn: rotation.adminSecret.secretArn } : {}),
  };
  const strategy = rotation.strategyFor(target, passwordOptions);
  return {
    secretOptions: {
      ...secretOptions,
      content: SecretContent.generatedJson(template, 'password', strategy.passwordOptions),
      rotationStrategy: strategy,
    },
  };
}
