import { AUDIT_METRICS, AuditSignal, BREAK_GLASS_METRICS } from '../../lib/secrets-audit';
import { matchesFilterPattern, parseFilterPattern } from './filter-pattern';
import { AuditedStack, auditedStack, cloudTrailFixtures } from './support';

/** The fixtures of management calls on the watched keys: the vault key and the audit's own key. */
const KEY_MANAGEMENT = [
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
];

/** The fixtures of management calls on the watched secrets, value writes apart. */
const SECRET_MANAGEMENT = [
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
  'stop-replication-to-replica',
  'restore-secret',
  'break-glass-delete-resource-policy',
];

/** Which CloudTrail fixtures each signal's metric filter must count; every other fixture it must not. */
const EXPECTED: Record<AuditSignal, string[]> = {
  secretRead: ['get-secret-value-by-name', 'get-secret-value-by-arn', 'break-glass-get-secret-value'],
  accessDenied: [
    'get-secret-value-access-denied',
    'kms-decrypt-access-denied',
    'kms-put-key-policy-access-denied',
    'delete-secret-access-denied',
  ],
  rotationSucceeded: ['rotation-succeeded'],
  rotationFailed: ['rotation-failed'],
  rotationAbandoned: ['rotation-abandoned'],
  keyRotated: ['kms-rotate-key'],
  keyChanged: KEY_MANAGEMENT,
  secretChanged: SECRET_MANAGEMENT,
  secretValueWritten: [
    'put-secret-value-by-user',
    'update-secret-version-stage-by-admin',
    'put-secret-value-by-recreated-rotation-role',
  ],
};

const BREAK_GLASS_EXPECTED: Record<keyof typeof BREAK_GLASS_METRICS, string[]> = {
  calls: [
    'break-glass-get-secret-value',
    'break-glass-delete-resource-policy',
    'break-glass-attach-role-policy',
  ],
  assumptions: ['break-glass-assume-role'],
};

/** What the issue requires the audit to alarm on, by CloudTrail event name, and the fixture that proves each. */
const REQUIRED_MANAGEMENT_EVENTS: [string, string][] = [
  ['PutResourcePolicy', 'put-resource-policy'],
  ['DeleteResourcePolicy', 'delete-resource-policy'],
  ['UpdateSecret', 'update-secret'],
  ['RotateSecret', 'rotate-secret'],
  ['CancelRotateSecret', 'cancel-rotate-secret'],
  ['TagResource', 'tag-resource'],
  ['UntagResource', 'untag-resource'],
  ['ReplicateSecretToRegions', 'replicate-secret-to-regions'],
  ['RemoveRegionsFromReplication', 'remove-regions-from-replication'],
  ['StopReplicationToReplica', 'stop-replication-to-replica'],
  ['DeleteSecret', 'delete-secret'],
  ['RestoreSecret', 'restore-secret'],
  ['PutSecretValue', 'put-secret-value-by-user'],
  ['UpdateSecretVersionStage', 'update-secret-version-stage-by-admin'],
  ['PutKeyPolicy', 'kms-put-key-policy'],
  ['ScheduleKeyDeletion', 'kms-schedule-key-deletion'],
  ['DisableKey', 'kms-disable-key'],
  ['DisableKeyRotation', 'kms-disable-key-rotation'],
  ['CreateGrant', 'kms-create-grant'],
  ['CancelKeyDeletion', 'kms-cancel-key-deletion'],
  ['TagResource', 'kms-tag-resource'],
  ['UntagResource', 'kms-untag-resource'],
  ['CreateAlias', 'kms-create-alias'],
  ['UpdateAlias', 'kms-update-alias'],
  ['DeleteAlias', 'kms-delete-alias'],
];

const fixtures = cloudTrailFixtures();
const signals = Object.keys(AUDIT_METRICS) as AuditSignal[];

