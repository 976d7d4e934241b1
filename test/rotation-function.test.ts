import { Duration, Fn, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import {
  DatabaseEngine,
  DatabaseTls,
  DatabaseUserRotation,
  ROTATION_PROFILE_TAG,
  RotationFunction,
  RotationStrategy,
  SecretContent,
  SecretRotationSchedule,
  SecretsVault,
  VaultKey,
  VaultSecret,
} from '../lib';
import { secretNameKey } from '../lib/contract/rotation-contract';
import { LOG_GROUP_KEY_ACTIONS } from '../lib/private/actions';
import { bundledAssetPath } from '../lib/private/assets';
import {
  ACCOUNT,
  REGION,
  newStack,
  onlyResource,
  resourcesOf,
  statementsBySid,
  template,
} from './support/stack';

const monthly = SecretRotationSchedule.rate(Duration.days(30));

function vaultStack() {
  const { stack } = newStack();
  const vault = new SecretsVault(stack, 'Vault', { namePrefix: 'orders' });
  vault.addSecret('ApiKey');
  vault.addSecret('Db', {
    content: SecretContent.generatedJson({ username: 'app' }, 'password', { length: 24 }),
  });
  return { stack, vault };
}

function profilesOf(stack: Stack): Record<string, any> {
  return JSON.parse(
    onlyResource(stack, 'AWS::Lambda::Function').Properties.Environment.Variables.ROTATION_PROFILES,
  );
}

describe('RotationFunction in a vault', () => {
  let stack: Stack;
  let vault: SecretsVault;
  beforeAll(() => {
    ({ stack, vault } = vaultStack());
  });

  test('runs the bundled handler on the newest Node.js runtime, ARM64, with reserved concurrency', () => {
    template(stack).hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 256,
      Timeout: 30,
      ReservedConcurrentExecutions: 2,
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('^VaultRotationLogs') } },
    });
  });

  test('keeps its logs a year, and keeps the log group', () => {
    template(stack).hasResource('AWS::Logs::LogGroup', {
      Properties: { RetentionInDays: 365 },
      DeletionPolicy: 'Retain',
    });
  });

  test('logs to a group of a name known at synth, encrypted with the vault’s key', () => {
    const fn = vault.rotationFunction;
    const group = onlyResource(stack, 'AWS::Logs::LogGroup').Properties;
    expect(group.LogGroupName).toMatch(/^\/secrets-vault\/rotation\/Test-Vault-Rotation-[0-9A-F]{8}$/);
    expect(group.KmsKeyId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^VaultKey/), 'Arn'] });
    expect(stack.resolve(fn.logGroupArn)).toEqual({
      'Fn::Join': [
        '',
        ['arn:', { Ref: 'AWS::Partition' }, `:logs:${REGION}:${ACCOUNT}:log-group:${group.LogGroupName}`],
      ],
    });
  });

  test('the vault’s key lets CloudWatch Logs use it for that group only, and exempts only that use from its deny', () => {
    const groupArn = stack.resolve(vault.rotationFunction.logGroupArn);
    const policy = statementsBySid(onlyResource(stack, 'AWS::KMS::Key').Properties.KeyPolicy);
    expect(policy.CloudWatchLogsEncryptsTheseLogGroups).toEqual({
      Sid: 'CloudWatchLogsEncryptsTheseLogGroups',
      Effect: 'Allow',
      Principal: { Service: `logs.${REGION}.amazonaws.com` },
      Action: LOG_GROUP_KEY_ACTIONS,
      Resource: '*',
      Condition: { ArnEquals: { 'kms:EncryptionContext:aws:logs:arn': [groupArn] } },
    });
    expect(policy.DenyUseOutsideSecretsManager.Condition).toEqual({
      StringNotEquals: { 'kms:ViaService': `secretsmanager.${REGION}.amazonaws.com` },
      ArnNotEquals: { 'kms:EncryptionContext:aws:logs:arn': [groupArn] },
    });
  });

  test('a vault with an imported key cannot extend its policy: the logs keep CloudWatch Logs’ encryption', () => {
    const { stack } = newStack();
    const key = kms.Key.fromKeyArn(
      stack,
      'Imported',
      `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
    );
    const imported = new SecretsVault(stack, 'Vault', { namePrefix: 'orders', encryptionKey: key });
    imported.addSecret('ApiKey');
    expect(onlyResource(stack, 'AWS::Logs::LogGroup').Properties.KmsKeyId).toBeUndefined();
    expect(JSON.stringify(imported.rotationFunction.logGroup.node.metadata)).toContain(
      'cdk-validator-cfnguard::cloudwatch_log_group_encrypted_check',
    );
  });

  test('traces with X-Ray, allowed in its managed policy', () => {
    template(stack).hasResourceProperties('AWS::Lambda::Function', { TracingConfig: { Mode: 'Active' } });
    const statements = Object.values(resourcesOf(stack, 'AWS::IAM::ManagedPolicy'))[0].Properties
      .PolicyDocument.Statement;
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
      Resource: '*',
    });
  });

  test('is told its vault prefix, the profiles, and the Powertools settings', () => {
    const env = onlyResource(stack, 'AWS::Lambda::Function').Properties.Environment.Variables;
    expect(env.VAULT_SECRET_NAME_PREFIX).toBe('orders/');
    expect(env.VAULT_SECRET_ARNS).toBeUndefined();
    expect(env.POWERTOOLS_METRICS_NAMESPACE).toBe('SecretsVault');
    expect(env.POWERTOOLS_SERVICE_NAME).toBe('secrets-vault-rotation');
    expect(Object.values(profilesOf(stack))).toEqual([
      {
        kind: 'generated',
        password: {
          length: 32,
          excludeCharacters: '/@"\'\\',
          excludePunctuation: false,
          excludeNumbers: false,
          excludeUppercase: false,
          excludeLowercase: false,
          includeSpace: false,
          requireEachIncludedType: true,
        },
      },
      expect.objectContaining({
        kind: 'generated',
        jsonField: 'password',
        password: expect.objectContaining({ length: 24 }),
      }),
    ]);
  });

  test('the secrets of the most common generated profile (the first added among equals) are not bound: they rotate with the default', () => {
    const env = onlyResource(stack, 'AWS::Lambda::Function').Properties.Environment.Variables;
    const [apiKeyProfile, jsonProfile] = Object.keys(profilesOf(stack));
    expect(env.ROTATION_DEFAULT_PROFILE).toBe(apiKeyProfile);
    expect(JSON.parse(env.ROTATION_BINDINGS)).toEqual({ [jsonProfile]: secretNameKey('orders/Db') });
  });

  test('the default is the generated profile with the most secrets, wherever they were added', () => {
    const { stack } = newStack();
    const vault = new SecretsVault(stack, 'Vault', { namePrefix: 'orders' });
    vault.addSecret('Json', { content: SecretContent.generatedJson({ username: 'app' }, 'password') });
    vault.addSecret('A');
    vault.addSecret('B');
    const env = onlyResource(stack, 'AWS::Lambda::Function').Properties.Environment.Variables;
    const [jsonProfile, stringProfile] = Object.keys(profilesOf(stack));
    expect(env.ROTATION_DEFAULT_PROFILE).toBe(stringProfile);
    expect(JSON.parse(env.ROTATION_BINDINGS)).toEqual({ [jsonProfile]: secretNameKey('orders/Json') });
  });

  test('each secret picks its profile with a tag', () => {
    const ids = Object.keys(profilesOf(stack));
    const tags = Object.values(resourcesOf(stack, 'AWS::SecretsManager::Secret')).map(
      (s) =>
        (s.Properties.Tags as Array<{ Key: string; Value: string }>).find(
          (t) => t.Key === ROTATION_PROFILE_TAG,
        )?.Value,
    );
    expect(tags).toEqual(ids);
  });

  test('its role rotates only the vault’s secrets, through one prefix-scoped statement', () => {
    const statements = Object.values(resourcesOf(stack, 'AWS::IAM::ManagedPolicy'))[0].Properties
      .PolicyDocument.Statement;
    expect(statements).toContainEqual({
      Sid: 'RotateTheseSecrets',
      Effect: 'Allow',
      Action: [
        'secretsmanager:DescribeSecret',
        'secretsmanager:GetSecretValue',
        'secretsmanager:PutSecretValue',
        'secretsmanager:UpdateSecretVersionStage',
      ],
      Resource: {
        'Fn::Join': [
          '',
          ['arn:', { Ref: 'AWS::Partition' }, `:secretsmanager:${REGION}:${ACCOUNT}:secret:orders/*`],
        ],
      },
    });
    expect(statements).toContainEqual({
      Sid: 'GenerateRandomPasswords',
      Effect: 'Allow',
      Action: 'secretsmanager:GetRandomPassword',
      Resource: '*',
    });
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: { 'Fn::GetAtt': [expect.stringMatching(/^VaultKey/), 'Arn'] },
      Condition: { StringEquals: { 'kms:ViaService': `secretsmanager.${REGION}.amazonaws.com` } },
    });
    template(stack).resourceCountIs('AWS::IAM::Policy', 0);
  });

  test('only Secrets Manager of this account, for the vault’s secrets, may invoke it', () => {
    expect(onlyResource(stack, 'AWS::Lambda::Permission').Properties).toEqual({
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [expect.stringMatching(/^VaultRotationFunction/), 'Arn'] },
      Principal: 'secretsmanager.amazonaws.com',
      SourceAccount: ACCOUNT,
      SourceArn: {
        'Fn::Join': [
          '',
          ['arn:', { Ref: 'AWS::Partition' }, `:secretsmanager:${REGION}:${ACCOUNT}:secret:orders/*`],
        ],
      },
    });
  });

  test('each schedule waits for the invoke permission and the role policy', () => {
    for (const schedule of Object.values(
      template(stack).findResources('AWS::SecretsManager::RotationSchedule'),
    )) {
      expect(schedule.DependsOn).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^VaultRotationInvokedBySecretsManager/),
          expect.stringMatching(/^VaultRotationRolePolicy/),
        ]),
      );
    }
  });

  test('the secrets’ resource-policy denies do not catch it: trusted account, TLS, exempt from read and write guards', () => {
    const roleArn = stack.resolve(vault.rotationFunction.role.roleArn);
    for (const policy of Object.values(resourcesOf(stack, 'AWS::SecretsManager::ResourcePolicy'))) {
      const denies = (policy.Properties.ResourcePolicy.Statement as any[]).filter((s) => s.Effect === 'Deny');
      const bySid = Object.fromEntries(denies.map((d) => [d.Sid, d.Condition]));
      expect(bySid.DenyRequestsWithoutTls).toEqual({ Bool: { 'aws:SecureTransport': 'false' } });
      expect(bySid.DenyPrincipalsOutsideTrustedAccounts).toMatchObject({
        StringNotEquals: { 'aws:PrincipalAccount': [ACCOUNT] },
      });
      expect(bySid.DenyReadsByUndeclaredPrincipals.ArnNotLike['aws:PrincipalArn']).toContainEqual(roleArn);
      expect(bySid.DenyWritesExceptRotationAndWriters.ArnNotLike['aws:PrincipalArn']).toContainEqual(roleArn);
      // Rotation needs no management action: it is not exempt from that guard.
      expect(bySid.DenyManagementExceptDeployment.ArnNotLike['aws:PrincipalArn']).not.toContainEqual(roleArn);
    }
  });
});

describe('RotationFunction alone', () => {
  test('serves exactly the secrets added to it, each with its own invoke permission', () => {
    const { stack } = newStack();
    const key = new VaultKey(stack, 'Key');
    const fn = new RotationFunction(stack, 'Rotation');
    new VaultSecret(stack, 'A', { encryptionKey: key, rotationFunction: fn });
    new VaultSecret(stack, 'B', { encryptionKey: key, rotationFunction: fn });
    const env = onlyResource(stack, 'AWS::Lambda::Function').Properties.Environment.Variables;
    expect(env.VAULT_SECRET_NAME_PREFIX).toBeUndefined();
    expect(env.VAULT_SECRET_ARNS).toEqual({
      'Fn::Join': ['', [{ Ref: expect.stringMatching(/^A/) }, ',', { Ref: expect.stringMatching(/^B/) }]],
    });
    expect(env.ROTATION_DEFAULT_PROFILE).toMatch(/^p[0-9a-f]{10}$/);
    const permissions = Object.values(resourcesOf(stack, 'AWS::Lambda::Permission'));
    expect(permissions.map((p) => p.Properties.SourceArn)).toEqual([
      { Ref: expect.stringMatching(/^A/) },
      { Ref: expect.stringMatching(/^B/) },
    ]);
    const rotate = (
      Object.values(resourcesOf(stack, 'AWS::IAM::ManagedPolicy'))[0].Properties.PolicyDocument
        .Statement as any[]
    ).find((s) => s.Sid === 'RotateTheseSecrets');
    expect(rotate.Resource).toEqual([
      { Ref: expect.stringMatching(/^A/) },
      { Ref: expect.stringMatching(/^B/) },
    ]);
  });

  test('equal strategies share one profile', () => {
    const { stack } = newStack();
    const key = new VaultKey(stack, 'Key');
    const fn = new RotationFunction(stack, 'Rotation');
    new VaultSecret(stack, 'A', { encryptionKey: key, rotationFunction: fn });
    new VaultSecret(stack, 'B', { encryptionKey: key, rotationFunction: fn });
    expect(Object.keys(profilesOf(stack))).toHaveLength(1);
  });

  test('can reserve no concurrency, for accounts at Lambda’s starting limit', () => {
    const { stack } = newStack();
    new RotationFunction(stack, 'Rotation', { reservedConcurrentExecutions: 0, secretNamePrefix: 'orders' });
    template(stack).hasResourceProperties('AWS::Lambda::Function', {
      ReservedConcurrentExecutions: Match.absent(),
    });
  });

  test('a function that serves no secret fails synth, saying how to give it one', () => {
    const { app, stack } = newStack();
    new RotationFunction(stack, 'Rotation');
    expect(() => app.synth()).toThrow(
      /RotationFunction Test\/Rotation serves no secret: pass `secretNamePrefix` or call addSecret\(secret, \.\.\.\)/,
    );
  });

  test('rejects an empty JSON field to rotate', () => {
    expect(() => RotationStrategy.generatedJsonField('')).toThrow(
      'RotationStrategy.generatedJsonField: invalid `field`: received ""; allowed: the name of the JSON field to rotate.',
    );
  });

  test('logs without a key of its own are encrypted by CloudWatch Logs, and say so to the packs', () => {
    const { stack } = newStack();
    const fn = new RotationFunction(stack, 'Rotation', { secretNamePrefix: 'orders' });
    template(stack).hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: Match.absent() });
    const acknowledged = JSON.stringify(fn.logGroup.node.metadata);
    for (const id of [
      'NIST.800.53.R5-CloudWatchLogGroupEncrypted',
      'HIPAA.Security-CloudWatchLogGroupEncrypted',
      'PCI.DSS.321-CloudWatchLogGroupEncrypted',
      'cdk-validator-cfnguard::cloudwatch_log_group_encrypted_check',
    ]) {
      expect(acknowledged).toContain(id);
    }
  });

  test('a kms.Key of your own for the logs gets a statement for CloudWatch Logs and that group only', () => {
    const { stack } = newStack();
    const key = new kms.Key(stack, 'LogsKey', { enableKeyRotation: true });
    const fn = new RotationFunction(stack, 'Rotation', { secretNamePrefix: 'orders', logEncryptionKey: key });
    expect(onlyResource(stack, 'AWS::Logs::LogGroup').Properties.KmsKeyId).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^LogsKey/), 'Arn'],
    });
    // Encrypted: no pack is told otherwise.
    expect(JSON.stringify(fn.logGroup.node.metadata)).not.toContain('CloudWatchLogGroupEncrypted');
    const statements = onlyResource(stack, 'AWS::KMS::Key').Properties.KeyPolicy.Statement;
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Principal: { Service: `logs.${REGION}.amazonaws.com` },
      Action: LOG_GROUP_KEY_ACTIONS,
      Resource: '*',
      Condition: { ArnEquals: { 'kms:EncryptionContext:aws:logs:arn': stack.resolve(fn.logGroupArn) } },
    });
  });

  test('a missing bundle is an error naming the command that builds it', () => {
    expect(() => bundledAssetPath('no-such-function')).toThrow(
      'cdk-secrets-vault: the bundled Lambda "assets/no-such-function/index.js" is missing. In a checkout of cdk-secrets-vault run `npm run bundle` (or `npm run build`); an installed package ships it.',
    );
  });
});

describe('RotationFunction: where database credentials may go is pinned in its environment', () => {
  const host = 'db.internal';

  function envOf(stack: Stack): Record<string, any> {
    return onlyResource(stack, 'AWS::Lambda::Function').Properties.Environment.Variables;
  }

  test('one target per endpoint, TLS mode and admin secret; each secret bound by its name key', () => {
    const { stack } = newStack();
    const vault = new SecretsVault(stack, 'Vault', { namePrefix: 'orders' });
    vault.addSecret('ApiKey');
    const admin = vault.addDatabaseSecret('Admin', {
      engine: DatabaseEngine.POSTGRES,
      host,
      username: 'root',
    });
    vault.addDatabaseSecret('A', { engine: DatabaseEngine.POSTGRES, host, username: 'a' });
    vault.addDatabaseSecret('Plain', {
      engine: DatabaseEngine.POSTGRES,
      host,
      username: 'p',
      tls: DatabaseTls.PLAINTEXT_INSECURE,
    });
    vault.addDatabaseSecret('Alt', {
      engine: DatabaseEngine.POSTGRES,
      host,
      dbname: 'orders',
      username: 'alt',
      userRotation: DatabaseUserRotation.alternatingUsers(admin),
    });
    const env = envOf(stack);
    const adminId = stack.getLogicalId(admin.node.defaultChild as secretsmanager.CfnSecret);
    // The admin's ARN is a Ref: the targets are rendered as a Fn::Join around it.
    expect(env.ROTATION_TARGETS).toEqual({
      'Fn::Join': [
        '',
        [
          '{"t0":{"engine":"postgres","host":"db.internal","port":5432,"tls":"verified"},' +
            '"t1":{"engine":"postgres","host":"db.internal","port":5432,"tls":"plaintext"},' +
            '"t2":{"engine":"postgres","host":"db.internal","port":5432,"dbname":"orders","tls":"verified","admin":"',
          { Ref: adminId },
          '"}}',
        ],
      ],
    });
    const profiles = profilesOf(stack);
    const idOf = (kind: string) => Object.keys(profiles).find((id) => profiles[id].kind === kind) as string;
    // The generated secret rotates with the default profile: it needs no binding.
    expect(env.ROTATION_DEFAULT_PROFILE).toBe(idOf('generated'));
    expect(JSON.parse(env.ROTATION_BINDINGS)).toEqual({
      [`${idOf('postgres-single')}@t0`]: [secretNameKey('orders/Admin'), secretNameKey('orders/A')].join(','),
      [`${idOf('postgres-single')}@t1`]: secretNameKey('orders/Plain'),
      [`${idOf('postgres-alternating')}@t2`]: secretNameKey('orders/Alt'),
    });
  });

  test('a function with database secrets only has no default profile: every secret is bound', () => {
    const { stack } = newStack();
    const vault = new SecretsVault(stack, 'Vault', { namePrefix: 'orders' });
    vault.addDatabaseSecret('A', { engine: DatabaseEngine.POSTGRES, host, username: 'a' });
    const env = envOf(stack);
    expect(env.ROTATION_DEFAULT_PROFILE).toBeUndefined();
    const [profileId] = Object.keys(profilesOf(stack));
    expect(JSON.parse(env.ROTATION_BINDINGS)).toEqual({ [`${profileId}@t0`]: secretNameKey('orders/A') });
  });

  test('an imported admin secret is read at AWSCURRENT only, and described without a stage condition', () => {
    const { stack } = newStack();
    const fn = new RotationFunction(stack, 'Rotation', { secretNamePrefix: 'orders' });
    const adminArn = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:rds!db-0123-AbCdEf`;
    const admin = secretsmanager.Secret.fromSecretCompleteArn(stack, 'Admin', adminArn);
    const app = new secretsmanager.Secret(stack, 'App', { secretName: 'orders/app' });
    fn.addSecret(app, {
      schedule: monthly,
      strategy: RotationStrategy.alternatingUsers({ engine: DatabaseEngine.POSTGRES, host }, admin),
    });
    const statements = Object.values(resourcesOf(stack, 'AWS::IAM::ManagedPolicy'))[0].Properties
      .PolicyDocument.Statement as any[];
    // Exactly these two name the admin secret (grantRead's unconditioned statement is gone).
    expect(statements.filter((s) => JSON.stringify(s.Resource).includes('rds!db-0123'))).toEqual([
      {
        Effect: 'Allow',
        Action: 'secretsmanager:GetSecretValue',
        Resource: adminArn,
        Condition: { StringEquals: { 'secretsmanager:VersionStage': ['AWSCURRENT'] } },
      },
      { Effect: 'Allow', Action: 'secretsmanager:DescribeSecret', Resource: adminArn },
    ]);
  });

  test('an imported secret is bound by the name its complete ARN gives', () => {
    const { stack } = newStack();
    const fn = new RotationFunction(stack, 'Rotation');
    const arn = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:legacy-AbCdEf`;
    const imported = secretsmanager.Secret.fromSecretCompleteArn(stack, 'Imported', arn);
    fn.addSecret(imported, {
      schedule: monthly,
      strategy: RotationStrategy.singleUser({ engine: DatabaseEngine.MYSQL, host, port: 3307 }),
    });
    const env = envOf(stack);
    expect(JSON.parse(env.ROTATION_TARGETS)).toEqual({
      t0: { engine: 'mysql', host, port: 3307, tls: 'verified' },
    });
    const [profileId] = Object.keys(profilesOf(stack));
    expect(JSON.parse(env.ROTATION_BINDINGS)).toEqual({ [`${profileId}@t0`]: secretNameKey('legacy') });
    expect(env.NODE_EXTRA_CA_CERTS).toBe('/var/runtime/ca-cert.pem');
  });

  test('a secret whose name synth cannot know (a token ARN) is bound by its complete ARN', () => {
    const { stack } = newStack();
    const fn = new RotationFunction(stack, 'Rotation');
    const imported = secretsmanager.Secret.fromSecretCompleteArn(
      stack,
      'Imported',
      Fn.importValue('LegacyArn'),
    );
    fn.addSecret(imported, {
      schedule: monthly,
      strategy: RotationStrategy.singleUser({ engine: DatabaseEngine.MYSQL, host, port: 3307 }),
    });
    const [profileId] = Object.keys(profilesOf(stack));
    expect(envOf(stack).ROTATION_BINDINGS).toEqual({
      'Fn::Join': ['', [`{"${profileId}@t0":"`, { 'Fn::ImportValue': 'LegacyArn' }, '"}']],
    });
  });

  test.each([DatabaseTls.UNVERIFIED_INSECURE, DatabaseTls.PLAINTEXT_INSECURE])(
    'alternating users refuse TLS %p: the admin credential travels over verified TLS only',
    (tls) => {
      const { stack } = newStack();
      const admin = new secretsmanager.Secret(stack, 'Admin');
      expect(() =>
        RotationStrategy.alternatingUsers({ engine: DatabaseEngine.POSTGRES, host, tls }, admin),
      ).toThrow(
        `RotationStrategy.alternatingUsers: invalid \`tls\`: received "${tls.mode}"; alternating users log in with the admin secret, which travels over verified TLS only: use DatabaseTls.VERIFIED.`,
      );
    },
  );
});
