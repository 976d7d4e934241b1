/**
 * The EventBridge rules' patterns, checked against the CloudTrail fixtures by moto's own pattern
 * matcher. moto 5.2.1's TestEventPattern is a stub that answers nothing, so each rule is put on
 * moto's default bus with an SQS queue as its target, every fixture is sent with PutEvents as
 * CloudTrail would deliver it, and each queue shows which records its rule matched.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { SecretsVault } from '../../lib';
import { SecretsAudit } from '../../lib/secrets-audit';
import { MOTO_ACCOUNT, MOTO_REGION, MotoServer, startMoto } from '../support/moto';
import { AuditedStack, auditedStack, cloudTrailFixtures } from './support';

const EXPECTED: Record<string, string[]> = {
  RotationFailure: ['rotation-failed', 'rotation-abandoned'],
  // Not stop-replication-to-replica: it happens in the replica's region, whose EventBridge this rule
  // never sees (the metric filter counts it from the multi-region trail).
  SecretChange: [
    'put-resource-policy',
    'delete-resource-policy',
    'delete-secret',
    'cancel-rotate-secret',
    'tag-resource',
    'untag-resource',
    'update-secret',
    'rotate-secret',
    'replicate-secret-to-regions',
    'remove-regions-from-replication',
    'restore-secret',
    'break-glass-delete-resource-policy',
    'put-secret-value-by-user',
    'update-secret-version-stage-by-admin',
    'put-secret-value-by-recreated-rotation-role',
  ],
  KeyChange: [
    'kms-disable-key',
    'kms-schedule-key-deletion',
    'kms-put-key-policy',
    'kms-enable-key-rotation',
    'kms-disable-key-rotation',
    'kms-cancel-key-deletion',
    'kms-create-grant',
    'kms-tag-resource',
    'kms-untag-resource',
    'kms-create-alias',
    'kms-update-alias',
    'kms-delete-alias',
    'kms-put-key-policy-audit-key',
    'kms-schedule-key-deletion-audit-key',
  ],
};

const fixtures = cloudTrailFixtures();

function auth(service: string): string {
  return `AWS4-HMAC-SHA256 Credential=testing/20260101/${MOTO_REGION}/${service}/aws4_request, SignedHeaders=host, Signature=0`;
}

async function call(
  moto: MotoServer,
  service: 'events' | 'sqs',
  action: string,
  body: unknown,
): Promise<any> {
  const [target, contentType] =
    service === 'events'
      ? [`AWSEvents.${action}`, 'application/x-amz-json-1.1']
      : [`AmazonSQS.${action}`, 'application/x-amz-json-1.0'];
  const response = await fetch(moto.endpoint, {
    method: 'POST',
    headers: { 'content-type': contentType, 'x-amz-target': target, authorization: auth(service) },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok)
    throw new Error(`${service} ${action} answered ${response.status}: ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : {};
}

/** How EventBridge receives a CloudTrail record. */
function asEvent(record: Record<string, any>) {
  return {
    Source: `aws.${String(record.eventSource).split('.')[0]}`,
    DetailType:
      record.eventType === 'AwsServiceEvent'
        ? 'AWS Service Event via CloudTrail'
        : 'AWS API Call via CloudTrail',
    Detail: JSON.stringify(record),
    Resources: [],
  };
}

