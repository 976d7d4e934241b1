import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { KEY_ADMIN_ACTIONS, KEY_GRANT_ACTIONS } from '../private/actions';
import {
  deploymentRoleArn,
  distinct,
  KEY_ADMIN_SERVICE_HINT,
  nonEmpty,
  principalArnPatterns,
} from '../private/principals';

/** What a service needs to put encrypted data into (and read it back from) an SNS topic or a log group. */
const PUBLISH_ENCRYPTED_ACTIONS = ['kms:Decrypt', 'kms:GenerateDataKey*'];

/**
 * Properties of an AuditKey.
 */
export interface AuditKeyProps {
  /**
   * What happens to the key when it leaves the stack. Deleting it makes the trail's log files and
   * logs unreadable, so the default keeps it.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Who administers the key besides the deployment (as `VaultKeyProps.keyAdmins`).
   *
   * @default - only the deployment
   */
  readonly keyAdmins?: iam.IPrincipal[];

  /**
   * The role CloudFormation deploys the stack with; it always administers the key.
   *
   * @default - the CloudFormation execution role of the stack's `DefaultStackSynthesizer`
   */
  readonly deploymentRole?: iam.IRole;
}

/**
 * The audit's own customer-managed key (rotation on) for its trail, log group, buckets and alarm
 * topic. Its policy names each service that uses it, scoped by the service's own conditions; only
 * the deployment and named `keyAdmins` administer it (an IAM administrator with `kms:*` cannot change
 * its policy or schedule its deletion, which would blind the audit), and the account decrypts only
 * CloudTrail log files.
 */
export class AuditKey extends kms.Key {
  private topicDeadLetterQueueAllowed = false;

  constructor(scope: Construct, id: string, props: AuditKeyProps = {}) {
    super(scope, id, {
      description: 'Encrypts the audit trail, its logs and the alarm topic of cdk-secrets-vault',
      enableKeyRotation: true,
      rotationPeriod: Duration.days(90),
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      pendingWindow: Duration.days(30),
      // Our own document keeps aws-cdk-lib from adding its default `kms:*` for the account.
      policy: new iam.PolicyDocument(),
    });
    const administrators = distinct([
      deploymentRoleArn(this, this, props.deploymentRole),
      ...nonEmpty(this, 'keyAdmins', props.keyAdmins).flatMap((p) =>
        principalArnPatterns(this, 'keyAdmins', p, { serviceHint: KEY_ADMIN_SERVICE_HINT }),
      ),
    ]);
    this.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'KeyAdministration',
        principals: [new iam.AccountRootPrincipal()],
        actions: KEY_ADMIN_ACTIONS,
        resources: ['*'],
        // By ARN, as for a vault key: a deleted role recreated with the same name gets the key back.
        conditions: { ArnLike: { 'aws:PrincipalArn': administrators } },
      }),
    );
    // No statement allows kms:CreateGrant today (CloudTrail, CloudWatch Logs, SNS and SQS use the key
    // without grants); the deny binds any a key administrator adds later, in the shape of Control
    // Tower's CT.KMS.PR.3: grants only for AWS resources, or by AWS services themselves.
    this.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyGrantsNotForAwsResourcesOrServices',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: KEY_GRANT_ACTIONS,
        resources: ['*'],
        conditions: {
          BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' },
        },
      }),
    );
  }

  /**
   * Lets one trail encrypt its log files (and describe the key), and lets principals of this
   * account, whose IAM policies allow it, decrypt CloudTrail log files and nothing else.
   */
  public allowTrail(trailArn: string): void {
    const stack = Stack.of(this);
    const cloudtrail = new iam.ServicePrincipal('cloudtrail.amazonaws.com');
    const anyTrailOfAccount = `arn:${stack.partition}:cloudtrail:*:${stack.account}:trail/*`;
    this.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudTrailEncryptsLogFiles',
        principals: [cloudtrail],
        actions: ['kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'aws:SourceArn': trailArn },
          StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': anyTrailOfAccount },
        },
      }),
    );
    this.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudTrailDescribesKey',
        principals: [cloudtrail],
        actions: ['kms:DescribeKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceArn': trailArn } },
      }),
    );
    this.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AccountDecryptsLogFiles',
        principals: [new iam.AccountRootPrincipal()],
        actions: ['kms:Decrypt', 'kms:ReEncryptFrom'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'kms:CallerAccount': stack.account },
          StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': anyTrailOfAccount },
        },
      }),
    );
  }

  /** Lets CloudWatch Logs encrypt and decrypt one log group with the key. */
  public allowLogGroup(logGroupArn: string): void {
    const stack = Stack.of(this);
    this.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchLogsEncryptsTrailLogGroup',
        principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: { ArnEquals: { 'kms:EncryptionContext:aws:logs:arn': logGroupArn } },
      }),
    );
  }

  /**
   * Lets CloudWatch alarms of this account and region publish to a topic encrypted with the key, and
   * EventBridge rules publish to it and to their encrypted dead-letter queue.
   *
   * CloudWatch passes the alarm as `aws:SourceArn` and its account as `aws:SourceAccount` through SNS
   * to KMS, so the alarm statement names both. EventBridge does not: the SNS developer guide says
   * that adding aws:SourceAccount or aws:SourceArn to a KMS key policy "is not supported for
   * EventBridge-to-encrypted topics", and such a condition silently drops every notification. The
   * rule statement therefore has none; what contains it is that only the audit's topic and queue use
   * this key, and their own policies admit only this account's rules (the topic) and this audit's
   * rules (the queue), by `aws:SourceArn`.
   */
  public allowTopicPublishers(): void {
    const stack = Stack.of(this);
    this.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AlarmsOfThisAccountPublishToEncryptedTopic',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: PUBLISH_ENCRYPTED_ACTIONS,
        resources: ['*'],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:*`,
          },
        },
      }),
    );
    this.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'RulesPublishToEncryptedTopicAndDeadLetterQueue',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: PUBLISH_ENCRYPTED_ACTIONS,
        resources: ['*'],
      }),
    );
  }

  /**
   * Lets SNS put what a subscription of the audit's topic could not deliver into a dead-letter queue
   * encrypted with the key (SNS requires a customer-managed key's policy to name it for that). Without
   * source conditions, like the EventBridge statement: the queue's own policy admits only the audit's
   * topic, by `aws:SourceArn`. Added once, however many subscriptions use it.
   */
  public allowTopicDeadLetterQueue(): void {
    if (this.topicDeadLetterQueueAllowed) return;
    this.topicDeadLetterQueueAllowed = true;
    this.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'TopicSendsUndeliveredToEncryptedDeadLetterQueue',
        principals: [new iam.ServicePrincipal('sns.amazonaws.com')],
        actions: PUBLISH_ENCRYPTED_ACTIONS,
        resources: ['*'],
      }),
    );
  }
}
