import { findBinding, type TargetSpec } from '../../lib/contract/rotation-contract';
import { type RotationConfig, type VaultScope, PROFILE_TAG, knownProfileIds } from './config';
import { RotationError } from './errors';
import { AWSCURRENT, AWSPENDING, type SecretMetadata, versionsWithStage } from './metadata';
import type { ProfileBase } from './strategies';

// ROTATION.md "Before any step". 1 (event fields) and the unknown-step half of 6 are in event.ts,
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
 * a database, a target. Tags are writer-controlled (TagResource), so the profile tag only has to agree
 * with that binding: a retagged secret fails rather than rotate with another profile. A secret the
 * deployment did not bind (made elsewhere, under the vault's prefix) picks among the generated
 * profiles only: no tag can point this function's database credentials at anything.
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
  const id = tagged ?? config.defaultProfile;
  if (id === undefined) {
    throw new RotationError(
      `secret ${secret.arn} is not bound to a profile by this deployment, has no ${PROFILE_TAG} tag and this function has no default profile; tag it with one of ${knownProfileIds(config.profiles)}`,
    );
  }
  const profile = config.profiles.get(id);
  if (profile === undefined) {
    throw new RotationError(
      `secret ${secret.arn} selects rotation profile ${shown(id)} with its ${PROFILE_TAG} tag, which this function does not define; known profiles: ${knownProfileIds(config.profiles)}`,
    );
  }
  if (profile.kind !== 'generated') {
    throw new RotationError(
      `secret ${secret.arn} is not bound to a database target by this deployment, so profile ${JSON.stringify(id)} (${profile.kind}) cannot rotate it: add the secret to the rotation function with its database (addDatabaseSecret, or RotationFunction.addSecret with a database strategy) and deploy`,
    );
  }
  return { profile };
}
