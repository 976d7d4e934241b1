import { App, CfnResource, Duration, SecretValue, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Construct } from 'constructs';
import { SecretContent, SecretRotationSchedule, SecretsVault, VAULT_TAG, VaultKey } from '../lib';
import {
  ACCOUNT,
  OTHER_ACCOUNT,
  REGION,
  newStack,
  onlyResource,
  resourcesOf,
  statementsBySid,
  template,
} from './support/stack';

const PARTNER_ROLE = `arn:aws:iam::${OTHER_ACCOUNT}:role/partner`;
const prefixArn = (prefix: string) => ({
  'Fn::Join': [
    '',
    ['arn:', { Ref: 'AWS::Partition' }, `:secretsmanager:${REGION}:123456789012:secret:${prefix}/*`],
  ],
});

function countResources(secrets: number): Record<string, number> {
  const { stack } = newStack();
  const vault = new SecretsVault(stack, 'Vault', { readers: [new iam.ArnPrincipal(PARTNER_ROLE)] });
  vault.addReaderRole('Reader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  for (let i = 0; i < secrets; i++) vault.addSecret(`S${i}`);
  const resources = template(stack).toJSON().Resources as Record<string, { Type: string }>;
  const counts: Record<string, number> = { total: Object.keys(resources).length };
  for (const r of Object.values(resources)) counts[r.Type] = (counts[r.Type] ?? 0) + 1;
  counts.keyPolicyStatements = onlyResource(stack, 'AWS::KMS::Key').Properties.KeyPolicy.Statement.length;
  counts.policyBytes = JSON.stringify(resourcesOf(stack, 'AWS::IAM::ManagedPolicy')).length;
  counts.lambdaEnvBytes = JSON.stringify(
    onlyResource(stack, 'AWS::Lambda::Function').Properties.Environment,
  ).length;
  return counts;
}

describe('SecretsVault', () => {
  test('names secrets <stack>/<vault id>/<secret id>, tags and encrypts them with its own key', () => {
    const { stack } = newStack();
    const vault = new SecretsVault(stack, 'Vault');
    const secret = vault.addSecret('ApiKey');
    expect(vault.namePrefix).toBe('Test/Vault');
    expect(secret.encryptionKey).toBe(vault.encryptionKey);
    template(stack).hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'Test/Vault/ApiKey',
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^VaultKey'), 'Arn'] },
      Tags: Match.arrayWith([{ Key: VAULT_TAG, Value: 'Test/Vault' }]),
    });
    template(stack).hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/Test/Vault' });
  });

  test('takes a name prefix, and makes it alias-safe for the key', () => {
    const { stack } = newStack();
    new SecretsVault(stack, 'Vault', { namePrefix: 'team.orders/prod' }).addSecret('Db');
    template(stack).hasResourceProperties('AWS::SecretsManager::Secret', { Name: 'team.orders/prod/Db' });
    template(stack).hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/team-orders/prod' });
  });

  test.each([
    ['orders/', 'allowed: a prefix without a trailing `/` (secrets are named `<namePrefix>/<id>`)'],
    ['orders prod', 'allowed characters: letters, digits and / _ + = . @ -'],
  ])('rejects namePrefix %j', (namePrefix, allowed) => {
    const { stack } = newStack();
    expect(() => new SecretsVault(stack, 'Vault', { namePrefix })).toThrow(
      `SecretsVault Test/Vault: invalid \`namePrefix\`: received "${namePrefix}"; ${allowed}.`,
    );
  });

  test('rejects a secret name outside the vault prefix', () => {
    const { stack } = newStack();
    const vault = new SecretsVault(stack, 'Vault', { namePrefix: 'orders' });
    expect(() => vault.addSecret('Db', { secretName: 'billing/Db' })).toThrow(
      'SecretsVault Test/Vault: invalid `secretName`: received "billing/Db"; a secret of this vault must be named under "orders/" so that vault-wide policies cover it.',
    );
  });

  test('accepts a custom name under the prefix', () => {
    const { stack } = newStack();
    new SecretsVault(stack, 'Vault', { namePrefix: 'orders' }).addSecret('Db', {
      secretName: 'orders/db/main',
    });
    template(stack).hasResourceProperties('AWS::SecretsManager::Secret', { Name: 'orders/db/main' });
  });

  test('uses a key you bring, and creates none', () => {
    const { stack } = newStack();
    const key = new kms.Key(stack, 'MyKey', { enableKeyRotation: true });
    new SecretsVault(stack, 'Vault', { encryptionKey: key }).addSecret('S');
    template(stack).resourceCountIs('AWS::KMS::Key', 1);
    template(stack).hasResourceProperties('AWS::SecretsManager::Secret', {
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^MyKey'), 'Arn'] },
    });
  });

  test('a prefix with a leading `/` names no alias with a key you bring, so it is accepted', () => {
    const { stack } = newStack();
    const key = new kms.Key(stack, 'MyKey', { enableKeyRotation: true });
    new SecretsVault(stack, 'Vault', { encryptionKey: key, namePrefix: '/orders' }).addSecret('Db');
    template(stack).hasResourceProperties('AWS::SecretsManager::Secret', { Name: '/orders/Db' });
    template(stack).resourceCountIs('AWS::KMS::Alias', 0);
  });

  test('rejects a key rotation period for a key it does not create', () => {
    const { stack } = newStack();
    const key = new kms.Key(stack, 'MyKey');
    expect(
      () => new SecretsVault(stack, 'Vault', { encryptionKey: key, keyRotationPeriod: Duration.days(180) }),
    ).toThrow(
      'SecretsVault Test/Vault: invalid `keyRotationPeriod`: received 180 days; it applies only to the key the vault creates; set the rotation on your own `encryptionKey` instead.',
    );
  });

  test('passes the key rotation period to its key', () => {
    const { stack } = newStack();
    new SecretsVault(stack, 'Vault', { keyRotationPeriod: Duration.days(180) });
    template(stack).hasResourceProperties('AWS::KMS::Key', { RotationPeriodInDays: 180 });
  });

  describe('readers', () => {
    test('a vault reader is listed on every secret, present and future', () => {
      const { stack } = newStack();
      const vault = new SecretsVault(stack, 'Vault');
      vault.addSecret('Before');
      vault.addReader(new iam.ArnPrincipal(PARTNER_ROLE));
      vault.addSecret('After');
      const policies = Object.values(resourcesOf(stack, 'AWS::SecretsManager::ResourcePolicy'));
      expect(policies).toHaveLength(2);
      for (const p of policies) {
        expect(p.Properties.ResourcePolicy.Statement).toContainEqual(
          expect.objectContaining({ Sid: 'AllowListedReaders', Principal: { AWS: PARTNER_ROLE } }),
        );
      }
    });

    test('grantRead covers the whole vault with one statement scoped by the prefix', () => {
      const { stack } = newStack();
      const vault = new SecretsVault(stack, 'Vault', { namePrefix: 'orders' });
      vault.addSecret('A');
      vault.addSecret('B');
      const role = new iam.Role(stack, 'Role', {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      });
      vault.grantRead(role, ['AWSCURRENT']);
      template(stack).hasResourceProperties('AWS::IAM::Policy', {
        Roles: [{ Ref: Match.stringLikeRegexp('^Role') }],
        PolicyDocument: {
          Statement: [
            {
              Effect: 'Allow',
              Action: 'secretsmanager:GetSecretValue',
              Resource: prefixArn('orders'),
              Condition: { StringEquals: { 'secretsmanager:VersionStage': ['AWSCURRENT'] } },
            },
            { Effect: 'Allow', Action: 'secretsmanager:DescribeSecret', Resource: prefixArn('orders') },
            {
              Effect: 'Allow',
              Action: 'kms:Decrypt',
              Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^VaultKey'), 'Arn'] },
              Condition: { StringEquals: { 'kms:ViaService': `secretsmanager.${REGION}.amazonaws.com` } },
            },
          ],
        },
      });
    });

    test('grantRead acknowledges cdk-nag’s AwsSolutions-IAM5 for the vault prefix on the grantee, and nothing wider', () => {
      const { app, stack } = newStack();
      const vault = new SecretsVault(stack, 'Vault', { namePrefix: 'orders' });
      vault.addSecret('A');
      const role = new iam.Role(stack, 'Role', {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      });
      vault.grantRead(role, ['AWSCURRENT']);
      const acknowledged = role.node.metadata
        .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .map((m) => m.data as Record<string, string>);
      expect(acknowledged).toEqual([
        {
          [`Annotation::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:${REGION}:${ACCOUNT}:secret:orders/*]`]:
            expect.stringMatching(/name prefix: the policy does not grow with the number of secrets/),
        },
      ]);

      // The same statement without the acknowledgement is a finding: the id above is cdk-nag's own.
      const unacknowledged = new iam.Role(stack, 'ByHand', {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      });
      iam.Grant.addToPrincipal({
        grantee: unacknowledged,
        actions: ['secretsmanager:GetSecretValue'],
        resourceArns: [vault.secretArnPattern],
      });
      Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
      let error: unknown;
      try {
        app.synth();
      } catch (e) {
        error = e;
      }
      const report = String(error);
      expect(report).toContain('Test/ByHand/DefaultPolicy/Resource');
      expect(report).toContain(
        `Acknowledge with 'AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:${REGION}:${ACCOUNT}:secret:orders/*]'`,
      );
      expect(report).not.toContain('Test/Role/');
    });

    test('grantRead refuses a principal of this account with no identity policy, and names the fix', () => {
      const { stack } = newStack();
      const vault = new SecretsVault(stack, 'Vault');
      const local = `arn:aws:iam::${ACCOUNT}:role/somebody`;
      expect(() => vault.grantRead(new iam.ArnPrincipal(local))).toThrow(
        `SecretsVault Test/Vault: invalid \`grantRead\`: received "ArnPrincipal(${local})"; it has no identity policy in this account; use \`addReader\` for principals of other accounts or services.`,
      );
    });

    test('grantRead of a role of another account names it in every secret’s resource policy (an identity policy there cannot be written from here)', () => {
      const { stack } = newStack();
      const vault = new SecretsVault(stack, 'Vault');
      vault.grantRead(iam.Role.fromRoleArn(stack, 'Partner', PARTNER_ROLE));
      vault.addSecret('Later');
      const policy = onlyResource(stack, 'AWS::SecretsManager::ResourcePolicy').Properties.ResourcePolicy;
      expect(JSON.stringify(policy.Statement.filter((st: any) => st.Effect === 'Allow'))).toContain(
        PARTNER_ROLE,
      );
      expect(resourcesOf(stack, 'AWS::IAM::Policy')).toEqual({});
    });

    test('addReaderRole makes a role that reads every secret of the vault', () => {
      const { stack } = newStack();
      const vault = new SecretsVault(stack, 'Vault', { namePrefix: 'orders' });
      vault.addReaderRole('Reader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      const statements = onlyResource(stack, 'AWS::IAM::ManagedPolicy').Properties.PolicyDocument.Statement;
      expect(statements[0]).toEqual({
        Effect: 'Allow',
        Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        Resource: prefixArn('orders'),
      });
    });
  });

  describe('rotation', () => {
    test('generated secrets rotate every 30 days through one function for the whole vault', () => {
      const { stack } = newStack();
      const vault = new SecretsVault(stack, 'Vault');
      vault.addSecret('A');
      vault.addSecret('B', { content: SecretContent.generatedJson({ username: 'app' }, 'password') });
      template(stack).resourceCountIs('AWS::Lambda::Function', 1);
      template(stack).resourceCountIs('AWS::Lambda::Permission', 1);
      const schedules = Object.values(resourcesOf(stack, 'AWS::SecretsManager::RotationSchedule'));
      expect(schedules.map((s) => s.Properties.RotationRules)).toEqual([
        { ScheduleExpression: 'rate(30 days)' },
        { ScheduleExpression: 'rate(30 days)' },
      ]);
    });

    test('takes a vault-wide schedule and a per-secret one', () => {
      const { stack } = newStack();
      const vault = new SecretsVault(stack, 'Vault', {
        rotation: SecretRotationSchedule.rate(Duration.days(7), { window: Duration.hours(2) }),
      });
      vault.addSecret('Weekly');
      vault.addSecret('Sunday', { rotation: SecretRotationSchedule.cron('0 4 ? * SUN *') });
      const rules = Object.values(resourcesOf(stack, 'AWS::SecretsManager::RotationSchedule')).map(
        (s) => s.Properties.RotationRules,
      );
      expect(rules).toEqual([
        { ScheduleExpression: 'rate(7 days)', Duration: '2h' },
        { ScheduleExpression: 'cron(0 4 ? * SUN *)' },
      ]);
    });

    test('a supplied value is not rotated unless asked, and synth says so', () => {
      const { stack } = newStack();
      const vault = new SecretsVault(stack, 'Vault');
      vault.addSecret('Seeded', { content: SecretContent.fromSecretValue(SecretValue.ssmSecure('/seed')) });
      template(stack).resourceCountIs('AWS::SecretsManager::RotationSchedule', 0);
      template(stack).resourceCountIs('AWS::Lambda::Function', 0);
      Annotations.fromStack(stack).hasWarning('/Test/Vault/Seeded', Match.stringLikeRegexp('not rotated'));
    });

    test('turning rotation off is explicit', () => {
      const { stack } = newStack();
      const vault = new SecretsVault(stack, 'Vault');
      vault.addSecret('Static', { rotation: SecretRotationSchedule.never() });
      template(stack).resourceCountIs('AWS::SecretsManager::RotationSchedule', 0);
    });
  });

  describe('cost stays flat as secrets are added', () => {
    let one: Record<string, number>;
    let many: Record<string, number>;
    beforeAll(() => {
      one = countResources(1);
      many = countResources(21);
    });

    test('three resources per extra secret: the secret, its resource policy, its rotation schedule', () => {
      expect((many.total - one.total) / 20).toBe(3);
      expect(many['AWS::SecretsManager::Secret'] - one['AWS::SecretsManager::Secret']).toBe(20);
      expect(many['AWS::SecretsManager::ResourcePolicy'] - one['AWS::SecretsManager::ResourcePolicy']).toBe(
        20,
      );
      expect(
        many['AWS::SecretsManager::RotationSchedule'] - one['AWS::SecretsManager::RotationSchedule'],
      ).toBe(20);
    });

    test('key policy, IAM policies, invoke permission and function environment do not grow', () => {
      for (const measure of [
        'keyPolicyStatements',
        'policyBytes',
        'lambdaEnvBytes',
        'AWS::Lambda::Permission',
      ]) {
        expect([measure, many[measure]]).toEqual([measure, one[measure]]);
      }
    });
  });
});

