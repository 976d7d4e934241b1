import { CfnResource, Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * The name `@cdklabs/cdk-validator-cfnguard` reports under. aws-cdk-lib suppresses a finding of any
 * validation plugin acknowledged as `<plugin name>::<rule name>` on the resource or an ancestor, so
 * a Control Tower control is acknowledged by its guard rule's name under this prefix.
 * (`Metadata.guard.SuppressedRules` is a convention of the Guard Rules Registry's rules, which test
 * for it themselves; the Control Tower rules do not, so it suppresses nothing there.)
 */
export const CFN_GUARD_PLUGIN = 'cdk-validator-cfnguard';

/**
 * One requirement as every tool that checks it names it: the cdk-nag rule id in each of the five packs
 * that has the rule (AwsSolutions, NIST.800.53.R5, HIPAA.Security, PCI.DSS.321, Serverless), and the
 * Control Tower control's guard rule. Acknowledging it acknowledges all of them with one reason, so
 * the reason must hold for each. test/compliance/compliance-rules.test.ts checks the ids against
 * cdk-nag's packs and the Control Tower rule files, including that no pack with the rule is missing.
 */
export interface ComplianceRule {
  /** cdk-nag rule ids, one per pack that has the rule. */
  readonly nag: readonly string[];
  /** Guard rule names of the Control Tower controls that check the same thing. */
  readonly controlTower: readonly string[];
}

function rule(nag: string[], controlTower: string[] = []): ComplianceRule {
  return { nag, controlTower };
}

/** The requirements the library answers by acknowledgement somewhere, by what they ask. */
export const COMPLIANCE_RULES = {
  /** A Lambda function has a dead-letter target for asynchronous invocations. */
  lambdaDeadLetterQueue: rule([
    'NIST.800.53.R5-LambdaDLQ',
    'HIPAA.Security-LambdaDLQ',
    'Serverless-LambdaDLQ',
  ]),
  /** A Lambda function runs in a VPC (CT.LAMBDA.PR.3). */
  lambdaInsideVpc: rule(
    ['NIST.800.53.R5-LambdaInsideVPC', 'HIPAA.Security-LambdaInsideVPC', 'PCI.DSS.321-LambdaInsideVPC'],
    ['lambda_inside_vpc_check'],
  ),
  /** A Lambda function reserves concurrency. */
  lambdaConcurrency: rule(['NIST.800.53.R5-LambdaConcurrency', 'HIPAA.Security-LambdaConcurrency']),
  /**
   * A Lambda permission names its source by a literal account or ARN, or a reference to a resource of
   * the template (CT.LAMBDA.PR.2).
   */
  lambdaPermissionSource: rule([], ['lambda_function_public_access_prohibited_check']),
  /** A log group is encrypted with a KMS key (CT.CLOUDWATCH.PR.3). */
  logGroupEncrypted: rule(
    [
      'NIST.800.53.R5-CloudWatchLogGroupEncrypted',
      'HIPAA.Security-CloudWatchLogGroupEncrypted',
      'PCI.DSS.321-CloudWatchLogGroupEncrypted',
    ],
    ['cloudwatch_log_group_encrypted_check'],
  ),
  /** A bucket replicates its objects. */
  s3Replication: rule([
    'NIST.800.53.R5-S3BucketReplicationEnabled',
    'HIPAA.Security-S3BucketReplicationEnabled',
    'PCI.DSS.321-S3BucketReplicationEnabled',
  ]),
  /** A bucket's default encryption is SSE-KMS (CT.S3.PR.10). */
  s3DefaultEncryptionKms: rule(
    [
      'NIST.800.53.R5-S3DefaultEncryptionKMS',
      'HIPAA.Security-S3DefaultEncryptionKMS',
      'PCI.DSS.321-S3DefaultEncryptionKMS',
    ],
    ['s3_bucket_default_encryption_kms_check'],
  ),
  /**
   * A bucket logs its server access (CT.S3.PR.2), answered for a bucket that receives server access
   * logs: cdk-nag's S3BucketLoggingEnabled already passes such a bucket, Control Tower does not.
   */
  s3AccessLogDestination: rule([], ['s3_bucket_logging_enabled_check']),
  /** A bucket has Object Lock on (CT.S3.PR.9). */
  s3ObjectLock: rule([], ['s3_bucket_object_lock_enabled_check']),
  /** A bucket sends event notifications (CT.S3.PR.4). */
  s3EventNotifications: rule([], ['s3_event_notifications_enabled_check']),
  /** A queue has a dead-letter queue (CT.SQS.PR.1). */
  sqsDeadLetterQueue: rule(['AwsSolutions-SQS3', 'Serverless-SQSRedrivePolicy'], ['sqs_dlq_check']),
  /** A topic subscription has a dead-letter queue. */
  snsSubscriptionDeadLetterQueue: rule(['Serverless-SNSRedrivePolicy']),
} as const satisfies Record<string, ComplianceRule>;

/**
 * Acknowledges one requirement on `scope` and everything below it, in every cdk-nag pack that checks
 * it and in the Control Tower rules, with one reason. Needs neither cdk-nag nor the guard plugin at
 * run time: both read the acknowledgements aws-cdk-lib records.
 *
 * @param reason why the finding does not apply or what answers it; it must hold for every pack and
 *   control of `requirement`, and it ends up in the synthesized validation report.
 */
export function acknowledgeCompliance(scope: IConstruct, requirement: ComplianceRule, reason: string): void {
  if (reason.trim().length < 40) {
    throw new Error(
      `acknowledgeCompliance(${scope.node.path}): the reason "${reason}" is too short to tell an auditor why; say why the finding does not apply here`,
    );
  }
  Validations.of(scope).acknowledge(
    ...requirement.nag.map((id) => ({ id, reason })),
    ...requirement.controlTower.map((name) => ({ id: `${CFN_GUARD_PLUGIN}::${name}`, reason })),
  );
}

/**
 * cfn-lint's W3005 on a function of ours: aws-cdk-lib's `lambda.Function` depends on its whole role
 * construct, so its `DependsOn` lists the role next to the `Fn::GetAtt` that already orders it (the
 * role's policy, also listed, is the dependency that matters). Redundant, harmless, and not ours to
 * remove without overriding `DependsOn` wholesale: acknowledged for cfn-lint on the function alone.
 */
export function acknowledgeRoleDependency(fn: IConstruct): void {
  const cfn = fn.node.defaultChild as CfnResource;
  cfn.addMetadata('cfn-lint', { config: { ignore_checks: ['W3005'] } });
}
