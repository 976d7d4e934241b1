import { App, CliCredentialsStackSynthesizer, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { VaultKey } from '../lib';
import { KEY_ADMIN_ACTIONS, LOG_GROUP_KEY_ACTIONS } from '../lib/private/actions';
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
    const DEPLOYMENT = `arn:\${AWS::Partition}:iam::${ACCOUNT}:role/cdk-hnb659fds-cfn-exec-role-${ACCOUNT}-${REGION}`;

    test('has exactly the administration, Secrets-Manager-use, grant and deny statements', () => {
      expect(Object.keys(keyPolicy())).toEqual([
        'KeyAdministration',
        'UseThroughSecretsManagerOnly',
        'SecretsManagerCreatesGrantsForItsResourcesOnly',
        'DenyGrantsNotForAwsResources',
        'DenyUseOutsideSecretsManager',
      ]);
    });

    test('administration is for the deployment role only by default, by ARN, with no cryptographic action', () => {
      const admin = keyPolicy().KeyAdministration;
      expect(admin.Action).toEqual(KEY_ADMIN_ACTIONS);
      expect(admin.Condition).toEqual({ ArnLike: { 'aws:PrincipalArn': [{ 'Fn::Sub': DEPLOYMENT }] } });
      for (const action of admin.Action as string[]) {
        expect(action).not.toMatch(/\*|Decrypt|Encrypt|GenerateDataKey|CreateGrant|kms:Create\*/);
      }
    });

    test('administration extends to named key admins and the break-glass principal', () => {
      const { stack } = newStack();
      const admin = new iam.Role(stack, 'KeyAdmin', { assumedBy: new iam.AccountRootPrincipal() });
      new VaultKey(stack, 'Key', {
        keyAdmins: [
          admin,
          new iam.ArnPrincipal(
            `arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_KeyAdmin_*`,
          ),
        ],
        breakGlass: new iam.ArnPrincipal(`arn:aws:iam::${ACCOUNT}:role/break-glass`),
      });
      const statement = statementsBySid(
        onlyResource(stack, 'AWS::KMS::Key').Properties.KeyPolicy,
      ).KeyAdministration;
      expect(statement.Condition.ArnLike['aws:PrincipalArn']).toEqual([
        { 'Fn::Sub': DEPLOYMENT },
        { 'Fn::GetAtt': [expect.stringMatching(/^KeyAdmin/), 'Arn'] },
        `arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_KeyAdmin_*`,
        `arn:aws:iam::${ACCOUNT}:role/break-glass`,
      ]);
    });

    test('another synthesizer must name the deployment role', () => {
      const app = new App({ builtinCloudFormationValidation: false });
      const stack = new Stack(app, 'Cli', { synthesizer: new CliCredentialsStackSynthesizer() });
      expect(() => new VaultKey(stack, 'Key')).toThrow(
        /VaultKey Cli\/Key: invalid `deploymentRole`: received undefined; stack Cli does not use DefaultStackSynthesizer/,
      );
      const named = new Stack(app, 'Named', { synthesizer: new CliCredentialsStackSynthesizer() });
      const deployer = iam.Role.fromRoleArn(named, 'Deployer', `arn:aws:iam::${ACCOUNT}:role/deployer`);
      new VaultKey(named, 'Key', { deploymentRole: deployer });
      const statement = statementsBySid(
        onlyResource(named, 'AWS::KMS::Key').Properties.KeyPolicy,
      ).KeyAdministration;
      expect(statement.Condition.ArnLike['aws:PrincipalArn']).toEqual([
        `arn:aws:iam::${ACCOUNT}:role/deployer`,
      ]);
    });

    test('refuses a key admin it cannot name by ARN', () => {
      const { stack } = newStack();
      expect(
        () => new VaultKey(stack, 'Key', { keyAdmins: [new iam.CanonicalUserPrincipal('abc')] }),
      ).toThrow(
        /VaultKey Test\/Key: invalid `keyAdmins`: received .*; allowed: a role, a user, an ArnPrincipal/,
      );
    });

    test('encryption and decryption only through Secrets Manager of this account and region', () => {
      const use = keyPolicy().UseThroughSecretsManagerOnly;
      expect(use.Action).toEqual(
        expect.arrayContaining(['kms:Decrypt', 'kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*']),
      );
      expect(use.Condition).toEqual({
        StringEquals: { 'kms:ViaService': VIA_SM, 'kms:CallerAccount': ACCOUNT },
      });
      expect(JSON.stringify(use.Principal)).toContain(`:iam::${ACCOUNT}:root`);
    });

    test('grants only for AWS resources, through Secrets Manager; any other grant is denied to everyone', () => {
      const policy = keyPolicy();
      expect(policy.SecretsManagerCreatesGrantsForItsResourcesOnly.Action).toBe('kms:CreateGrant');
      expect(policy.SecretsManagerCreatesGrantsForItsResourcesOnly.Condition).toEqual({
        StringEquals: { 'kms:ViaService': VIA_SM, 'kms:CallerAccount': ACCOUNT },
        Bool: { 'kms:GrantIsForAWSResource': 'true' },
      });
      // Exactly the statement Control Tower's CT.KMS.PR.3 looks for: one action, both keys, nothing else.
      expect(policy.DenyGrantsNotForAwsResources).toEqual({
        Sid: 'DenyGrantsNotForAwsResources',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'kms:CreateGrant',
        Resource: '*',
        Condition: {
          BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' },
        },
      });
    });

    test('cryptographic use outside Secrets Manager is denied to everyone', () => {
      expect(keyPolicy().DenyUseOutsideSecretsManager).toMatchObject({
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'],
        Condition: { StringNotEquals: { 'kms:ViaService': VIA_SM } },
      });
    });

    test('no statement allows anything without a condition', () => {
      const statements = Object.values(keyPolicy());
      expect(statements.filter((s) => s.Effect === 'Allow' && !s.Condition)).toEqual([]);
    });
  });

  describe('allowLogGroup', () => {
    const group = (name: string) => `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${name}`;

    function withLogGroups(...arns: string[]) {
      const { app, stack } = newStack();
      const key = new VaultKey(stack, 'Key');
      for (const arn of arns) key.allowLogGroup(arn);
      return {
        app,
        stack,
        key,
        policy: () => statementsBySid(onlyResource(stack, 'AWS::KMS::Key').Properties.KeyPolicy),
      };
    }

    test('lets CloudWatch Logs of this region use the key under those groups’ encryption context only', () => {
      const { policy } = withLogGroups(group('/a'), group('/b'), group('/a'));
      expect(policy().CloudWatchLogsEncryptsTheseLogGroups).toEqual({
        Sid: 'CloudWatchLogsEncryptsTheseLogGroups',
        Effect: 'Allow',
        Principal: { Service: `logs.${REGION}.amazonaws.com` },
        Action: LOG_GROUP_KEY_ACTIONS,
        Resource: '*',
        Condition: { ArnEquals: { 'kms:EncryptionContext:aws:logs:arn': [group('/a'), group('/b')] } },
      });
    });

    test('exempts exactly those encryption contexts from the deny of use outside Secrets Manager', () => {
      const { policy } = withLogGroups(group('/a'));
      expect(policy().DenyUseOutsideSecretsManager).toEqual({
        Sid: 'DenyUseOutsideSecretsManager',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'],
        Resource: '*',
        Condition: {
          StringNotEquals: { 'kms:ViaService': VIA_SM },
          ArnNotEquals: { 'kms:EncryptionContext:aws:logs:arn': [group('/a')] },
        },
      });
    });

    test('without a log group the key has neither the statement nor the exception', () => {
      const policy = keyPolicy();
      expect(policy.CloudWatchLogsEncryptsTheseLogGroups).toBeUndefined();
      expect(policy.DenyUseOutsideSecretsManager.Condition).toEqual({
        StringNotEquals: { 'kms:ViaService': VIA_SM },
      });
    });

    test('the key’s own check accepts that statement as policy minimization renders it (cdk.json sets it)', () => {
      const app = new App({
        builtinCloudFormationValidation: false,
        context: { '@aws-cdk/aws-iam:minimizePolicies': true },
      });
      const stack = new Stack(app, 'Test', { env: { account: ACCOUNT, region: REGION } });
      new VaultKey(stack, 'Key').allowLogGroup(group('/a'));
      expect(() => app.synth()).not.toThrow();
      const logs = statementsBySid(
        onlyResource(stack, 'AWS::KMS::Key').Properties.KeyPolicy,
      ).CloudWatchLogsEncryptsTheseLogGroups;
      // Minimization sorts the actions: the check must not depend on their order.
      expect(logs.Action).toEqual([...LOG_GROUP_KEY_ACTIONS].sort());
    });

    test('the key’s own check accepts that statement, and only as written', () => {
      const { app } = withLogGroups(group('/a'));
      expect(() => app.synth()).not.toThrow();
      const other = withLogGroups(group('/a'));
      // The same statement for another group, written into the key's policy behind its back.
      const cfnKey = other.key.node.defaultChild as kms.CfnKey;
      const document = other.stack.resolve(cfnKey.keyPolicy);
      const logs = document.Statement.find((st: any) => st.Sid === 'CloudWatchLogsEncryptsTheseLogGroups');
      document.Statement.push({
        ...logs,
        Sid: 'LooksAlike',
        Condition: { ArnEquals: { 'kms:EncryptionContext:aws:logs:arn': [group('/elsewhere')] } },
      });
      cfnKey.keyPolicy = document;
      expect(() => other.app.synth()).toThrow(
        /VaultKey Test\/Key: its key policy allows kms:Encrypt kms:Decrypt .* on this key without kms:ViaService = secretsmanager\.eu-west-1\.amazonaws\.com/,
      );
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
    expect(onlyResource(stack, 'AWS::KMS::Key').Properties.KeyPolicy.Statement).toHaveLength(5);
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

  test('grantEncryptViaSecretsManager gives what a writer needs (GenerateDataKey, Decrypt) through Secrets Manager only', () => {
    const { stack } = newStack();
    const key = new VaultKey(stack, 'Key');
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    key.grantEncryptViaSecretsManager(role);
    template(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          Match.objectLike({
            Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
            Condition: { StringEquals: { 'kms:ViaService': VIA_SM } },
          }),
        ],
      },
    });
  });
});
