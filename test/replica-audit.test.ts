import { AuditScope } from '../lib/audit/audit-scope';
import { cloudTrailFixtures, VAULT_PREFIX } from './audit/support';
import { matchesFilterPattern } from './audit/filter-pattern';

/**
 * What the vault's audit (in the primary region) sees of a replica region: its trail is
 * multi-region, so the replica region's records reach the same log group, and its metric filters
 * name secrets by name or ARN with any region. (The replica key's own management calls are not
 * among them: the audit does not know that key's id; VaultReplicaKey forwards them instead, see
 * test/replica-key-events.test.ts.)
 */
describe("the vault audit's metric filters count the replica region's records", () => {
  const fixtures = cloudTrailFixtures();
  const scope = new AuditScope();
  scope.addPrefix(VAULT_PREFIX);
  const patterns = scope.filterPatterns();

  /** A record of the primary region as the replica region's CloudTrail writes it. */
  function inReplicaRegion(name: string): Record<string, any> {
    const record = fixtures[name];
    if (!record) throw new Error(`no fixture ${name}`);
    return JSON.parse(JSON.stringify(record).replace(/eu-west-1/g, 'us-east-1'));
  }

  test.each([
    ['secretRead', 'get-secret-value-by-arn'],
    ['secretRead', 'get-secret-value-by-name'],
    ['accessDenied', 'get-secret-value-access-denied'],
    ['secretChanged', 'stop-replication-to-replica'],
  ] as const)('%s counts %s made in the replica region', (signal, name) => {
    const record = inReplicaRegion(name);
    expect(record.awsRegion).toBe('us-east-1');
    expect(matchesFilterPattern(patterns[signal], record)).toBe(true);
  });

  test('a read of another vault in the replica region is not counted', () => {
    expect(matchesFilterPattern(patterns.secretRead, inReplicaRegion('get-secret-value-other-vault'))).toBe(
      false,
    );
  });
});
