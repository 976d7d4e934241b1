/**
 * What the mutation run over the policy builders (scripts/mutation.sh with stryker.policy*.conf.json)
 * showed untested, each pinned by the behaviour the mutant changes: which ARN patterns stand for a
 * principal in a guard's `aws:PrincipalArn`, who an Allow statement exempts from the read guard,
 * which accounts pass the account boundary, and the reader role's props at their limits.
 */
import { CfnParameter, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { SecretReaderRole, SecretReaderRoleProps, SecretsVault, VaultKey } from '../lib';
import { principalArnPatterns } from '../lib/private/principals';
import { ACCOUNT, OTHER_ACCOUNT, newStack, onlyResource, statementsBySid, template } from './support/stack';

describe('principalArnPatterns', () => {
  test('a user stands for its own ARN', () => {
    const { stack } = newStack();
    const user = new iam.User(stack, 'Operator', { userName: 'operator' });
    expect(stack.resolve(principalArnPatterns('Owner', 'keyAdmins', user))).toEqual([
      { 'Fn::GetAtt': [stack.getLogicalId(user.node.defaultChild as iam.CfnUser), 'Arn'] },
    ]);
  });

  test.each([
    [
      'the aws partition',
      `arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_*`,
    ],
    ['the aws-cn partition', `arn:aws-cn:iam::${ACCOUNT}:role/Admin_*`],
    ['the aws-us-gov partition, a user', `arn:aws-us-gov:iam::${ACCOUNT}:user/ops-*`],
  ])('a wildcard ARN in %s is taken as it is', (_name, arn) => {
    expect(principalArnPatterns('Owner', 'keyAdmins', new iam.ArnPrincipal(arn))).toEqual([arn]);
  });

  test.each([
    ['text before the ARN', `x-arn:aws:iam::${ACCOUNT}:role/Admin_*`],
    ['text after the name', `arn:aws:iam::${ACCOUNT}:role/Admin_* other`],
    ['a digit in the partition', `arn:aws1:iam::${ACCOUNT}:role/Admin_*`],
  ])('a wildcard ARN with %s is refused', (_name, arn) => {
    expect(() => principalArnPatterns('Owner', 'keyAdmins', new iam.ArnPrincipal(arn))).toThrow(
      `Owner: invalid \`keyAdmins\`: received "${arn}"; allowed: an IAM role or user ARN with wildcards only in its name`,
    );
  });
});

describe('the secret policy: the read guard and the account boundary', () => {
  function vaultSecret() {
    const { stack } = newStack();
    const vault = new SecretsVault(stack, 'Vault', { namePrefix: 'app' });
    const secret = vault.addSecret('Token');
    return { stack, secret };
  }

  function statements(stack: ReturnType<typeof newStack>['stack']) {
    const policy = onlyResource(stack, 'AWS::SecretsManager::ResourcePolicy').Properties;
    return statementsBySid(stack.resolve(policy.ResourcePolicy));
  }

  const readExempt = (stack: ReturnType<typeof newStack>['stack']): string[] =>
    statements(stack).DenyReadsByUndeclaredPrincipals.Condition.ArnNotLike['aws:PrincipalArn'];

  test('a principal an Allow lets describe the secret only is not exempt from the read guard', () => {
    const { stack, secret } = vaultSecret();
    const describer = `arn:aws:iam::${ACCOUNT}:role/describer`;
    const reader = `arn:aws:iam::${ACCOUNT}:role/reader`;
    secret.addToResourcePolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:DescribeSecret'],
        principals: [new iam.ArnPrincipal(describer)],
        resources: ['*'],
      }),
    );
    secret.addToResourcePolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
        principals: [new iam.ArnPrincipal(reader)],
        resources: ['*'],
      }),
    );
    expect(readExempt(stack)).toContain(reader);
    expect(readExempt(stack)).not.toContain(describer);
  });

  test('the accounts an Allow names pass the account boundary once each; this account first', () => {
    const { stack, secret } = vaultSecret();
    for (const name of ['a', 'b']) {
      secret.addToResourcePolicy(
        new iam.PolicyStatement({
          actions: ['secretsmanager:GetSecretValue'],
          principals: [new iam.ArnPrincipal(`arn:aws:iam::${OTHER_ACCOUNT}:role/${name}`)],
          resources: ['*'],
        }),
      );
    }
    const boundary = statements(stack).DenyPrincipalsOutsideTrustedAccounts.Condition.StringNotEquals;
    expect(boundary['aws:PrincipalAccount']).toEqual([ACCOUNT, OTHER_ACCOUNT]);
  });
  test('a principal an Allow gives every Secrets Manager action (secretsmanager:*) is exempt from the read guard', () => {
    const { stack, secret } = vaultSecret();
    const all = `arn:aws:iam::${ACCOUNT}:role/all`;
    secret.addToResourcePolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:*'],
        principals: [new iam.ArnPrincipal(all)],
        resources: ['*'],
      }),
    );
    expect(readExempt(stack)).toContain(all);
  });

  test('a service an Allow names adds no account to the boundary (services pass it as themselves)', () => {
    const { stack, secret } = vaultSecret();
    secret.addToResourcePolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        principals: [new iam.ServicePrincipal('lambda.amazonaws.com')],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': ACCOUNT } },
      }),
    );
    const boundary = statements(stack).DenyPrincipalsOutsideTrustedAccounts.Condition;
    expect(boundary.StringNotEquals['aws:PrincipalAccount']).toEqual([ACCOUNT]);
    expect(boundary.BoolIfExists).toEqual({ 'aws:PrincipalIsAWSService': 'false' });
  });
});

