import { Annotations, SecretValue, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import {
  DEFAULT_EXCLUDE_CHARACTERS,
  DEFAULT_PASSWORD_LENGTH,
  MAX_EXCLUDE_CHARACTERS,
  MAX_PASSWORD_LENGTH,
  PASSWORD_FLAGS,
  PasswordRules,
  passwordRulesProblem,
} from './contract/rotation-contract';
import { enumLikeValue, invalid, invalidTogether, Owner, ownerName, summary } from './private/validation';

/** Characters excluded from generated values by default: they break URLs, shells, JSON and SQL. */
export { DEFAULT_EXCLUDE_CHARACTERS, DEFAULT_PASSWORD_LENGTH, MAX_PASSWORD_LENGTH };

/**
 * How a value is generated, by CloudFormation at creation and by the rotation function at every
 * rotation: the same options both times.
 */
export interface PasswordOptions {
  /**
   * Length of the generated value, 1 to 4096. Below 12, synth warns where the value is used.
   *
   * @default 32
   */
  readonly length?: number;

  /**
   * Characters never to use. Printable ASCII only, at most 4096.
   *
   * @default - `/ @ " ' \` (slash, at sign, double and single quote, backslash)
   */
  readonly excludeCharacters?: string;

  /**
   * Leave out punctuation: ``! " # $ % & ' ( ) * + , - . / : ; < = > ? @ [ \ ] ^ _ ` { | } ~``.
   *
   * @default false
   */
  readonly excludePunctuation?: boolean;

  /**
   * Leave out digits.
   *
   * @default false
   */
  readonly excludeNumbers?: boolean;

  /**
   * Leave out upper-case letters.
   *
   * @default false
   */
  readonly excludeUppercase?: boolean;

  /**
   * Leave out lower-case letters.
   *
   * @default false
   */
  readonly excludeLowercase?: boolean;

  /**
   * Allow the space character.
   *
   * @default false
   */
  readonly includeSpace?: boolean;

  /**
   * Require at least one character of every class that is not excluded (so each such class must
   * keep a character that `excludeCharacters` does not remove, and `length` must be at least the
   * number of classes).
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

/** Below this length, a generated value is accepted with a warning. */
const SHORT_LENGTH = 12;

/** The character classes GetRandomPassword and GenerateSecretString draw from, besides the space. */
const CHARACTER_CLASSES = [
  { name: 'punctuation', flag: 'excludePunctuation', characters: '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~' },
  { name: 'numbers', flag: 'excludeNumbers', characters: '0123456789' },
  { name: 'upper case', flag: 'excludeUppercase', characters: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ' },
  { name: 'lower case', flag: 'excludeLowercase', characters: 'abcdefghijklmnopqrstuvwxyz' },
] as const;

const PRINTABLE_ASCII = /^[\x20-\x7e]$/;

/** Where the options being checked come from, to name them as the user wrote them. */
interface OptionsSource {
  /**
   * Put before each option's name: `passwordOptions.` for a construct's `passwordOptions` prop.
   *
   * @default ''
   */
  readonly prefix?: string;

  /**
   * The characters excluded when `excludeCharacters` is left out (an engine's own default).
   *
   * @default DEFAULT_EXCLUDE_CHARACTERS
   */
  readonly defaultExcludeCharacters?: string;
}

/**
 * Refuses password options that GetRandomPassword and GenerateSecretString refuse or cannot satisfy,
 * naming the options as the user set them: a length outside 1 to 4096, exclusions that are not
 * printable ASCII, all four classes excluded, exclusions that leave no character, or (with
 * requireEachIncludedType) that empty a class the value must contain, and a length shorter than the
 * number of classes the value must contain. Options given as tokens are left to the service.
 *
 * @internal
 */
export function checkPasswordOptions(
  owner: Owner,
  options: PasswordOptions = {},
  source: OptionsSource = {},
): void {
  const prefix = source.prefix ?? '';
  const prop = (name: string) => `${prefix}${name}`;
  if (typeof options !== 'object' || options === null) {
    invalid(
      owner,
      prefix.replace(/\.$/, '') || 'options',
      enumLikeValue(options),
      'allowed: an object of password options, e.g. { length: 32 }',
    );
  }
  const { length } = options;
  if (
    length !== undefined &&
    !Token.isUnresolved(length) &&
    (typeof length !== 'number' || !Number.isInteger(length) || length < 1 || length > MAX_PASSWORD_LENGTH)
  ) {
    invalid(owner, prop('length'), length, `allowed: a whole number from 1 to ${MAX_PASSWORD_LENGTH}`);
  }
  const given: unknown = options.excludeCharacters;
  if (given !== undefined && !Token.isUnresolved(given)) {
    if (typeof given !== 'string' || given.length > MAX_EXCLUDE_CHARACTERS) {
      invalid(
        owner,
        prop('excludeCharacters'),
        shownExclusions(given),
        `allowed: at most ${MAX_EXCLUDE_CHARACTERS} printable ASCII characters`,
      );
    }
    const unprintable = [...given].find((c) => !PRINTABLE_ASCII.test(c));
    if (unprintable !== undefined) {
      invalid(
        owner,
        prop('excludeCharacters'),
        shownExclusions(given),
        `allowed: printable ASCII characters only (space to ~), and ${JSON.stringify(unprintable)} is not one`,
      );
    }
  }
  for (const flag of PASSWORD_FLAGS) {
    const value: unknown = options[flag];
    if (value !== undefined && typeof value !== 'boolean') {
      invalid(owner, prop(flag), value, 'allowed: true or false');
    }
  }

  const included = CHARACTER_CLASSES.filter((c) => options[c.flag] !== true);
  if (included.length === 0) {
    invalidTogether(
      owner,
      CHARACTER_CLASSES.map((c) => prop(c.flag)),
      summary('true for all four'),
      'allowed: leave at least one of punctuation, numbers, upper or lower case (a space alone is no password)',
    );
  }
  const excluded =
    (given as string | undefined) ?? source.defaultExcludeCharacters ?? DEFAULT_EXCLUDE_CHARACTERS;
  if (Token.isUnresolved(excluded)) return;
  const emptied = included.filter((c) => [...c.characters].every((ch) => excluded.includes(ch)));
  if (emptied.length === included.length) {
    const flagsSet = CHARACTER_CLASSES.filter((c) => options[c.flag] === true).map(
      (c) => `\`${prop(c.flag)}\``,
    );
    const left = included.map((c) => c.name);
    invalid(
      owner,
      prop('excludeCharacters'),
      shownExclusions(excluded),
      `it removes every character of ${list(left)}${flagsSet.length > 0 ? ` (what ${list(flagsSet)} leave${flagsSet.length === 1 ? 's' : ''})` : ''}, so there is no character left to generate from: exclude fewer characters`,
    );
  }
  const requireEach = options.requireEachIncludedType ?? true;
  if (!requireEach) return;
  const byDefault = options.requireEachIncludedType === undefined ? ' (on by default)' : '';
  if (emptied.length > 0) {
    const [whole] = emptied;
    invalid(
      owner,
      prop('excludeCharacters'),
      shownExclusions(excluded),
      `it removes the whole ${whole.name} class, which requireEachIncludedType${byDefault} requires: set \`${prop(whole.flag)}: true\` to leave the class out, or exclude fewer characters`,
    );
  }
  if (options.includeSpace === true && excluded.includes(' ')) {
    invalid(
      owner,
      prop('excludeCharacters'),
      shownExclusions(excluded),
      `it removes the space that \`${prop('includeSpace')}\` adds, which requireEachIncludedType${byDefault} requires: leave \`${prop('includeSpace')}\` out, or do not exclude the space`,
    );
  }
  const classes = [...included.map((c) => c.name), ...(options.includeSpace === true ? ['space'] : [])];
  const effectiveLength = length ?? DEFAULT_PASSWORD_LENGTH;
  if (!Token.isUnresolved(effectiveLength) && effectiveLength < classes.length) {
    invalid(
      owner,
      prop('length'),
      effectiveLength,
      `with requireEachIncludedType${byDefault} the value needs at least one character of each of its ${classes.length} classes (${classes.join(', ')}), so it needs at least ${classes.length} characters`,
    );
  }
}

/** `a`, `a and b`, `a, b and c`. */
function list(items: string[]): string {
  return items.length > 1
    ? `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`
    : items.join('');
}

/** A set of excluded characters as a message shows it: quoted, or by its size when long. */
function shownExclusions(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  return value.length > 100 ? summary(`a set of ${value.length} characters`) : value;
}

/**
 * Applies defaults and refuses impossible options with a message naming the option (`prefix` before
 * its name, e.g. `passwordOptions.`).
 *
 * @internal
 */
export function resolvePasswordOptions(
  owner: Owner,
  options: PasswordOptions = {},
  source: OptionsSource = {},
): ResolvedPasswordOptions {
  checkPasswordOptions(owner, options, source);
  const resolved: ResolvedPasswordOptions = {
    length: options.length ?? DEFAULT_PASSWORD_LENGTH,
    excludeCharacters:
      options.excludeCharacters ?? source.defaultExcludeCharacters ?? DEFAULT_EXCLUDE_CHARACTERS,
    excludePunctuation: options.excludePunctuation ?? false,
    excludeNumbers: options.excludeNumbers ?? false,
    excludeUppercase: options.excludeUppercase ?? false,
    excludeLowercase: options.excludeLowercase ?? false,
    includeSpace: options.includeSpace ?? false,
    requireEachIncludedType: options.requireEachIncludedType ?? true,
  };
  // The same check the rotation function runs on its environment (lib/contract): what it would
  // refuse, synth refuses. The checks above name the options better and cover more; this one stays
  // so that the two sides cannot drift.
  const problem = passwordRulesProblem(resolved, Token.isUnresolved(resolved.length));
  if (problem !== undefined) {
    const received =
      problem.option === 'length'
        ? resolved.length
        : problem.option === 'excludeCharacters'
          ? shownExclusions(resolved.excludeCharacters)
          : summary('every character class excluded');
    invalid(owner, `${source.prefix ?? ''}${problem.option}`, received, problem.allowed);
  }
  return resolved;
}

/**
 * Warns, on the construct that uses them, of generated values shorter than 12 characters: legitimate
 * where what consumes the value cannot take more, but easier to guess.
 *
 * @internal
 */
export function warnOfShortGeneratedValue(scope: IConstruct, options: ResolvedPasswordOptions): void {
  const { length } = options;
  if (Token.isUnresolved(length) || length >= SHORT_LENGTH) return;
  Annotations.of(scope).addWarningV2(
    'cdk-secrets-vault:short-generated-value',
    `${ownerName(scope)}: \`length\` is ${length}: a generated value of fewer than ${SHORT_LENGTH} characters is easier to guess. Use ${SHORT_LENGTH} or more (the default is ${DEFAULT_PASSWORD_LENGTH}) unless what reads the value cannot take them.`,
  );
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
    checkPasswordOptions('SecretContent.generatedString', options);
    return new SecretContent(SecretContentKind.GENERATED_STRING, options);
  }

  /**
   * A JSON object: the non-secret fields of `template` plus one generated field, `generateField`.
   * Rotation replaces that field only and keeps every other field.
   *
   * @param template the non-secret fields, e.g. `{ username: 'app', host: 'db.internal' }`
   * @param generateField the field that holds the generated value, e.g. `'password'`: a plain JSON key
   * (letters, digits, `_` and `-`), which every reader can address
   */
  public static generatedJson(
    template: Record<string, string | number | boolean>,
    generateField: string,
    options: PasswordOptions = {},
  ): SecretContent {
    const owner = 'SecretContent.generatedJson';
    if (typeof template !== 'object' || template === null || Array.isArray(template)) {
      invalid(
        owner,
        'template',
        enumLikeValue(template),
        'allowed: an object of the non-secret fields, e.g. { username: "app" }',
      );
    }
    checkJsonField(
      owner,
      'generateField',
      generateField,
      'the name of the JSON field to generate, e.g. "password"',
    );
    if (Object.prototype.hasOwnProperty.call(template, generateField)) {
      invalid(
        owner,
        'template',
        summary(`a template with field ${JSON.stringify(generateField)}`),
        'the generated field must not be in the template (its value would land in the template): leave it out, it is generated',
      );
    }
    checkPasswordOptions(owner, options);
    return new SecretContent(SecretContentKind.GENERATED_JSON, options, template, generateField);
  }

  /**
   * A value you supply. Pass a reference (`SecretValue.ssmSecure`, `SecretValue.secretsManager`,
   * `SecretValue.cfnParameter` with `noEcho`) to keep it out of the template; a plaintext value
   * lands in the template and the synthesized assembly, and synth warns about it. A plaintext value
   * must hold 1 to 65,536 bytes, as Secrets Manager requires.
   */
  public static fromSecretValue(value: SecretValue): SecretContent {
    const owner = 'SecretContent.fromSecretValue';
    if (!SecretValue.isSecretValue(value)) {
      // Never shown: a string passed here from JavaScript may be the secret itself.
      invalid(
        owner,
        'value',
        typeof value === 'string' ? summary('a string') : enumLikeValue(value),
        'allowed: a SecretValue, e.g. SecretValue.ssmSecure(name) or SecretValue.secretsManager(id)',
      );
    }
    const unwrapped = value.unsafeUnwrap();
    if (!Token.isUnresolved(unwrapped)) {
      // Described, never shown: the message must not carry the value.
      if (unwrapped.length === 0) {
        invalid(
          owner,
          'value',
          summary('an empty plaintext'),
          'Secrets Manager refuses an empty secret value: supply a value, or generate one (SecretContent.generatedString)',
        );
      }
      const bytes = Buffer.byteLength(unwrapped, 'utf8');
      if (bytes > MAX_SECRET_VALUE_BYTES) {
        invalid(
          owner,
          'value',
          summary(`a plaintext of ${bytes} bytes`),
          `allowed: at most ${MAX_SECRET_VALUE_BYTES} bytes (64 KiB), Secrets Manager's limit on a secret value`,
        );
      }
    }
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

/** Secrets Manager's limit on a secret value (SecretString), in bytes. */
const MAX_SECRET_VALUE_BYTES = 65536;

/**
 * A JSON key that readers can address: dynamic references (`{{resolve:secretsmanager:...:json-key}}`),
 * ECS `valueFrom` (`<arn>:<json-key>::`) and path-based readers (`.a.b`) split on `:` and `.`, and a
 * space needs quoting everywhere.
 */
const PLAIN_JSON_KEY = /^[A-Za-z0-9_-]{1,256}$/;

/**
 * Refuses a generated JSON field that is empty or not a plain JSON key; `what` says what the field is
 * for when it is empty.
 *
 * @internal
 */
export function checkJsonField(owner: Owner, prop: string, field: unknown, what: string): void {
  if (typeof field !== 'string') {
    invalid(owner, prop, enumLikeValue(field), `allowed: ${what}`);
  }
  if (field.length === 0) {
    invalid(owner, prop, field, `allowed: ${what}`);
  }
  if (!Token.isUnresolved(field) && !PLAIN_JSON_KEY.test(field)) {
    invalid(
      owner,
      prop,
      field,
      'allowed: a plain JSON key of 1 to 256 letters, digits, _ and - (dynamic references, ECS secrets and path-based readers cannot address a key with a space, a dot or a colon)',
    );
  }
}
