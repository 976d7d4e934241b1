import type { DescribeSecretResponse } from '@aws-sdk/client-secrets-manager';

export const AWSCURRENT = 'AWSCURRENT';
export const AWSPENDING = 'AWSPENDING';
export const AWSPREVIOUS = 'AWSPREVIOUS';

/** What DescribeSecret told us, read once per invocation and shared by every check and step. */
export interface SecretMetadata {
  readonly arn: string;
  readonly name: string;
  readonly rotationEnabled: boolean;
  readonly versionIdsToStages: Readonly<Record<string, readonly string[]>>;
  readonly tags: Readonly<Record<string, string>>;
}

export function toSecretMetadata(response: DescribeSecretResponse, requestedId: string): SecretMetadata {
  const tags: Record<string, string> = {};
  for (const tag of response.Tags ?? []) {
    if (tag.Key !== undefined) tags[tag.Key] = tag.Value ?? '';
  }
  return {
    arn: response.ARN ?? requestedId,
    name: response.Name ?? '',
    rotationEnabled: response.RotationEnabled === true,
    versionIdsToStages: response.VersionIdsToStages ?? {},
    tags,
  };
}

/** Version ids that carry `stage` (normally zero or one). */
export function versionsWithStage(metadata: SecretMetadata, stage: string): string[] {
  return Object.entries(metadata.versionIdsToStages)
    .filter(([, stages]) => stages.includes(stage))
    .map(([id]) => id);
}
