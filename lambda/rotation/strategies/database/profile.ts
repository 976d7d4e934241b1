import { ConfigurationError } from '../../env';
import { parsePasswordOptions, type PasswordOptions } from '../../password';
import type { ProfileBase } from '../strategy';
import type { UserScheme } from '../../../../lib/contract/rotation-contract';
import type { EngineSpec } from './engine';

export type { UserScheme };

/** One ROTATION_PROFILES entry of kind `<engine>-single` or `<engine>-alternating`. */
export interface DatabaseProfile extends ProfileBase {
  readonly scheme: UserScheme;
  readonly password: PasswordOptions;
  /** How long testSecret keeps retrying the pending login (slow propagation, a restarting proxy). */
  readonly testTimeoutSeconds: number;
}

export const DEFAULT_TEST_TIMEOUT_SECONDS = 20;
const MAX_TEST_TIMEOUT_SECONDS = 600;
const KNOWN_KEYS = ['kind', 'password', 'testTimeoutSeconds'];

export function parseDatabaseProfile(
  spec: EngineSpec,
  scheme: UserScheme,
  id: string,
  raw: Record<string, unknown>,
  where: string,
): DatabaseProfile {
  const kind = `${spec.name}-${scheme}`;
  const unknown = Object.keys(raw).filter((k) => !KNOWN_KEYS.includes(k));
  if (unknown.length > 0) {
    throw new ConfigurationError(
      `${where} has unknown key(s) ${unknown.map((k) => JSON.stringify(k)).join(', ')} (allowed for kind "${kind}": ${KNOWN_KEYS.join(', ')})`,
    );
  }
  const rawPassword = raw.password;
  // The engine's default exclusions apply unless the profile names its own excludeCharacters.
  const withDefaults =
    typeof rawPassword === 'object' && rawPassword !== null && !Array.isArray(rawPassword)
      ? { excludeCharacters: spec.defaultExcludeCharacters, ...(rawPassword as Record<string, unknown>) }
      : rawPassword === undefined
        ? { excludeCharacters: spec.defaultExcludeCharacters }
        : rawPassword;
  const password = parsePasswordOptions(withDefaults, `${where}.password`);
  const timeout = raw.testTimeoutSeconds ?? DEFAULT_TEST_TIMEOUT_SECONDS;
  if (
    typeof timeout !== 'number' ||
    !Number.isFinite(timeout) ||
    timeout < 0 ||
    timeout > MAX_TEST_TIMEOUT_SECONDS
  ) {
    throw new ConfigurationError(
      `${where}.testTimeoutSeconds must be a number of seconds from 0 to ${MAX_TEST_TIMEOUT_SECONDS}`,
    );
  }
  return { id, kind, scheme, password, testTimeoutSeconds: timeout };
}