describe('SecretReaderRole: names, descriptions, sessions and warnings at their limits', () => {
  function reader(props: Partial<SecretReaderRoleProps> = {}) {
    const { stack } = newStack();
    const vault = new SecretsVault(stack, 'Vault', { namePrefix: 'app' });
    const secret = vault.addSecret('Token');
    const role = new SecretReaderRole(stack, 'Reader', {
      assumedBy: new iam.AccountPrincipal(ACCOUNT),
      secrets: [secret],
      ...props,
    });
    return { stack, role };
  }
  /** The reader role's properties (the vault's rotation role is the other role of the stack). */
  const only = (stack: ReturnType<typeof newStack>['stack']) => {
    const roles = Object.entries(template(stack).findResources('AWS::IAM::Role')).filter(([id]) =>
      id.startsWith('Reader'),
    );
    expect(roles).toHaveLength(1);
    return roles[0][1].Properties;
  };
  const warnings = (stack: ReturnType<typeof newStack>['stack']) =>
    Annotations.fromStack(stack)
      .findWarning('*', Match.anyValue())
      .map((w) => String(w.entry.data));

  test.each([
    ['every character IAM allows', 'app.reader+ci=x,y@z_w-1'],
    ['64 characters', 'r'.repeat(64)],
    ['one character', 'r'],
  ])('a role name of %s is given to the role', (_name, roleName) => {
    const { stack } = reader({ roleName });
    expect(only(stack).RoleName).toBe(roleName);
  });

  test('a role name given as a token is passed on (IAM checks it at deploy)', () => {
    const { stack } = newStack();
    const name = new CfnParameter(stack, 'RoleName').valueAsString;
    const vault = new SecretsVault(stack, 'Vault', { namePrefix: 'app' });
    new SecretReaderRole(stack, 'Reader', {
      assumedBy: new iam.AccountPrincipal(ACCOUNT),
      secrets: [vault.addSecret('Token')],
      roleName: name,
    });
    expect(only(stack).RoleName).toEqual({ Ref: 'RoleName' });
  });

  test.each([
    ['65 characters', 'r'.repeat(65)],
    ['a space', 'app reader'],
  ])('a role name of %s is refused by the role, naming it', (_name, roleName) => {
    expect(() => reader({ roleName })).toThrow(
      `SecretReaderRole Test/Reader: invalid \`roleName\`: received "${roleName}"; allowed: 1 to 64 letters, digits and + = , . @ _ -`,
    );
  });

  test('the description: the default when none is given; 1000 characters taken as given', () => {
    expect(only(reader().stack).Description).toBe(
      'Reads secrets of cdk-secrets-vault with short-lived credentials',
    );
    const long = 'd'.repeat(1000);
    expect(only(reader({ description: long }).stack).Description).toBe(long);
  });

  test('a session of exactly 12 hours is taken', () => {
    expect(only(reader({ maxSessionDuration: Duration.hours(12) }).stack).MaxSessionDuration).toBe(43200);
  });

  test('an account that assumes the role, reading AWSCURRENT: no warning', () => {
    const { stack } = reader({ versionStages: ['AWSCURRENT'] });
    expect(warnings(stack).filter((w) => w.includes('Test/Reader'))).toEqual([]);
  });

  test('an organization that assumes the role, and a stage Secrets Manager never sets: one warning each', () => {
    const { stack } = reader({
      assumedBy: new iam.OrganizationPrincipal('o-a1b2c3d4e5'),
      versionStages: ['AWSCURRENT', 'BLUE'],
    });
    const own = warnings(stack).filter((w) => w.includes('Test/Reader'));
    expect(own).toHaveLength(2);
    expect(own[0]).toContain('`assumedBy` is an organization principal');
    expect(own[1]).toContain('`versionStages` names "BLUE", which Secrets Manager never sets');
  });
});

