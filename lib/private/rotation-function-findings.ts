import { Stack, Token, Validations } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { RotationFunction } from '../rotation-function';
import { acknowledgeCompliance, acknowledgeRoleDependency, COMPLIANCE_RULES } from './compliance';
import { acknowledgeWildcardResource } from './nag';

/** How a RotationFunction was set up, as far as the packs and Control Tower care. */
export interface RotationFunctionSetup {
  /** The function runs in a VPC. */
  readonly inVpc: boolean;
  /** Its log group is encrypted with a key of the user's (or the vault's). */
  readonly logsEncrypted: boolean;
  /** The user reserved no concurrency (`reservedConcurrentExecutions: 0`). */
  readonly reservesNone: boolean;
  /** The ARN pattern of the secrets under `secretNamePrefix`, in prefix mode. */
  readonly prefixArn?: string;
  /** The permission that lets Secrets Manager invoke it for the prefix, in prefix mode. */
  readonly prefixPermission?: lambda.CfnPermission;
}

/**
 * Acknowledges the compliance findings that are by design in a RotationFunction, each in every pack
 * and Control Tower control that raises it, with a reason that holds for all of them.
 */
export function acknowledgeRotationFindings(
  rotation: Pick<RotationFunction, 'role' | 'logGroup' | 'function'>,
  setup: RotationFunctionSetup,
): void {
  const { role, logGroup } = rotation;
  const fn = rotation.function;
  const { prefixArn, prefixPermission } = setup;
  acknowledgeRoleDependency(fn);
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'secretsmanager:GetRandomPassword and X-Ray’s PutTraceSegments and PutTelemetryRecords act on no resource; IAM accepts only "*" for them.',
  });
  if (setup.inVpc) {
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
      reason:
        'The AWS-managed VPC access policy is what Lambda needs to manage the function’s network interfaces.',
    });
  }
  if (prefixArn) {
    acknowledgeWildcardResource(
      role,
      prefixArn,
      'Scoped to the vault’s own name prefix so that the policy does not grow with the number of secrets.',
    );
  }
  if (!setup.logsEncrypted) {
    acknowledgeCompliance(
      logGroup,
      COMPLIANCE_RULES.logGroupEncrypted,
      'The function never logs secret values or tokens; pass `logEncryptionKey` to encrypt its logs with a key of your own.',
    );
  }
  acknowledgeCompliance(
    fn,
    COMPLIANCE_RULES.lambdaDeadLetterQueue,
    'Secrets Manager invokes the function synchronously and retries a failed rotation itself; there is no async event to dead-letter.',
  );
  if (!setup.inVpc) {
    acknowledgeCompliance(
      fn,
      COMPLIANCE_RULES.lambdaInsideVpc,
      'Without a database to reach, rotation calls only the Secrets Manager API over TLS; pass `vpc` to run it next to a database.',
    );
  }
  if (setup.reservesNone) {
    acknowledgeCompliance(
      fn,
      COMPLIANCE_RULES.lambdaConcurrency,
      'reservedConcurrentExecutions was set to 0 by the user: the account cannot reserve concurrency.',
    );
  }
  // With a literal account the control passes, and an acknowledgement would hide its next finding.
  if (prefixPermission && Token.isUnresolved(Stack.of(fn).account)) {
    acknowledgeCompliance(
      prefixPermission,
      COMPLIANCE_RULES.lambdaPermissionSource,
      'Only Secrets Manager may invoke, for this account (SourceAccount is the stack account) and the vault prefix (SourceArn); Control Tower reads only literal strings there.',
    );
  }
}
