import { Token } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import {
  databaseKind,
  MAX_FORMER_ENDPOINTS,
  RdsSource,
  sameEndpoint,
  verifiedHostProblem,
} from './contract/rotation-contract';
import { DatabaseEngine, DatabaseTls } from './database-engine';
import { enumLikeValue, invalid, Owner, summary } from './private/validation';
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
 * Where a database was reached before it moved (`movedFrom` of `addDatabaseSecret`, `formerly` of a
 * DatabaseTarget). The rotation function never connects to it: it only accepts a secret value that
 * still names it, and writes the current endpoint into the version it creates.
 */
export interface DatabaseEndpoint {
  /** The host name the database had. */
  readonly host: string;

  /**
   * The port the database had.
   *
   * @default - the engine's default port (5432, 3306)
   */
  readonly port?: number;

  /**
   * The database the secret named there.
   *
   * @default - the secret's current `dbname` (the database kept its name)
   */
  readonly dbname?: string;
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

  /**
   * Where the database was before it moved (at most 3 endpoints). Until the next rotation, the
   * secret's value still names the old endpoint, which the function would otherwise refuse; with the
   * move declared here it accepts it, logs in here only, and writes this target into the new version.
   * Drop the entries once a rotation has run.
   *
   * @default - the database has not moved: a value naming any other endpoint is refused
   */
  readonly formerly?: DatabaseEndpoint[];
}

/**
 * A former endpoint as the function's `ROTATION_TARGETS` carries it: the port resolved, the database
 * written when the entry or the target names one (absent: the engine's default, as for the target).
 *
 * @internal
 */
export interface RenderedEndpoint {
  readonly host: string;
  readonly port: number;
  readonly dbname?: string;
}

/**
 * A target as the function's `ROTATION_TARGETS` carries it (host and port may be tokens): pinned by
 * host and port, or, for an RDS database whose endpoint the function reads from the RDS API, by the
 * database's identifier (the contract's HostTargetSpec and RdsTargetSpec).
 *
 * @internal
 */
export type RenderedTarget = RenderedHostTarget | RenderedRdsTarget;

/** @internal */
export interface RenderedHostTarget {
  readonly engine: string;
  readonly host: string;
  readonly port: number;
  readonly dbname?: string;
  readonly tls: string;
  readonly admin?: string;
  readonly formerly?: RenderedEndpoint[];
}

