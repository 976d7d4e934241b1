import {
  ContractError,
  ROTATION_ENV,
  ROTATION_PROFILE_TAG,
  parseBindings,
  parseTarget,
  type SecretBinding,
  type TargetSpec,
} from '../../lib/contract/rotation-contract';
import { ConfigurationError, getEnv } from './env';
import { STRATEGIES, type ProfileBase } from './strategies';

/** The tag the constructs put on each secret: it must agree with the pinned binding, never choose one. */
export const PROFILE_TAG = ROTATION_PROFILE_TAG;

export const ENV = ROTATION_ENV;

/** Which secrets this function may rotate: a name prefix, exact ARNs, or both (either matches). */
export interface VaultScope {
  readonly namePrefix?: string;
  readonly secretArns: ReadonlySet<string>;
}

export interface RotationConfig {
  readonly vault: VaultScope;
  readonly profiles: ReadonlyMap<string, ProfileBase>;
  /** The profile of every secret in scope that `bindings` does not list (a generated kind). */
  readonly defaultProfile?: string;
  /** Pinned database targets, by id. */
  readonly targets: ReadonlyMap<string, TargetSpec>;
  /** Secret key (of its name) or ARN -> the profile and target the deployment bound it to. */
  readonly bindings: ReadonlyMap<string, SecretBinding>;
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

function parseJsonEnv(name: string, required: boolean): unknown {
  const text = getEnv(name, { required: required as true });
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    // The parser's message quotes the input; keep the error short and say only where it is.
    throw new ConfigurationError(
      `environment variable ${name} is not valid JSON (${text.length} characters)`,
    );
  }
}

function parseProfiles(): Map<string, ProfileBase> {
  const raw = parseJsonEnv(ENV.profiles, true);
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
    // Own keys only: "toString" or "__proto__" would find what every object inherits.
    const definition =
      typeof kind === 'string' && Object.hasOwn(STRATEGIES, kind) ? STRATEGIES[kind] : undefined;
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

function parseTargets(): Map<string, TargetSpec> {
  const raw = parseJsonEnv(ENV.targets, false) ?? {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigurationError(
      `environment variable ${ENV.targets} must be a JSON object of target id to target`,
    );
  }
  const targets = new Map<string, TargetSpec>();
  for (const [id, entry] of Object.entries(raw as Record<string, unknown>)) {
    targets.set(id, parseTarget(entry, `${ENV.targets}[${JSON.stringify(id)}]`));
  }
  return targets;
}

/** Every binding names a defined profile, and a target exactly when the profile's kind needs one. */
function checkBindings(
  bindings: ReadonlyMap<string, SecretBinding>,
  profiles: ReadonlyMap<string, ProfileBase>,
  targets: ReadonlyMap<string, TargetSpec>,
): void {
  const checked = new Set<string>();
  for (const { profileId, targetId } of bindings.values()) {
    const key = `${profileId}@${targetId ?? ''}`;
    if (checked.has(key)) continue;
    checked.add(key);
    const where = `${ENV.bindings}[${JSON.stringify(targetId === undefined ? profileId : `${profileId}@${targetId}`)}]`;
    const profile = profiles.get(profileId);
    if (profile === undefined) {
      throw new ConfigurationError(
        `${where} names profile ${JSON.stringify(profileId)}, which ${ENV.profiles} does not define`,
      );
    }
    const definition = STRATEGIES[profile.kind];
    const target = targetId === undefined ? undefined : targets.get(targetId);
    if (targetId !== undefined && target === undefined) {
      throw new ConfigurationError(
        `${where} names target ${JSON.stringify(targetId)}, which ${ENV.targets} does not define`,
      );
    }
    const problem = definition.checkTarget(profile, target);
    if (problem !== undefined) throw new ConfigurationError(`${where}: ${problem}`);
  }
}

export function knownProfileIds(profiles: ReadonlyMap<string, unknown>): string {
  return [...profiles.keys()].map((id) => JSON.stringify(id)).join(', ');
}

/** Reads and validates the whole environment; any problem is a ConfigurationError naming the variable. */
export function loadConfig(): RotationConfig {
  try {
    const vault = parseVaultScope();
    const profiles = parseProfiles();
    const defaultProfile = getEnv(ENV.defaultProfile);
    if (defaultProfile !== undefined && !profiles.has(defaultProfile)) {
      throw new ConfigurationError(
        `environment variable ${ENV.defaultProfile} names profile ${JSON.stringify(defaultProfile)}, which ${ENV.profiles} does not define (known: ${knownProfileIds(profiles)})`,
      );
    }
    const defaultKind = defaultProfile === undefined ? undefined : profiles.get(defaultProfile)?.kind;
    if (defaultKind !== undefined && defaultKind !== 'generated') {
      throw new ConfigurationError(
        `environment variable ${ENV.defaultProfile} names profile ${JSON.stringify(defaultProfile)} of kind ${defaultKind}; the default rotates every secret ${ENV.bindings} does not list, which has no pinned target, so it must be a generated profile`,
      );
    }
    const targets = parseTargets();
    const bindings = parseBindings(parseJsonEnv(ENV.bindings, false) ?? {}, ENV.bindings);
    checkBindings(bindings, profiles, targets);
    return { vault, profiles, defaultProfile, targets, bindings };
  } catch (error) {
    if (error instanceof ContractError) throw new ConfigurationError(error.message);
    throw error;
  }
}
