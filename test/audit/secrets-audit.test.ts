import { App, Duration, Fn, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { IConstruct } from 'constructs';
import { SecretsVault } from '../../lib';
import {
  AUDIT_METRICS,
  AuditTrail,
  BREAK_GLASS_METRICS,
  DEFAULT_AUDIT_NAMESPACE,
  SecretsAudit,
} from '../../lib/secrets-audit';
import { AuditedStack, auditedStack, BREAK_GLASS_ROLE_ARN, resolveCfn } from './support';

const TRAIL_ARN = Match.objectLike({
  'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(':cloudtrail:eu-west-1:123456789012:trail/')])],
});

function keyStatements(template: Template): Record<string, any> {
  const keys = template.findResources('AWS::KMS::Key', {
    Properties: { Description: Match.stringLikeRegexp('audit trail') },
  });
  const [key] = Object.values(keys) as any[];
  return Object.fromEntries(key.Properties.KeyPolicy.Statement.map((s: any) => [s.Sid, s]));
}

/** The rule ids acknowledged on one construct itself (not its children), each with its reason. */
function acknowledged(construct: IConstruct): Record<string, string> {
  return Object.fromEntries(
    construct.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.entries(m.data as Record<string, string>))
      .map(([id, reason]) => [id.replace(/^Annotation::/, ''), reason]),
  );
}

/** The ids of one requirement in every pack that checks it, and in Control Tower's rules. */
const REPLICATION = [
  'NIST.800.53.R5-S3BucketReplicationEnabled',
  'HIPAA.Security-S3BucketReplicationEnabled',
  'PCI.DSS.321-S3BucketReplicationEnabled',
];
const DEFAULT_ENCRYPTION_KMS = [
  'NIST.800.53.R5-S3DefaultEncryptionKMS',
  'HIPAA.Security-S3DefaultEncryptionKMS',
  'PCI.DSS.321-S3DefaultEncryptionKMS',
  'cdk-validator-cfnguard::s3_bucket_default_encryption_kms_check',
];
const ACCESS_LOGGING = ['cdk-validator-cfnguard::s3_bucket_logging_enabled_check'];
const OBJECT_LOCK = ['cdk-validator-cfnguard::s3_bucket_object_lock_enabled_check'];
const QUEUE_DEAD_LETTER = [
  'AwsSolutions-SQS3',
  'Serverless-SQSRedrivePolicy',
  'cdk-validator-cfnguard::sqs_dlq_check',
];

function logicalId(template: Template, type: string, props: Record<string, unknown> = {}): string {
  const found = Object.keys(template.findResources(type, { Properties: props }));
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0];
}

