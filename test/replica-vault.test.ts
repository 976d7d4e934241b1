import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { CrossAccountSecretReader, VaultReference } from '../lib/cross-account-reader';
import { SecretsVault } from '../lib/secrets-vault';
import { VaultReplicaKey, VaultReplicaRegion } from '../lib/vault-replica-key';
import { administrator, IamEvaluator, Principal, stacksOf } from './support/iam-evaluator';

const ACCOUNT = '111111111111';
const PARTNER = 'arn:aws:iam::222222222222:role/partner';
const PARTITION = { Ref: 'AWS::Partition' };
const join = (...parts: unknown[]) => ({ 'Fn::Join': ['', parts] });

function setup(options: { breakGlass?: boolean } = {}) {
  const app = new App({ builtinCloudFormationValidation: false });
  const primary = new Stack(app, 'Primary', { env: { account: ACCOUNT, region: 'eu-west-1' } });
  const vault = new SecretsVault(primary, 'Vault', {
    namePrefix: 'example/orders',
    breakGlass:
      options.breakGlass === false
        ? undefined
        : iam.Role.fromRoleArn(primary, 'BreakGlass', `arn:aws:iam::${ACCOUNT}:role/break-glass`),
  });
  const east = new Stack(app, 'East', { env: { account: ACCOUNT, region: 'us-east-1' } });
  return { app, primary, vault, east };
}

function secrets(stack: Stack): any[] {
  return Object.values(Template.fromStack(stack).findResources('AWS::SecretsManager::Secret'));
}

function statementsOf(stack: Stack): any[] {
  const template = Template.fromStack(stack);
  return [
    ...Object.values(template.findResources('AWS::IAM::ManagedPolicy')),
    ...Object.values(template.findResources('AWS::IAM::Policy')),
  ].flatMap((p: any) => p.Properties.PolicyDocument.Statement);
}

