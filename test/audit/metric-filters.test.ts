import { AUDIT_METRICS, AuditSignal } from '../../lib/secrets-audit';
import { matchesFilterPattern, parseFilterPattern } from './filter-pattern';
import { AuditedStack, auditedStack, cloudTrailFixtures } from './support';

/** Which CloudTrail fixtures each signal's metric filter must count; every other fixture it must not. */
const EXPECTED: Record<AuditSignal, string[]> = {
  secretRead: ['get-secret-value-by-name', 'get-secret-value-by-arn'],
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
  keyChanged: ['kms-disable-key', 'kms-schedule-key-deletion', 'kms-put-key-policy'],
  secretChanged: ['put-resource-policy', 'delete-resource-policy', 'delete-secret', 'cancel-rotate-secret'],
};

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

  test('every expected fixture exists', () => {
    for (const name of Object.values(EXPECTED).flat()) {
      expect(fixtures[name]).toBeDefined();
    }
  });

  test.each(signals)('the %s pattern is inside the evaluated subset and within 1024 characters', (signal) => {
    const pattern = patterns[AUDIT_METRICS[signal]];
    expect(() => parseFilterPattern(pattern)).not.toThrow();
    expect(pattern.length).toBeLessThanOrEqual(1024);
  });

  test.each(signals)('the %s pattern counts exactly its records', (signal) => {
    const pattern = patterns[AUDIT_METRICS[signal]];
    const matched = Object.keys(fixtures)
      .filter((name) => matchesFilterPattern(pattern, fixtures[name]))
      .sort();
    expect(matched).toEqual([...EXPECTED[signal]].sort());
  });

  test('no record of another vault, a look-alike prefix or another key is counted by any signal', () => {
    const foreign = Object.keys(fixtures).filter((n) => /other-vault|lookalike|other-key/.test(n));
    expect(foreign.length).toBeGreaterThanOrEqual(6);
    for (const name of foreign) {
      for (const signal of signals) {
        expect({
          name,
          signal,
          matched: matchesFilterPattern(patterns[AUDIT_METRICS[signal]], fixtures[name]),
        }).toEqual({
          name,
          signal,
          matched: false,
        });
      }
    }
  });

  test('routine records (rotation writes, KMS use through Secrets Manager, RotationStarted) count nowhere', () => {
    for (const name of [
      'put-secret-value-by-rotation',
      'kms-generate-data-key-via-secrets-manager',
      'rotation-started',
      'kms-enable-key-rotation',
    ]) {
      expect(signals.filter((s) => matchesFilterPattern(patterns[AUDIT_METRICS[s]], fixtures[name]))).toEqual(
        [],
      );
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
    ]);
  });
});