describe('SecretsAudit with its own trail (the default)', () => {
  let audited: AuditedStack;
  let template: Template;
  let auditKeyId: string;
  let trailBucketId: string;
  let accessLogBucketId: string;
  let topicId: string;

  beforeAll(() => {
    audited = auditedStack({ props: { alarmEmail: 'secops@example.com' } });
    template = audited.template;
    auditKeyId = logicalId(template, 'AWS::KMS::Key', { Description: Match.stringLikeRegexp('audit trail') });
    trailBucketId = logicalId(template, 'AWS::S3::Bucket', { LoggingConfiguration: Match.anyValue() });
    accessLogBucketId = logicalId(template, 'AWS::S3::Bucket', { LoggingConfiguration: Match.absent() });
    topicId = logicalId(template, 'AWS::SNS::Topic');
  });

  describe('the trail', () => {
    test('is multi-region, validates log files, records reads and writes, encrypted with the audit key', () => {
      template.resourceCountIs('AWS::CloudTrail::Trail', 1);
      template.hasResourceProperties('AWS::CloudTrail::Trail', {
        IsLogging: true,
        IsMultiRegionTrail: true,
        IncludeGlobalServiceEvents: true,
        EnableLogFileValidation: true,
        KMSKeyId: { 'Fn::GetAtt': [auditKeyId, 'Arn'] },
        S3BucketName: { Ref: trailBucketId },
        EventSelectors: [{ IncludeManagementEvents: true, ReadWriteType: 'All' }],
      });
    });

    test('delivers to an encrypted log group with one year of retention, through a role only it may assume', () => {
      const logGroupId = logicalId(template, 'AWS::Logs::LogGroup', {
        LogGroupName: Match.stringLikeRegexp('^/secrets-audit/'),
      });
      template.hasResourceProperties('AWS::Logs::LogGroup', {
        LogGroupName: Match.stringLikeRegexp('^/secrets-audit/'),
        KmsKeyId: { 'Fn::GetAtt': [auditKeyId, 'Arn'] },
        RetentionInDays: 365,
      });
      template.hasResourceProperties('AWS::CloudTrail::Trail', {
        CloudWatchLogsLogGroupArn: { 'Fn::GetAtt': [logGroupId, 'Arn'] },
        CloudWatchLogsRoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AuditTrailLogsRole'), 'Arn'] },
      });
      template.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: {
          Statement: [
            {
              Action: 'sts:AssumeRole',
              Principal: { Service: 'cloudtrail.amazonaws.com' },
              Condition: { StringEquals: { 'aws:SourceArn': TRAIL_ARN } },
            },
          ],
        },
      });
      template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
        PolicyDocument: {
          Statement: [
            {
              Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
              Resource: {
                'Fn::Join': [
                  '',
                  [
                    'arn:',
                    { Ref: 'AWS::Partition' },
                    Match.stringLikeRegexp(
                      ':log-group:/secrets-audit/.*:log-stream:123456789012_CloudTrail_\\*$',
                    ),
                  ],
                ],
              },
            },
          ],
        },
      });
    });

    test('is created after its bucket policy and its role policy', () => {
      const trail = Object.values(template.findResources('AWS::CloudTrail::Trail'))[0] as any;
      expect(trail.DependsOn).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^AuditTrailBucketPolicy/),
          expect.stringMatching(/^AuditTrailLogsRolePolicy/),
        ]),
      );
    });

    test('writes to a versioned, KMS-encrypted bucket that blocks public access and logs its access', () => {
      template.hasResourceProperties('AWS::S3::Bucket', {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            {
              BucketKeyEnabled: true,
              ServerSideEncryptionByDefault: {
                SSEAlgorithm: 'aws:kms',
                KMSMasterKeyID: { 'Fn::GetAtt': [auditKeyId, 'Arn'] },
              },
            },
          ],
        },
        VersioningConfiguration: { Status: 'Enabled' },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        LoggingConfiguration: {
          DestinationBucketName: { Ref: accessLogBucketId },
          LogFilePrefix: 'trail-bucket/',
        },
        LifecycleConfiguration: {
          Rules: [
            Match.objectLike({
              ExpirationInDays: 365,
              NoncurrentVersionExpiration: { NoncurrentDays: 90 },
              Status: 'Enabled',
            }),
          ],
        },
      });
    });

    test('the access-log bucket is hardened too (SSE-S3: the only encryption access logging delivers to)', () => {
      template.hasResourceProperties('AWS::S3::Bucket', {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        VersioningConfiguration: { Status: 'Enabled' },
        PublicAccessBlockConfiguration: Match.objectEquals({
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        }),
        LoggingConfiguration: Match.absent(),
        LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 365 })] },
      });
    });

    test.each([
      ['trail bucket', () => trailBucketId],
      ['access-log bucket', () => accessLogBucketId],
    ])('the %s sends its object events to EventBridge, without a custom resource', (_name, id) => {
      expect(template.toJSON().Resources[id()].Properties.NotificationConfiguration).toEqual({
        EventBridgeConfiguration: { EventBridgeEnabled: true },
      });
      // `eventBridgeEnabled` on the L2 would add aws-cdk-lib's notifications handler (a Lambda function).
      template.resourceCountIs('Custom::S3BucketNotifications', 0);
      expect(Object.keys(template.findResources('AWS::Lambda::Function'))).not.toContainEqual(
        expect.stringMatching(/^BucketNotificationsHandler/),
      );
    });

    test('the trail bucket acknowledges only replication, in every pack that checks it, with one reason', () => {
      const acks = acknowledged(audited.audit.trail!.bucket);
      expect(Object.keys(acks).sort()).toEqual([...REPLICATION].sort());
      expect(new Set(Object.values(acks)).size).toBe(1);
      expect(Object.values(acks)[0]).toMatch(/another region or account/);
    });

    test('the access-log bucket acknowledges what S3 forbids for a log destination, in every pack that checks it', () => {
      const acks = acknowledged(audited.audit.trail!.accessLogBucket);
      expect(Object.keys(acks).sort()).toEqual(
        [...REPLICATION, ...DEFAULT_ENCRYPTION_KMS, ...ACCESS_LOGGING, ...OBJECT_LOCK].sort(),
      );
      const reasonOf = (ids: string[]) => {
        const reasons = new Set(ids.map((id) => acks[id]));
        expect(reasons.size).toBe(1);
        return [...reasons][0];
      };
      expect(reasonOf(DEFAULT_ENCRYPTION_KMS)).toMatch(/only to buckets encrypted with S3-managed keys/);
      expect(reasonOf(ACCESS_LOGGING)).toMatch(/receives the trail bucket’s server access logs/);
      expect(reasonOf(OBJECT_LOCK)).toMatch(/cannot deliver server access logs to a bucket with Object Lock/);
    });

    test.each([
      ['trail bucket', () => trailBucketId],
      ['access-log bucket', () => accessLogBucketId],
    ])('the %s refuses requests without TLS 1.2', (_name, id) => {
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: id() },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 's3:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
            Match.objectLike({
              Effect: 'Deny',
              Action: 's3:*',
              Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } },
            }),
          ]),
        },
      });
    });

    test('only this trail may write to the trail bucket, and only S3 logging of that bucket to the access-log bucket', () => {
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: trailBucketId },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Sid: 'CloudTrailChecksBucketAcl',
              Condition: { StringEquals: { 'aws:SourceArn': TRAIL_ARN } },
            }),
            Match.objectLike({
              Sid: 'CloudTrailWritesLogFiles',
              Principal: { Service: 'cloudtrail.amazonaws.com' },
              Action: 's3:PutObject',
              Condition: {
                StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control', 'aws:SourceArn': TRAIL_ARN },
              },
            }),
          ]),
        },
      });
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: accessLogBucketId },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Principal: { Service: 'logging.s3.amazonaws.com' },
              Action: 's3:PutObject',
              Condition: {
                ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [trailBucketId, 'Arn'] } },
                StringEquals: { 'aws:SourceAccount': '123456789012' },
              },
            }),
          ]),
        },
      });
    });
  });

  describe('the audit key', () => {
    test('is administered by the deployment only, by ARN: an administrator with kms:* cannot blind the audit', () => {
      const admin = keyStatements(template).KeyAdministration;
      expect(admin.Principal).toEqual({ AWS: expect.anything() });
      expect(audited.resolve(admin.Condition)).toEqual({
        ArnLike: {
          'aws:PrincipalArn': [
            'arn:aws:iam::123456789012:role/cdk-hnb659fds-cfn-exec-role-123456789012-eu-west-1',
          ],
        },
      });
      expect(admin.Action).toEqual(expect.arrayContaining(['kms:PutKeyPolicy', 'kms:ScheduleKeyDeletion']));
    });

    test('rotates its material', () => {
      template.hasResourceProperties('AWS::KMS::Key', {
        Description: Match.stringLikeRegexp('audit trail'),
        EnableKeyRotation: true,
        RotationPeriodInDays: 90,
      });
    });

    test('lets CloudTrail encrypt only for this trail and this account’s trails', () => {
      const statements = keyStatements(template);
      expect(statements.CloudTrailEncryptsLogFiles).toMatchObject({
        Principal: { Service: 'cloudtrail.amazonaws.com' },
        Action: 'kms:GenerateDataKey*',
        Condition: {
          StringEquals: { 'aws:SourceArn': expect.anything() },
          StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': expect.anything() },
        },
      });
      expect(audited.resolve(statements.CloudTrailEncryptsLogFiles.Condition)).toEqual({
        StringEquals: {
          'aws:SourceArn': expect.stringMatching(
            /^arn:aws:cloudtrail:eu-west-1:123456789012:trail\/Audited-Audit-/,
          ),
        },
        StringLike: {
          'kms:EncryptionContext:aws:cloudtrail:arn': 'arn:aws:cloudtrail:*:123456789012:trail/*',
        },
      });
      expect(statements.CloudTrailDescribesKey).toMatchObject({ Action: 'kms:DescribeKey' });
    });

    test('lets CloudWatch Logs use it for the trail log group only', () => {
      const statement = keyStatements(template).CloudWatchLogsEncryptsTrailLogGroup;
      expect(statement.Principal).toEqual({ Service: 'logs.eu-west-1.amazonaws.com' });
      expect(audited.resolve(statement.Condition)).toEqual({
        ArnEquals: {
          'kms:EncryptionContext:aws:logs:arn': expect.stringMatching(
            /^arn:aws:logs:eu-west-1:123456789012:log-group:\/secrets-audit\/[^:*]+$/,
          ),
        },
      });
    });

    test('lets alarms of this account and region only publish to the encrypted topic', () => {
      const statement = keyStatements(template).AlarmsOfThisAccountPublishToEncryptedTopic;
      expect(statement).toMatchObject({
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      });
      expect(audited.resolve(statement.Condition)).toEqual({
        StringEquals: { 'aws:SourceAccount': '123456789012' },
        ArnLike: { 'aws:SourceArn': 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:*' },
      });
    });

    test('lets EventBridge use it for the topic and the dead-letter queue, without source conditions SNS does not support for it', () => {
      const statement = keyStatements(template).RulesPublishToEncryptedTopicAndDeadLetterQueue;
      expect(statement).toMatchObject({
        Principal: { Service: 'events.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      });
      // The SNS developer guide: aws:SourceAccount / aws:SourceArn in a key policy are not supported
      // for EventBridge-to-encrypted topics (every notification would be dropped).
      expect(statement.Condition).toBeUndefined();
    });

    test('lets SNS put what the alarm email could not receive into the encrypted dead-letter queue', () => {
      expect(keyStatements(template).TopicSendsUndeliveredToEncryptedDeadLetterQueue).toEqual({
        Sid: 'TopicSendsUndeliveredToEncryptedDeadLetterQueue',
        Effect: 'Allow',
        Principal: { Service: 'sns.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Resource: '*',
      });
    });

    test('only the topic and the dead-letter queue are encrypted with it, and both admit only their own rules', () => {
      const keyRef = { 'Fn::GetAtt': [auditKeyId, 'Arn'] };
      expect(
        Object.keys(template.findResources('AWS::SNS::Topic', { Properties: { KmsMasterKeyId: keyRef } })),
      ).toHaveLength(1);
      expect(
        Object.keys(template.findResources('AWS::SQS::Queue', { Properties: { KmsMasterKeyId: keyRef } })),
      ).toHaveLength(1);
      template.resourceCountIs('AWS::SQS::Queue', 1);
    });

    test('denies every grant not for an AWS resource nor made by an AWS service, to everyone (CT.KMS.PR.3)', () => {
      // Exactly the statement Control Tower's CT.KMS.PR.3 looks for: one action, both keys, nothing else.
      expect(keyStatements(template).DenyGrantsNotForAwsResourcesOrServices).toEqual({
        Sid: 'DenyGrantsNotForAwsResourcesOrServices',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'kms:CreateGrant',
        Resource: '*',
        Condition: {
          BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' },
        },
      });
      const allowingGrants = Object.values(keyStatements(template)).filter(
        (s: any) =>
          s.Effect === 'Allow' && [s.Action].flat().some((a: string) => /^kms:(CreateGrant|\*)$/.test(a)),
      );
      expect(allowingGrants).toEqual([]);
    });

    test('gives the account no kms:* and no decrypt outside CloudTrail log files', () => {
      const statements = Object.values(keyStatements(template));
      expect(statements.flatMap((s: any) => [s.Action].flat())).not.toContain('kms:*');
      const decrypting = statements.filter(
        (s: any) => s.Principal.AWS && [s.Action].flat().includes('kms:Decrypt'),
      ) as any[];
      expect(decrypting).toHaveLength(1);
      expect(decrypting[0].Condition.StringLike).toHaveProperty(['kms:EncryptionContext:aws:cloudtrail:arn']);
      expect(decrypting[0].Condition.StringEquals).toEqual({ 'kms:CallerAccount': '123456789012' });
    });
  });

  describe('signals', () => {
    test('one metric filter per signal (and one for the break-glass principal) on the trail log group, in the audit namespace', () => {
      template.resourceCountIs('AWS::Logs::MetricFilter', Object.keys(AUDIT_METRICS).length + 2);
      for (const metricName of [...Object.values(AUDIT_METRICS), ...Object.values(BREAK_GLASS_METRICS)]) {
        template.hasResourceProperties('AWS::Logs::MetricFilter', {
          LogGroupName: { Ref: Match.stringLikeRegexp('^AuditTrailLogs') },
          MetricTransformations: [
            Match.objectLike({
              MetricNamespace: DEFAULT_AUDIT_NAMESPACE,
              MetricName: metricName,
              MetricValue: '1',
              Unit: 'Count',
            }),
          ],
        });
      }
    });

    test('the secret-read metric has the secret as its dimension; the alarmed ones have none', () => {
      template.hasResourceProperties('AWS::Logs::MetricFilter', {
        MetricTransformations: [
          Match.objectLike({
            MetricName: 'SecretRead',
            Dimensions: [{ Key: 'SecretId', Value: '$.requestParameters.secretId' }],
          }),
        ],
      });
      for (const name of [
        'AccessDenied',
        'RotationFailed',
        'RotationAbandoned',
        'KeyManagementCall',
        'SecretManagementCall',
        'SecretValueWrittenOutsideRotation',
        'BreakGlassUsed',
        'BreakGlassRoleAssumed',
      ]) {
        template.hasResourceProperties('AWS::Logs::MetricFilter', {
          MetricTransformations: [Match.objectLike({ MetricName: name, Dimensions: Match.absent() })],
        });
      }
    });

    test('three EventBridge rules notify the topic directly, retrying for a day, then into a dead-letter queue', () => {
      template.resourceCountIs('AWS::Events::Rule', 3);
      const queueId = logicalId(template, 'AWS::SQS::Queue');
      const rules = Object.values(template.findResources('AWS::Events::Rule')) as any[];
      for (const rule of rules) {
        expect(rule.Properties.Targets).toEqual([
          {
            Arn: { Ref: topicId },
            Id: 'Target0',
            DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } },
            RetryPolicy: { MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 185 },
          },
        ]);
        expect(rule.Properties.State).toBe('ENABLED');
        expect(rule.Properties.RoleArn).toBeUndefined();
      }
      expect(rules.map((r) => r.Properties.EventPattern['detail-type'][0]).sort()).toEqual([
        'AWS API Call via CloudTrail',
        'AWS API Call via CloudTrail',
        'AWS Service Event via CloudTrail',
      ]);
    });

    test.each([
      ['RotationFailedAlarm', 'FILL(failed, 0) + FILL(abandoned, 0)'],
      ['DestructiveChangeAlarm', 'FILL(keys, 0) + FILL(secrets, 0) + FILL(values, 0)'],
      ['RotationFunctionErrorsAlarm', 'FILL(s0, 0) + FILL(s1, 0) + FILL(s2, 0) + FILL(s3, 0) + FILL(s4, 0)'],
    ])('%s sums its metrics and notifies the topic', (alarmId, expression) => {
      const [alarm] = Object.entries(template.findResources('AWS::CloudWatch::Alarm'))
        .filter(([id]) => id.startsWith(`Audit${alarmId}`))
        .map(([, a]) => a as any);
      expect(alarm.Properties).toMatchObject({
        AlarmActions: [{ Ref: topicId }],
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Threshold: 1,
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
      });
      expect(alarm.Properties.Metrics[0]).toMatchObject({ Expression: expression, ReturnData: true });
    });

    test('the dead-letter queue is encrypted with the audit key, TLS-only, keeps messages 14 days, and takes them from the audit’s rules and topic only', () => {
      const queueId = logicalId(template, 'AWS::SQS::Queue');
      template.hasResourceProperties('AWS::SQS::Queue', {
        KmsMasterKeyId: { 'Fn::GetAtt': [auditKeyId, 'Arn'] },
        MessageRetentionPeriod: 1209600,
      });
      const ruleArns = Object.keys(template.findResources('AWS::Events::Rule'))
        .sort()
        .map((id) => ({ 'Fn::GetAtt': [id, 'Arn'] }));
      const [policy] = Object.values(template.findResources('AWS::SQS::QueuePolicy')) as any[];
      expect(policy.Properties.Queues).toEqual([{ Ref: queueId }]);
      const statements = policy.Properties.PolicyDocument.Statement as any[];
      expect(statements).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
      const allow = statements.find((st) => st.Sid === 'AuditRulesSendUndeliveredNotifications');
      expect(allow).toMatchObject({
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: { 'Fn::GetAtt': [queueId, 'Arn'] },
      });
      expect(
        [...allow.Condition.ArnEquals['aws:SourceArn']].sort((a: any, b: any) =>
          a['Fn::GetAtt'][0].localeCompare(b['Fn::GetAtt'][0]),
        ),
      ).toEqual(ruleArns);
      // The alarm email's undelivered notifications (aws-cdk-lib's statement for the subscription).
      const fromTopic = statements.filter((st) => st.Effect === 'Allow' && st !== allow);
      expect(fromTopic).toEqual([
        {
          Effect: 'Allow',
          Principal: { Service: 'sns.amazonaws.com' },
          Action: 'sqs:SendMessage',
          Resource: { 'Fn::GetAtt': [queueId, 'Arn'] },
          Condition: { ArnEquals: { 'aws:SourceArn': { Ref: topicId } } },
        },
      ]);
    });

    test('the dead-letter queue acknowledges having none of its own, in every pack and control that checks it', () => {
      const acks = acknowledged(audited.audit.rules.deadLetterQueue);
      expect(Object.keys(acks).sort()).toEqual([...QUEUE_DEAD_LETTER].sort());
      expect(new Set(Object.values(acks)).size).toBe(1);
      expect(acks['Serverless-SQSRedrivePolicy']).toMatch(
        /dead-letter queue of the audit’s EventBridge rules/,
      );
    });

    test('a notification waiting in the dead-letter queue raises the delivery alarm', () => {
      const queueId = logicalId(template, 'AWS::SQS::Queue');
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
        Statistic: 'Maximum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        AlarmActions: [{ Ref: topicId }],
        AlarmDescription: Match.stringLikeRegexp('dead-letter queue'),
      });
    });

    test('any call by the break-glass principal, or an attempt to assume it, raises its own alarm at the first one', () => {
      expect(audited.audit.breakGlassAlarm).toBeDefined();
      const [alarm] = Object.entries(template.findResources('AWS::CloudWatch::Alarm'))
        .filter(([id]) => id.startsWith('AuditBreakGlassUsedAlarm'))
        .map(([, a]) => a as any);
      expect(alarm.Properties).toMatchObject({
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        AlarmActions: [{ Ref: topicId }],
        AlarmDescription: expect.stringMatching(/^The break-glass principal/),
      });
      expect(alarm.Properties.Metrics[0]).toMatchObject({
        Expression: 'FILL(calls, 0) + FILL(assumptions, 0)',
        ReturnData: true,
      });
      expect(
        alarm.Properties.Metrics.filter((m: any) => m.MetricStat).map((m: any) => [
          m.Id,
          m.MetricStat.Metric.Namespace,
          m.MetricStat.Metric.MetricName,
          m.MetricStat.Stat,
        ]),
      ).toEqual([
        ['calls', DEFAULT_AUDIT_NAMESPACE, BREAK_GLASS_METRICS.calls, 'Sum'],
        ['assumptions', DEFAULT_AUDIT_NAMESPACE, BREAK_GLASS_METRICS.assumptions, 'Sum'],
      ]);
    });

    test('the access-denied alarm watches its metric directly', () => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'AccessDenied',
        Namespace: DEFAULT_AUDIT_NAMESPACE,
        Statistic: 'Sum',
        Period: 300,
        Threshold: 1,
        AlarmActions: [{ Ref: topicId }],
      });
    });

    test('the rotation-function alarm reads the function’s EMF step metrics, one per Step value', () => {
      const alarm = Object.values(template.findResources('AWS::CloudWatch::Alarm')).find((a: any) =>
        a.Properties.AlarmDescription.startsWith('A rotation function step failed'),
      ) as any;
      const metrics = alarm.Properties.Metrics.filter((m: any) => m.MetricStat).map(
        (m: any) => m.MetricStat.Metric,
      );
      expect(
        metrics.map((m: any) => [m.Namespace, m.MetricName, m.Dimensions[0].Name, m.Dimensions[0].Value]),
      ).toEqual([
        ['SecretsVault', 'RotationStepFailed', 'Step', 'createSecret'],
        ['SecretsVault', 'RotationStepFailed', 'Step', 'setSecret'],
        ['SecretsVault', 'RotationStepFailed', 'Step', 'testSecret'],
        ['SecretsVault', 'RotationStepFailed', 'Step', 'finishSecret'],
        ['SecretsVault', 'RotationStepFailed', 'Step', 'invalid'],
      ]);
    });
  });

  describe('the topic', () => {
    test('is encrypted with the audit key', () => {
      template.hasResourceProperties('AWS::SNS::Topic', {
        KmsMasterKeyId: { 'Fn::GetAtt': [auditKeyId, 'Arn'] },
      });
    });

    test('accepts TLS only, and publishing from this account’s alarms and rules only', () => {
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        Topics: [{ Ref: topicId }],
        PolicyDocument: {
          Statement: [
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
            Match.objectLike({
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Action: 'sns:Publish',
              Condition: {
                StringEquals: { 'aws:SourceAccount': '123456789012' },
                ArnLike: { 'aws:SourceArn': Match.anyValue() },
              },
            }),
            Match.objectLike({
              Principal: { Service: 'events.amazonaws.com' },
              Action: 'sns:Publish',
              Condition: {
                StringEquals: { 'aws:SourceAccount': '123456789012' },
                ArnLike: { 'aws:SourceArn': Match.anyValue() },
              },
            }),
          ],
        },
      });
    });

    test('sends to the email address given; what SNS cannot deliver goes to the rules’ dead-letter queue', () => {
      const queueId = logicalId(template, 'AWS::SQS::Queue');
      template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'email',
        Endpoint: 'secops@example.com',
        TopicArn: { Ref: topicId },
        RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [queueId, 'Arn'] } },
      });
      // Same construct path as before the dead-letter queue: a deployed subscription is updated, not
      // replaced (which would need a new confirmation from the mail).
      expect(Object.keys(template.findResources('AWS::SNS::Subscription'))).toEqual([
        expect.stringMatching(/^AuditTopicsecopsexamplecom/),
      ]);
      expect(audited.audit.topic.node.tryFindChild('secops@example.com')?.node.defaultChild?.node.path).toBe(
        'Audited/Audit/Topic/Resource/secops@example.com/Resource',
      );
    });
  });

  test('saves its four Logs Insights queries on the trail log group', () => {
    template.resourceCountIs('AWS::Logs::QueryDefinition', 4);
    template.hasResourceProperties('AWS::Logs::QueryDefinition', {
      LogGroupNames: [{ Ref: Match.stringLikeRegexp('^AuditTrailLogs') }],
    });
  });

  test('has one dashboard', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });
});

