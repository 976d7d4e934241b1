import { CfnParameter, Duration, SecretValue, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import {
  PasswordOptions,
  RotationFunction,
  SecretContent,
  SecretContentKind,
  SecretRotationSchedule,
  VaultKey,
  VaultSecret,
  VaultSecretProps,
} from '../lib';
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
const PARTNER_ROLE = `arn:aws:iam::${OTHER_ACCOUNT}:role/partner`;

function secretIn(stack: Stack, props: Partial<VaultSecretProps> = {}, id = 'Secret'): VaultSecret {
  const key = (stack.node.tryFindChild('Key') as kms.IKey | undefined) ?? new VaultKey(stack, 'Key');
  return new VaultSecret(stack, id, { encryptionKey: key, ...props });
}

/** A SecretContent built without its factory's checks, as a JavaScript caller could build one. */
function unchecked(
  kind: SecretContentKind,
  options: PasswordOptions,
  template?: Record<string, string>,
  field?: string,
): SecretContent {
  const Unchecked = SecretContent as unknown as new (...args: unknown[]) => SecretContent;
  return new Unchecked(kind, options, template, field);
}

function policyOf(stack: Stack) {
  return onlyResource(stack, 'AWS::SecretsManager::ResourcePolicy').Properties;
}

describe('VaultSecret', () => {
  describe('encryption and value', () => {
    test('is encrypted with the given key and retained by default', () => {
      const { stack } = newStack();
      secretIn(stack);
      template(stack).hasResource('AWS::SecretsManager::Secret', {
        Properties: { KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] } },
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
      });
    });

    test('adds nothing to the key policy, however many secrets use the key', () => {
      const { stack } = newStack();
      for (let i = 0; i < 5; i++) secretIn(stack, {}, `Secret${i}`);
      expect(onlyResource(stack, 'AWS::KMS::Key').Properties.KeyPolicy.Statement).toHaveLength(5);
    });

    test('generates a 32-character string with the default exclusions, never a literal', () => {
      const { stack } = newStack();
      secretIn(stack);
      const props = onlyResource(stack, 'AWS::SecretsManager::Secret').Properties;
      expect(props.SecretString).toBeUndefined();
      expect(props.GenerateSecretString).toEqual({
        PasswordLength: 32,
        ExcludeCharacters: '/@"\'\\',
        ExcludePunctuation: false,
        ExcludeNumbers: false,
        ExcludeUppercase: false,
        ExcludeLowercase: false,
        IncludeSpace: false,
        RequireEachIncludedType: true,
      });
    });

    test('generates one field of a JSON object and keeps the others as given', () => {
      const { stack } = newStack();
      secretIn(stack, {
        content: SecretContent.generatedJson({ username: 'app', port: 5432 }, 'password', {
          length: 20,
          excludePunctuation: true,
        }),
      });
      expect(
        onlyResource(stack, 'AWS::SecretsManager::Secret').Properties.GenerateSecretString,
      ).toMatchObject({
        SecretStringTemplate: '{"username":"app","port":5432}',
        GenerateStringKey: 'password',
        PasswordLength: 20,
        ExcludePunctuation: true,
      });
    });

    // SecretContent's factories refuse impossible options and templates themselves (test/misuse.test.ts,
    // "SecretContent refuses"); the secret checks again, for content built without them (as JavaScript
    // can), and names itself.
    test('refuses generated content with impossible options, naming the secret', () => {
      const { stack } = newStack();
      const content = unchecked(SecretContentKind.GENERATED_STRING, { length: 0 });
      expect(() => secretIn(stack, { content })).toThrow(
        'VaultSecret Test/Secret: invalid `length`: received 0; allowed: a whole number from 1 to 4096.',
      );
    });

    test('refuses a JSON template that already holds the generated field, naming the secret', () => {
      const { stack } = newStack();
      const content = unchecked(SecretContentKind.GENERATED_JSON, {}, { password: 'hunter2' }, 'password');
      expect(() => secretIn(stack, { content })).toThrow(
        'VaultSecret Test/Secret: invalid `content.template`: received "a template with field \\"password\\""; the generated field must not be in the template (its value would land in the template).',
      );
    });

    test('refuses a JSON content without a field to generate, naming the secret', () => {
      const { stack } = newStack();
      const content = unchecked(SecretContentKind.GENERATED_JSON, {}, { user: 'a' }, '');
      expect(() => secretIn(stack, { content })).toThrow(
        'VaultSecret Test/Secret: invalid `content.generateField`: received ""; allowed: the name of the JSON field to generate, e.g. "password".',
      );
    });

    test('keeps the generation exclusions where aws-cdk-lib exposes them (excludeCharacters)', () => {
      const { stack } = newStack();
      const generated = secretIn(stack, {
        content: SecretContent.generatedString({ excludeCharacters: '#%' }),
      });
      const supplied = secretIn(
        stack,
        { content: SecretContent.fromSecretValue(SecretValue.ssmSecure('/app/key')) },
        'Supplied',
      );
      expect(generated.excludeCharacters).toBe('#%');
      expect(supplied.excludeCharacters).toBeUndefined();
    });

    test('keeps the JSON template valid when a field is a token', () => {
      const { stack } = newStack();
      const host = new CfnParameter(stack, 'DbHost').valueAsString;
      secretIn(stack, { content: SecretContent.generatedJson({ host }, 'password') });
      expect(
        onlyResource(stack, 'AWS::SecretsManager::Secret').Properties.GenerateSecretString
          .SecretStringTemplate,
      ).toEqual({
        'Fn::Join': ['', ['{"host":"', { Ref: 'DbHost' }, '"}']],
      });
    });

    test('warns when a plaintext value would land in the template', () => {
      const { stack } = newStack();
      secretIn(stack, {
        content: SecretContent.fromSecretValue(SecretValue.unsafePlainText('not-so-secret')),
      });
      Annotations.fromStack(stack).hasWarning(
        '/Test/Secret',
        Match.stringLikeRegexp('plaintext value: it is written into the synthesized template'),
      );
    });

    test('does not warn for a reference that CloudFormation resolves at deploy time', () => {
      const { stack } = newStack();
      secretIn(stack, { content: SecretContent.fromSecretValue(SecretValue.ssmSecure('/app/seed')) });
      Annotations.fromStack(stack).hasNoWarning('/Test/Secret', Match.stringLikeRegexp('plaintext'));
      expect(onlyResource(stack, 'AWS::SecretsManager::Secret').Properties.SecretString).toBe(
        '{{resolve:ssm-secure:/app/seed}}',
      );
    });

    test.each([
      ['has space', 'allowed characters: letters, digits and / _ + = . @ -'],
      ['x'.repeat(513), 'allowed: 1 to 512 characters'],
      ['', 'allowed: 1 to 512 characters'],
    ])('rejects secretName %j', (secretName, allowed) => {
      const { stack } = newStack();
      expect(() => secretIn(stack, { secretName })).toThrow(
        `invalid \`secretName\`: received ${JSON.stringify(secretName)}; ${allowed}.`,
      );
    });
  });

  describe('resource policy', () => {
    test('a service reader is allowed only for this account (aws:SourceAccount: no confused deputy)', () => {
      const { stack } = newStack();
      secretIn(stack, { readers: [new iam.ServicePrincipal('appsync.amazonaws.com')] });
      const statements = statementsBySid(policyOf(stack).ResourcePolicy);
      expect(statements.AllowListedService0).toEqual({
        Sid: 'AllowListedService0',
        Effect: 'Allow',
        Principal: { Service: 'appsync.amazonaws.com' },
        Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        Resource: '*',
        Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } },
      });
      // A service acts as itself: the read deny lets it through by aws:PrincipalIsAWSService.
      expect(statements.DenyReadsByUndeclaredPrincipals.Condition.BoolIfExists).toEqual({
        'aws:PrincipalIsAWSService': 'false',
      });
    });

    test('is always present, with Block Public Policy on', () => {
      const { stack } = newStack();
      secretIn(stack);
      expect(policyOf(stack).BlockPublicPolicy).toBe(true);
      expect(policyOf(stack).SecretId).toEqual({ Ref: expect.stringMatching(/^Secret/) });
    });

    test('denies every request without TLS', () => {
      const { stack } = newStack();
      secretIn(stack);
      expect(statementsBySid(policyOf(stack).ResourcePolicy).DenyRequestsWithoutTls).toEqual({
        Sid: 'DenyRequestsWithoutTls',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'secretsmanager:*',
        Resource: '*',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      });
    });

    test('denies principals outside this account, but not AWS services acting as themselves', () => {
      const { stack } = newStack();
      secretIn(stack);
      const deny = statementsBySid(policyOf(stack).ResourcePolicy).DenyPrincipalsOutsideTrustedAccounts;
      expect(deny).toMatchObject({ Effect: 'Deny', Principal: { AWS: '*' }, Action: 'secretsmanager:*' });
      expect(deny.Condition).toEqual({
        StringNotEquals: { 'aws:PrincipalAccount': [ACCOUNT] },
        BoolIfExists: { 'aws:PrincipalIsAWSService': 'false' },
      });
    });

    test('lets accounts of an organization past the account boundary', () => {
      const { stack } = newStack();
      secretIn(stack, { allowedOrganizationId: 'o-abcdef1234' });
      const deny = statementsBySid(policyOf(stack).ResourcePolicy).DenyPrincipalsOutsideTrustedAccounts;
      expect(deny.Condition.StringNotEquals).toEqual({
        'aws:PrincipalAccount': [ACCOUNT],
        'aws:PrincipalOrgID': 'o-abcdef1234',
      });
    });

    test.each(['o-short', 'org-abcdef1234', 'O-ABCDEF1234'])('rejects allowedOrganizationId %s', (id) => {
      const { stack } = newStack();
      expect(() => secretIn(stack, { allowedOrganizationId: id })).toThrow(
        `invalid \`allowedOrganizationId\`: received "${id}"; allowed: \`o-\` followed by 10 to 32 lowercase letters or digits, e.g. "o-a1b2c3d4e5"`,
      );
    });

    test('has no allow statement when nobody is listed', () => {
      const { stack } = newStack();
      secretIn(stack);
      const statements = policyOf(stack).ResourcePolicy.Statement as Array<{ Effect: string }>;
      expect(statements.filter((s) => s.Effect === 'Allow')).toEqual([]);
    });

    test('lists readers explicitly, exempts their account and lets them decrypt via Secrets Manager', () => {
      const { stack } = newStack();
      secretIn(stack, { readers: [new iam.ArnPrincipal(PARTNER_ROLE)] });
      const statements = statementsBySid(policyOf(stack).ResourcePolicy);
      expect(statements.AllowListedReaders).toEqual({
        Sid: 'AllowListedReaders',
        Effect: 'Allow',
        Principal: { AWS: PARTNER_ROLE },
        Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        Resource: '*',
      });
      expect(
        statements.DenyPrincipalsOutsideTrustedAccounts.Condition.StringNotEquals['aws:PrincipalAccount'],
      ).toEqual([ACCOUNT, OTHER_ACCOUNT]);
      expect(onlyResource(stack, 'AWS::KMS::Key').Properties.KeyPolicy.Statement).toContainEqual({
        Effect: 'Allow',
        Principal: { AWS: PARTNER_ROLE },
        Action: 'kms:Decrypt',
        Resource: '*',
        Condition: { StringEquals: { 'kms:ViaService': VIA_SM } },
      });
    });

    test('derives the account of a reader whose ARN is only known at deploy time', () => {
      const { stack } = newStack();
      const arn = new CfnParameter(stack, 'ReaderArn').valueAsString;
      secretIn(stack, { readers: [new iam.ArnPrincipal(arn)] });
      const accounts = statementsBySid(policyOf(stack).ResourcePolicy).DenyPrincipalsOutsideTrustedAccounts
        .Condition.StringNotEquals['aws:PrincipalAccount'];
      expect(accounts).toEqual([
        ACCOUNT,
        { 'Fn::Select': [4, { 'Fn::Split': [':', { Ref: 'ReaderArn' }] }] },
      ]);
    });

    test.each([
      ['AnyPrincipal', () => new iam.AnyPrincipal()],
      ['StarPrincipal', () => new iam.StarPrincipal()],
      ['ArnPrincipal("*")', () => new iam.ArnPrincipal('*')],
    ])('refuses a public reader (%s)', (_name, principal) => {
      const { stack } = newStack();
      expect(() => secretIn(stack, { readers: [principal()] })).toThrow(
        /^VaultSecret Test\/Secret: invalid `readers`: received .*; a public principal \(\*\) lets anyone in: name the roles, users or accounts instead\.$/,
      );
    });

    test('refuses a public principal added through addToResourcePolicy too', () => {
      const { stack } = newStack();
      const secret = secretIn(stack);
      expect(() =>
        secret.addToResourcePolicy(
          new iam.PolicyStatement({
            principals: [new iam.AnyPrincipal()],
            actions: ['secretsmanager:GetSecretValue'],
            resources: ['*'],
          }),
        ),
      ).toThrow(/a public principal/);
    });
  });

  describe('grants', () => {
    function withRole() {
      const { stack } = newStack();
      const secret = secretIn(stack);
      const role = new iam.Role(stack, 'Role', {
        assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      });
      return { stack, secret, role };
    }

    test('grantRead gives GetSecretValue and DescribeSecret on this secret and decrypt via Secrets Manager', () => {
      const { stack, secret, role } = withRole();
      const grant = secret.grantRead(role);
      expect(grant.success).toBe(true);
      template(stack).hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: [
            {
              Effect: 'Allow',
              Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
              Resource: { Ref: Match.stringLikeRegexp('^Secret') },
            },
            {
              Effect: 'Allow',
              Action: 'kms:Decrypt',
              Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] },
              Condition: { StringEquals: { 'kms:ViaService': VIA_SM } },
            },
          ],
        },
      });
    });

    test('grantRead can be limited to version stages, and DescribeSecret stays allowed', () => {
      const { stack, secret, role } = withRole();
      secret.grantRead(role, ['AWSCURRENT']);
      template(stack).hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Action: 'secretsmanager:GetSecretValue',
              // The stage of a request is single-valued: ForAnyValue would be the wrong operator.
              Condition: { StringEquals: { 'secretsmanager:VersionStage': ['AWSCURRENT'] } },
            }),
            { Effect: 'Allow', Action: 'secretsmanager:DescribeSecret', Resource: Match.anyValue() },
          ]),
        },
      });
    });

    test('grantRead to another account goes through the resource policy and lifts the account boundary', () => {
      const { stack } = newStack();
      const secret = secretIn(stack);
      secret.grantRead(new iam.AccountPrincipal(OTHER_ACCOUNT));
      const policy = policyOf(stack).ResourcePolicy;
      expect(policy.Statement).toContainEqual(
        expect.objectContaining({
          Effect: 'Allow',
          Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
          Principal: {
            AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::${OTHER_ACCOUNT}:root`]] },
          },
        }),
      );
      expect(
        statementsBySid(policy).DenyPrincipalsOutsideTrustedAccounts.Condition.StringNotEquals[
          'aws:PrincipalAccount'
        ],
      ).toEqual([ACCOUNT, OTHER_ACCOUNT]);
    });

    test('grantWrite gives put and stage actions, and encrypt via Secrets Manager', () => {
      const { stack, secret, role } = withRole();
      secret.grantWrite(role);
      template(stack).hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: [
            Match.objectLike({
              // Not UpdateSecret: that would let a writer change the secret's key.
              Action: ['secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage'],
            }),
            Match.objectLike({
              Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
              Condition: { StringEquals: { 'kms:ViaService': VIA_SM } },
            }),
          ],
        },
      });
    });
  });

  describe('rotation', () => {
    test('alone and without a rotation function, it is not rotated, and synth says so', () => {
      const { stack } = newStack();
      secretIn(stack);
      template(stack).resourceCountIs('AWS::SecretsManager::RotationSchedule', 0);
      Annotations.fromStack(stack).hasWarning('/Test/Secret', Match.stringLikeRegexp('not rotated'));
    });

    test('a schedule without a function is an error naming the fix', () => {
      const { stack } = newStack();
      expect(() => secretIn(stack, { rotation: SecretRotationSchedule.rate(Duration.days(7)) })).toThrow(
        'VaultSecret Test/Secret: invalid `rotation`: received "rate(7 days)"; a rotation schedule needs a `rotationFunction` (a SecretsVault provides one).',
      );
    });

    test('with a rotation function it rotates every 30 days by default', () => {
      const { stack } = newStack();
      const rotationFunction = new RotationFunction(stack, 'Rotation');
      secretIn(stack, { rotationFunction });
      template(stack).hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
        SecretId: { Ref: Match.stringLikeRegexp('^Secret') },
        RotationLambdaARN: { 'Fn::GetAtt': [Match.stringLikeRegexp('^RotationFunction'), 'Arn'] },
        RotationRules: { ScheduleExpression: 'rate(30 days)' },
        RotateImmediatelyOnUpdate: false,
      });
    });
  });
});
