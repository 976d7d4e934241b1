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

/**
 * The secret's tag picks its profile, but only among those the construct defined: a tampered tag can
 * choose another vetted profile, never weaker generation settings.
 */
export function resolveProfile(secret: SecretMetadata, config: RotationConfig): ProfileBase {
  const tagged = secret.tags[PROFILE_TAG];
  const id = tagged ?? config.defaultProfile;
  if (id === undefined) {
    throw new RotationError(
      `secret ${secret.arn} has no ${PROFILE_TAG} tag and this function has no default profile; tag it with one of ${knownProfileIds(config.profiles)}`,
    );
  }
  const profile = config.profiles.get(id);
  if (profile === undefined) {
    const shown = id.length > 128 ? `${id.slice(0, 128)}...` : id;
    throw new RotationError(
      `secret ${secret.arn} selects rotation profile ${JSON.stringify(shown)} with its ${PROFILE_TAG} tag, which this function does not define; known profiles: ${knownProfileIds(config.profiles)}`,
    );
  }
  return profile;
}
