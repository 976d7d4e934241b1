import { App, CfnOutput, Fn, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import {
  ACCOUNT,
  administrator,
  ANONYMOUS,
  IamEvaluator,
  PolicyDocument,
  REGION,
  stacksOf,
} from '../support/iam-evaluator';

const PARTNER = '222222222222';
const PARTNER_ROLE = `arn:aws:iam::${PARTNER}:role/partner`;

function doc(...statements: Record<string, unknown>[]): PolicyDocument {
  return { Version: '2012-10-17', Statement: statements };
}

function app(): App {
  return new App({
    context: { 'aws:cdk:enable-path-metadata': true, 'aws:cdk:disable-stack-trace': true },
    builtinCloudFormationValidation: false,
  } as any);
}

/**
 * A secret with a resource policy, a key, a role that may read and one that may not, written with
 * aws-cdk-lib's L1s so that each test knows every statement.
 */
function fixture() {
  const a = app();
  const stack = new Stack(a, 'Fixture', { env: { account: ACCOUNT, region: REGION } });
  const key = new kms.CfnKey(stack, 'Key', {
    keyPolicy: doc(
      {
        Sid: 'AccountUsesKeyViaSecretsManager',
        Effect: 'Allow',
        Principal: { AWS: Fn.sub('arn:${AWS::Partition}:iam::${AWS::AccountId}:root') },
        Action: 'kms:Decrypt',
        Resource: '*',
        Condition: { StringEquals: { 'kms:ViaService': `secretsmanager.${REGION}.amazonaws.com` } },
      },
      {
        Sid: 'PartnerDecryptsViaSecretsManager',
        Effect: 'Allow',
        Principal: { AWS: PARTNER_ROLE },
        Action: 'kms:Decrypt',
        Resource: '*',
        Condition: { StringEquals: { 'kms:ViaService': `secretsmanager.${REGION}.amazonaws.com` } },
      },
      {
        Sid: 'DenyDirectUse',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'kms:Decrypt',
        Resource: '*',
        Condition: { StringNotEquals: { 'kms:ViaService': `secretsmanager.${REGION}.amazonaws.com` } },
      },
    ),
  });
  const secret = new secretsmanager.CfnSecret(stack, 'Secret', {
    name: 'app/db',
    kmsKeyId: key.attrArn,
    generateSecretString: {},
  });
  new secretsmanager.CfnResourcePolicy(stack, 'SecretPolicy', {
    secretId: secret.ref,
    resourcePolicy: doc(
      {
        Sid: 'DenyWithoutTls',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'secretsmanager:*',
        Resource: '*',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
      {
        Sid: 'PartnerReads',
        Effect: 'Allow',
        Principal: { AWS: PARTNER_ROLE },
        Action: 'secretsmanager:GetSecretValue',
        Resource: '*',
      },
    ),
  });
  const reader = new iam.Role(stack, 'Reader', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
  });
  reader.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'ReadTheSecret',
      actions: ['secretsmanager:GetSecretValue'],
      resources: [secret.ref],
    }),
  );
  reader.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'DecryptViaSecretsManager',
      actions: ['kms:Decrypt'],
      resources: [key.attrArn],
      conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${REGION}.amazonaws.com` } },
    }),
  );
  new iam.Role(stack, 'Bystander', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  // A role that reads the secret but whose own policy forgets the key.
  const keyless = new iam.Role(stack, 'Keyless', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
  });
  keyless.addToPrincipalPolicy(
    new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secret.ref] }),
  );
  const evaluator = new IamEvaluator(stacksOf(a.synth()));
  return { evaluator, stack, reader, secret, key };
}

const partnerReader = {
  arn: PARTNER_ROLE,
  policies: [
    doc({ Effect: 'Allow', Action: ['secretsmanager:GetSecretValue', 'kms:Decrypt'], Resource: '*' }),
  ],
};

describe('intrinsic resolution', () => {
  test('Ref and GetAtt of roles, keys, secrets and functions become ARNs of the fixed account and region', () => {
    const { evaluator } = fixture();
    expect(evaluator.arnOf('Reader')).toMatch(
      /^arn:aws:iam::111111111111:role\/Fixture-Reader[0-9A-F]{8}-[A-Z0-9]{12}$/,
    );
    expect(evaluator.arnOf('Key')).toMatch(/^arn:aws:kms:eu-west-1:111111111111:key\/[0-9a-f-]{36}$/);
    expect(evaluator.arnOf('Secret')).toMatch(
      /^arn:aws:secretsmanager:eu-west-1:111111111111:secret:app\/db-[A-Za-z]{6}$/,
    );
    expect(evaluator.resolve({ 'Fn::GetAtt': [evaluator.logicalIdOf('Reader'), 'Arn'] })).toBe(
      evaluator.arnOf('Reader'),
    );
    expect(evaluator.resolve({ Ref: evaluator.logicalIdOf('Reader') })).toBe(
      evaluator.arnOf('Reader').split('/')[1],
    );
    expect(evaluator.resolve({ Ref: 'Secret' })).toBe(evaluator.arnOf('Secret'));
    expect(evaluator.resolve({ 'Fn::GetAtt': 'Key.KeyId' })).toBe(evaluator.arnOf('Key').split('/')[1]);
  });

  test('Join, Sub, Select, Split and the pseudo parameters resolve like CloudFormation', () => {
    const { evaluator } = fixture();
    const roleArn = evaluator.arnOf('Reader');
    const reader = evaluator.logicalIdOf('Reader');
    expect(evaluator.resolve({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::b']] })).toBe(
      'arn:aws:s3:::b',
    );
    expect(
      evaluator.resolve({
        'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/x-${AWS::Region}.${AWS::URLSuffix}',
      }),
    ).toBe('arn:aws:iam::111111111111:role/x-eu-west-1.amazonaws.com');
    expect(() => evaluator.resolve({ 'Fn::Sub': '${Name}' })).toThrow(
      'iam-evaluator, stack Fixture: no resource Name',
    );
    expect(
      evaluator.resolve({
        'Fn::Sub': [`\${${reader}.Arn}|\${Name}|\${!Literal}`, { Name: { Ref: 'AWS::StackName' } }],
      }),
    ).toBe(`${roleArn}|Fixture|\${Literal}`);
    expect(
      evaluator.resolve({ 'Fn::Select': [4, { 'Fn::Split': [':', { 'Fn::GetAtt': [reader, 'Arn'] }] }] }),
    ).toBe(ACCOUNT);
    expect(evaluator.resolve(['a', { Ref: 'AWS::NoValue' }, 'b'])).toEqual(['a', 'b']);
    expect(evaluator.resolve({ kept: 1, dropped: { Ref: 'AWS::NoValue' } })).toEqual({ kept: 1 });
  });

  test('an intrinsic the resolver does not know is an error, not dropped', () => {
    const { evaluator } = fixture();
    expect(() => evaluator.resolve({ 'Fn::Base64': 'x' })).toThrow(
      'iam-evaluator, stack Fixture: unsupported intrinsic Fn::Base64: "x"',
    );
    expect(() => evaluator.resolve({ Ref: 'Nothing' })).toThrow(
      'iam-evaluator, stack Fixture: no resource Nothing',
    );
  });

  test('a resource type without a physical-id rule is an error that says where to add one', () => {
    const evaluator = new IamEvaluator({
      Resources: { Q: { Type: 'AWS::Foo::Bar', Properties: {} } },
    });
    expect(() => evaluator.resolve({ Ref: 'Q' })).toThrow(
      'no physical-id rule for AWS::Foo::Bar (Ref/GetAtt of Q); add one to test/support/iam-evaluator.ts',
    );
  });

  test('Fn::If follows the template conditions, and FindInMap reads the mappings', () => {
    const evaluator = new IamEvaluator({
      Conditions: {
        InIreland: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'eu-west-1'] },
        Elsewhere: { 'Fn::Not': [{ Condition: 'InIreland' }] },
      },
      Mappings: { Tier: { 'eu-west-1': { Size: 'large' } } },
      Resources: {},
    });
    expect(evaluator.resolve({ 'Fn::If': ['InIreland', 'yes', 'no'] })).toBe('yes');
    expect(evaluator.resolve({ 'Fn::If': ['Elsewhere', 'yes', 'no'] })).toBe('no');
    expect(evaluator.resolve({ 'Fn::FindInMap': ['Tier', { Ref: 'AWS::Region' }, 'Size'] })).toBe('large');
  });

  test('Fn::ImportValue takes the value another stack of the same app exports, in its own account', () => {
    const a = app();
    const producer = new Stack(a, 'Producer', { env: { account: PARTNER, region: REGION } });
    const role = new iam.Role(producer, 'Shared', { assumedBy: new iam.AccountRootPrincipal() });
    new CfnOutput(producer, 'SharedArn', { value: role.roleArn, exportName: 'SharedRoleArn' });
    const consumer = new Stack(a, 'Consumer', { env: { account: ACCOUNT, region: REGION } });
    new CfnOutput(consumer, 'Echo', { value: Fn.importValue('SharedRoleArn') });
    const evaluator = new IamEvaluator(stacksOf(a.synth()));
    expect(evaluator.resolve({ 'Fn::ImportValue': 'SharedRoleArn' }, 'Consumer')).toBe(
      evaluator.arnOf('Shared', 'Producer'),
    );
    expect(evaluator.arnOf('Shared', 'Producer')).toMatch(/^arn:aws:iam::222222222222:role\/Producer-Shared/);
  });

  test('a role that attaches an AWS-managed policy the evaluator does not know fails until the test gives it', async () => {
    const a = app();
    const stack = new Stack(a, 'Managed', { env: { account: ACCOUNT, region: REGION } });
    new iam.Role(stack, 'Ops', {
      assumedBy: new iam.AccountRootPrincipal(),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('SecretsManagerReadWrite')],
    });
    const template = Template.fromStack(stack).toJSON();
    const ops = Object.keys(Template.fromStack(stack).findResources('AWS::IAM::Role'))[0];
    const arn = 'arn:aws:iam::aws:policy/SecretsManagerReadWrite';
    const request = {
      principal: { role: 'Ops' },
      action: 'secretsmanager:GetSecretValue',
      resource: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:x-AbCdEf`,
    };
    await expect(new IamEvaluator(template).decide(request)).rejects.toThrow(
      `iam-evaluator: role ${ops} attaches ${arn}, whose document the evaluator does not know: give it in options.managedPolicies`,
    );
    const given = new IamEvaluator(template, {
      managedPolicies: { [arn]: doc({ Effect: 'Allow', Action: 'secretsmanager:*', Resource: '*' }) },
    });
    expect((await given.decide(request)).decision).toBe('Allowed');
  });

  test('a construct path names a resource when path metadata is on', () => {
    const { evaluator } = fixture();
    expect(evaluator.logicalIdOf('Fixture/Reader')).toBe(evaluator.logicalIdOf('Reader/Resource'));
    expect(evaluator.logicalIdOf('Reader')).toMatch(/^Reader[0-9A-F]{8}$/);
  });
});

