import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { DatabaseEngine } from './database-engine';
import { invalid } from './private/validation';
import { PasswordOptions, ResolvedPasswordOptions, resolvePasswordOptions } from './secret-content';

/** One entry of the rotation function's `ROTATION_PROFILES`. */
export interface RotationProfile {
  readonly kind: string;
  readonly jsonField?: string;
  readonly password: ResolvedPasswordOptions;
}

/**
 * How the rotation function makes a secret's new value and gets the target to accept it. An
 * enum-like class: each kind of target is a factory.
 */
export class RotationStrategy {
  /** A new random string replaces the whole value. Nothing outside Secrets Manager changes. */
  public static generatedString(options: PasswordOptions = {}): RotationStrategy {
    return new RotationStrategy('generated', options);
  }

  /** A new random string replaces one field of a JSON value; every other field is kept. */
  public static generatedJsonField(field: string, options: PasswordOptions = {}): RotationStrategy {
    if (field.length === 0) {
      invalid(
        'RotationStrategy.generatedJsonField',
        'field',
        field,
        'allowed: the name of the JSON field to rotate',
      );
    }
    return new RotationStrategy('generated', options, field);
  }

  /**
   * The database user of the secret changes its own password (logging in with the current, or
   * else the previous, password). Connections that still use the old password fail until they
   * re-read the secret.
   */
  public static singleUser(engine: DatabaseEngine, options: PasswordOptions = {}): RotationStrategy {
    return new RotationStrategy(
      `${engine.name}-single`,
      withEngineDefaults(engine, options),
      undefined,
      engine,
    );
  }

  /**
   * Two users take turns (`user` and `user_clone`): each rotation sets a new password on the user
   * that is not current, using the admin credential in `adminSecret`, so the current credential
   * keeps working throughout. The secret's JSON names the admin secret in `masterarn`.
   */
  public static alternatingUsers(
    engine: DatabaseEngine,
    adminSecret: secretsmanager.ISecret,
    options: PasswordOptions = {},
  ): RotationStrategy {
    return new RotationStrategy(
      `${engine.name}-alternating`,
      withEngineDefaults(engine, options),
      undefined,
      engine,
      adminSecret,
    );
  }

  private constructor(
    /** The strategy's kind in the function's profiles. */
    public readonly kind: string,
    /** How new values are generated. */
    public readonly passwordOptions: PasswordOptions,
    /** The JSON field that is rotated, for generated JSON secrets. */
    public readonly jsonField?: string,
    /** The database engine, for database strategies. */
    public readonly engine?: DatabaseEngine,
    /** The admin secret, for alternating users. */
    public readonly adminSecret?: secretsmanager.ISecret,
  ) {}

  /** The profile the function's environment carries for this strategy. */
  public renderProfile(owner: string): RotationProfile {
    const password = resolvePasswordOptions(owner, this.passwordOptions);
    return { kind: this.kind, ...(this.jsonField ? { jsonField: this.jsonField } : {}), password };
  }
}

function withEngineDefaults(engine: DatabaseEngine, options: PasswordOptions): PasswordOptions {
  return { ...options, excludeCharacters: options.excludeCharacters ?? engine.defaultExcludeCharacters };
}