describe('EventBridge rule patterns against CloudTrail records (moto)', () => {
  let audited: AuditedStack;
  let moto: MotoServer;
  const matched: Record<string, string[]> = {};
  const patterns: Record<string, any> = {};

  beforeAll(async () => {
    audited = auditedStack();
    const rules = audited.template.findResources('AWS::Events::Rule');
    for (const [logicalId, rule] of Object.entries(rules) as [string, any][]) {
      const name = Object.keys(EXPECTED).find((n) => logicalId.startsWith(`AuditRules${n}`));
      if (!name) throw new Error(`unexpected rule ${logicalId}`);
      patterns[name] = audited.resolve(rule.Properties.EventPattern);
    }
    moto = await startMoto();
    const eventIds = new Map(
      Object.entries(fixtures).map(([name, record]) => [record.eventID as string, name]),
    );
    const queues: Record<string, string> = {};
    for (const [name, pattern] of Object.entries(patterns)) {
      const { QueueUrl } = await call(moto, 'sqs', 'CreateQueue', { QueueName: `audit-${name}` });
      queues[name] = QueueUrl;
      await call(moto, 'events', 'PutRule', {
        Name: name,
        EventPattern: JSON.stringify(pattern),
        State: 'ENABLED',
      });
      await call(moto, 'events', 'PutTargets', {
        Rule: name,
        Targets: [{ Id: 'queue', Arn: `arn:aws:sqs:${MOTO_REGION}:${MOTO_ACCOUNT}:audit-${name}` }],
      });
    }
    for (const record of Object.values(fixtures)) {
      const { FailedEntryCount } = await call(moto, 'events', 'PutEvents', { Entries: [asEvent(record)] });
      if (FailedEntryCount) throw new Error(`PutEvents refused ${record.eventID}`);
    }
    for (const [name, queueUrl] of Object.entries(queues)) {
      matched[name] = [];
      for (;;) {
        const { Messages = [] } = await call(moto, 'sqs', 'ReceiveMessage', {
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 0,
        });
        if (Messages.length === 0) break;
        for (const message of Messages) {
          const event = JSON.parse(message.Body);
          matched[name].push(eventIds.get(event.detail.eventID) ?? `unknown ${event.detail.eventID}`);
          await call(moto, 'sqs', 'DeleteMessage', {
            QueueUrl: queueUrl,
            ReceiptHandle: message.ReceiptHandle,
          });
        }
      }
    }
  }, 60000);

  afterAll(async () => {
    await moto?.stop();
  });

  test('the stack has exactly the three rules', () => {
    expect(Object.keys(patterns).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  test.each(Object.keys(EXPECTED))('the %s rule matches exactly its records', (name) => {
    expect(matched[name].sort()).toEqual([...EXPECTED[name]].sort());
  });

  test('the rotation rule listens to service events and names the secret by ARN prefix', () => {
    expect(patterns.RotationFailure).toEqual({
      source: ['aws.secretsmanager'],
      'detail-type': ['AWS Service Event via CloudTrail'],
      detail: {
        eventSource: ['secretsmanager.amazonaws.com'],
        eventName: ['RotationFailed', 'RotationAbandoned'],
        additionalEventData: {
          SecretId: [{ prefix: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:example/orders/' }],
        },
      },
    });
  });

  test('the change rules ignore refused calls (those count as access denied)', () => {
    expect(patterns.SecretChange.detail.errorCode).toEqual([{ exists: false }]);
    expect(patterns.KeyChange.detail.errorCode).toEqual([{ exists: false }]);
    expect(matched.SecretChange).not.toContain('delete-secret-access-denied');
    expect(matched.KeyChange).not.toContain('kms-put-key-policy-access-denied');
  });

  test('the change rules take every write call and no read', () => {
    expect(patterns.SecretChange.detail.readOnly).toEqual([false]);
    expect(patterns.KeyChange.detail.readOnly).toEqual([false]);
    for (const name of ['describe-secret', 'get-resource-policy', 'kms-describe-key', 'kms-get-key-policy']) {
      expect(Object.values(matched).flat()).not.toContain(name);
    }
  });

  test('the secret rule lets the rotation role’s value writes through, by its unique id', () => {
    expect(patterns.SecretChange.detail.$or).toEqual([
      { eventName: [{ 'anything-but': ['PutSecretValue', 'UpdateSecretVersionStage'] }] },
      { userIdentity: { sessionContext: { sessionIssuer: { principalId: [{ exists: false }] } } } },
      {
        userIdentity: {
          sessionContext: { sessionIssuer: { principalId: [{ 'anything-but': ['AROA3EXAMPLESECRET'] }] } },
        },
      },
    ]);
    expect(matched.SecretChange).not.toContain('put-secret-value-by-rotation');
    expect(matched.SecretChange).not.toContain('update-secret-version-stage-by-rotation');
  });

  test('without a rotation function every value write notifies', () => {
    const app = new App({ builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'NoRotation', { env: { account: '123456789012', region: 'eu-west-1' } });
    // A vault without a rotating secret has no rotation function.
    const vault = new SecretsVault(stack, 'Vault', { namePrefix: 'static/values' });
    expect(vault.existingRotationFunction).toBeUndefined();
    new SecretsAudit(stack, 'Audit', { vaults: [vault] });
    const rule = Object.entries(Template.fromStack(stack).findResources('AWS::Events::Rule')).find(([id]) =>
      id.startsWith('AuditRulesSecretChange'),
    )![1] as any;
    expect(rule.Properties.EventPattern.detail.$or).toBeUndefined();
  });
});
