import { ArnFormat, Duration, Lazy, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledgeCompliance, COMPLIANCE_RULES } from '../private/compliance';
import { ROTATION_FAILURE_EVENTS, SECRET_VALUE_EVENTS } from './audit-scope';

/**
 * EventBridge's detail type for a CloudTrail record of an API call.
 *
 * @internal
 */
export const API_CALL_DETAIL_TYPE = 'AWS API Call via CloudTrail';

/**
 * EventBridge's detail type for a CloudTrail record of a service event.
 *
 * @internal
 */
export const SERVICE_EVENT_DETAIL_TYPE = 'AWS Service Event via CloudTrail';

/**
 * How long EventBridge keeps retrying a notification the topic refused (the service maximum): a late
 * notification of a policy change is better than none.
 *
 * @internal
 */
export const RULE_RETRY_MAX_EVENT_AGE = Duration.hours(24);

/**
 * How many times EventBridge retries a notification (the service maximum).
 *
 * @internal
 */
export const RULE_RETRY_ATTEMPTS = 185;

/**
 * How long an undelivered notification waits in the dead-letter queue (the SQS maximum).
 *
 * @internal
 */
export const DEAD_LETTER_RETENTION = Duration.days(14);

/**
 * Properties of AuditRules.
 */
export interface AuditRulesProps {
  /** The topic the rules notify. Its policy must let EventBridge rules of the account publish. */
  readonly topic: sns.ITopic;

  /**
   * The key of the dead-letter queue. Its policy must let `events.amazonaws.com` generate data keys
   * and decrypt.
   */
  readonly encryptionKey: kms.IKey;

  /**
   * The unique ids of the rotation roles whose value writes are routine, read at synth.
   *
   * @default - none: every value write notifies
   */
  readonly routineWriterIds?: () => string[];

  /**
   * The complete ARNs of secrets watched outside the name prefixes (the master secrets RDS manages
   * with a watched vault's key), read at synth: their failed or abandoned rotations notify too.
   *
   * @default - none
   */
  readonly managedSecretArns?: () => readonly string[];
}

/**
 * EventBridge rules that notify the topic as soon as CloudTrail hands the event to EventBridge,
 * without waiting for log delivery to CloudWatch Logs: a failed or abandoned rotation of a watched
 * secret (or of a managed secret given by ARN), a management call on a watched secret (a value write
 * only when no rotation function made it), a management call on a watched key. Each vault adds one or two entries to a rule's pattern,
 * never a rule. A notification the topic refuses is retried for a day, then kept in an encrypted
 * dead-letter queue.
 *
 * EventBridge sees only this region's calls; the metric filters behind the alarms read the trail's
 * log group, which a multi-region trail fills from every region.
 */
export class AuditRules extends Construct {
  /** Matches RotationFailed and RotationAbandoned of the watched secrets. */
  public readonly rotationFailure: events.Rule;

  /**
   * Matches every successful write call on a watched secret; PutSecretValue and
   * UpdateSecretVersionStage only when no rotation role made them.
   */
  public readonly secretChange: events.Rule;

  /** Matches every successful write call on a watched key. */
  public readonly keyChange: events.Rule;

  /**
   * Where EventBridge puts the notifications it could not deliver (and SNS those of a subscription
   * given it as its dead-letter queue, as `SecretsAudit`'s `alarmEmail`).
   */
  public readonly deadLetterQueue: sqs.Queue;

  /** What the rotation rule matches in `additionalEventData.SecretId`, in the order watched. */
  private readonly rotatedSecretIds: unknown[] = [];

