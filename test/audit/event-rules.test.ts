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
import { MotoServer, startMoto } from '../support/moto';
import { matchedByRules } from './rules-in-moto';
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
    Object.assign(matched, await matchedByRules(moto, patterns, fixtures));
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
