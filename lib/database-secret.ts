import { Annotations, Token } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { IConstruct } from 'constructs';
import { CLONE_SUFFIX, EngineName } from './contract/rotation-contract';
import { DatabaseEngine, DatabaseTls } from './database-engine';
import { enumLikeValue, invalid, ownerName } from './private/validation';
import {
  checkDatabaseTarget,
  checkEngineAndTls,
  DatabaseEndpoint,
  DatabaseTarget,
  RotationStrategy,
} from './rotation-strategy';
import { PasswordOptions, SecretContent } from './secret-content';
import type { SecretsVault } from './secrets-vault';
import type { VaultSecret, VaultSecretOptions } from './vault-secret';

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
    // From JavaScript (or `undefined!`) this would otherwise fall back to a single user, silently.
    if (typeof (adminSecret as Partial<secretsmanager.ISecret> | undefined)?.secretArn !== 'string') {
      invalid(
        'DatabaseUserRotation.alternatingUsers',
        'adminSecret',
        enumLikeValue(adminSecret),
        'adminSecret is required: the secret of a database user that may create users and set their passwords (such as the secret of another `addDatabaseSecret`), or use DatabaseUserRotation.singleUser()',
      );
    }
    return new DatabaseUserRotation(adminSecret);
  }

  private constructor(
    /** The admin secret, for alternating users. */
    public readonly adminSecret?: secretsmanager.ISecret,
  ) {}

  /**
   * The rotation strategy for a secret of `target`.
   *
   * @internal
   */
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
   * @default - the engine's default port (5432, 3306)
   */
  readonly port?: number;

  /**
   * The database user whose credential the secret holds: a name the engine takes without quotes
   * (PostgreSQL: lowercase ASCII letters, digits and `_`; MySQL: ASCII letters, digits and `_`;
   * neither starting with a digit).
   */
  readonly username: string;

  /**
   * The database the rotation function logs in to; each rotation writes it into the secret's value.
   *
   * @default - the engine's default (`postgres` for PostgreSQL, none for MySQL), and no `dbname`
   *   in the secret's value
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
   * Where the database was before you changed `host`, `port` or `dbname` (1 to 3 endpoints). The
   * secret's value names the old endpoint until the next rotation, and the rotation function refuses a
   * value that names anything but the pinned endpoint; declaring the move lets it accept the old
   * endpoint (it never connects there), log in at the new one, and write the new one into the value.
   * The password does not change with the move. Drop the entries once a rotation has run.
   *
   * @default - the database has not moved
   */
  readonly movedFrom?: DatabaseEndpoint[];

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
 * What the vault knows of a database secret it is about to add.
 *
 * @internal
 */
export interface DatabaseSecretContext {
  /** Whether the secret rotates (its own `rotation`, else the vault's). */
  readonly rotates: boolean;
  /** Whether the vault's rotation function runs in a VPC. */
  readonly rotationInVpc: boolean;
}

/**
 * Usernames each engine takes unquoted, so that SQL written by hand (a migration's `CREATE USER`,
 * a `GRANT`) names the same user the secret does. The rotation function quotes every name, so this
 * is for the people and tools around it. PostgreSQL folds an unquoted name to lower case: `App`
 * would be the user `app`, and the secret's `App` would not log in.
 */
const UNQUOTED_USERNAMES: Readonly<Record<EngineName, { pattern: RegExp; allowed: string }>> = {
  postgres: {
    pattern: /^[a-z_][a-z0-9_]*$/,
    allowed:
      'lowercase ASCII letters, digits and `_`, not starting with a digit (PostgreSQL folds unquoted names to lower case, and most other characters need quotes)',
  },
  mysql: {
    pattern: /^[A-Za-z_][A-Za-z0-9_]*$/,
    allowed: 'ASCII letters, digits and `_`, not starting with a digit (any other character needs quotes)',
  },
};

/** Characters that end the user or password part of a `postgres://` or `mysql://` URI when unencoded. */
const URI_DELIMITERS = ':/@';

/**
 * Adds a database secret to `vault`: checks the options (messages name the vault), makes the
 * content (the username and a generated password: see `databaseTemplate`) and the rotation strategy
 * pinned to the connection, and warns about the choices that weaken it.
 *
 * @internal
 */
export function addDatabaseSecretTo(
  vault: SecretsVault,
  id: string,
  options: DatabaseSecretOptions,
  context: DatabaseSecretContext,
): VaultSecret {
  const {
    engine,
    host,
    port,
    username,
    dbname,
    passwordOptions,
    userRotation,
    tls,
    movedFrom,
    ...secretOptions
  } = options;
  checkEnumLike(vault, options);
  const users = userRotation ?? DatabaseUserRotation.singleUser();
  const target: DatabaseTarget = {
    engine,
    host,
    port: port ?? engine.defaultPort,
    dbname,
    tls: tls ?? DatabaseTls.VERIFIED,
    // Only in the function's pinned target: the generated template stays `username` alone.
    ...(movedFrom !== undefined ? { formerly: movedFrom } : {}),
  };
  const alternating = users.adminSecret !== undefined;
  checkUsername(vault, engine, username, alternating);
  checkDbname(vault, dbname);
  checkDatabaseTarget(vault, target, alternating, 'movedFrom');
  const strategy = users.strategyFor(target, passwordOptions);
  if (context.rotates && !context.rotationInVpc) {
    // On the vault, before its function takes the secret: the function then does not say it again.
    Annotations.of(vault).addWarningV2(
      'cdk-secrets-vault:rotation-outside-vpc',
      `${ownerName(vault)}: database secret "${id}": the vault's rotation function is not in a VPC, so it can reach only a publicly accessible database. Set \`rotationVpc\`.`,
    );
  }
  const secret = vault.addSecret(id, {
    ...secretOptions,
    content: SecretContent.generatedJson(databaseTemplate(username), 'password', strategy.passwordOptions),
    // A secret that never rotates takes no strategy (VaultSecret refuses one it would ignore).
    rotationStrategy: context.rotates ? strategy : undefined,
  });
  warnAboutDatabaseSecret(secret, target, passwordOptions, context.rotates);
  return secret;
}