/** @internal */
export interface RenderedRdsTarget {
  readonly engine: string;
  readonly rds: RdsSource;
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
    /** The RDS database the target is pinned by, when the function reads its endpoint from the RDS API. */
    private readonly rds?: RdsSource,
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
   * This strategy pinned by an RDS database's identifier rather than its host and port: the function
   * finds the endpoint through the RDS API when it runs (see the contract's RdsTargetSpec). Former
   * endpoints do not apply: the identifier is what stays when the database moves. `rds` is read
   * when the target is rendered.
   *
   * @internal
   */
  public pinnedByRdsIdentifier(rds: RdsSource): RotationStrategy {
    return new RotationStrategy(
      this.kind,
      this.passwordOptions,
      this.jsonField,
      this.target,
      this.adminSecret,
      rds,
    );
  }

  /**
   * The pinned target the function's environment carries for this strategy, if it has one.
   *
   * @internal
   */
  public renderTarget(): RenderedTarget | undefined {
    const target = this.target;
    if (!target) return undefined;
    const dbname = target.dbname !== undefined ? { dbname: target.dbname } : {};
    const tls = (target.tls ?? DatabaseTls.VERIFIED).mode;
    const admin = this.adminSecret ? { admin: this.adminSecret.secretArn } : {};
    if (this.rds) {
      // Read at render time: an RDS database's identifier may be set after the strategy is made.
      const rds = { kind: this.rds.kind, identifier: this.rds.identifier };
      return { engine: target.engine.name, rds, ...dbname, tls, ...admin };
    }
    return {
      engine: target.engine.name,
      host: target.host,
      port: target.port ?? target.engine.defaultPort,
      ...dbname,
      tls,
      ...admin,
      ...(target.formerly !== undefined
        ? { formerly: target.formerly.map((e) => renderEndpoint(target, e)) }
        : {}),
    };
  }
}

/** A former endpoint of `target` with its defaults resolved: the engine's port, the target's database. */
function renderEndpoint(target: DatabaseTarget, endpoint: DatabaseEndpoint): RenderedEndpoint {
  const dbname = endpoint.dbname ?? target.dbname;
  return {
    host: endpoint.host,
    port: endpoint.port ?? target.engine.defaultPort,
    ...(dbname !== undefined ? { dbname } : {}),
  };
}

/**
 * JavaScript callers (and `as any`) can pass a string for an engine or a TLS mode: say what is
 * allowed, not a TypeError.
 *
 * @internal
 */
export function checkEngineAndTls(owner: Owner, engine: DatabaseEngine, tls: DatabaseTls | undefined): void {
  if (!(engine instanceof DatabaseEngine)) {
    invalid(
      owner,
      'engine',
      enumLikeValue(engine),
      'allowed: DatabaseEngine.POSTGRES or DatabaseEngine.MYSQL',
    );
  }
  if (tls !== undefined && !(tls instanceof DatabaseTls)) {
    invalid(
      owner,
      'tls',
      enumLikeValue(tls),
      'allowed: DatabaseTls.VERIFIED, DatabaseTls.UNVERIFIED_INSECURE or DatabaseTls.PLAINTEXT_INSECURE',
    );
  }
}

/**
 * Refuses, at synth, a target the rotation function would refuse: an engine or TLS mode that is not
 * one of the enum-like class's members (a string from JavaScript), a host or port that cannot be one,
 * an empty database name, alternating users (whose admin login is always verified) on anything but
 * verified TLS, verified TLS to a MySQL database named by its IP address, and former endpoints that
 * are not 1 to 3 valid endpoints other than the target's own. `owner` names the caller in the message;
 * `formerlyProp` the prop the user wrote the former endpoints in.
 *
 * @internal
 */
export function checkDatabaseTarget(
  owner: Owner,
  target: DatabaseTarget,
  alternating: boolean,
  formerlyProp = 'formerly',
): void {
  if (typeof target !== 'object' || target === null) {
    invalid(owner, 'target', enumLikeValue(target), 'allowed: { engine, host, port?, dbname?, tls? }');
  }
  const { engine, host, dbname } = target;
  checkEngineAndTls(owner, engine, target.tls);
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
  if (target.formerly !== undefined) checkFormerEndpoints(owner, target, formerlyProp);
}

const HOST_ALLOWED = 'allowed: the database host name, without spaces';

/**
 * The former endpoints of `target` (written as `prop`): 1 to MAX_FORMER_ENDPOINTS, each with a host,
 * port and database the target itself could have, none the target's own endpoint (which would declare
 * no move). Values in tokens are left to the rotation function's check.
 */
function checkFormerEndpoints(owner: Owner, target: DatabaseTarget, prop: string): void {
  const list: unknown = target.formerly;
  if (!Array.isArray(list)) {
    invalid(
      owner,
      prop,
      enumLikeValue(list),
      'allowed: a list of former endpoints `{ host, port?, dbname? }`',
    );
  }
  if (list.length === 0 || list.length > MAX_FORMER_ENDPOINTS) {
    invalid(
      owner,
      prop,
      list,
      `allowed: 1 to ${MAX_FORMER_ENDPOINTS} endpoints where the database was before it moved; leave \`${prop}\` out when it has not moved, and drop old entries once a rotation has run`,
    );
  }
  list.forEach((entry: unknown, i) => {
    const at = `${prop}[${i}]`;
    if (typeof entry !== 'object' || entry === null) {
      invalid(owner, at, enumLikeValue(entry), 'allowed: { host, port?, dbname? }');
    }
    const { host, port = target.engine.defaultPort, dbname } = entry as DatabaseEndpoint;
    if (typeof host !== 'string') invalid(owner, `${at}.host`, enumLikeValue(host), HOST_ALLOWED);
    if (!Token.isUnresolved(host) && (host.trim().length === 0 || host !== host.trim())) {
      invalid(owner, `${at}.host`, host, HOST_ALLOWED);
    }
    if (
      !Token.isUnresolved(port) &&
      (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535)
    ) {
      invalid(owner, `${at}.port`, port, 'allowed: a whole number from 1 to 65535');
    }
    if (
      dbname !== undefined &&
      !Token.isUnresolved(dbname) &&
      (typeof dbname !== 'string' || dbname.trim().length === 0 || dbname !== dbname.trim())
    ) {
      invalid(
        owner,
        `${at}.dbname`,
        dbname,
        "allowed: the database's name, without surrounding spaces; leave it out when the database kept its name",
      );
    }
    const rendered = renderEndpoint(target, entry as DatabaseEndpoint);
    const current = {
      host: target.host,
      port: target.port ?? target.engine.defaultPort,
      dbname: target.dbname,
    };
    if (isSameLiteralEndpoint(target, rendered, current)) {
      invalid(
        owner,
        at,
        summary(
          `{ host: ${JSON.stringify(host)}, port: ${port}${rendered.dbname !== undefined ? `, dbname: ${JSON.stringify(rendered.dbname)}` : ''} }`,
        ),
        `that is the database's current endpoint: list only where it was before it moved (another host, port or dbname)`,
      );
    }
  });
}

/** Whether two endpoints are the same, as far as synth knows (two equal tokens are the same value). */
function isSameLiteralEndpoint(target: DatabaseTarget, a: RenderedEndpoint, b: RenderedEndpoint): boolean {
  const tokens = [a.host, a.port, a.dbname, b.host, b.port, b.dbname].some(
    (v) => v !== undefined && Token.isUnresolved(v),
  );
  if (!tokens) return sameEndpoint(target.engine.name, a, b);
  return a.host === b.host && a.port === b.port && a.dbname === b.dbname;
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
