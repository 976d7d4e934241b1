/**
 * IAM action lists, kept in one place so that every grant, key policy and test agrees on them.
 */

/** What a reader needs: the value, and the metadata an SDK or a cache asks for first. */
export const SECRET_READ_ACTIONS = ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'];

/**
 * What a writer needs to put a new value and move its stages. Not UpdateSecret: it also changes the
 * secret's key and description, which only the deployment may do.
 */
export const SECRET_WRITE_ACTIONS = [
  'secretsmanager:PutSecretValue',
  'secretsmanager:UpdateSecretVersionStage',
];

/**
 * Actions that change how a secret is protected, rotated, replicated or kept. A secret's resource
 * policy denies them to everyone but the deployment and the break-glass principal.
 */
export const SECRET_MANAGEMENT_ACTIONS = [
  'secretsmanager:PutResourcePolicy',
  'secretsmanager:DeleteResourcePolicy',
  'secretsmanager:UpdateSecret',
  'secretsmanager:RotateSecret',
  'secretsmanager:CancelRotateSecret',
  'secretsmanager:TagResource',
  'secretsmanager:UntagResource',
  'secretsmanager:ReplicateSecretToRegions',
  'secretsmanager:RemoveRegionsFromReplication',
  'secretsmanager:StopReplicationToReplica',
  'secretsmanager:DeleteSecret',
  'secretsmanager:RestoreSecret',
];

/** KMS side of a read: decryption only, and only through Secrets Manager. */
export const KEY_DECRYPT_ACTIONS = ['kms:Decrypt'];

/**
 * KMS side of a write: Secrets Manager encrypts each new version under a fresh data key, and its
 * guide ("Permissions for the KMS key") asks for kms:Decrypt too from whoever changes a value. Through
 * Secrets Manager only, Decrypt serves no read: the secret's policy decides GetSecretValue.
 */
export const KEY_ENCRYPT_ACTIONS = ['kms:GenerateDataKey', 'kms:Decrypt'];

/** Every cryptographic operation on the key: each must come through Secrets Manager. */
export const KEY_CRYPTO_ACTIONS = ['kms:Decrypt', 'kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'];

/** Every cryptographic use the key allows, all of it through Secrets Manager. */
export const KEY_USE_VIA_SECRETS_MANAGER_ACTIONS = [...KEY_CRYPTO_ACTIONS, 'kms:DescribeKey'];

/**
 * Key administration for the account. Listed one by one on purpose: the usual `kms:Create*`
 * wildcard includes `kms:CreateGrant`, and a grant would let its holder decrypt outside
 * Secrets Manager, defeating the `kms:ViaService` condition on every other statement.
 */
export const KEY_ADMIN_ACTIONS = [
  'kms:CreateAlias',
  'kms:DeleteAlias',
  'kms:UpdateAlias',
  'kms:DescribeKey',
  'kms:EnableKey',
  'kms:DisableKey',
  'kms:EnableKeyRotation',
  'kms:DisableKeyRotation',
  'kms:RotateKeyOnDemand',
  'kms:GetKeyPolicy',
  'kms:PutKeyPolicy',
  'kms:GetKeyRotationStatus',
  'kms:ListAliases',
  'kms:ListGrants',
  'kms:ListKeyPolicies',
  'kms:ListKeyRotations',
  'kms:ListResourceTags',
  'kms:RevokeGrant',
  'kms:RetireGrant',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:UpdateKeyDescription',
  'kms:ScheduleKeyDeletion',
  'kms:CancelKeyDeletion',
];

/**
 * What CloudWatch Logs does with the key of an encrypted log group: the documented key policy's
 * `kms:Encrypt*`, `kms:Decrypt*`, `kms:ReEncrypt*`, `kms:GenerateDataKey*` and `kms:Describe*`,
 * written out for a symmetric key.
 */
export const LOG_GROUP_KEY_ACTIONS = [
  'kms:Encrypt',
  'kms:Decrypt',
  'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
  'kms:GenerateDataKey',
  'kms:GenerateDataKeyWithoutPlaintext',
  'kms:DescribeKey',
];

/** Secrets Manager may create grants on the key for its own resources (it does for some operations). */
export const KEY_GRANT_ACTIONS = ['kms:CreateGrant'];

/** What the rotation function does to the secrets it rotates (docs/ROTATION.md, Permissions). */
export const ROTATION_SECRET_ACTIONS = [
  'secretsmanager:DescribeSecret',
  'secretsmanager:GetSecretValue',
  'secretsmanager:PutSecretValue',
  'secretsmanager:UpdateSecretVersionStage',
];

/** GetRandomPassword has no resource: IAM accepts it only with `"Resource": "*"`. */
export const RANDOM_PASSWORD_ACTIONS = ['secretsmanager:GetRandomPassword'];

/** The KMS side of rotation: read the current value, encrypt the new one, through Secrets Manager only. */
export const ROTATION_KEY_ACTIONS = ['kms:Decrypt', 'kms:GenerateDataKey'];