describe('decisions', () => {
  test('an identity policy of the same account allows, and the decision names its statement', async () => {
    const { evaluator } = fixture();
    const d = await evaluator.decide({
      principal: { role: 'Reader' },
      action: 'secretsmanager:GetSecretValue',
      resource: 'Secret',
    });
    expect(d.decision).toBe('Allowed');
    expect(d.statement).toBe('ReadTheSecret');
  });

  test('a role without an allow is implicitly denied, with no decisive statement', async () => {
    const { evaluator } = fixture();
    const d = await evaluator.decide({
      principal: { role: 'Bystander' },
      action: 'secretsmanager:GetSecretValue',
      resource: 'Secret',
    });
    expect(d.decision).toBe('ImplicitlyDenied');
    expect(d.statement).toBeUndefined();
    expect(d.summary).toContain('(no statement allows)');
  });

  test('an explicit deny wins over an allow, and the decision names the deny by its Sid', async () => {
    const { evaluator } = fixture();
    const d = await evaluator.decide({
      principal: { role: 'Reader' },
      action: 'secretsmanager:GetSecretValue',
      resource: 'Secret',
      context: { 'aws:SecureTransport': 'false' },
    });
    expect(d.decision).toBe('ExplicitlyDenied');
    expect(d.statement).toBe('DenyWithoutTls');
  });

  test('across accounts both sides must allow: the resource policy and the principal’s own policy', async () => {
    const { evaluator } = fixture();
    const read = (principal: Parameters<IamEvaluator['decide']>[0]['principal']) =>
      evaluator.decide({ principal, action: 'secretsmanager:GetSecretValue', resource: 'Secret' });
    expect((await read(partnerReader)).decision).toBe('Allowed');
    // Named by the secret, but its own account gives it nothing.
    const unpermitted = await read({ arn: PARTNER_ROLE });
    expect(unpermitted.decision).toBe('ImplicitlyDenied');
    expect(unpermitted.summary).toContain(
      "the resource policy allows; the principal's identity policy does not",
    );
    // Its own account allows everything, but the secret does not name it.
    const unnamed = await read(administrator(`arn:aws:iam::${PARTNER}:role/other`));
    expect(unnamed.decision).toBe('ImplicitlyDenied');
    expect(unnamed.summary).toContain('the identity policy allows; the resource policy does not');
  });

  test('a key policy that names the account root delegates: the identity policy must allow too', async () => {
    const { evaluator } = fixture();
    const decrypt = (role: string) =>
      evaluator.decide({
        principal: { role },
        action: 'kms:Decrypt',
        resource: 'Key',
        via: 'secretsmanager',
      });
    const reader = await decrypt('Reader');
    expect(reader.decision).toBe('Allowed');
    expect(reader.statements).toEqual(['AccountUsesKeyViaSecretsManager', 'DecryptViaSecretsManager']);
    expect((await decrypt('Bystander')).decision).toBe('ImplicitlyDenied');
  });

  test('a key policy that names a principal grants it without delegation, and its denies reach every caller', async () => {
    const { evaluator } = fixture();
    const viaSm = await evaluator.decide({
      principal: partnerReader,
      action: 'kms:Decrypt',
      resource: 'Key',
      via: 'secretsmanager',
    });
    expect(viaSm.decision).toBe('Allowed');
    expect(viaSm.statement).toBe('PartnerDecryptsViaSecretsManager');
    // StringNotEquals on a key the request does not carry matches (AWS's documented rule): a direct call is denied.
    const direct = await evaluator.decide({
      principal: partnerReader,
      action: 'kms:Decrypt',
      resource: 'Key',
    });
    expect(direct.decision).toBe('ExplicitlyDenied');
    expect(direct.statement).toBe('DenyDirectUse');
  });

  test('canRead needs both the secret and the key: a role that may read the secret but not decrypt cannot read', async () => {
    const { evaluator } = fixture();
    const reader = await evaluator.canRead({ role: 'Reader' }, 'Secret');
    expect(reader.decision).toBe('Allowed');
    expect(reader.statements).toEqual([
      'ReadTheSecret',
      'AccountUsesKeyViaSecretsManager',
      'DecryptViaSecretsManager',
    ]);
    const keyless = await evaluator.canRead({ role: 'Keyless' }, 'Secret');
    expect(keyless.secret.decision).toBe('Allowed');
    expect(keyless.key.decision).toBe('ImplicitlyDenied');
    expect(keyless.decision).toBe('ImplicitlyDenied');
    const partner = await evaluator.canRead(partnerReader, 'Secret');
    expect(partner.decision).toBe('Allowed');
  });

  test('the key leg of a read is made by Secrets Manager on the caller’s behalf, with the caller’s account', async () => {
    const { evaluator } = fixture();
    const { key } = await evaluator.canRead(partnerReader, 'Secret');
    expect(key.context).toMatchObject({
      'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com',
      'kms:CallerAccount': PARTNER,
      'aws:CalledVia': ['secretsmanager.amazonaws.com'],
      'aws:ViaAWSService': 'true',
      'aws:PrincipalArn': PARTNER_ROLE,
      'kms:EncryptionContext:SecretARN': evaluator.arnOf('Secret'),
    });
  });

  test('a role’s request comes from a session and carries the role’s ARN and account; null removes a default', async () => {
    const { evaluator } = fixture();
    const d = await evaluator.decide({
      principal: { role: 'Reader' },
      action: 'secretsmanager:GetSecretValue',
      resource: 'Secret',
      context: { 'secretsmanager:VersionStage': 'AWSPREVIOUS', 'aws:ViaAWSService': null },
    });
    expect(d.context).toMatchObject({
      'aws:PrincipalArn': evaluator.arnOf('Reader'),
      'aws:PrincipalAccount': ACCOUNT,
      'aws:PrincipalType': 'AssumedRole',
      'aws:PrincipalIsAWSService': 'false',
      'aws:SecureTransport': 'true',
      'secretsmanager:VersionStage': 'AWSPREVIOUS',
      'secretsmanager:SecretId': evaluator.arnOf('Secret'),
    });
    expect(d.context['aws:ViaAWSService']).toBeUndefined();
    expect(d.context['aws:userid']).toMatch(/^AROA[A-Z0-9]{17}:session$/);
  });

  test('a service principal carries its source, and a trust policy decides sts:AssumeRole', async () => {
    const { evaluator } = fixture();
    const assume = await evaluator.decide({
      principal: { service: 'lambda.amazonaws.com', sourceAccount: ACCOUNT },
      action: 'sts:AssumeRole',
      resource: 'Reader',
    });
    expect(assume.decision).toBe('Allowed');
    expect(assume.context).toMatchObject({
      'aws:PrincipalIsAWSService': 'true',
      'aws:PrincipalServiceName': 'lambda.amazonaws.com',
      'aws:SourceAccount': ACCOUNT,
    });
    // An administrator of the same account is not trusted by a trust policy that names only Lambda.
    const admin = await evaluator.decide({
      principal: administrator(`arn:aws:iam::${ACCOUNT}:role/admin`),
      action: 'sts:AssumeRole',
      resource: 'Reader',
    });
    expect(admin.decision).toBe('ImplicitlyDenied');
  });

  test('an anonymous request gets only what a public statement gives', async () => {
    const { evaluator } = fixture();
    const d = await evaluator.decide({
      principal: ANONYMOUS,
      action: 'secretsmanager:GetSecretValue',
      resource: 'Secret',
    });
    expect(d.decision).toBe('ImplicitlyDenied');
    expect(d.context['aws:PrincipalArn']).toBeUndefined();
  });

  test('a secret without a customer-managed key cannot be read from another account (aws/secretsmanager)', async () => {
    const a = app();
    const stack = new Stack(a, 'Plain', { env: { account: ACCOUNT, region: REGION } });
    const secret = new secretsmanager.CfnSecret(stack, 'Plain', { generateSecretString: {} });
    new secretsmanager.CfnResourcePolicy(stack, 'Policy', {
      secretId: secret.ref,
      resourcePolicy: doc({
        Effect: 'Allow',
        Principal: { AWS: PARTNER_ROLE },
        Action: 'secretsmanager:GetSecretValue',
        Resource: '*',
      }),
    });
    const evaluator = new IamEvaluator(Template.fromStack(stack).toJSON());
    const read = await evaluator.canRead(partnerReader, 'Plain');
    expect(read.secret.decision).toBe('Allowed');
    expect(read.key.decision).toBe('ImplicitlyDenied');
    expect(read.decision).toBe('ImplicitlyDenied');
  });
});
