import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { CrossAccountSecretReader, VaultReference } from '../lib/cross-account-reader';
import { SecretsVault } from '../lib/secrets-vault';

const VAULT_ACCOUNT = '111111111111';
const PARTNER_ACCOUNT = '222222222222';
const REGION = 'eu-west-1';
const PARTITION = { Ref: 'AWS::Partition' };

const orders = {
  account: VAULT_ACCOUNT,
  region: REGION,
  namePrefix: 'example/orders',
  keyAlias: 'alias/example/orders',
};

function consumerStack(app = new App({ builtinCloudFormationValidation: false })) {
  const stack = new Stack(app, 'Consumer', { env: { account: PARTNER_ACCOUNT, region: 'us-east-1' } });
  const role = new iam.Role(stack, 'Reader', {
    roleName: 'orders-partner-reader',
    assumedBy: new iam.AccountRootPrincipal(),
  });
  return { app, stack, role };
}

/** The statements of the reader's managed policy, by Sid; the policy must be attached to the role. */
function readerStatements(stack: Stack): Record<string, any> {
  const policies = Object.values(Template.fromStack(stack).findResources('AWS::IAM::ManagedPolicy')) as any[];
  expect(policies).toHaveLength(1);
  expect(policies[0].Properties.Roles).toEqual([
    { Ref: Template.fromStack(stack).getResourceId('AWS::IAM::Role') },
  ]);
  expect(Template.fromStack(stack).findResources('AWS::IAM::Policy')).toEqual({});
  return Object.fromEntries(policies[0].Properties.PolicyDocument.Statement.map((s: any) => [s.Sid, s]));
}

function arn(...parts: unknown[]) {
  return { 'Fn::Join': ['', parts] };
}