describe('SecretsVault at CloudFormation’s limits', () => {
  function vaultWith(secrets: number) {
    const { app, stack } = newStack();
    const vault = new SecretsVault(stack, 'Vault', { namePrefix: 'orders' });
    for (let i = 0; i < secrets; i++) vault.addSecret(`S${i}`);
    return { app, stack };
  }

  test('150 secrets with rotation fit in one stack', () => {
    const { stack } = vaultWith(150);
    expect(Object.keys(template(stack).toJSON().Resources).length).toBeLessThanOrEqual(500);
  });

  test('a stack over 500 resources fails synth, saying to split the vault', () => {
    const { app } = vaultWith(170);
    expect(() => app.synth()).toThrow(
      /SecretsVault Test\/Vault: stack Test has 5\d\d resources, over CloudFormation's limit of 500 \(this vault holds 170 secrets at 3 resources each\)\. Split the secrets across stacks, one SecretsVault per stack with its own namePrefix/,
    );
  });
});

const DEPLOYMENT = {
  'Fn::Sub': `arn:\${AWS::Partition}:iam::${ACCOUNT}:role/cdk-hnb659fds-cfn-exec-role-${ACCOUNT}-${REGION}`,
};

function secretPolicy(stack: Stack): Record<string, any> {
  return statementsBySid(
    onlyResource(stack, 'AWS::SecretsManager::ResourcePolicy').Properties.ResourcePolicy,
  );
}