describe('VaultKey: its description, alias, log group statement and warnings', () => {
  const keyResource = (stack: ReturnType<typeof newStack>['stack']) =>
    onlyResource(stack, 'AWS::KMS::Key').Properties;
  const ownWarnings = (stack: ReturnType<typeof newStack>['stack']) =>
    Annotations.fromStack(stack)
      .findWarning('/Test/Key', Match.anyValue())
      .map((w) => String(w.entry.data));

  test('a key with the defaults: the library’s description and no warning', () => {
    const { stack } = newStack();
    new VaultKey(stack, 'Key');
    expect(keyResource(stack).Description).toBe(
      'Encrypts secrets of cdk-secrets-vault; usable through Secrets Manager only',
    );
    expect(ownWarnings(stack)).toEqual([]);
  });

  test('rotation off, and destroyed with the stack: one warning each', () => {
    const { stack } = newStack();
    new VaultKey(stack, 'Key', { enableKeyRotation: false, removalPolicy: RemovalPolicy.DESTROY });
    const warnings = ownWarnings(stack);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain('`enableKeyRotation` is false');
    expect(warnings[1]).toContain('`removalPolicy` is DESTROY');
  });

  test('an alias name with text before `alias/` is refused', () => {
    const { stack } = newStack();
    expect(() => new VaultKey(stack, 'Key', { alias: 'xalias/app' })).toThrow(
      'VaultKey Test/Key: invalid `alias`: received "xalias/app"; allowed: `alias/` followed by 1 to 250 letters, digits, / _ -, not starting with `alias/aws/`',
    );
  });

  test('the generated alias fits KMS’s 256 characters however long the key’s path', () => {
    const { stack } = newStack();
    const deep = new Construct(stack, 'd'.repeat(200));
    new VaultKey(deep, 'k'.repeat(200));
    const aliases = Object.values(template(stack).findResources('AWS::KMS::Alias'));
    expect(aliases).toHaveLength(1);
    const name = aliases[0].Properties.AliasName as string;
    expect(name.startsWith('alias/secrets-vault/')).toBe(true);
    expect(name.length).toBeLessThanOrEqual(256);
  });

  test('two log groups share one CloudWatch Logs statement', () => {
    const { stack } = newStack();
    const key = new VaultKey(stack, 'Key');
    const group = (name: string) => `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:${name}`;
    key.allowLogGroup(group('/a'));
    key.allowLogGroup(group('/b'));
    const statements = stack.resolve(keyResource(stack).KeyPolicy).Statement as Array<{ Sid?: string }>;
    expect(statements.filter((s) => s.Sid === 'CloudWatchLogsEncryptsTheseLogGroups')).toHaveLength(1);
  });
});