describe('SecretsAudit options', () => {
  test('trail retention, expirations, thresholds and period are applied', () => {
    const { template } = auditedStack({
      props: {
        trail: AuditTrail.create({
          logRetention: logs.RetentionDays.TWO_YEARS,
          objectExpiration: Duration.days(2555),
          accessLogExpiration: Duration.days(90),
        }),
        alarmPeriod: Duration.minutes(15),
        accessDeniedThreshold: 5,
        rotationFailureThreshold: 2,
        destructiveChangeThreshold: 3,
        rotationFunctionErrorThreshold: 4,
        metricNamespace: 'Team/Secrets',
        dashboardName: 'orders-secrets-audit',
      },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: Match.stringLikeRegexp('^/secrets-audit/'),
      RetentionInDays: 731,
    });
    template.hasResourceProperties('AWS::S3::Bucket', {
      LoggingConfiguration: Match.anyValue(),
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 2555 })] },
    });
    template.hasResourceProperties('AWS::S3::Bucket', {
      LoggingConfiguration: Match.absent(),
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 90 })] },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'AccessDenied',
      Threshold: 5,
      Period: 900,
      Namespace: 'Team/Secrets',
    });
    for (const [description, threshold] of [
      ['A rotation of a watched secret', 2],
      ['A management call on a watched key', 3],
      ['A rotation function step failed', 4],
    ] as const) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmDescription: Match.stringLikeRegexp(description),
        Threshold: threshold,
        Metrics: Match.arrayWith([Match.objectLike({ MetricStat: Match.objectLike({ Period: 900 }) })]),
      });
    }
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      MetricTransformations: [Match.objectLike({ MetricNamespace: 'Team/Secrets' })],
    });
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'orders-secrets-audit' });
    template.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  test('the trail bucket has Object Lock on without a default retention unless asked; the access-log bucket has none', () => {
    const { template } = auditedStack();
    // CT.S3.PR.9 asks for Object Lock on; a retention locks versions, is billed until it ends, and
    // stays the user's choice.
    template.hasResourceProperties('AWS::S3::Bucket', {
      LoggingConfiguration: Match.anyValue(),
      VersioningConfiguration: { Status: 'Enabled' },
      ObjectLockEnabled: true,
      ObjectLockConfiguration: Match.absent(),
    });
    // S3 delivers no server access logs to a bucket with Object Lock.
    template.hasResourceProperties('AWS::S3::Bucket', {
      LoggingConfiguration: Match.absent(),
      ObjectLockEnabled: Match.absent(),
      ObjectLockConfiguration: Match.absent(),
    });
  });

  test('without alarmEmail the audit key names no SNS principal', () => {
    const { template } = auditedStack();
    template.resourceCountIs('AWS::SNS::Subscription', 0);
    expect(keyStatements(template)).not.toHaveProperty('TopicSendsUndeliveredToEncryptedDeadLetterQueue');
    expect(JSON.stringify(keyStatements(template))).not.toContain('sns.amazonaws.com');
  });

  test.each([
    ['governance', s3.ObjectLockRetention.governance(Duration.days(90)), 'GOVERNANCE', 90],
    ['compliance', s3.ObjectLockRetention.compliance(Duration.days(365)), 'COMPLIANCE', 365],
  ])(
    'objectLockRetention in %s mode locks every log file of the trail bucket, not the access logs',
    (_mode, retention, mode, days) => {
      const { template } = auditedStack({
        props: { trail: AuditTrail.create({ objectLockRetention: retention }) },
      });
      template.hasResourceProperties('AWS::S3::Bucket', {
        LoggingConfiguration: Match.anyValue(),
        VersioningConfiguration: { Status: 'Enabled' },
        ObjectLockEnabled: true,
        ObjectLockConfiguration: {
          ObjectLockEnabled: 'Enabled',
          Rule: { DefaultRetention: { Mode: mode, Days: days } },
        },
      });
      // S3 delivers no server access logs to a bucket with Object Lock.
      template.hasResourceProperties('AWS::S3::Bucket', {
        LoggingConfiguration: Match.absent(),
        ObjectLockEnabled: Match.absent(),
        ObjectLockConfiguration: Match.absent(),
      });
    },
  );

  test('without a break-glass principal there is no break-glass filter or alarm', () => {
    const { template, audit } = auditedStack({ breakGlass: false });
    expect(audit.breakGlassAlarm).toBeUndefined();
    expect(audit.breakGlassMetricFilters).toEqual([]);
    template.resourceCountIs('AWS::Logs::MetricFilter', Object.keys(AUDIT_METRICS).length);
    const alarms = JSON.stringify(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms).not.toContain(BREAK_GLASS_METRICS.calls);
    expect(alarms).not.toContain(BREAK_GLASS_METRICS.assumptions);
  });

  /** The break-glass patterns of an audit watching one vault per principal. */
  function breakGlassPatterns(...principals: iam.IPrincipal[]): { calls: string; assumptions: string } {
    const app = new App({ builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'Audited', { env: { account: '123456789012', region: 'eu-west-1' } });
    const audit = new SecretsAudit(stack, 'Audit');
    principals.forEach((breakGlass, i) =>
      audit.watch(new SecretsVault(stack, `Vault${i}`, { namePrefix: `team/app${i}`, breakGlass })),
    );
    const filters = Object.values(
      Template.fromStack(stack).findResources('AWS::Logs::MetricFilter'),
    ) as any[];
    const pattern = (metricName: string) => {
      const found = filters.filter((f) => f.Properties.MetricTransformations[0].MetricName === metricName);
      expect(found).toHaveLength(1);
      return resolveCfn(found[0].Properties.FilterPattern) as string;
    };
    return {
      calls: pattern(BREAK_GLASS_METRICS.calls),
      assumptions: pattern(BREAK_GLASS_METRICS.assumptions),
    };
  }

  test('a role by ARN is matched as the issuer of its sessions and as the role assumed', () => {
    expect(breakGlassPatterns(new iam.ArnPrincipal(BREAK_GLASS_ROLE_ARN))).toEqual({
      calls: `{ $.userIdentity.sessionContext.sessionIssuer.arn = "${BREAK_GLASS_ROLE_ARN}" }`,
      assumptions: `{ $.eventSource = "sts.amazonaws.com" && ($.requestParameters.roleArn = "${BREAK_GLASS_ROLE_ARN}") }`,
    });
  });

  test('a user is matched as the caller, and no role assumption can stand for it', () => {
    const app = new App();
    const user = iam.User.fromUserArn(
      new Stack(app, 'Users'),
      'Admin',
      'arn:aws:iam::123456789012:user/emergency',
    );
    expect(breakGlassPatterns(user)).toEqual({
      calls: '{ $.userIdentity.arn = "arn:aws:iam::123456789012:user/emergency" }',
      assumptions: '{ $.eventSource = "sts.amazonaws.com" && ($.eventSource = "none") }',
    });
  });

  test('an ARN known only at deploy is matched both ways', () => {
    const arn = Fn.importValue('BreakGlassRoleArn');
    expect(breakGlassPatterns(new iam.ArnPrincipal(arn))).toEqual({
      calls:
        '{ $.userIdentity.sessionContext.sessionIssuer.arn = "<import:BreakGlassRoleArn>" || ' +
        '$.userIdentity.arn = "<import:BreakGlassRoleArn>" }',
      assumptions:
        '{ $.eventSource = "sts.amazonaws.com" && ($.requestParameters.roleArn = "<import:BreakGlassRoleArn>") }',
    });
  });

  test('a break-glass principal shared by two vaults is listed once', () => {
    const shared = new iam.ArnPrincipal(BREAK_GLASS_ROLE_ARN);
    const { calls, assumptions } = breakGlassPatterns(shared, shared);
    expect(calls.split(BREAK_GLASS_ROLE_ARN)).toHaveLength(2);
    expect(assumptions.split(BREAK_GLASS_ROLE_ARN)).toHaveLength(2);
  });

  test('a vault watched after the audit is created is covered the same way', () => {
    const later = auditedStack({ watchLater: true });
    const now = auditedStack();
    const patterns = (t: Template) =>
      Object.values(t.findResources('AWS::Logs::MetricFilter')).map((f: any) =>
        JSON.stringify(f.Properties.FilterPattern),
      );
    expect(patterns(later.template)).toEqual(patterns(now.template));
    const rules = (t: Template) =>
      Object.values(t.findResources('AWS::Events::Rule')).map((r: any) =>
        JSON.stringify(r.Properties.EventPattern),
      );
    expect(rules(later.template)).toEqual(rules(now.template));
  });
});

