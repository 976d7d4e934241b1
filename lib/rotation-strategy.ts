import { Token } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { databaseKind, verifiedHostProblem } from './contract/rotation-contract';
import { DatabaseEngine, DatabaseTls } from './database-engine';
import { enumLikeValue, invalid, Owner } from './private/validation';
import {
  checkJsonField,
  checkPasswordOptions,
  PasswordOptions,
  ResolvedPasswordOptions,
  resolvePasswordOptions,
} from './secret-content';

/**
 * One entry of the rotation function's `ROTATION_PROFILES`.
 *
 * @internal
 */
export interface RotationProfile {
  readonly kind: string;
  readonly jsonField?: string;
  readonly password: ResolvedPasswordOptions;
}

/**
 * The database a database strategy rotates on: the rotation function sends the secret's credentials
 * only here, whatever the secret's value says.
 */
export interface DatabaseTarget {
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
   * The database to log in to.
   *
   * @default - the engine's default (`postgres` for PostgreSQL, none for MySQL)
   */
  readonly dbname?: string;

  /**
   * How the rotation function's connections are protected.
   *
   * @default DatabaseTls.VERIFIED
   */
  readonly tls?: DatabaseTls;
}

/**
 * A target as the function's `ROTATION_TARGETS` carries it (host and port may be tokens).
 *
 * @internal
 */
export interface RenderedTarget {
  readonly engine: string;
  readonly host: string;
  readonly port: number;
  readonly dbname?: string;
  readonly tls: string;
  readonly admin?: string;
}

/**
 * How the rotation function makes a secret's new value and gets the target to accept it. An
 * enum-like class: each kind of target is a factory.
 */
export class RotationStrategy {
  /** A new random string replaces the whole value. Nothing outside Secrets Manager changes. */
  public static generatedString(options: PasswordOptions = {}): RotationStrategy {
    checkPasswordOptions('RotationStrategy.generatedString', options);
    return new RotationStrategy('generated', options);
  }

  /**
   * A new random string replaces one field of a JSON value; every other field is kept.
   *
   * @param field the field to rotate: a plain JSON key (letters, digits, `_` and `-`)
   */
  public static generatedJsonField(field: string, options: PasswordOptions = {}): RotationStrategy {
    const owner = 'RotationStrategy.generatedJsonField';
    checkJsonField(owner, 'field', field, 'the name of the JSON field to rotate');
    checkPasswordOptions(owner, options);
    return new RotationStrategy('generated', options, field);
  }

  /**
   * The database user of the secret changes its own password (logging in with the current, or
   * else the previous, password) on `target`, and only there. Connections that still use the old
   * password fail until they re-read the secret.
   */
  public static singleUser(target: DatabaseTarget, options: PasswordOptions = {}): RotationStrategy {
    const owner = 'RotationStrategy.singleUser';
    checkDatabaseTarget(owner, target, false);
    checkPasswordOptions(owner, options, {
      defaultExcludeCharacters: target.engine.defaultExcludeCharacters,
    });
    return new RotationStrategy(
      databaseKind(target.engine.name, 'single'),
      withEngineDefaults(target.engine, options),
      undefined,
      target,
    );
  }

  /**
   * Two users take turns (`user` and `user_clone`): each rotation sets a new password on the user
   * that is not current, using the admin credential in `adminSecret`, so the current credential
   * keeps working throughout. The admin secret is pinned with the target (a `masterarn` field in the
   * secret must name the same one), and admin logins always use verified TLS.
   */
  public static alternatingUsers(
    target: DatabaseTarget,
    adminSecret: secretsmanager.ISecret,
    options: PasswordOptions = {},
  ): RotationStrategy {
    const owner = 'RotationStrategy.alternatingUsers';
    checkDatabaseTarget(owner, target, true);
    checkAdminSecret(owner, adminSecret);
    checkPasswordOptions(owner, options, {
      defaultExcludeCharacters: target.engine.defaultExcludeCharacters,
    });
    return new RotationStrategy(
      databaseKind(target.engine.name, 'alternating'),
      withEngineDefaults(target.engine, options),
      undefined,
      target,
      adminSecret,
    );
  }

  /** The database engine, for database strategies. */
  public readonly engine?: DatabaseEngine;

  private constructor(
    /** The strategy's kind in the function's profiles. */
    public readonly kind: string,
    /** How new values are generated. */
    public readonly passwordOptions: PasswordOptions,
    /** The JSON field that is rotated, for generated JSON secrets. */
    public readonly jsonField?: string,
    /** The pinned database, for database strategies. */
    public readonly target?: DatabaseTarget,
    /** The admin secret, for alternating users. */
    public readonly adminSecret?: secretsmanager.ISecret,
  ) {
    this.engine = target?.engine;
  }

