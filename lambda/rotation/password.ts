import { GetRandomPasswordCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigurationError } from './env';

/** GetRandomPassword's options, as a profile in ROTATION_PROFILES spells them. */
export interface PasswordOptions {
  readonly length: number;
  readonly excludeCharacters: string;
  readonly excludePunctuation: boolean;
  readonly excludeNumbers: boolean;
  readonly excludeUppercase: boolean;
  readonly excludeLowercase: boolean;
  readonly includeSpace: boolean;
  readonly requireEachIncludedType: boolean;
}

/** ROTATION.md: by default never generate `/ @ " ' \` (they break URLs, shells and connection strings). */
export const DEFAULT_EXCLUDE_CHARACTERS = '/@"\'\\';
export const DEFAULT_PASSWORD_LENGTH = 32;
// GetRandomPassword's own limits.
const MAX_PASSWORD_LENGTH = 4096;
const MAX_EXCLUDE_CHARACTERS = 4096;

const BOOLEAN_OPTIONS = [
  'excludePunctuation',
  'excludeNumbers',
  'excludeUppercase',
  'excludeLowercase',
  'includeSpace',
  'requireEachIncludedType',
] as const;
const KNOWN_KEYS: readonly string[] = ['length', 'excludeCharacters', ...BOOLEAN_OPTIONS];

export const DEFAULT_PASSWORD_OPTIONS: PasswordOptions = {
  length: DEFAULT_PASSWORD_LENGTH,
  excludeCharacters: DEFAULT_EXCLUDE_CHARACTERS,
  excludePunctuation: false,
  excludeNumbers: false,
  excludeUppercase: false,
  excludeLowercase: false,
  includeSpace: false,
  requireEachIncludedType: true,
};

/** Parses a profile's `password` object; `where` names it in errors, e.g. `ROTATION_PROFILES["api"].password`. */
export function parsePasswordOptions(raw: unknown, where: string): PasswordOptions {
  if (raw === undefined) return DEFAULT_PASSWORD_OPTIONS;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigurationError(`${where} must be an object`);
  }
  const record = raw as Record<string, unknown>;
  const unknown = Object.keys(record).filter((k) => !KNOWN_KEYS.includes(k));
  if (unknown.length > 0) {
    throw new ConfigurationError(
      `${where} has unknown option(s) ${unknown.map((k) => JSON.stringify(k)).join(', ')} (allowed: ${KNOWN_KEYS.join(', ')})`,
    );
  }
  const length = record.length ?? DEFAULT_PASSWORD_LENGTH;
  if (typeof length !== 'number' || !Number.isInteger(length) || length < 1 || length > MAX_PASSWORD_LENGTH) {
    throw new ConfigurationError(`${where}.length must be an integer from 1 to ${MAX_PASSWORD_LENGTH}`);
  }
  const excludeCharacters = record.excludeCharacters ?? DEFAULT_EXCLUDE_CHARACTERS;
  if (typeof excludeCharacters !== 'string' || excludeCharacters.length > MAX_EXCLUDE_CHARACTERS) {
    throw new ConfigurationError(
      `${where}.excludeCharacters must be a string of at most ${MAX_EXCLUDE_CHARACTERS} characters`,
    );
  }
  const flags = Object.fromEntries(
    BOOLEAN_OPTIONS.map((name) => {
      const value = record[name] ?? DEFAULT_PASSWORD_OPTIONS[name];
      if (typeof value !== 'boolean') {
        throw new ConfigurationError(`${where}.${name} must be true or false`);
      }
      return [name, value];
    }),
  ) as Record<(typeof BOOLEAN_OPTIONS)[number], boolean>;
  if (
    flags.excludePunctuation &&
    flags.excludeNumbers &&
    flags.excludeUppercase &&
    flags.excludeLowercase &&
    !flags.includeSpace
  ) {
    throw new ConfigurationError(`${where} excludes every character type, so no password can be generated`);
  }
  return { length, excludeCharacters, ...flags };
}

/** One GetRandomPassword call with the profile's options. */
export async function generatePassword(
  client: SecretsManagerClient,
  options: PasswordOptions,
): Promise<string> {
  const response = await client.send(
    new GetRandomPasswordCommand({
      PasswordLength: options.length,
      // An empty ExcludeCharacters is rejected by the API; '' here means "exclude nothing".
      ExcludeCharacters: options.excludeCharacters === '' ? undefined : options.excludeCharacters,
      ExcludePunctuation: options.excludePunctuation,
      ExcludeNumbers: options.excludeNumbers,
      ExcludeUppercase: options.excludeUppercase,
      ExcludeLowercase: options.excludeLowercase,
      IncludeSpace: options.includeSpace,
      RequireEachIncludedType: options.requireEachIncludedType,
    }),
  );
  if (!response.RandomPassword) {
    throw new Error('GetRandomPassword returned no password');
  }
  return response.RandomPassword;
}
