import { GetRandomPasswordCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  DEFAULT_EXCLUDE_CHARACTERS,
  DEFAULT_PASSWORD_LENGTH,
  DEFAULT_PASSWORD_RULES,
  PASSWORD_FLAGS,
  passwordRulesProblem,
  type PasswordRules,
} from '../../lib/contract/rotation-contract';
import { ConfigurationError } from './env';

/** GetRandomPassword's options, as a profile in ROTATION_PROFILES spells them (the contract's rules). */
export type PasswordOptions = PasswordRules;

export { DEFAULT_EXCLUDE_CHARACTERS, DEFAULT_PASSWORD_LENGTH };
export const DEFAULT_PASSWORD_OPTIONS: PasswordOptions = DEFAULT_PASSWORD_RULES;

const KNOWN_KEYS: readonly string[] = ['length', 'excludeCharacters', ...PASSWORD_FLAGS];

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
  if (typeof length !== 'number') {
    throw new ConfigurationError(`${where}.length must be a number`);
  }
  const excludeCharacters = record.excludeCharacters ?? DEFAULT_EXCLUDE_CHARACTERS;
  if (typeof excludeCharacters !== 'string') {
    throw new ConfigurationError(`${where}.excludeCharacters must be a string`);
  }
  const flags = Object.fromEntries(
    PASSWORD_FLAGS.map((name) => {
      const value = record[name] ?? DEFAULT_PASSWORD_OPTIONS[name];
      if (typeof value !== 'boolean') {
        throw new ConfigurationError(`${where}.${name} must be true or false`);
      }
      return [name, value];
    }),
  ) as Record<(typeof PASSWORD_FLAGS)[number], boolean>;
  const rules: PasswordOptions = { length, excludeCharacters, ...flags };
  // The same check the constructs run at synth (lib/contract): what one side refuses, so does the other.
  const problem = passwordRulesProblem(rules);
  if (problem !== undefined) {
    throw new ConfigurationError(`${where}: invalid ${problem.option}; ${problem.allowed}`);
  }
  return rules;
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