  constructor(scope: Construct, id: string, props: AuditRulesProps) {
    super(scope, id);
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.encryptionKey,
      enforceSSL: true,
      retentionPeriod: DEAD_LETTER_RETENTION,
    });
    acknowledgeCompliance(
      this.deadLetterQueue,
      COMPLIANCE_RULES.sqsDeadLetterQueue,
      'This queue is the dead-letter queue of the audit’s EventBridge rules, and of its alarm email subscription ' +
        'if any (their DeadLetterConfig and RedrivePolicy, which these checks do not follow). A dead-letter queue ' +
        'of its own would only move the problem; a message here raises the audit’s NotificationDeliveryFailed alarm.',
    );

    // The topic policy already admits the account's rules (with source conditions): a plain target
    // keeps aws-cdk-lib from adding a second, unconditioned grant.
    const target: events.IRuleTarget = {
      bind: () => ({
        arn: props.topic.topicArn,
        deadLetterConfig: { arn: this.deadLetterQueue.queueArn },
        retryPolicy: {
          maximumEventAgeInSeconds: RULE_RETRY_MAX_EVENT_AGE.toSeconds(),
          maximumRetryAttempts: RULE_RETRY_ATTEMPTS,
        },
      }),
    };
    this.rotationFailure = new events.Rule(this, 'RotationFailure', {
      description: 'A rotation of a watched secret failed or was abandoned',
      eventPattern: {
        source: ['aws.secretsmanager'],
        detailType: [SERVICE_EVENT_DETAIL_TYPE],
        detail: {
          eventSource: ['secretsmanager.amazonaws.com'],
          eventName: ROTATION_FAILURE_EVENTS,
          // Service events name the secret by its complete ARN. The managed secrets are known at synth.
          additionalEventData: Lazy.any({
            produce: () => {
              const ids = [...this.rotatedSecretIds, ...(props.managedSecretArns?.() ?? [])];
              return ids.length > 0 ? { SecretId: ids } : undefined;
            },
          }),
        },
      },
      targets: [target],
    });
    const routineWriterIds = props.routineWriterIds ?? (() => []);
    this.secretChange = new events.Rule(this, 'SecretChange', {
      description:
        'A management call on a watched secret, or a value written by someone other than its rotation function',
      eventPattern: {
        source: ['aws.secretsmanager'],
        detailType: [API_CALL_DETAIL_TYPE],
        detail: {
          eventSource: ['secretsmanager.amazonaws.com'],
          readOnly: [false],
          errorCode: [{ exists: false }],
          // The rotation roles are known at synth only (a vault creates its function with its first
          // rotating secret); without any, every write notifies.
          $or: Lazy.any({ produce: () => notByRotation(routineWriterIds()) }),
        },
      },
      targets: [target],
    });
    this.keyChange = new events.Rule(this, 'KeyChange', {
      description: 'A management call on a watched key',
      eventPattern: {
        source: ['aws.kms'],
        detailType: [API_CALL_DETAIL_TYPE],
        detail: {
          eventSource: ['kms.amazonaws.com'],
          readOnly: [false],
          errorCode: [{ exists: false }],
        },
      },
      targets: [target],
    });

    this.deadLetterQueue.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AuditRulesSendUndeliveredNotifications',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['sqs:SendMessage'],
        resources: [this.deadLetterQueue.queueArn],
        conditions: {
          ArnEquals: {
            'aws:SourceArn': [
              this.rotationFailure.ruleArn,
              this.secretChange.ruleArn,
              this.keyChange.ruleArn,
            ],
          },
        },
      }),
    );
  }

  /** Adds the secrets named `<prefix>/...` to the secret rules. */
  public watchPrefix(prefix: string): void {
    const arnPrefix = Stack.of(this).formatArn({
      service: 'secretsmanager',
      resource: 'secret',
      resourceName: `${prefix}/`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    // Service events name the secret by ARN; API calls by whatever the caller passed, name or ARN.
    this.rotatedSecretIds.push({ prefix: arnPrefix });
    this.secretChange.addEventPattern({
      detail: { requestParameters: { secretId: [{ prefix: `${prefix}/` }, { prefix: arnPrefix }] } },
    });
  }

  /**
   * Adds a key to the key rule. Management calls name it by id or ARN, both end with the id; the
   * alias calls may not name it at all, and KMS records its ARN in `responseElements.keyId`.
   */
  public watchKey(keyId: string): void {
    this.keyChange.addEventPattern({
      detail: {
        $or: [
          { requestParameters: { keyId: [{ suffix: keyId }] } },
          { responseElements: { keyId: [{ suffix: keyId }] } },
        ],
      },
    });
  }
}

/** The EventBridge form of "not a value write by a rotation role". */
function notByRotation(roleIds: string[]): unknown[] | undefined {
  if (roleIds.length === 0) return undefined;
  const issuer = (principalId: unknown[]) => ({
    userIdentity: { sessionContext: { sessionIssuer: { principalId } } },
  });
  return [
    { eventName: [{ 'anything-but': SECRET_VALUE_EVENTS }] },
    // `anything-but` never matches a missing field: a caller with no session issuer needs its own branch.
    issuer([{ exists: false }]),
    issuer([{ 'anything-but': roleIds }]),
  ];
}