describe('CrossAccountSecretReader', () => {
  test('grants GetSecretValue and DescribeSecret on every secret of the vault, by name prefix', () => {
    const { stack, role } = consumerStack();
    new CrossAccountSecretReader(stack, 'ReadOrders', {
      vault: VaultReference.fromAttributes(orders),
      role,
    });
    const read = readerStatements(stack).ReadVaultSecrets;
    expect(read).toEqual({
      Sid: 'ReadVaultSecrets',
      Effect: 'Allow',
      Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
      Resource: arn('arn:', PARTITION, `:secretsmanager:${REGION}:${VAULT_ACCOUNT}:secret:example/orders/*`),
    });
  });

  test("names the vault's key by alias, through Secrets Manager of the vault's region only", () => {
    const { stack, role } = consumerStack();
    new CrossAccountSecretReader(stack, 'ReadOrders', {
      vault: VaultReference.fromAttributes(orders),
      role,
    });
    expect(readerStatements(stack).DecryptThroughSecretsManager).toEqual({
      Sid: 'DecryptThroughSecretsManager',
      Effect: 'Allow',
      Action: 'kms:Decrypt',
      Resource: arn('arn:', PARTITION, `:kms:${REGION}:${VAULT_ACCOUNT}:key/*`),
      Condition: {
        StringEquals: { 'kms:ViaService': `secretsmanager.${REGION}.amazonaws.com` },
        'ForAnyValue:StringEquals': { 'kms:ResourceAliases': ['alias/example/orders'] },
      },
    });
  });

  test('names the key exactly when its ARN is given, without an alias condition', () => {
    const { stack, role } = consumerStack();
    const keyArn = `arn:aws:kms:${REGION}:${VAULT_ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
    new CrossAccountSecretReader(stack, 'ReadOrders', {
      vault: VaultReference.fromAttributes({ ...orders, keyAlias: undefined, keyArn }),
      role,
    });
    expect(readerStatements(stack).DecryptThroughSecretsManager).toEqual({
      Sid: 'DecryptThroughSecretsManager',
      Effect: 'Allow',
      Action: 'kms:Decrypt',
      Resource: keyArn,
      Condition: { StringEquals: { 'kms:ViaService': `secretsmanager.${REGION}.amazonaws.com` } },
    });
  });

  test('names single secrets by name and the six characters Secrets Manager appends', () => {
    const { stack, role } = consumerStack();
    const reader = new CrossAccountSecretReader(stack, 'ReadOrders', {
      vault: VaultReference.fromAttributes({ ...orders, partition: 'aws' }),
      role,
      secretNames: ['example/orders/OrdersDb', 'example/orders/PaymentsApiKey'],
    });
    const expected = [
      `arn:aws:secretsmanager:${REGION}:${VAULT_ACCOUNT}:secret:example/orders/OrdersDb-??????`,
      `arn:aws:secretsmanager:${REGION}:${VAULT_ACCOUNT}:secret:example/orders/PaymentsApiKey-??????`,
    ];
    expect(reader.secretArns).toEqual(expected);
    expect(readerStatements(stack).ReadVaultSecrets.Resource).toEqual(expected);
  });

  test('limits GetSecretValue to the version stages, and leaves DescribeSecret (which has no stage) unconditioned', () => {
    const { stack, role } = consumerStack();
    new CrossAccountSecretReader(stack, 'ReadOrders', {
      vault: VaultReference.fromAttributes({ ...orders, partition: 'aws' }),
      role,
      versionStages: ['AWSCURRENT'],
    });
    const statements = readerStatements(stack);
    expect(statements.ReadVaultSecretsAtStages.Action).toBe('secretsmanager:GetSecretValue');
    expect(statements.ReadVaultSecretsAtStages.Condition).toEqual({
      StringEquals: { 'secretsmanager:VersionStage': ['AWSCURRENT'] },
    });
    expect(statements.DescribeVaultSecrets).toEqual({
      Sid: 'DescribeVaultSecrets',
      Effect: 'Allow',
      Action: 'secretsmanager:DescribeSecret',
      Resource: `arn:aws:secretsmanager:${REGION}:${VAULT_ACCOUNT}:secret:example/orders/*`,
    });
  });

  test('warns about a version stage of its own that no version carries unless someone puts it there', () => {
    const { stack, role } = consumerStack();
    new CrossAccountSecretReader(stack, 'ReadOrders', {
      vault: VaultReference.fromAttributes(orders),
      role,
      versionStages: ['PARTNER'],
    });
    Annotations.fromStack(stack).hasWarning(
      '/Consumer/ReadOrders',
      Match.stringLikeRegexp('versionStages names PARTNER'),
    );
  });

  test('writes no reference to another stack: no import, no parameter, no output', () => {
    const app = new App({ builtinCloudFormationValidation: false });
    const vaultStack = new Stack(app, 'Vault', { env: { account: VAULT_ACCOUNT, region: REGION } });
    const vault = new SecretsVault(vaultStack, 'Vault', { namePrefix: 'example/orders' });
    vault.addSecret('OrdersDb');
    const { stack, role } = consumerStack(app);
    vault.addReader(role);
    new CrossAccountSecretReader(stack, 'ReadOrders', {
      vault: VaultReference.fromVault(vault),
      role,
    });
    const assembly = app.synth();
    for (const name of ['Vault', 'Consumer']) {
      const json = JSON.stringify(assembly.getStackByName(name).template);
      expect(json).not.toMatch(/Fn::ImportValue|AssetParameters|SsmParameterValue/);
      expect(assembly.getStackByName(name).template.Outputs ?? {}).toEqual({});
    }
    // The vault names the role by its literal ARN, which CloudFormation resolves in the vault's account.
    expect(JSON.stringify(assembly.getStackByName('Vault').template)).toContain(
      `:iam::${PARTNER_ACCOUNT}:role/orders-partner-reader`,
    );
  });

  test("makes the vault's stack deploy after the reader's: the vault's policies name the reader's role", () => {
    const app = new App({ builtinCloudFormationValidation: false });
    const vaultStack = new Stack(app, 'Vault', { env: { account: VAULT_ACCOUNT, region: REGION } });
    const vault = new SecretsVault(vaultStack, 'Vault', { namePrefix: 'example/orders' });
    const { stack, role } = consumerStack(app);
    new CrossAccountSecretReader(stack, 'ReadOrders', {
      vault: VaultReference.fromVault(vault),
      role,
    });
    expect(vaultStack.dependencies).toEqual([stack]);
    expect(stack.dependencies).toEqual([]);
  });

  test('reads a reference to a vault of the app off the vault: account, region, prefix, alias', () => {
    const app = new App({ builtinCloudFormationValidation: false });
    const vaultStack = new Stack(app, 'Vault', { env: { account: VAULT_ACCOUNT, region: REGION } });
    const vault = new SecretsVault(vaultStack, 'Vault', { namePrefix: 'example/orders' });
    const reference = VaultReference.fromVault(vault);
    expect({
      account: reference.account,
      region: reference.region,
      namePrefix: reference.namePrefix,
      keyAlias: reference.keyAlias,
      keyArn: reference.keyArn,
    }).toEqual({ ...orders, keyArn: undefined });
    expect(reference.vault).toBe(vault);
  });

  describe('refuses', () => {
    test('a vault whose stack has no explicit account and region: its ARNs would be tokens', () => {
      const stack = new Stack(new App(), 'Agnostic');
      const vault = new SecretsVault(stack, 'Vault', { namePrefix: 'example/orders' });
      expect(() => VaultReference.fromVault(vault)).toThrow(
        'VaultReference.fromVault(Agnostic/Vault): invalid `vault`: received "a vault in stack Agnostic without an explicit account and region"; ' +
          "give the vault's stack `env: { account, region }`: a stack of another account can name the vault's secrets and key only by literal ARNs.",
      );
    });

    test('a vault whose key has no alias', () => {
      const stack = new Stack(new App(), 'Vault', { env: { account: VAULT_ACCOUNT, region: REGION } });
      const encryptionKey = kms.Key.fromKeyArn(
        stack,
        'Key',
        `arn:aws:kms:${REGION}:${VAULT_ACCOUNT}:key/abc`,
      );
      const vault = new SecretsVault(stack, 'Vault', { namePrefix: 'example/orders', encryptionKey });
      expect(() => VaultReference.fromVault(vault)).toThrow(
        /invalid `vault`: received "a vault whose key Vault\/Key has no literal alias"; use VaultReference.fromAttributes/,
      );
    });

    test.each([
      [
        'account',
        { account: '1111' },
        /invalid `account`: received "1111"; allowed: an account id of 12 digits/,
      ],
      ['region', { region: 'Ireland' }, /invalid `region`: received "Ireland"; allowed: a region name/],
      ['partition', { partition: 'amazon' }, /invalid `partition`: received "amazon"/],
      ['namePrefix', { namePrefix: 'example/orders/' }, /invalid `namePrefix`: received "example\/orders\/"/],
      [
        'keyAlias',
        { keyAlias: 'alias/aws/secretsmanager' },
        /invalid `keyAlias`: received "alias\/aws\/secretsmanager"; allowed: `alias\/` and a name of your own/,
      ],
      ['keyAlias', { keyAlias: 'orders' }, /invalid `keyAlias`: received "orders"/],
      [
        'keyArn in another region',
        { keyAlias: undefined, keyArn: `arn:aws:kms:us-east-1:${VAULT_ACCOUNT}:key/abc` },
        /invalid `keyArn`: received "arn:aws:kms:us-east-1:111111111111:key\/abc"; allowed: the ARN of a key \(`arn:<partition>:kms:eu-west-1:111111111111:key\/<id>`\) in the vault's account and region/,
      ],
      [
        'keyArn and keyAlias',
        { keyArn: `arn:aws:kms:${REGION}:${VAULT_ACCOUNT}:key/abc` },
        /invalid `keyArn`: received "both keyAlias and keyArn"; name the vault's key once/,
      ],
      [
        'neither key',
        { keyAlias: undefined },
        /invalid `keyAlias`: received undefined; name the vault's key once/,
      ],
    ])('attributes with a bad %s', (_name, change, message) => {
      expect(() => VaultReference.fromAttributes({ ...orders, ...change })).toThrow(message);
    });

    test('an attribute that is a token: CloudFormation could not resolve it in another account', () => {
      const stack = new Stack(new App(), 'Agnostic');
      expect(() => VaultReference.fromAttributes({ ...orders, account: stack.account })).toThrow(
        /VaultReference.fromAttributes: invalid `account`: received "\$\{Token\[AWS.AccountId.\d+\]\}"; a literal value: a token would become a reference/,
      );
    });

    test("a vault of the reader's own account", () => {
      const { stack, role } = consumerStack();
      expect(
        () =>
          new CrossAccountSecretReader(stack, 'ReadOrders', {
            vault: VaultReference.fromAttributes({ ...orders, account: PARTNER_ACCOUNT }),
            role,
          }),
      ).toThrow(
        'CrossAccountSecretReader Consumer/ReadOrders: invalid `vault`: received "a vault of this stack\'s own account 222222222222"; ' +
          "within one account, grant the read on the vault's side: `vault.grantRead(role)` or a SecretReaderRole.",
      );
    });

    test('a role of another account: the policy would attach to a same-named role of this account', () => {
      const { stack } = consumerStack();
      const foreign = iam.Role.fromRoleArn(stack, 'Foreign', 'arn:aws:iam::333333333333:role/other');
      expect(
        () =>
          new CrossAccountSecretReader(stack, 'ReadOrders', {
            vault: VaultReference.fromAttributes(orders),
            role: foreign,
          }),
      ).toThrow(
        /invalid `role`: received ".* of account 333333333333"; a role of this stack's account: a policy of this stack attaches to a role of this account by name/,
      );
    });

    test.each([
      [
        ['example/billing/Db'],
        /invalid `secretNames`: received "example\/billing\/Db"; allowed: a name under the vault's prefix "example\/orders\/"/,
      ],
      [['example/orders/*'], /invalid `secretNames`: received "example\/orders\/\*"; allowed characters/],
      [[], /invalid `secretNames`: received an empty list; name at least one secret/],
    ])('secretNames %j', (secretNames, message) => {
      const { stack, role } = consumerStack();
      expect(
        () =>
          new CrossAccountSecretReader(stack, 'ReadOrders', {
            vault: VaultReference.fromAttributes(orders),
            role,
            secretNames,
          }),
      ).toThrow(message);
    });

    test("a secret's secretName attribute, a token that would be a reference across accounts", () => {
      const app = new App({ builtinCloudFormationValidation: false });
      const vaultStack = new Stack(app, 'Vault', { env: { account: VAULT_ACCOUNT, region: REGION } });
      const vault = new SecretsVault(vaultStack, 'Vault', { namePrefix: 'example/orders' });
      const db = vault.addSecret('OrdersDb');
      const { stack, role } = consumerStack(app);
      expect(
        () =>
          new CrossAccountSecretReader(stack, 'ReadOrders', {
            vault: VaultReference.fromVault(vault),
            role,
            secretNames: [db.secretName],
          }),
      ).toThrow(
        /invalid `secretNames`: received "\$\{Token\[[^\]]+\]\}"; a literal name such as "example\/orders\/<id>" \(a secret's `secretName` attribute is a token/,
      );
    });

    test('a misspelt AWS version stage', () => {
      const { stack, role } = consumerStack();
      expect(
        () =>
          new CrossAccountSecretReader(stack, 'ReadOrders', {
            vault: VaultReference.fromAttributes(orders),
            role,
            versionStages: ['AWSCURENT'],
          }),
      ).toThrow(/invalid `versionStages`: received "AWSCURENT"/);
    });
  });
});

/** One app, the vault's account and the partner's, each template linted by cfn-lint in one run. */
describe('a two-account app in one synth', () => {
  const templates: Record<string, unknown> = {};

  beforeAll(() => {
    const app = new App();
    const vaultStack = new Stack(app, 'OrdersVault', { env: { account: VAULT_ACCOUNT, region: REGION } });
    const vault = new SecretsVault(vaultStack, 'Vault', { namePrefix: 'example/orders' });
    const db = vault.addSecret('OrdersDb');
    const partner = new Stack(app, 'PartnerReader', {
      env: { account: PARTNER_ACCOUNT, region: 'us-east-1' },
    });
    const role = new iam.Role(partner, 'Reporting', {
      roleName: 'orders-partner-reporting',
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    db.addReader(role);
    new CrossAccountSecretReader(partner, 'ReadOrdersDb', {
      vault: VaultReference.fromVault(vault),
      role,
      secretNames: ['example/orders/OrdersDb'],
      versionStages: ['AWSCURRENT'],
    });
    const assembly = app.synth();
    for (const name of ['OrdersVault', 'PartnerReader'])
      templates[name] = assembly.getStackByName(name).template;
  }, 60000);

  test('synthesizes both stacks, aws-cdk-lib’s own CloudFormation validation on', () => {
    expect(Object.keys(templates).sort()).toEqual(['OrdersVault', 'PartnerReader']);
  });

  test('cfn-lint reports nothing on the reader’s template and no error on the vault’s', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cross-account-cfn-lint-'));
    try {
      const files = Object.entries(templates).map(([name, template]) => {
        const file = join(dir, `${name}.template.json`);
        writeFileSync(file, JSON.stringify(template, null, 1));
        return file;
      });
      const run = spawnSync('cfn-lint', ['--format', 'json', '--', ...files], {
        encoding: 'utf8',
        timeout: 60000,
      });
      if (run.error) throw run.error;
      const findings: { Level: string; Filename: string }[] = JSON.parse(run.stdout || '[]');
      expect(findings.filter((f) => f.Level === 'Error')).toEqual([]);
      expect(findings.filter((f) => f.Filename.includes('PartnerReader'))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 70000);
});
