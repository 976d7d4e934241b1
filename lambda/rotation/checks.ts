import { findBinding, type TargetSpec } from '../../lib/contract/rotation-contract';
import { type RotationConfig, type VaultScope, PROFILE_TAG, knownProfileIds } from './config';
import { RotationError } from './errors';
import { AWSCURRENT, AWSPENDING, type SecretMetadata, versionsWithStage } from './metadata';
import type { ProfileBase } from './strategies';

// docs/ROTATION.md "Before any step". 1 (event fields) and the unknown-step half of 6 are in event.ts,
// because they need no API call; 2 (DescribeSecret) is the caller's single read, shared with the steps.

/** 6: a function bound to a vault rotates only that vault's secrets. Checked before anything else. */
export function assertInVault(secret: SecretMetadata, vault: VaultScope): void {
  const byPrefix = vault.namePrefix !== undefined && secret.name.startsWith(vault.namePrefix);
  if (byPrefix || vault.secretArns.has(secret.arn)) return;
  const prefix = vault.namePrefix === undefined ? 'none' : JSON.stringify(vault.namePrefix);
  const arns =
    vault.secretArns.size === 0
      ? 'none'
      : vault.secretArns.size <= 3
        ? [...vault.secretArns].join(', ')
        : `${vault.secretArns.size} ARNs`;
  throw new RotationError(
    `secret ${secret.arn} is not in this rotation function's vault (allowed name prefix: ${prefix}; allowed secret ARNs: ${arns})`,
  );
}

/** 2 */
export function assertRotationEnabled(secret: SecretMetadata): void {
  if (!secret.rotationEnabled) {
    throw new RotationError(`secret ${secret.arn} is not enabled for rotation`);
  }
}

export type TokenStage = 'already-current' | 'pending';

/**
 * 3-5: the token must be a version of the secret; AWSCURRENT means this step already ran to the end
 * (a retry after finishSecret), so every step succeeds at once; otherwise it must be AWSPENDING.
 * Error messages never quote the token.
 */
export function checkTokenStage(secret: SecretMetadata, token: string): TokenStage {
  const stages = secret.versionIdsToStages[token];
  if (stages === undefined) {
    throw new RotationError(
      `the ClientRequestToken is not a version of secret ${secret.arn}; start a new rotation with RotateSecret`,
    );
  }
  if (stages.includes(AWSCURRENT)) return 'already-current';
  if (stages.includes(AWSPENDING)) return 'pending';
  const pendingElsewhere = versionsWithStage(secret, AWSPENDING).filter(
    (id) => !secret.versionIdsToStages[id].includes(AWSCURRENT),
  );
  if (pendingElsewhere.length > 0) {
    throw new RotationError(
      `secret ${secret.arn} has a stale AWSPENDING label on another version (an abandoned or concurrent rotation); ` +
        'run CancelRotateSecret, or remove the AWSPENDING label from that version ' +
        '(UpdateSecretVersionStage with RemoveFromVersionId), then rotate again',
    );
  }
  const shown = stages.length === 0 ? 'no stage' : `stages ${stages.join(', ')}`;
  throw new RotationError(
    `the ClientRequestToken's version of secret ${secret.arn} is not staged AWSPENDING (it has ${shown}); start a new rotation with RotateSecret`,
  );
}

/** What a secret rotates with: its profile, and the database target the deployment pinned for it. */
export interface ResolvedBinding {
  readonly profile: ProfileBase;
  readonly target?: TargetSpec;
}

/**
 * The deployment binds each secret it adds (by the key of its name, or its ARN) to a profile and, for
 * a database, a target; the secrets of its default profile (a generated one) it leaves unbound, so that
 * the environment does not grow with them. Tags are writer-controlled (TagResource), so the profile tag
 * only has to agree: a bound secret with its binding, an unbound one with the default profile. A
 * retagged secret fails rather than rotate with another profile, and no tag can point this function's
 * database credentials at anything.
 */
export function resolveBinding(secret: SecretMetadata, config: RotationConfig): ResolvedBinding {
  const tagged = secret.tags[PROFILE_TAG];
  const shown = (id: string) => JSON.stringify(id.length > 128 ? `${id.slice(0, 128)}...` : id);
  const bound = findBinding(config.bindings, secret);
  if (bound !== undefined) {
    if (tagged !== undefined && tagged !== bound.profileId) {
      throw new RotationError(
        `secret ${secret.arn} carries ${PROFILE_TAG} tag ${shown(tagged)}, but this deployment bound it to profile ${JSON.stringify(bound.profileId)}; a tag cannot change how a secret rotates: restore the tag (or redeploy), then rotate again`,
      );
    }
    // checkBindings (config.ts) made sure both exist.
    const profile = config.profiles.get(bound.profileId) as ProfileBase;
    const target = bound.targetId === undefined ? undefined : config.targets.get(bound.targetId);
    return { profile, target };
  }
  const id = config.defaultProfile;
  if (tagged !== undefined && tagged !== id) {
    const named = config.profiles.get(tagged);
    if (named !== undefined && named.kind !== 'generated') throw notBoundToDatabase(secret, named);
    throw new RotationError(
      id === undefined
        ? `secret ${secret.arn} carries ${PROFILE_TAG} tag ${shown(tagged)}, but this deployment did not bind it and this function has no default profile; a tag cannot choose how a secret rotates: add the secret to the rotation function (RotationFunction.addSecret, or a vault's addSecret) and deploy`
        : `secret ${secret.arn} carries ${PROFILE_TAG} tag ${shown(tagged)}, but this deployment did not bind it, so it rotates with the default profile ${JSON.stringify(id)} only; a tag cannot change how a secret rotates: restore or remove the tag (or add the secret to the rotation function with its strategy and deploy), then rotate again`,
    );
  }
  if (id === undefined) {
    throw new RotationError(
      `secret ${secret.arn} is not bound to a profile by this deployment, and this function has no default profile (it rotates database secrets only); add the secret to the rotation function (RotationFunction.addSecret, or a vault's addSecret) and deploy`,
    );
  }
  const profile = config.profiles.get(id);
  if (profile === undefined) {
    throw new RotationError(
      `this function's default profile ${JSON.stringify(id)} is not among its profiles (${knownProfileIds(config.profiles)})`,
    );
  }
  if (profile.kind !== 'generated') throw notBoundToDatabase(secret, profile);
  return { profile };
}

/** A database profile serves only the secrets the deployment bound to a target. */
function notBoundToDatabase(secret: SecretMetadata, profile: ProfileBase): RotationError {
  return new RotationError(
    `secret ${secret.arn} is not bound to a database target by this deployment, so profile ${JSON.stringify(profile.id)} (${profile.kind}) cannot rotate it: add the secret to the rotation function with its database (addDatabaseSecret, or RotationFunction.addSecret with a database strategy) and deploy`,
  );
}