describe('SecretsAudit size', () => {
  function auditOf(vaults: number, secretsPerVault: number) {
    const app = new App({ builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'Audited', { env: { account: '123456789012', region: 'eu-west-1' } });
    const audit = new SecretsAudit(stack, 'Audit');
    for (let v = 0; v < vaults; v++) {
      const vault = new SecretsVault(stack, `Vault${v}`, { namePrefix: `team/app${v}` });
      for (let s = 0; s < secretsPerVault; s++) vault.addSecret(`Secret${s}`);
      audit.watch(vault);
    }
    const template = Template.fromStack(stack);
    const resources = Object.keys(template.toJSON().Resources).filter((id) => id.startsWith('Audit'));
    const patterns = Object.values(template.findResources('AWS::Logs::MetricFilter')).map(
      (f: any) => resolveCfn(f.Properties.FilterPattern) as string,
    );
    return { resources, patterns };
  }

  test('its resources do not depend on the number of secrets or vaults', () => {
    const small = auditOf(1, 1);
    expect(auditOf(1, 12).resources).toEqual(small.resources);
    expect(auditOf(3, 2).resources).toEqual(small.resources);
  });

  test('a vault adds one clause to a pattern, whatever its number of secrets', () => {
    const one = auditOf(1, 1).patterns;
    const two = auditOf(2, 1).patterns;
    const twoWithMoreSecrets = auditOf(2, 9).patterns;
    expect(twoWithMoreSecrets).toEqual(two);
    two.forEach((pattern, i) => {
      const clauses = (p: string) => (p.match(/team\/app\d|<Vault\dKey[0-9A-F]+>/g) ?? []).length;
      // A secret clause names the prefix once or twice (name and ARN forms), a key clause names the key
      // once; only the access-denied pattern has both.
      expect(clauses(pattern) - clauses(one[i])).toBeLessThanOrEqual(3);
      expect(clauses(pattern) - clauses(one[i])).toBeGreaterThanOrEqual(1);
    });
  });
});
