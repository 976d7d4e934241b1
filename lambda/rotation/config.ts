import { ConfigurationError, getEnv } from './env';
import { STRATEGIES, type ProfileBase } from './strategies';

/** The tag on a secret that picks its profile among those in ROTATION_PROFILES. */
export const PROFILE_TAG = 'secrets-vault:rotation-profile';

export const ENV = {
  namePrefix: 'VAULT_SECRET_NAME_PREFIX',
  secretArns: 'VAULT_SECRET_ARNS',
  profiles: 'ROTATION_PROFILES',
  defaultProfile: 'ROTATION_DEFAULT_PROFILE',
} as const;

/** Which secrets this function may rotate: a name prefix, exact ARNs, or both (either matches). */
export interface VaultScope {
  readonly namePrefix?: string;
  readonly secretArns: ReadonlySet<string>;
}

export interface RotationConfig {
  readonly vault: VaultScope;
  readonly profiles: ReadonlyMap<string, ProfileBase>;
  readonly defaultProfile?: string;
}

function parseVaultScope(): VaultScope {
  const namePrefix = getEnv(ENV.namePrefix);
  const arns = (getEnv(ENV.secretArns) ?? '')
    .split(',')
    .map((arn) => arn.trim())
    .filter((arn) => arn.length > 0);
  if (namePrefix === undefined && arns.length === 0) {
    // Fail closed: a function with no scope would otherwise rotate any secret it can reach.
    throw new ConfigurationError(
      `this rotation function has no vault scope: set ${ENV.namePrefix} and/or ${ENV.secretArns}; refusing to rotate any secret`,
    );
  }
  return { namePrefix, secretArns: new Set(arns) };
}

function parseProfiles(): Map<string, ProfileBase> {
  const text = getEnv(ENV.profiles, { required: true });
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    // The parser's message quotes the input; keep the error short and say only where it is.
    throw new ConfigurationError(
      `environment variable ${ENV.profiles} is not valid JSON (${text.length} characters)`,
    );
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigurationError(
      `environment variable ${ENV.profiles} must be a JSON object of profile id to profile`,
    );
  }
  const profiles = new Map<string, ProfileBase>();
  for (const [id, entry] of Object.entries(raw as Record<string, unknown>)) {
    const where = `${ENV.profiles}[${JSON.stringify(id)}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw new ConfigurationError(`${where} must be an object`);
    }
    const kind = (entry as Record<string, unknown>).kind;
    const definition = typeof kind === 'string' ? STRATEGIES[kind] : undefined;
    if (definition === undefined) {
      throw new ConfigurationError(
        `${where}.kind must be one of ${Object.keys(STRATEGIES)
          .map((k) => JSON.stringify(k))
          .join(', ')}`,
      );
    }
    profiles.set(id, definition.parseProfile(id, entry as Record<string, unknown>, where));
  }
  if (profiles.size === 0) {
    throw new ConfigurationError(`environment variable ${ENV.profiles} defines no profile`);
  }
  return profiles;
}

export function knownProfileIds(profiles: ReadonlyMap<string, unknown>): string {
  return [...profiles.keys()].map((id) => JSON.stringify(id)).join(', ');
}

/** Reads and validates the whole environment; any problem is a ConfigurationError naming the variable. */
export function loadConfig(): RotationConfig {
  const vault = parseVaultScope();
  const profiles = parseProfiles();
  const defaultProfile = getEnv(ENV.defaultProfile);
  if (defaultProfile !== undefined && !profiles.has(defaultProfile)) {
    throw new ConfigurationError(
      `environment variable ${ENV.defaultProfile} names profile ${JSON.stringify(defaultProfile)}, which ${ENV.profiles} does not define (known: ${knownProfileIds(profiles)})`,
    );
  }
  return { vault, profiles, defaultProfile };
}