describe('a binding allow list (denyUnlistedReaders, on by default)', () => {
  test('denies GetSecretValue to everyone but the declared readers, the rotation function and the deployment', () => {
    const { stack } = newStack();
    const vault = new SecretsVault(stack, 'Vault', { namePrefix: 'orders' });
    vault.addReader(new iam.ArnPrincipal(PARTNER_ROLE));
    const reader = vault.addReaderRole('Reader', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    const secret = vault.addSecret('ApiKey');
    const app = new iam.Role(stack, 'App', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
    });
    secret.grantRead(app);
    secret.addReader(new iam.AccountPrincipal(OTHER_ACCOUNT));
    const id = (construct: any) => stack.getLogicalId(construct.node.defaultChild);
    expect(secretPolicy(stack).DenyReadsByUndeclaredPrincipals).toEqual({
      Sid: 'DenyReadsByUndeclaredPrincipals',
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 'secretsmanager:GetSecretValue',
      Resource: '*',
      Condition: {
        ArnNotLike: {
          'aws:PrincipalArn': [
            PARTNER_ROLE,
            { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::${OTHER_ACCOUNT}:*`]] },
            { 'Fn::GetAtt': [id(reader), 'Arn'] },
            { 'Fn::GetAtt': [id(app), 'Arn'] },
            { 'Fn::GetAtt': [id(vault.rotationFunction.role), 'Arn'] },
            DEPLOYMENT,
          ],
        },
        BoolIfExists: { 'aws:PrincipalIsAWSService': 'false' },
      },
    });
  });

  test('is on by default and can be turned off explicitly', () => {
    const { stack } = newStack();
    new SecretsVault(stack, 'On').addSecret('ApiKey');
    expect(Object.keys(secretPolicy(stack))).toEqual([
      'DenyRequestsWithoutTls',
      'DenyPrincipalsOutsideTrustedAccounts',
      'DenyReadsByUndeclaredPrincipals',
      'DenyManagementExceptDeployment',
      'DenyWritesExceptRotationAndWriters',
    ]);
    const off = newStack().stack;
    new SecretsVault(off, 'Off', { denyUnlistedReaders: false }).addSecret('ApiKey');
    expect(secretPolicy(off).DenyReadsByUndeclaredPrincipals).toBeUndefined();
  });

  test('a secret nobody declared still lets the deployment read it (dynamic references)', () => {
    const { app, stack } = newStack();
    new SecretsVault(stack, 'Vault').addSecret('Static', { rotation: SecretRotationSchedule.never() });
    expect(() => app.synth()).not.toThrow();
    expect(
      secretPolicy(stack).DenyReadsByUndeclaredPrincipals.Condition.ArnNotLike['aws:PrincipalArn'],
    ).toEqual([DEPLOYMENT]);
  });

  test('refuses a reader it cannot name in the deny', () => {
    const { stack } = newStack();
    const vault = new SecretsVault(stack, 'Vault');
    vault.addSecret('ApiKey').addReader(new iam.FederatedPrincipal('cognito-identity.amazonaws.com'));
    expect(() => template(stack)).toThrow(
      /invalid `readers`: received "FederatedPrincipal\(cognito-identity.amazonaws.com\)"; allowed: a role, a user, an ArnPrincipal, an account or a service principal/,
    );
  });
});

describe('management is guarded', () => {
  test('management actions are denied to all but the deployment and the break-glass principal', () => {
    const { stack } = newStack();
    const breakGlass = new iam.Role(stack, 'BreakGlass', { assumedBy: new iam.AccountRootPrincipal() });
    const vault = new SecretsVault(stack, 'Vault', { breakGlass });
    vault.addSecret('ApiKey');
    const deny = secretPolicy(stack).DenyManagementExceptDeployment;
    expect(deny.Effect).toBe('Deny');
    expect(deny.Action).toEqual(
      expect.arrayContaining([
        'secretsmanager:PutResourcePolicy',
        'secretsmanager:DeleteResourcePolicy',
        'secretsmanager:UpdateSecret',
        'secretsmanager:RotateSecret',
        'secretsmanager:CancelRotateSecret',
        'secretsmanager:TagResource',
        'secretsmanager:UntagResource',
        'secretsmanager:ReplicateSecretToRegions',
        'secretsmanager:DeleteSecret',
      ]),
    );
    expect(deny.Condition.ArnNotLike['aws:PrincipalArn']).toEqual([
      DEPLOYMENT,
      { 'Fn::GetAtt': [stack.getLogicalId(breakGlass.node.defaultChild as CfnResource), 'Arn'] },
    ]);
    expect(vault.breakGlass).toBe(breakGlass);
  });

  test('writes are denied to all but the deployment, break-glass, rotation function and declared writers', () => {
    const { stack } = newStack();
    const vault = new SecretsVault(stack, 'Vault');
    const secret = vault.addSecret('ApiKey');
    const writer = new iam.Role(stack, 'Writer', { assumedBy: new iam.AccountRootPrincipal() });
    secret.grantWrite(writer);
    const deny = secretPolicy(stack).DenyWritesExceptRotationAndWriters;
    const id = (construct: any) => stack.getLogicalId(construct.node.defaultChild);
    expect(deny.Action).toEqual(['secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage']);
    expect(deny.Condition.ArnNotLike['aws:PrincipalArn']).toEqual([
      DEPLOYMENT,
      { 'Fn::GetAtt': [id(vault.rotationFunction.role), 'Arn'] },
      { 'Fn::GetAtt': [id(writer), 'Arn'] },
    ]);
  });

  test('the vault passes key admins and break-glass to its key, and refuses key admins for a key it did not make', () => {
    const { stack } = newStack();
    const admin = new iam.ArnPrincipal(`arn:aws:iam::${ACCOUNT}:role/key-admin`);
    new SecretsVault(stack, 'Vault', { keyAdmins: [admin] });
    const keyPolicy = statementsBySid(onlyResource(stack, 'AWS::KMS::Key').Properties.KeyPolicy);
    expect(keyPolicy.KeyAdministration.Condition.ArnLike['aws:PrincipalArn']).toEqual([
      DEPLOYMENT,
      `arn:aws:iam::${ACCOUNT}:role/key-admin`,
    ]);
    const own = newStack().stack;
    const key = new VaultKey(own, 'Key');
    expect(() => new SecretsVault(own, 'Vault', { encryptionKey: key, keyAdmins: [admin] })).toThrow(
      /SecretsVault Test\/Vault: invalid `keyAdmins`: received a list of 1; it applies only to the key the vault creates/,
    );
  });
});

describe('vaults of one app keep apart', () => {
  test('a second vault with the same default prefix is refused, naming its id (the user set no prefix)', () => {
    const { stack } = newStack();
    new SecretsVault(new Construct(stack, 'Orders'), 'Vault');
    expect(() => new SecretsVault(new Construct(stack, 'Billing'), 'Vault')).toThrow(
      /^SecretsVault Test\/Billing\/Vault: invalid `id`: received "Vault"; vault Test\/Orders\/Vault has namePrefix "Test\/Vault", the same prefix.*give this vault another id, or a `namePrefix` of its own/,
    );
  });

  test('a prefix nested in another vault’s is refused, whichever comes first', () => {
    const { stack } = newStack();
    new SecretsVault(stack, 'Outer', { namePrefix: 'orders' });
    expect(() => new SecretsVault(stack, 'Inner', { namePrefix: 'orders/db' })).toThrow(
      /^SecretsVault Test\/Inner: invalid `namePrefix`: received "orders\/db"; vault Test\/Outer has namePrefix "orders", a prefix this one is inside.*neither inside the other/,
    );
    const other = newStack().stack;
    new SecretsVault(other, 'Inner', { namePrefix: 'orders/db' });
    expect(() => new SecretsVault(other, 'Outer', { namePrefix: 'orders' })).toThrow(
      /^SecretsVault Test\/Outer: invalid `namePrefix`: received "orders"; vault Test\/Inner has namePrefix "orders\/db", a prefix inside this one/,
    );
  });

  test('prefixes that only share a beginning are apart', () => {
    const { app, stack } = newStack();
    new SecretsVault(stack, 'A', { namePrefix: 'orders' }).addSecret('S');
    new SecretsVault(stack, 'B', { namePrefix: 'orders2' }).addSecret('S');
    expect(() => app.synth()).not.toThrow();
  });
});

test('the same prefix in two accounts is no overlap', () => {
  const app = new App({ builtinCloudFormationValidation: false });
  const inAccount = (id: string, account: string) => new Stack(app, id, { env: { account, region: REGION } });
  new SecretsVault(inAccount('Prod', '111111111111'), 'Vault', { namePrefix: 'orders' }).addSecret('S');
  new SecretsVault(inAccount('Dev', '222222222222'), 'Vault', { namePrefix: 'orders' }).addSecret('S');
  expect(() => app.synth()).not.toThrow();
});
