import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { AuditKey } from './audit-key';

/**
 * Properties of an AuditTopic.
 */
export interface AuditTopicProps {
  /** The key that encrypts the topic's messages. */
  readonly encryptionKey: AuditKey;

  /**
   * An email address subscribed to the topic (the subscription must be confirmed from the mail).
   *
   * @default - no subscription
   */
  readonly email?: string;
}

/**
 * The SNS topic the audit's alarms and rules notify: encrypted with the audit's key, TLS-only, and
 * open to CloudWatch alarms and EventBridge rules of this account only.
 */
export class AuditTopic extends Construct {
  /** The topic. */
  public readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: AuditTopicProps) {
    super(scope, id);
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
    if (props.email !== undefined) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(props.email));
    }
  }
}
