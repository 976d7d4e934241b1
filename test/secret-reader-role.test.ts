import { Duration } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SecretReaderRole, VaultKey, VaultSecret } from '../lib';
import { OTHER_ACCOUNT, REGION, newStack, onlyResource, template } from './support/stack';

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

  test.each([
    [Duration.minutes(30), '30 minutes'],
    [Duration.hours(13), '13 hours'],
  ])('rejects maxSessionDuration %s', (maxSessionDuration, shown) => {
    const { stack, secret } = setup();
    expect(
      () =>
        new SecretReaderRole(stack, 'Reader', {
          assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
          secrets: [secret],
          maxSessionDuration,
        }),
    ).toThrow(
      `SecretReaderRole Test/Reader: invalid \`maxSessionDuration\`: received ${shown}; allowed: 1 to 12 hours.`,
    );
  });

  test('rejects an empty list of secrets', () => {
    const { stack } = setup();
    expect(
      () =>
        new SecretReaderRole(stack, 'Reader', {
          assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
          secrets: [],
        }),
    ).toThrow(
      'invalid `secrets`: received an empty list; name at least one secret, or leave it out and grant secrets afterwards.',
    );
  });

  test('rejects an empty list of version stages', () => {
    const { stack, secret } = setup();
    expect(
      () =>
        new SecretReaderRole(stack, 'Reader', {
          assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
          secrets: [secret],
          versionStages: [],
        }),
    ).toThrow(
      'invalid `versionStages`: received an empty list; name at least one stage, or leave it out for every stage.',
    );
  });

  test('rejects version stages without secrets to apply them to', () => {
    const { stack } = setup();
    expect(
      () =>
        new SecretReaderRole(stack, 'Reader', {
          assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
          versionStages: ['AWSCURRENT'],
        }),
    ).toThrow('invalid `versionStages`: received a list of 1; it limits `secrets`, which is not set.');
  });
});