/**
 * The generated part of a database secret: the username only. CloudFormation generates a new value
 * whenever any field of `SecretStringTemplate` changes (aws-cdk#19985), so a connection field here
 * would replace the password, and break every client, when the database moved. The rotation function
 * writes the pinned connection fields (engine, host, port, dbname, ssl, masterarn) into every version
 * it creates; a new username is another user, for whom a new password is right.
 */
function databaseTemplate(username: string): Record<string, string> {
  return { username };
}

/** JavaScript callers (and `as any`) can pass a string: say what is allowed, not a TypeError. */
function checkEnumLike(vault: IConstruct, options: DatabaseSecretOptions): void {
  const { engine, tls, userRotation } = options;
  checkEngineAndTls(vault, engine, tls);
  if (userRotation !== undefined && !(userRotation instanceof DatabaseUserRotation)) {
    invalid(
      vault,
      'userRotation',
      enumLikeValue(userRotation),
      'allowed: DatabaseUserRotation.singleUser() or DatabaseUserRotation.alternatingUsers(adminSecret)',
    );
  }
}

/** The username needs no quotes and fits the engine (with `_clone` for alternating users). */
function checkUsername(vault: IConstruct, engine: DatabaseEngine, username: string, alternating: boolean) {
  if (Token.isUnresolved(username)) return;
  const rule = UNQUOTED_USERNAMES[engine.name];
  if (username.length > 0 && !rule.pattern.test(username)) {
    invalid(vault, 'username', username, `allowed for ${engine.name}: ${rule.allowed}`);
  }
  // ASCII from here on: characters and bytes (PostgreSQL's unit) are one.
  const max = engine.maxUsernameLength - (alternating ? CLONE_SUFFIX.length : 0);
  if (username.length === 0 || username.length > max) {
    invalid(
      vault,
      'username',
      username,
      `allowed: 1 to ${max} characters for ${engine.name}` +
        (alternating ? ` (alternating users add "${CLONE_SUFFIX}")` : ''),
    );
  }
}

/** An empty database name is refused by the rotation function: refused here first. */
function checkDbname(vault: IConstruct, dbname: string | undefined): void {
  if (dbname === undefined || Token.isUnresolved(dbname)) return;
  if (dbname.trim().length === 0 || dbname !== dbname.trim()) {
    invalid(
      vault,
      'dbname',
      dbname,
      "allowed: the database's name, without surrounding spaces; leave `dbname` out for the engine's default",
    );
  }
}

/**
 * Warnings on the secret, for choices that are allowed and weaken it: TLS that does not verify or
 * does not encrypt (when it rotates), and passwords that break connection URIs.
 */
function warnAboutDatabaseSecret(
  secret: IConstruct,
  target: DatabaseTarget,
  passwordOptions: PasswordOptions | undefined,
  rotates: boolean,
): void {
  const owner = ownerName(secret);
  const annotations = Annotations.of(secret);
  if (rotates && target.tls === DatabaseTls.UNVERIFIED_INSECURE) {
    annotations.addWarningV2(
      'cdk-secrets-vault:database-tls-unverified',
      `${owner}: \`tls\` is DatabaseTls.UNVERIFIED_INSECURE: the rotation function encrypts its connections but does not check the database's certificate, so a man in the middle can present any certificate and read the current and the new password. Use DatabaseTls.VERIFIED (the function trusts the RDS certificate authorities).`,
    );
  }
  if (rotates && target.tls === DatabaseTls.PLAINTEXT_INSECURE) {
    annotations.addWarningV2(
      'cdk-secrets-vault:database-tls-plaintext',
      `${owner}: \`tls\` is DatabaseTls.PLAINTEXT_INSECURE: the rotation function sends the current and the new password to the database unencrypted, so anyone on the network path can read them. Use DatabaseTls.VERIFIED, or keep this only for a database on a trusted private link.`,
    );
  }
  const letIn = uriDelimitersLetIn(target.engine, passwordOptions);
  if (letIn.length > 0) {
    annotations.addWarningV2(
      'cdk-secrets-vault:database-password-breaks-uris',
      `${owner}: \`passwordOptions.excludeCharacters\` lets ${letIn.map((c) => JSON.stringify(c)).join(' ')} into ${target.engine.name} passwords, which breaks ${target.engine.name}:// connection URIs that carry the password unencoded. Add ${letIn.join(' ')} to the list, as the default for ${target.engine.name} does.`,
    );
  }
}

/**
 * The URI delimiters that the engine's default leaves out and the user's `excludeCharacters` lets
 * back in (none when punctuation is excluded altogether).
 */
function uriDelimitersLetIn(engine: DatabaseEngine, options: PasswordOptions | undefined): string[] {
  const given = options?.excludeCharacters;
  if (given === undefined || Token.isUnresolved(given) || options?.excludePunctuation === true) return [];
  return [...URI_DELIMITERS].filter((c) => engine.defaultExcludeCharacters.includes(c) && !given.includes(c));
}