  /**
   * The profile the function's environment carries for this strategy.
   *
   * @internal
   */
  public renderProfile(owner: Owner): RotationProfile {
    const password = resolvePasswordOptions(owner, this.passwordOptions);
    return { kind: this.kind, ...(this.jsonField ? { jsonField: this.jsonField } : {}), password };
  }

  /**
   * The pinned target the function's environment carries for this strategy, if it has one.
   *
   * @internal
   */
  public renderTarget(): RenderedTarget | undefined {
    const target = this.target;
    if (!target) return undefined;
    return {
      engine: target.engine.name,
      host: target.host,
      port: target.port ?? target.engine.defaultPort,
      ...(target.dbname !== undefined ? { dbname: target.dbname } : {}),
      tls: (target.tls ?? DatabaseTls.VERIFIED).mode,
      ...(this.adminSecret ? { admin: this.adminSecret.secretArn } : {}),
    };
  }
}

/**
 * Refuses, at synth, a target the rotation function would refuse: an engine or TLS mode that is not
 * one of the enum-like class's members (a string from JavaScript), a host or port that cannot be one,
 * an empty database name, alternating users (whose admin login is always verified) on anything but
 * verified TLS, and verified TLS to a MySQL database named by its IP address. `owner` names the caller
 * in the message.
 *
 * @internal
 */
export function checkDatabaseTarget(owner: Owner, target: DatabaseTarget, alternating: boolean): void {
  if (typeof target !== 'object' || target === null) {
    invalid(owner, 'target', enumLikeValue(target), 'allowed: { engine, host, port?, dbname?, tls? }');
  }
  const { engine, host, dbname } = target;
  if (!(engine instanceof DatabaseEngine)) {
    invalid(
      owner,
      'engine',
      enumLikeValue(engine),
      'allowed: DatabaseEngine.POSTGRES or DatabaseEngine.MYSQL',
    );
  }
  if (target.tls !== undefined && !(target.tls instanceof DatabaseTls)) {
    invalid(
      owner,
      'tls',
      enumLikeValue(target.tls),
      'allowed: DatabaseTls.VERIFIED, DatabaseTls.UNVERIFIED_INSECURE or DatabaseTls.PLAINTEXT_INSECURE',
    );
  }
  const port: unknown = target.port ?? engine.defaultPort;
  const tls = target.tls ?? DatabaseTls.VERIFIED;
  if (typeof host !== 'string') {
    invalid(owner, 'host', enumLikeValue(host), 'allowed: the database host name, without spaces');
  }
  if (!Token.isUnresolved(host) && (host.trim().length === 0 || host !== host.trim())) {
    invalid(owner, 'host', host, 'allowed: the database host name, without spaces');
  }
  if (
    !Token.isUnresolved(port) &&
    (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535)
  ) {
    invalid(owner, 'port', port, 'allowed: a whole number from 1 to 65535');
  }
  if (
    dbname !== undefined &&
    !Token.isUnresolved(dbname) &&
    (typeof dbname !== 'string' || dbname.length === 0)
  ) {
    invalid(owner, 'dbname', dbname, "leave it out for the engine's default database");
  }
  if (alternating && tls !== DatabaseTls.VERIFIED) {
    invalid(
      owner,
      'tls',
      tls.mode,
      'alternating users log in with the admin secret, which travels over verified TLS only: use DatabaseTls.VERIFIED',
    );
  }
  const hostProblem = Token.isUnresolved(host) ? undefined : verifiedHostProblem(engine.name, tls.mode, host);
  if (hostProblem !== undefined) {
    invalid(
      owner,
      'host',
      host,
      `${hostProblem}: use the database's DNS name (such as the RDS endpoint address), or a TLS mode other than DatabaseTls.VERIFIED`,
    );
  }
}

/**
 * Refuses alternating users without an admin secret (from JavaScript, or `undefined as any`): without
 * one, nothing could set the password of the user that is not current.
 */
function checkAdminSecret(owner: Owner, adminSecret: unknown): void {
  if (adminSecret === undefined || adminSecret === null) {
    invalid(
      owner,
      'adminSecret',
      adminSecret,
      'adminSecret is required: alternating users set the password of the user that is not current with the admin credential it holds. For a user that changes its own password, use singleUser',
    );
  }
  if (typeof (adminSecret as Partial<secretsmanager.ISecret>).secretArn !== 'string') {
    invalid(
      owner,
      'adminSecret',
      enumLikeValue(adminSecret),
      'allowed: a secret (secretsmanager.ISecret) that holds the admin credential',
    );
  }
}

function withEngineDefaults(engine: DatabaseEngine, options: PasswordOptions): PasswordOptions {
  return { ...options, excludeCharacters: options.excludeCharacters ?? engine.defaultExcludeCharacters };
}