describe('SecretsVault replicas', () => {
  test('every secret, added before or after the replica key, replicates under the alias ARN of that region', () => {
    const { primary, vault, east } = setup();
    vault.addSecret('Before');
    new VaultReplicaKey(east, 'Key', { vault });
    vault.addSecret('After');
    const all = secrets(primary);
    expect(all).toHaveLength(2);
    for (const secret of all) {
      expect(secret.Properties.ReplicaRegions).toEqual([
        {
          Region: 'us-east-1',
          KmsKeyId: join('arn:', PARTITION, `:kms:us-east-1:${ACCOUNT}:alias/example/orders`),
        },
      ]);
    }
    expect(vault.replicas.map((r) => r.region)).toEqual(['us-east-1']);
  });

  test('after a promotion (replicate: false) the vault stops replicating there; the key and alias stay', () => {
    const { primary, vault, east } = setup();
    vault.addSecret('Db');
    new VaultReplicaKey(east, 'Key', { vault, replicate: false });
    expect(secrets(primary)[0].Properties.ReplicaRegions).toBeUndefined();
    expect(vault.replicas).toEqual([]);
    Template.fromStack(east).resourceCountIs('AWS::KMS::Key', 1);
    Template.fromStack(east).hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/example/orders' });
  });

  test('a key of your own replicates under its ARN, with no VaultReplicaKey', () => {
    const { app, primary } = setup();
    const keyArn = `arn:aws:kms:us-west-2:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
    const vault = new SecretsVault(primary, 'Other', {
      namePrefix: 'example/billing',
      replicas: [VaultReplicaRegion.fromKeyArn(keyArn)],
    });
    vault.addSecret('Db');
    app.synth();
    const secret = secrets(primary).find((s) => s.Properties.Name === 'example/billing/Db');
    expect(secret.Properties.ReplicaRegions).toEqual([{ Region: 'us-west-2', KmsKeyId: keyArn }]);
  });

  test("grantRead covers the replicas, by name prefix and the key's alias there, granted before or after", () => {
    const { primary, vault, east } = setup();
    const lambda = new iam.ServicePrincipal('lambda.amazonaws.com');
    vault.grantRead(new iam.Role(primary, 'Early', { assumedBy: lambda }), ['AWSCURRENT']);
    new VaultReplicaKey(east, 'Key', { vault });
    vault.grantRead(new iam.Role(primary, 'Late', { assumedBy: lambda }));
    const replicaSecrets = join(
      'arn:',
      PARTITION,
      `:secretsmanager:us-east-1:${ACCOUNT}:secret:example/orders/*`,
    );
    expect(statementsOf(primary)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Action: 'secretsmanager:GetSecretValue',
          Resource: replicaSecrets,
          Condition: { StringEquals: { 'secretsmanager:VersionStage': ['AWSCURRENT'] } },
        }),
        expect.objectContaining({
          Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
          Resource: replicaSecrets,
        }),
        expect.objectContaining({
          Action: 'kms:Decrypt',
          Resource: join('arn:', PARTITION, `:kms:us-east-1:${ACCOUNT}:key/*`),
          Condition: {
            StringEquals: { 'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com' },
            'ForAnyValue:StringEquals': { 'kms:ResourceAliases': ['alias/example/orders'] },
          },
        }),
      ]),
    );
  });

  test("the rotation function may have Secrets Manager encrypt the replicas with the region's key", () => {
    const { primary, vault, east } = setup();
    vault.addSecret('Rotated');
    new VaultReplicaKey(east, 'Key', { vault });
    expect(statementsOf(primary)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Action: ['kms:GenerateDataKey', 'kms:Encrypt'],
          Resource: join('arn:', PARTITION, `:kms:us-east-1:${ACCOUNT}:key/*`),
        }),
      ]),
    );
  });

  test("warns that nobody could promote a replica while the vault's region is down without a break-glass principal", () => {
    const { primary, vault, east } = setup({ breakGlass: false });
    new VaultReplicaKey(east, 'Key', { vault });
    Annotations.fromStack(primary).hasWarning(
      '/Primary/Vault',
      Match.stringLikeRegexp('nobody can promote the us-east-1 replicas'),
    );
  });

  test('refuses a replica in its own region, and a region twice', () => {
    const { vault } = setup();
    expect(() => vault.addReplica(VaultReplicaRegion.vaultKey('eu-west-1', 'alias/x'))).toThrow(
      'SecretsVault Primary/Vault: invalid `replicas`: received "eu-west-1"; allowed: a region other than the vault\'s own.',
    );
    vault.addReplica(VaultReplicaRegion.fromKeyArn(`arn:aws:kms:us-west-2:${ACCOUNT}:alias/mine`));
    expect(() =>
      vault.addReplica(VaultReplicaRegion.fromKeyArn(`arn:aws:kms:us-west-2:${ACCOUNT}:alias/mine`)),
    ).toThrow(/invalid `replicas`: received "us-west-2"; allowed: each region once/);
  });

  test("fails synth when a region names the vault's own key and no VaultReplicaKey provides it", () => {
    const { app, vault } = setup();
    vault.addReplica(VaultReplicaRegion.vaultKey('us-west-2', 'alias/example/orders'));
    expect(() => app.synth()).toThrow(
      /its secrets replicate to us-west-2 under alias\/example\/orders, but no VaultReplicaKey of this vault is in a stack of us-west-2/,
    );
  });
});

describe('SecretsVault.grantRead of a role of another account', () => {
  test('names it in the resource policy of every secret, present and future, and in the key policy; writes no IAM policy', () => {
    const { primary, vault } = setup();
    vault.addSecret('Before');
    vault.grantRead(iam.Role.fromRoleArn(primary, 'Partner', PARTNER));
    vault.addSecret('After');
    const template = Template.fromStack(primary);
    expect(template.findResources('AWS::IAM::Policy')).toEqual({});
    const policies = Object.values(template.findResources('AWS::SecretsManager::ResourcePolicy')) as any[];
    expect(policies).toHaveLength(2);
    for (const policy of policies) {
      const statements = policy.Properties.ResourcePolicy.Statement;
      expect(statements).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            Effect: 'Allow',
            Principal: { AWS: PARTNER },
            Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
          }),
        ]),
      );
      const boundary = statements.find((s: any) => s.Sid === 'DenyPrincipalsOutsideTrustedAccounts');
      expect(boundary.Condition.StringNotEquals['aws:PrincipalAccount']).toEqual([ACCOUNT, '222222222222']);
    }
    const key = Object.values(template.findResources('AWS::KMS::Key'))[0] as any;
    expect(key.Properties.KeyPolicy.Statement).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Principal: { AWS: PARTNER }, Action: 'kms:Decrypt' }),
      ]),
    );
  });

  test('in a stack without an explicit account, attaches no policy to a same-named role of the deploying account', () => {
    const app = new App({ builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'Agnostic');
    const vault = new SecretsVault(stack, 'Vault', { namePrefix: 'example/orders' });
    vault.addSecret('Db');
    vault.grantRead(iam.Role.fromRoleArn(stack, 'Partner', PARTNER));
    expect(Template.fromStack(stack).findResources('AWS::IAM::Policy')).toEqual({});
  });

  test('with CrossAccountSecretReader on the other side, the partner reads through Secrets Manager with TLS; an undeclared role of its account does not', async () => {
    const app = new App({
      context: { 'aws:cdk:enable-path-metadata': true, 'aws:cdk:disable-stack-trace': true },
      builtinCloudFormationValidation: false,
    } as any);
    const primary = new Stack(app, 'Vault', { env: { account: ACCOUNT, region: 'eu-west-1' } });
    const vault = new SecretsVault(primary, 'Vault', { namePrefix: 'example/orders' });
    vault.addSecret('Db');
    const partner = new Stack(app, 'Partner', { env: { account: '222222222222', region: 'eu-west-1' } });
    const role = new iam.Role(partner, 'Reader', {
      roleName: 'orders-reader',
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    vault.grantRead(iam.Role.fromRoleArn(primary, 'Partner', 'arn:aws:iam::222222222222:role/orders-reader'));
    new CrossAccountSecretReader(partner, 'Read', { vault: VaultReference.fromVault(vault), role });
    const evaluator = new IamEvaluator(stacksOf(app.synth()));
    const read = async (principal: Principal, context: Record<string, string> = {}) => [
      (
        await evaluator.decide({
          principal,
          action: 'secretsmanager:GetSecretValue',
          resource: 'Vault/Vault/Db',
          context: { 'secretsmanager:VersionStage': 'AWSCURRENT', ...context },
        })
      ).decision,
      (
        await evaluator.decide({
          principal,
          action: 'kms:Decrypt',
          resource: 'Vault/Vault/Key',
          via: 'secretsmanager',
          context: { 'kms:ResourceAliases': ['alias/example/orders'] },
        })
      ).decision,
    ];
    const reader: Principal = { role: 'Partner/Reader', stack: 'Partner' };
    expect(await read(reader)).toEqual(['Allowed', 'Allowed']);
    expect((await read(reader, { 'aws:SecureTransport': 'false' }))[0]).toBe('ExplicitlyDenied');
    expect((await read(administrator('arn:aws:iam::222222222222:role/Admin')))[0]).toBe('ExplicitlyDenied');
  });
});
