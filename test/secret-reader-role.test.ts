import { Duration } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { SecretReaderRole, VaultKey, VaultSecret } from '../lib';
import { ACCOUNT, OTHER_ACCOUNT, REGION, newStack, onlyResource, template } from './support/stack';

function setup() {
  const { app, stack } = newStack();
  const key = new VaultKey(stack, 'Key');
  const secret = new VaultSecret(stack, 'Secret', { encryptionKey: key });
  return { app, stack, secret };
}

describe('SecretReaderRole', () => {
  test('is assumable by the named principal, with one-hour sessions by default', () => {
    const { stack, secret } = setup();
    new SecretReaderRole(stack, 'Reader', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      secrets: [secret],
    });
    template(stack).hasResourceProperties('AWS::IAM::Role', {
      MaxSessionDuration: 3600,
      AssumeRolePolicyDocument: {
        Statement: [
          { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' } },
        ],
      },
    });
  });

  test('an account principal must present its external id', () => {
    const { stack, secret } = setup();
    new SecretReaderRole(stack, 'Reader', {
      assumedBy: new iam.AccountPrincipal(OTHER_ACCOUNT),
      externalIds: ['orders-reporting'],
      maxSessionDuration: Duration.hours(2),
      secrets: [secret],
    });
    template(stack).hasResourceProperties('AWS::IAM::Role', {
      MaxSessionDuration: 7200,
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({ Condition: { StringEquals: { 'sts:ExternalId': 'orders-reporting' } } }),
        ],
      },
    });
  });

  test('reads the listed secrets and decrypts through Secrets Manager, all in one managed policy', () => {
    const { stack, secret } = setup();
    new SecretReaderRole(stack, 'Reader', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      secrets: [secret],
    });
    template(stack).resourceCountIs('AWS::IAM::Policy', 0);
    const policy = onlyResource(stack, 'AWS::IAM::ManagedPolicy').Properties;
    expect(policy.Roles).toEqual([{ Ref: expect.stringMatching(/^Reader/) }]);
    expect(policy.PolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        Resource: { Ref: expect.stringMatching(/^Secret/) },
      },
      {
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^Key/), 'Arn'] },
        Condition: { StringEquals: { 'kms:ViaService': `secretsmanager.${REGION}.amazonaws.com` } },
      },
    ]);
  });

  test('can be limited to version stages', () => {
    const { stack, secret } = setup();
    new SecretReaderRole(stack, 'Reader', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      secrets: [secret],
      versionStages: ['AWSCURRENT'],
    });
    const [read, describe] = onlyResource(stack, 'AWS::IAM::ManagedPolicy').Properties.PolicyDocument
      .Statement;
    // A request names one stage: StringEquals, not ForAnyValue, and DescribeSecret (no stage) apart.
    expect(read).toMatchObject({
      Action: 'secretsmanager:GetSecretValue',
      Condition: { StringEquals: { 'secretsmanager:VersionStage': ['AWSCURRENT'] } },
    });
    expect(describe).toEqual({
      Effect: 'Allow',
      Action: 'secretsmanager:DescribeSecret',
      Resource: { Ref: expect.stringMatching(/^Secret/) },
    });
  });

  test('grants made later land in the same managed policy', () => {
    const { stack, secret } = setup();
    const role = new SecretReaderRole(stack, 'Reader', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    secret.grantRead(role);
    template(stack).resourceCountIs('AWS::IAM::Policy', 0);
    expect(onlyResource(stack, 'AWS::IAM::ManagedPolicy').Properties.PolicyDocument.Statement).toHaveLength(
      2,
    );
  });

  test('a role that reads nothing fails synth with what to do', () => {
    const { app, stack } = setup();
    new SecretReaderRole(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    expect(() => app.synth()).toThrow(
      /SecretReaderRole Test\/Reader reads no secret: pass `secrets`, or grant some with vault.grantRead\(role\) or secret.grantRead\(role\)/,
    );
  });

  // Refused inputs and warnings, with their messages, are rows of test/misuse.test.ts.
  test.each([
    [
      'a role of another account, by ARN',
      new iam.ArnPrincipal(`arn:aws:iam::${OTHER_ACCOUNT}:role/reporting`),
    ],
    [
      'an assumed-role session, by ARN',
      new iam.ArnPrincipal(`arn:aws:sts::${OTHER_ACCOUNT}:assumed-role/ci/run`),
    ],
    ['a bare account id', new iam.ArnPrincipal(OTHER_ACCOUNT)],
    [
      'a service narrowed by conditions',
      new iam.PrincipalWithConditions(new iam.ServicePrincipal('lambda.amazonaws.com'), {
        StringEquals: { 'aws:SourceAccount': ACCOUNT },
      }),
    ],
  ])('accepts %s as assumedBy', (_name, assumedBy) => {
    const { stack, secret } = setup();
    new SecretReaderRole(stack, 'Reader', { assumedBy, secrets: [secret] });
    const statement = onlyResource(stack, 'AWS::IAM::Role').Properties.AssumeRolePolicyDocument.Statement[0];
    expect(statement.Effect).toBe('Allow');
    expect(JSON.stringify(statement.Principal)).not.toContain('"*"');
  });

  test('accepts a role of this app, and the account of an environment-agnostic stack', () => {
    const { stack } = newStack({ env: false });
    const secret = new VaultSecret(stack, 'Secret', { encryptionKey: new VaultKey(stack, 'Key') });
    const app = new iam.Role(stack, 'App', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
    });
    new SecretReaderRole(stack, 'ByRole', { assumedBy: app, secrets: [secret] });
    new SecretReaderRole(stack, 'ByAccount', {
      assumedBy: new iam.AccountRootPrincipal(),
      secrets: [secret],
    });
    template(stack).resourceCountIs('AWS::IAM::Role', 3);
  });

  test('reads secrets of its own region, and secrets whose region is not known at synth', () => {
    const { stack, secret } = setup();
    const imported = secretsmanager.Secret.fromSecretCompleteArn(
      stack,
      'Imported',
      `arn:aws:secretsmanager:${REGION}:${OTHER_ACCOUNT}:secret:orders/db-AbCdEf`,
    );
    const agnostic = newStack({ env: false }).stack;
    const byName = secretsmanager.Secret.fromSecretNameV2(agnostic, 'ByName', 'orders/db');
    new SecretReaderRole(stack, 'Reader', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      secrets: [secret, imported],
    });
    new SecretReaderRole(agnostic, 'Reader', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      secrets: [byName],
    });
    expect(
      onlyResource(stack, 'AWS::IAM::ManagedPolicy').Properties.PolicyDocument.Statement.map(
        (s: { Resource: unknown }) => s.Resource,
      ),
    ).toContainEqual(`arn:aws:secretsmanager:${REGION}:${OTHER_ACCOUNT}:secret:orders/db-AbCdEf`);
  });

  test('external ids take what STS accepts, and end up in the trust policy', () => {
    const { stack, secret } = setup();
    new SecretReaderRole(stack, 'Reader', {
      assumedBy: new iam.AccountPrincipal(OTHER_ACCOUNT),
      externalIds: ['ab', 'tenant=42/orders:reporting@eu-west-1'],
      secrets: [secret],
    });
    template(stack).hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Condition: {
              StringEquals: { 'sts:ExternalId': ['ab', 'tenant=42/orders:reporting@eu-west-1'] },
            },
          }),
        ],
      },
    });
  });

  test('a version stage of your own is granted as written (and warned about)', () => {
    const { stack, secret } = setup();
    new SecretReaderRole(stack, 'Reader', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      secrets: [secret],
      versionStages: ['blue'],
    });
    expect(
      onlyResource(stack, 'AWS::IAM::ManagedPolicy').Properties.PolicyDocument.Statement[0],
    ).toMatchObject({
      Condition: { StringEquals: { 'secretsmanager:VersionStage': ['blue'] } },
    });
  });
});
