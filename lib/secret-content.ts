import { SecretValue, Token } from 'aws-cdk-lib';
import {
  DEFAULT_EXCLUDE_CHARACTERS,
  DEFAULT_PASSWORD_LENGTH,
  MAX_PASSWORD_LENGTH,
  PasswordRules,
  passwordRulesProblem,
} from './contract/rotation-contract';
import { invalid } from './private/validation';

/** Characters excluded from generated values by default: they break URLs, shells, JSON and SQL. */
export { DEFAULT_EXCLUDE_CHARACTERS, DEFAULT_PASSWORD_LENGTH, MAX_PASSWORD_LENGTH };

/**
 * How a value is generated, by CloudFormation at creation and by the rotation function at every
 * rotation: the same options both times.
 */
export interface PasswordOptions {
  /**
   * Length of the generated value, 1 to 4096.
   *
   * @default 32
   */
  readonly length?: number;

  /**
   * Characters never to use. Printable ASCII only.
   *
   * @default '/@"\'\\' (slash, at sign, double and single quote, backslash)
   */
  readonly excludeCharacters?: string;

  /**
   * Leave out punctuation: ``! " # $ % & ' ( ) * + , - . / : ; < = > ? @ [ \ ] ^ _ ` { | } ~``.
   *
   * @default false
   */
  readonly excludePunctuation?: boolean;

  /** Leave out digits. @default false */
  readonly excludeNumbers?: boolean;

  /** Leave out upper-case letters. @default false */
  readonly excludeUppercase?: boolean;

  /** Leave out lower-case letters. @default false */
  readonly excludeLowercase?: boolean;

  /** Allow the space character. @default false */
  readonly includeSpace?: boolean;

  /**
   * Require at least one character of every class that is not excluded.
   *
   * @default true
   */
  readonly requireEachIncludedType?: boolean;
}

/**
 * PasswordOptions with every default applied; what the templates and the rotation function get. The
 * contract's own shape, so that the two sides cannot drift.
 */
export type ResolvedPasswordOptions = PasswordRules;

/** Applies defaults and rejects impossible options with a message naming the option. */
export function resolvePasswordOptions(
  owner: string,
  options: PasswordOptions = {},
): ResolvedPasswordOptions {
  const resolved: ResolvedPasswordOptions = {
    length: options.length ?? DEFAULT_PASSWORD_LENGTH,
    excludeCharacters: options.excludeCharacters ?? DEFAULT_EXCLUDE_CHARACTERS,
    excludePunctuation: options.excludePunctuation ?? false,
    excludeNumbers: options.excludeNumbers ?? false,
    excludeUppercase: options.excludeUppercase ?? false,
    excludeLowercase: options.excludeLowercase ?? false,
    includeSpace: options.includeSpace ?? false,
    requireEachIncludedType: options.requireEachIncludedType ?? true,
  };
  // The same check the rotation function runs on its environment (lib/contract): no drift.
  const problem = passwordRulesProblem(resolved, Token.isUnresolved(resolved.length));
  if (problem !== undefined) {
    const received =
      problem.option === 'length'
        ? resolved.length
        : problem.option === 'excludeCharacters'
          ? '(not shown)'
          : 'every character class excluded';
    invalid(owner, problem.option, received, problem.allowed);
  }
  return resolved;
}

/** What kind of content a secret holds. */
export enum SecretContentKind {
  /** One generated string. */
  GENERATED_STRING = 'generated-string',
  /** A JSON object with one generated field. */
  GENERATED_JSON = 'generated-json',
  /** A value supplied by the user. */
  SUPPLIED = 'supplied',
}

/**
 * The content of a secret: generated (a string, or one field of a JSON object) or supplied.
 * Generated content never appears in a template; supplied content does unless it is a reference.
 */
export class SecretContent {
  /**
   * A generated random string, the whole value of the secret.
   */
  public static generatedString(options: PasswordOptions = {}): SecretContent {
    return new SecretContent(SecretContentKind.GENERATED_STRING, options);
  }

  /**
   * A JSON object: the non-secret fields of `template` plus one generated field, `generateField`.
   * Rotation replaces that field only and keeps every other field.
   *
   * @param template the non-secret fields, e.g. `{ username: 'app', host: 'db.internal' }`
   * @param generateField the field that holds the generated value, e.g. `'password'`
   */
  public static generatedJson(
    template: Record<string, string | number | boolean>,
    generateField: string,
    options: PasswordOptions = {},
  ): SecretContent {
    return new SecretContent(SecretContentKind.GENERATED_JSON, options, template, generateField);
  }

  /**
   * A value you supply. Pass a reference (`SecretValue.ssmSecure`, `SecretValue.secretsManager`,
   * `SecretValue.cfnParameter` with `noEcho`) to keep it out of the template; a plaintext value
   * lands in the template and the synthesized assembly, and synth warns about it.
   */
  public static fromSecretValue(value: SecretValue): SecretContent {
    return new SecretContent(SecretContentKind.SUPPLIED, undefined, undefined, undefined, value);
  }

  private constructor(
    public readonly kind: SecretContentKind,
    /** The generation options as given; resolved and validated by the secret that uses them. */
    public readonly passwordOptions?: PasswordOptions,
    /** For GENERATED_JSON: the non-secret fields. */
    public readonly template?: Record<string, string | number | boolean>,
    /** For GENERATED_JSON: the generated field. */
    public readonly generateField?: string,
    /** For SUPPLIED: the value. */
    public readonly value?: SecretValue,
  ) {}
}