describe('metric filter patterns against CloudTrail records', () => {
  let audited: AuditedStack;
  let patterns: Record<string, string>;

  beforeAll(() => {
    audited = auditedStack();
    const filters = audited.template.findResources('AWS::Logs::MetricFilter');
    patterns = Object.fromEntries(
      Object.values(filters).map((f: any) => [
        f.Properties.MetricTransformations[0].MetricName,
        audited.resolve(f.Properties.FilterPattern) as string,
      ]),
    );
  });

  const matching = (pattern: string) =>
    Object.keys(fixtures)
      .filter((name) => matchesFilterPattern(pattern, fixtures[name]))
      .sort();

  test('every expected fixture exists', () => {
    for (const name of [...Object.values(EXPECTED).flat(), ...Object.values(BREAK_GLASS_EXPECTED).flat()]) {
      expect({ name, exists: fixtures[name] !== undefined }).toEqual({ name, exists: true });
    }
  });

  test('the patterns name the rotation role by its unique id, and the audit key, as the fixtures know them', () => {
    expect(patterns[AUDIT_METRICS.secretValueWritten]).toContain('principalId != "AROA3EXAMPLESECRET"');
    expect(patterns[AUDIT_METRICS.keyChanged]).toContain('0987dcba-09fe-87dc-65ba-ab0987654321');
    expect(patterns[BREAK_GLASS_METRICS.calls]).toContain('"arn:aws:iam::123456789012:role/BreakGlass"');
    expect(patterns[BREAK_GLASS_METRICS.assumptions]).toContain(
      '"arn:aws:iam::123456789012:role/BreakGlass"',
    );
  });

  test.each([...signals.map((s) => AUDIT_METRICS[s]), ...Object.values(BREAK_GLASS_METRICS)])(
    'the %s pattern is inside the evaluated subset and within 1024 characters',
    (metricName) => {
      const pattern = patterns[metricName];
      expect(() => parseFilterPattern(pattern)).not.toThrow();
      expect(pattern.length).toBeLessThanOrEqual(1024);
    },
  );

  test.each(signals)('the %s pattern counts exactly its records', (signal) => {
    expect(matching(patterns[AUDIT_METRICS[signal]])).toEqual([...EXPECTED[signal]].sort());
  });

  test('the break-glass patterns count exactly its role’s calls, in any service, and the assumption of its role', () => {
    expect(matching(patterns[BREAK_GLASS_METRICS.calls])).toEqual([...BREAK_GLASS_EXPECTED.calls].sort());
    expect(matching(patterns[BREAK_GLASS_METRICS.assumptions])).toEqual(
      [...BREAK_GLASS_EXPECTED.assumptions].sort(),
    );
  });

  test.each(REQUIRED_MANAGEMENT_EVENTS)(
    '%s (%s) raises the management-call alarm through one of its metrics',
    (eventName, fixture) => {
      expect(fixtures[fixture].eventName).toBe(eventName);
      const counted = (['keyChanged', 'secretChanged', 'secretValueWritten'] as const).filter((s) =>
        matchesFilterPattern(patterns[AUDIT_METRICS[s]], fixtures[fixture]),
      );
      expect(counted).toHaveLength(1);
    },
  );

  test('a value write by the rotation role counts nowhere, but one by a re-created role of the same name does', () => {
    const routine = fixtures['put-secret-value-by-rotation'];
    const remade = fixtures['put-secret-value-by-recreated-rotation-role'];
    expect(remade.userIdentity.sessionContext.sessionIssuer.arn).toBe(
      routine.userIdentity.sessionContext.sessionIssuer.arn,
    );
    expect(matchesFilterPattern(patterns[AUDIT_METRICS.secretValueWritten], routine)).toBe(false);
    expect(matchesFilterPattern(patterns[AUDIT_METRICS.secretValueWritten], remade)).toBe(true);
  });

  test('a replica stopped in another region is counted: the multi-region trail delivers it to this log group', () => {
    expect(fixtures['stop-replication-to-replica'].awsRegion).toBe('us-east-1');
    expect(matching(patterns[AUDIT_METRICS.secretChanged])).toContain('stop-replication-to-replica');
  });

  test('no record of another vault, a look-alike prefix or principal, or another key is counted by any signal', () => {
    const foreign = Object.keys(fixtures).filter((n) => /other-vault|lookalike|other-key/.test(n));
    expect(foreign.length).toBeGreaterThanOrEqual(14);
    for (const name of foreign) {
      for (const metricName of Object.keys(patterns)) {
        expect({
          name,
          metricName,
          matched: matchesFilterPattern(patterns[metricName], fixtures[name]),
        }).toEqual({
          name,
          metricName,
          matched: false,
        });
      }
    }
  });

  test('routine and read-only records (rotation writes, KMS use, reads of policies and metadata) count nowhere', () => {
    for (const name of [
      'put-secret-value-by-rotation',
      'update-secret-version-stage-by-rotation',
      'kms-generate-data-key-via-secrets-manager',
      'rotation-started',
      'describe-secret',
      'get-resource-policy',
      'kms-describe-key',
      'kms-get-key-policy',
    ]) {
      expect({
        name,
        counted: Object.keys(patterns).filter((m) => matchesFilterPattern(patterns[m], fixtures[name])),
      }).toEqual({
        name,
        counted: [],
      });
    }
  });

  test('the secret-read dimension is the secret id field the pattern matched on', () => {
    const filter = Object.values(audited.template.findResources('AWS::Logs::MetricFilter')).find(
      (f: any) => f.Properties.MetricTransformations[0].MetricName === AUDIT_METRICS.secretRead,
    ) as any;
    expect(filter.Properties.MetricTransformations[0].Dimensions).toEqual([
      { Key: 'SecretId', Value: '$.requestParameters.secretId' },
    ]);
    const dimensionValues = EXPECTED.secretRead.map((n) => fixtures[n].requestParameters.secretId);
    expect(dimensionValues).toEqual([
      'example/orders/PaymentsApiKey',
      'arn:aws:secretsmanager:eu-west-1:123456789012:secret:example/orders/OrdersDb-Ef34Gh',
      'example/orders/PaymentsApiKey',
    ]);
  });
});
