import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { validateEmail } from '../private/validation';
import { AuditKey } from './audit-key';

/**
 * Properties of an AuditTopic.
 */
export interface AuditTopicProps {
  /** The key that encrypts the topic's messages. */
  readonly encryptionKey: AuditKey;
}

/**
 * The SNS topic the audit's alarms and rules notify: encrypted with the audit's key, TLS-only, and
 * open to CloudWatch alarms and EventBridge rules of this account only.
 */
export class AuditTopic extends Construct {
  /** The topic. */
  public readonly topic: sns.Topic;

  private readonly encryptionKey: AuditKey;

  constructor(scope: Construct, id: string, props: AuditTopicProps) {
    super(scope, id);
    this.encryptionKey = props.encryptionKey;
    const stack = Stack.of(this);
    this.topic = new sns.Topic(this, 'Resource', {
      displayName: 'Secrets audit alarms',
      masterKey: props.encryptionKey,
      enforceSSL: true,
    });
    props.encryptionKey.allowTopicPublishers();
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AlarmsOfThisAccountPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:*`,
          },
        },
      }),
    );
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'RulesOfThisAccountPublish',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': `arn:${stack.partition}:events:${stack.region}:${stack.account}:rule/*`,
          },
        },
      }),
    );
  }

  /**
   * Subscribes an email address (confirm the subscription from the first mail). A notification SNS
   * cannot deliver to it, once its retries are spent, goes to `deadLetterQueue`, which must be
   * encrypted with the audit's key (the audit's rules' queue is): SNS may then use the key for it.
   */
  public addEmail(email: string, deadLetterQueue: sqs.IQueue): sns.Subscription {
    validateEmail(this, 'email', email);
    this.encryptionKey.allowTopicDeadLetterQueue();
    return this.topic.addSubscription(new subscriptions.EmailSubscription(email, { deadLetterQueue }));
  }
}