describe('VaultKey: only the CloudWatch Logs statement as allowLogGroup wrote it passes the key check', () => {
  const group = `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:/a`;

  /** A key with a log group, and `change` applied to a copy of its Logs statement, added behind its back. */
  function withLookAlike(change: (logs: Record<string, unknown>) => Record<string, unknown>) {
    const { app, stack } = newStack();
    const key = new VaultKey(stack, 'Key');
    key.allowLogGroup(group);
    const cfnKey = key.node.defaultChild as kms.CfnKey;
    const document = stack.resolve(cfnKey.keyPolicy);
    const logs = document.Statement.find(
      (s: { Sid?: string }) => s.Sid === 'CloudWatchLogsEncryptsTheseLogGroups',
    );
    document.Statement.push({ ...change({ ...logs }), Sid: 'LooksAlike' });
    cfnKey.keyPolicy = document;
    return app;
  }

  test('the same statement again passes', () => {
    expect(() => withLookAlike((logs) => logs).synth()).not.toThrow();
  });

  test.each([
    [
      'with NotAction instead of its actions',
      (logs: Record<string, unknown>) => {
        const rest = { ...logs };
        delete rest.Action;
        return { ...rest, NotAction: ['kms:Sign'] };
      },
      'NotAction',
    ],
    [
      'for another principal',
      (logs: Record<string, unknown>) => ({ ...logs, Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` } }),
      'kms:Encrypt',
    ],
    [
      'on another resource',
      (logs: Record<string, unknown>) => ({
        ...logs,
        Resource: 'arn:aws:kms:eu-west-1:123456789012:key/other',
      }),
      'kms:Encrypt',
    ],
    [
      'with one more action',
      (logs: Record<string, unknown>) => ({
        ...logs,
        Action: [...(logs.Action as string[]), 'kms:CreateGrant'],
      }),
      'kms:CreateGrant',
    ],
  ])('a look-alike %s is refused', (_name, change, allows) => {
    expect(() => withLookAlike(change).synth()).toThrow(
      new RegExp(`VaultKey Test/Key: its key policy allows .*${allows}.* on this key without kms:ViaService`),
    );
  });
});

describe('VaultKey: the key check over the stack’s IAM policies, and its refusals’ words', () => {
  const decrypt = (resources: string[]) => new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources });
  const refusal = /VaultKey Test\/Key: .* allows kms:Decrypt on this key without kms:ViaService/;

  function stackWithKey() {
    const { app, stack } = newStack();
    const key = new VaultKey(stack, 'Key');
    return { app, stack, key };
  }

  test.each([
    [
      'a managed policy',
      (stack: Stack, key: VaultKey) =>
        new iam.ManagedPolicy(stack, 'Managed', { statements: [decrypt([key.keyArn])] }),
    ],
    [
      'an L1 role policy',
      (stack: Stack, key: VaultKey) => {
        const role = new iam.Role(stack, 'R', { assumedBy: new iam.AccountPrincipal(ACCOUNT) });
        new iam.CfnRolePolicy(stack, 'RolePolicy', {
          roleName: role.roleName,
          policyName: 'direct',
          policyDocument: new iam.PolicyDocument({ statements: [decrypt([key.keyArn])] }),
        });
      },
    ],
    [
      'a role’s inline policy',
      (stack: Stack, key: VaultKey) =>
        new iam.Role(stack, 'R', {
          assumedBy: new iam.AccountPrincipal(ACCOUNT),
          inlinePolicies: { direct: new iam.PolicyDocument({ statements: [decrypt([key.keyArn])] }) },
        }),
    ],
    [
      'a user’s inline policy',
      (stack: Stack, key: VaultKey) => {
        const user = new iam.User(stack, 'U');
        (user.node.defaultChild as iam.CfnUser).policies = [
          {
            policyName: 'direct',
            policyDocument: new iam.PolicyDocument({ statements: [decrypt([key.keyArn])] }),
          },
        ];
      },
    ],
    [
      'a group’s inline policy',
      (stack: Stack, key: VaultKey) => {
        const group = new iam.Group(stack, 'G');
        (group.node.defaultChild as iam.CfnGroup).policies = [
          {
            policyName: 'direct',
            policyDocument: new iam.PolicyDocument({ statements: [decrypt([key.keyArn])] }),
          },
        ];
      },
    ],
    [
      'a statement naming this key and another',
      (stack: Stack, key: VaultKey) =>
        new iam.ManagedPolicy(stack, 'Managed', {
          statements: [decrypt([key.keyArn, `arn:aws:kms:eu-west-1:${ACCOUNT}:key/other`])],
        }),
    ],
  ])('key use without kms:ViaService in %s fails synth', (_name, add) => {
    const { app, stack, key } = stackWithKey();
    add(stack, key);
    expect(() => app.synth()).toThrow(refusal);
  });

  test('key use of another key in the same stack is not this key’s business', () => {
    const { app, stack } = stackWithKey();
    new iam.ManagedPolicy(stack, 'Managed', {
      statements: [decrypt([`arn:aws:kms:eu-west-1:${ACCOUNT}:key/other`])],
    });
    expect(() => app.synth()).not.toThrow();
  });

  test('an Allow for an organization through Secrets Manager is taken', () => {
    const { app, key } = stackWithKey();
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        principals: [new iam.OrganizationPrincipal('o-a1b2c3d4e5')],
        resources: ['*'],
        conditions: { StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' } },
      }),
    );
    expect(() => app.synth()).not.toThrow();
  });

  test.each([
    ['without a Sid', {}, 'addToResourcePolicy(allowing kms:Decrypt)'],
    ['with a Sid', { sid: 'Direct' }, 'addToResourcePolicy("Direct" allowing kms:Decrypt)'],
  ])(
    'an Allow without kms:ViaService %s is refused, described by its Sid and actions',
    (_name, extra, member) => {
      const { key } = stackWithKey();
      expect(() =>
        key.addToResourcePolicy(
          new iam.PolicyStatement({
            ...extra,
            actions: ['kms:Decrypt'],
            principals: [new iam.AccountRootPrincipal()],
            resources: ['*'],
          }),
        ),
      ).toThrow(member);
    },
  );

  test('an Allow with NotAction is described as such', () => {
    const { key } = stackWithKey();
    expect(() =>
      key.addToResourcePolicy(
        new iam.PolicyStatement({
          notActions: ['kms:Sign'],
          principals: [new iam.AccountRootPrincipal()],
          resources: ['*'],
        }),
      ),
    ).toThrow('addToResourcePolicy(allowing NotAction)');
  });
});
