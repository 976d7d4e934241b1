import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { KEY_CHANGE_EVENTS, ROTATION_FAILURE_EVENTS, SECRET_CHANGE_EVENTS } from './audit-scope';

/** EventBridge's detail types for CloudTrail records. */
export const API_CALL_DETAIL_TYPE = 'AWS API Call via CloudTrail';
export const SERVICE_EVENT_DETAIL_TYPE = 'AWS Service Event via CloudTrail';

/**
 * Properties of AuditRules.
 */
export interface AuditRulesProps {
  /** The topic the rules notify. Its policy must let EventBridge rules of the account publish. */
  readonly topic: sns.ITopic;
}

/**
 * EventBridge rules that notify the topic as soon as CloudTrail hands the event to EventBridge,
 * without waiting for log delivery to CloudWatch Logs: a failed or abandoned rotation of a watched
 * secret, a policy or lifecycle change of a watched secret, a weakening change of a watched key.
 * Each vault adds one or two entries to a rule's pattern, never a rule.
 */
export class AuditRules extends Construct {
  /** Matches RotationFailed and RotationAbandoned of the watched secrets. */
  public readonly rotationFailure: events.Rule;

  /** Matches successful PutResourcePolicy, DeleteResourcePolicy, DeleteSecret, CancelRotateSecret. */
  public readonly secretChange: events.Rule;

  /** Matches successful DisableKey, DisableKeyRotation, ScheduleKeyDeletion, PutKeyPolicy. */
  public readonly keyChange: events.Rule;

  constructor(scope: Construct, id: string, props: AuditRulesProps) {
    super(scope, id);
    // The topic policy already admits the account's rules (with source conditions): a plain target
    // keeps aws-cdk-lib from adding a second, unconditioned grant.
    const target: events.IRuleTarget = { bind: () => ({ arn: props.topic.topicArn }) };
    this.rotationFailure = new events.Rule(this, 'RotationFailure', {
      description: 'A rotation of a watched secret failed or was abandoned',
      eventPattern: {
        source: ['aws.secretsmanager'],
        detailType: [SERVICE_EVENT_DETAIL_TYPE],
        detail: { eventSource: ['secretsmanager.amazonaws.com'], eventName: ROTATION_FAILURE_EVENTS },
      },
      targets: [target],
    });
    this.secretChange = new events.Rule(this, 'SecretChange', {
      description:
        'The resource policy of a watched secret changed, or it was deleted, or its rotation cancelled',
      eventPattern: {
        source: ['aws.secretsmanager'],
        detailType: [API_CALL_DETAIL_TYPE],
        detail: {
          eventSource: ['secretsmanager.amazonaws.com'],
          eventName: SECRET_CHANGE_EVENTS,
          errorCode: [{ exists: false }],
        },
      },
      targets: [target],
    });
    this.keyChange = new events.Rule(this, 'KeyChange', {
      description:
        'A watched key was disabled, scheduled for deletion, lost its rotation or got a new policy',
      eventPattern: {
        source: ['aws.kms'],
        detailType: [API_CALL_DETAIL_TYPE],
        detail: {
          eventSource: ['kms.amazonaws.com'],
          eventName: KEY_CHANGE_EVENTS,
          errorCode: [{ exists: false }],
        },
      },
      targets: [target],
    });
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
    this.rotationFailure.addEventPattern({
      detail: { additionalEventData: { SecretId: [{ prefix: arnPrefix }] } },
    });
    this.secretChange.addEventPattern({
      detail: { requestParameters: { secretId: [{ prefix: `${prefix}/` }, { prefix: arnPrefix }] } },
    });
  }

  /** Adds a key to the key rule: management calls name it by id or ARN, both end with the id. */
  public watchKey(keyId: string): void {
    this.keyChange.addEventPattern({ detail: { requestParameters: { keyId: [{ suffix: keyId }] } } });
  }
}
