import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { VaultKey } from '../lib';
import { KEY_ADMIN_ACTIONS } from '../lib/private/actions';
import {
  ACCOUNT,
  OTHER_ACCOUNT,
  REGION,
  newStack,
  onlyResource,
  statementsBySid,
  template,
} from './support/stack';

const VIA_SM = `secretsmanager.${REGION}.amazonaws.com`;

function keyPolicy(props = {}) {
  const { stack } = newStack();
  new VaultKey(stack, 'Key', props);
  return statementsBySid(onlyResource(stack, 'AWS::KMS::Key').Properties.KeyPolicy);
}

describe('VaultKey', () => {
  test('rotates key material every 90 days by default', () => {
    const { stack } = newStack();
    new VaultKey(stack, 'Key');
    template(stack).hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      RotationPeriodInDays: 90,
      PendingWindowInDays: 30,
      KeySpec: Match.absent(),
      KeyUsage: Match.absent(),
    });
  });

  test('takes a rotation period within 90 to 2560 days', () => {
    const { stack } = newStack();
    new VaultKey(stack, 'Key', { rotationPeriod: Duration.days(365) });
    template(stack).hasResourceProperties('AWS::KMS::Key', { RotationPeriodInDays: 365 });
  });

  test.each([
    [Duration.days(89), '89 days'],
    [Duration.days(2561), '2561 days'],
    [Duration.hours(2200), '91 days 16 hours'],
  ])('rejects rotationPeriod %s', (rotationPeriod, shown) => {
    const { stack } = newStack();
    expect(() => new VaultKey(stack, 'Key', { rotationPeriod })).toThrow(
      `VaultKey Test/Key: invalid \`rotationPeriod\`: received ${shown}; allowed: a whole number of days from 90 to 2560.`,
    );
  });

  test.each([Duration.days(6), Duration.days(31)])('rejects pendingWindow %s', (pendingWindow) => {
    const { stack } = newStack();
    expect(() => new VaultKey(stack, 'Key', { pendingWindow })).toThrow(
      /invalid `pendingWindow`: received \d+ days; allowed: a whole number of days from 7 to 30/,
    );
  });

  test('rejects a rotation period with rotation turned off', () => {
    const { stack } = newStack();
    expect(
      () => new VaultKey(stack, 'Key', { enableKeyRotation: false, rotationPeriod: Duration.days(100) }),
    ).toThrow(
      /invalid `rotationPeriod`: received 100 days; a rotation period needs `enableKeyRotation` left on/,
    );
  });

  test('turning rotation off is explicit and leaves no period', () => {
    const { stack } = newStack();
    new VaultKey(stack, 'Key', { enableKeyRotation: false });
    template(stack).hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: false,
      RotationPeriodInDays: Match.absent(),
    });
  });

  test.each(['my-key', 'alias/aws/secretsmanager', 'alias/has space'])('rejects alias %s', (alias) => {
    const { stack } = newStack();
    expect(() => new VaultKey(stack, 'Key', { alias })).toThrow(
      `invalid \`alias\`: received "${alias}"; allowed: \`alias/\` followed by 1 to 250 letters, digits, / _ -, not starting with \`alias/aws/\``,
    );
  });

  test('has an alias, given or derived', () => {
    const { stack } = newStack();
    new VaultKey(stack, 'Given', { alias: 'alias/team/secrets' });
    new VaultKey(stack, 'Derived');
    const aliases = Object.values(template(stack).findResources('AWS::KMS::Alias')).map(
      (r) => r.Properties.AliasName,
    );
    expect(aliases).toEqual([
      'alias/team/secrets',
      expect.stringMatching(/^alias\/secrets-vault\/TestDerived/),
    ]);
  });

  test('is retained by default, destroyable on request', () => {
    const { stack } = newStack();
    new VaultKey(stack, 'Kept');
    new VaultKey(stack, 'Gone', { removalPolicy: RemovalPolicy.DESTROY });
    const keys = template(stack).findResources('AWS::KMS::Key');
    expect(Object.entries(keys).map(([id, r]) => [id.replace(/[0-9A-F]{8}$/, ''), r.DeletionPolicy])).toEqual(
      [
        ['Kept', 'Retain'],
        ['Gone', 'Delete'],
      ],
    );
  });

  describe('key policy', () => {
    test('has exactly the administration, Secrets-Manager-use and grant statements', () => {
      expect(Object.keys(keyPolicy())).toEqual([
        'AccountAdministersKey',
        'AccountUsesKeyThroughSecretsManagerOnly',
        'SecretsManagerCreatesGrantsForItsResourcesOnly',
      ]);
    });

    test('administration gives the account no cryptographic action and no grant creation', () => {
      const admin = keyPolicy().AccountAdministersKey;
      expect(admin.Action).toEqual(KEY_ADMIN_ACTIONS);
      expect(admin.Condition).toBeUndefined();
      for (const action of admin.Action as string[]) {
        expect(action).not.toMatch(/\*|Decrypt|Encrypt|GenerateDataKey|CreateGrant|kms:Create\*/);
      }
    });

    test('encryption and decryption only through Secrets Manager of this account and region', () => {
      const use = keyPolicy().AccountUsesKeyThroughSecretsManagerOnly;
      expect(use.Action).toEqual(
        expect.arrayContaining(['kms:Decrypt', 'kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*']),
      );
      expect(use.Condition).toEqual({
        StringEquals: { 'kms:ViaService': VIA_SM, 'kms:CallerAccount': ACCOUNT },
      });
      expect(JSON.stringify(use.Principal)).toContain(`:iam::${ACCOUNT}:root`);
    });

    test('grants only for AWS resources, through Secrets Manager', () => {
      const grants = keyPolicy().SecretsManagerCreatesGrantsForItsResourcesOnly;
      expect(grants.Action).toBe('kms:CreateGrant');
      expect(grants.Condition).toEqual({
        StringEquals: { 'kms:ViaService': VIA_SM, 'kms:CallerAccount': ACCOUNT },
        Bool: { 'kms:GrantIsForAWSResource': 'true' },
      });
    });

    test('no statement allows a principal outside the account or any action without conditions', () => {
      const statements = Object.values(keyPolicy());
      const unconditioned = statements.filter((s) => !s.Condition).flatMap((s) => [s.Action].flat());
      expect(unconditioned.every((a: string) => KEY_ADMIN_ACTIONS.includes(a))).toBe(true);
      expect(JSON.stringify(statements)).not.toContain('"*"}');
    });
  });

  test('grantDecryptViaSecretsManager puts a conditioned statement in a same-account role', () => {
    const { stack } = newStack();
    const key = new VaultKey(stack, 'Key');
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    key.grantDecryptViaSecretsManager(role);
    template(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Action: 'kms:Decrypt',
            Effect: 'Allow',
            Condition: { StringEquals: { 'kms:ViaService': VIA_SM } },
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] },
          },
        ],
      },
    });
    expect(onlyResource(stack, 'AWS::KMS::Key').Properties.KeyPolicy.Statement).toHaveLength(3);
  });

  test('grantDecryptViaSecretsManager names another account in the key policy', () => {
    const { stack } = newStack();
    const key = new VaultKey(stack, 'Key');
    const partner = new iam.ArnPrincipal(`arn:aws:iam::${OTHER_ACCOUNT}:role/partner`);
    key.grantDecryptViaSecretsManager(partner);
    const statements = onlyResource(stack, 'AWS::KMS::Key').Properties.KeyPolicy.Statement;
    expect(statements).toContainEqual({
      Action: 'kms:Decrypt',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${OTHER_ACCOUNT}:role/partner` },
      Resource: '*',
      Condition: { StringEquals: { 'kms:ViaService': VIA_SM } },
    });
  });

  test('grantEncryptViaSecretsManager gives encrypt actions through Secrets Manager only', () => {
    const { stack } = newStack();
    const key = new VaultKey(stack, 'Key');
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    key.grantEncryptViaSecretsManager(role);
    template(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          Match.objectLike({
            Action: ['kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'],
            Condition: { StringEquals: { 'kms:ViaService': VIA_SM } },
          }),
        ],
      },
    });
  });
});
