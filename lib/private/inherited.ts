import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, IConstruct } from 'constructs';
import { coversAnyAction, Owner, ownerName } from './validation';

/**
 * Throws for an inherited aws-cdk-lib member that would break a vault invariant: the message names
 * the construct, the member, why, and what to use instead.
 */
export function refused(owner: Owner, member: string, why: string, instead: string): never {
  throw new Error(`${ownerName(owner)}: ${member} is refused: ${why}. ${instead}.`);
}

/**
 * Refuses a static import inherited from aws-cdk-lib (`VaultSecret.fromSecretCompleteArn`,
 * `VaultKey.fromKeyArn`...): it would return a plain aws-cdk-lib object that looks like a vault one
 * but carries none of its rules.
 */
export function refusedImport(
  scope: IConstruct,
  id: string | undefined,
  member: string,
  why: string,
  instead: string,
): never {
  const path = id === undefined ? scope.node.path : [scope.node.path, id].filter((p) => p).join('/');
  return refused(`${member} (${path})`, 'importing', why, instead);
}

/**
 * Whether a value, resolved in `scope`'s stack, is `expected`: tokens of one stack render the same
 * way, so comparing their resolved form tells whether two ARNs are the same reference.
 */
export function sameValue(scope: Construct, value: unknown, expected: unknown): boolean {
  const stack = Stack.of(scope);
  return JSON.stringify(stack.resolve(value)) === JSON.stringify(stack.resolve(expected));
}

/**
 * Whether conditions limit the use of a key to one service: `StringEquals` `kms:ViaService` with that
 * service as its one value. Other operators (`StringLike`, `...IfExists`) or other services do not.
 */
export function limitedToService(scope: Construct, conditions: unknown, service: string): boolean {
  const via = (conditions as { StringEquals?: Record<string, unknown> } | undefined)?.StringEquals?.[
    'kms:ViaService'
  ];
  const values = [via].flat();
  return values.length === 1 && values[0] !== undefined && sameValue(scope, values[0], service);
}

/** A principal whose policy fragment carries `kms:ViaService` = `service` (a `kms.ViaServicePrincipal`). */
export function principalLimitedToService(
  scope: Construct,
  principal: iam.IPrincipal,
  service: string,
): boolean {
  return limitedToService(scope, principal.policyFragment.conditions, service);
}

/** A policy statement as it reaches the template. */
export interface StatementJson {
  readonly Effect?: string;
  readonly Action?: string | string[];
  readonly NotAction?: string | string[];
  readonly Resource?: unknown;
  readonly Condition?: unknown;
}

/** The statements of a resolved policy document (an object with `Statement`), or none. */
export function statementsOf(document: unknown): StatementJson[] {
  const statements = (document as { Statement?: StatementJson | StatementJson[] } | undefined)?.Statement;
  return statements === undefined ? [] : [statements].flat();
}

/** Every way to use a KMS key, as opposed to administering it; `kms:CreateGrant` hands use on. */
const KEY_USE_ACTIONS = [
  'kms:Decrypt',
  'kms:Encrypt',
  'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
  'kms:GenerateDataKey',
  'kms:GenerateDataKeyWithoutPlaintext',
  'kms:GenerateDataKeyPair',
  'kms:GenerateDataKeyPairWithoutPlaintext',
  'kms:GenerateMac',
  'kms:VerifyMac',
  'kms:Sign',
  'kms:Verify',
  'kms:DeriveSharedSecret',
  'kms:CreateGrant',
];

/** Whether a statement's actions (wildcards included, e.g. `kms:*`, `kms:Create*`) cover a use of a key. */
export function allowsKeyUse(statement: StatementJson): boolean {
  if (statement.NotAction !== undefined) return true;
  return coversAnyAction([statement.Action ?? []].flat(), KEY_USE_ACTIONS);
}
