/**
 * The replica key's forwarding rules, checked against the CloudTrail fixtures by moto's own pattern
 * matcher (test/audit/rules-in-moto.ts, as test/audit/event-rules.test.ts does for the audit's rules):
 * every KMS fixture is sent as CloudTrail would deliver it from the replica region, and each rule
 * shows which records it matched.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { SecretsVault } from '../lib/secrets-vault';
import { VaultReplicaKey } from '../lib/vault-replica-key';
import { matchedByRules } from './audit/rules-in-moto';
import { cloudTrailFixtures } from './audit/support';
import { MOTO_ACCOUNT, MOTO_REGION, MotoServer, startMoto } from './support/moto';

/** The fixtures' vault key, as if it were the replica region's key. */
const KEY_ID = '1234abcd-12ab-34cd-56ef-1234567890ab';

const EXPECTED: Record<string, string[]> = {
  ForwardKeyCalls: [
    'kms-cancel-key-deletion',
    'kms-create-alias',
    'kms-create-grant',
    'kms-delete-alias',
    'kms-disable-key',
    'kms-disable-key-rotation',
    'kms-enable-key-rotation',
    'kms-put-key-policy',
    'kms-put-key-policy-access-denied',
    'kms-schedule-key-deletion',
    'kms-tag-resource',
    'kms-untag-resource',
    'kms-update-alias',
  ],
  // The vault's alias pointed at another key: with grants by alias, that changes who decrypts what.
  ForwardAliasChanges: ['kms-delete-alias', 'kms-update-alias-other-key'],
};

function replicaTemplate() {
  const app = new App({ builtinCloudFormationValidation: false });
  const primary = new Stack(app, 'Primary', { env: { account: MOTO_ACCOUNT, region: 'eu-west-1' } });
  // Its key's alias is alias/example-orders, the alias of the fixtures.
  const vault = new SecretsVault(primary, 'Vault', { namePrefix: 'example-orders' });
  const replica = new Stack(app, 'Replica', { env: { account: MOTO_ACCOUNT, region: MOTO_REGION } });
  new VaultReplicaKey(replica, 'Key', { vault });
  return Template.fromStack(replica);
}

/** The records of the primary region's fixtures, as the replica region's CloudTrail would write them. */
function replicaRegionRecords(): Record<string, Record<string, any>> {
  return Object.fromEntries(
    Object.entries(cloudTrailFixtures())
      .filter(([, record]) => record.eventSource === 'kms.amazonaws.com')
      .map(([name, record]) => [name, JSON.parse(JSON.stringify(record).replace(/eu-west-1/g, MOTO_REGION))]),
  );
}

describe('the replica key forwards its management calls and its alias changes (moto)', () => {
  let moto: MotoServer;
  const matched: Record<string, string[]> = {};
  const rules: Record<string, any> = {};

  beforeAll(async () => {
    const template = replicaTemplate();
    const keyId = template.getResourceId('AWS::KMS::Key');
    for (const [logicalId, rule] of Object.entries(template.findResources('AWS::Events::Rule')) as [
      string,
      any,
    ][]) {
      const name = Object.keys(EXPECTED).find((n) => logicalId.startsWith(`Key${n}`));
      if (!name) throw new Error(`unexpected rule ${logicalId}`);
      rules[name] = rule.Properties;
    }
    const patterns = Object.fromEntries(
      Object.entries(rules).map(([name, rule]) => [
        name,
        JSON.parse(
          JSON.stringify(rule.EventPattern)
            .split(JSON.stringify({ Ref: keyId }))
            .join(`"${KEY_ID}"`),
        ),
      ]),
    );
    moto = await startMoto();
    Object.assign(matched, await matchedByRules(moto, patterns, replicaRegionRecords()));
  }, 60000);

  afterAll(async () => {
    await moto?.stop();
  });

  test('the replica stack has exactly the two forwarding rules', () => {
    expect(Object.keys(rules).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  test.each(Object.keys(EXPECTED))('the %s rule matches exactly its records', (name) => {
    expect(matched[name].sort()).toEqual([...EXPECTED[name]!].sort());
  });

  test("both rules deliver to the vault region's default event bus, through the forwarder role", () => {
    for (const rule of Object.values(rules)) {
      expect(rule.Targets).toHaveLength(1);
      expect(rule.Targets[0].Arn).toEqual({
        'Fn::Join': [
          '',
          ['arn:', { Ref: 'AWS::Partition' }, `:events:eu-west-1:${MOTO_ACCOUNT}:event-bus/default`],
        ],
      });
      expect(rule.Targets[0].RoleArn['Fn::GetAtt'][0]).toMatch(/^KeyForwarderRole/);
    }
  });

  test('no read, decrypt or other key reaches the vault region', () => {
    const forwarded = Object.values(matched).flat();
    for (const name of [
      'kms-describe-key',
      'kms-get-key-policy',
      'kms-decrypt-access-denied',
      'kms-generate-data-key-via-secrets-manager',
      'kms-disable-key-other-key',
      'kms-put-key-policy-audit-key',
      'kms-create-alias-other-key',
    ]) {
      expect(forwarded).not.toContain(name);
    }
  });
});

describe('the forwarder role', () => {
  test('may put events on the vault region’s default bus and nothing else, from a managed policy', () => {
    const template = replicaTemplate();
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' } },
        ],
      },
    });
    expect(template.findResources('AWS::IAM::Policy')).toEqual({});
    const policies = Object.values(template.findResources('AWS::IAM::ManagedPolicy')) as any[];
    expect(policies.map((p) => p.Properties.PolicyDocument.Statement)).toEqual([
      [
        {
          Effect: 'Allow',
          Action: 'events:PutEvents',
          Resource: {
            'Fn::Join': [
              '',
              ['arn:', { Ref: 'AWS::Partition' }, `:events:eu-west-1:${MOTO_ACCOUNT}:event-bus/default`],
            ],
          },
        },
      ],
    ]);
  });

  test('does not exist when forwarding is off', () => {
    const app = new App({ builtinCloudFormationValidation: false });
    const primary = new Stack(app, 'Primary', { env: { account: MOTO_ACCOUNT, region: 'eu-west-1' } });
    const vault = new SecretsVault(primary, 'Vault', { namePrefix: 'example-orders' });
    const replica = new Stack(app, 'Replica', { env: { account: MOTO_ACCOUNT, region: MOTO_REGION } });
    const key = new VaultReplicaKey(replica, 'Key', { vault, forwardKeyEvents: false });
    const template = Template.fromStack(replica);
    expect(key.forwarders).toEqual([]);
    template.resourceCountIs('AWS::Events::Rule', 0);
    template.resourceCountIs('AWS::IAM::Role', 0);
  });
});
