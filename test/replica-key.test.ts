import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { SecretsVault } from '../lib/secrets-vault';
import { VaultReplicaKey, VaultReplicaRegion } from '../lib/vault-replica-key';

const ACCOUNT = '111111111111';
const PRIMARY = 'eu-west-1';
const REPLICA = 'us-east-1';
const KEY_ADMIN = `arn:aws:iam::${ACCOUNT}:role/key-admin`;
const BREAK_GLASS = `arn:aws:iam::${ACCOUNT}:role/break-glass`;
const PARTNER = 'arn:aws:iam::222222222222:role/partner';
const PARTITION = { Ref: 'AWS::Partition' };

function app(): App {
  return new App({ builtinCloudFormationValidation: false });
}

function primaryVault(a: App, props: { breakGlass?: boolean } = {}) {
  const primary = new Stack(a, 'Primary', { env: { account: ACCOUNT, region: PRIMARY } });
  const vault = new SecretsVault(primary, 'Vault', {
    namePrefix: 'example/orders',
    keyAdmins: [iam.Role.fromRoleArn(primary, 'KeyAdmin', KEY_ADMIN)],
    breakGlass:
      props.breakGlass === false ? undefined : iam.Role.fromRoleArn(primary, 'BreakGlass', BREAK_GLASS),
  });
  return { primary, vault };
}

function replicaStack(a: App, region = REPLICA, account = ACCOUNT) {
  return new Stack(a, `Replica-${region}`, { env: { account, region } });
}

function keyPolicy(stack: Stack): Record<string, any> {
  const keys = Object.values(Template.fromStack(stack).findResources('AWS::KMS::Key')) as any[];
  expect(keys).toHaveLength(1);
  return Object.fromEntries(keys[0].Properties.KeyPolicy.Statement.map((s: any) => [s.Sid ?? 'unnamed', s]));
}

function join(...parts: unknown[]) {
  return { 'Fn::Join': ['', parts] };
}

describe('VaultReplicaKey', () => {
  test('is usable through Secrets Manager of its own region only', () => {
    const a = app();
    const { vault } = primaryVault(a);
    const stack = replicaStack(a);
    new VaultReplicaKey(stack, 'OrdersKey', { vault });
    const policy = keyPolicy(stack);
    expect(policy.UseThroughSecretsManagerOnly.Condition).toEqual({
      StringEquals: {
        'kms:ViaService': `secretsmanager.${REPLICA}.amazonaws.com`,
        'kms:CallerAccount': ACCOUNT,
      },
    });
    expect(policy.DenyUseOutsideSecretsManager).toMatchObject({
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'],
      Condition: { StringNotEquals: { 'kms:ViaService': `secretsmanager.${REPLICA}.amazonaws.com` } },
    });
    expect(policy.DenyGrantsNotForAwsResources.Effect).toBe('Deny');
  });

  test("is administered by its own region's deployment and the vault key's named admins and break-glass, not the primary's deployment", () => {
    const a = app();
    const { vault } = primaryVault(a);
    const stack = replicaStack(a);
    new VaultReplicaKey(stack, 'OrdersKey', { vault });
    expect(keyPolicy(stack).KeyAdministration.Condition).toEqual({
      ArnLike: {
        'aws:PrincipalArn': [
          {
            'Fn::Sub': `arn:\${AWS::Partition}:iam::${ACCOUNT}:role/cdk-hnb659fds-cfn-exec-role-${ACCOUNT}-${REPLICA}`,
          },
          KEY_ADMIN,
          BREAK_GLASS,
        ],
      },
    });
  });

  test('takes its own administrators and break-glass principal when given', () => {
    const a = app();
    const { vault } = primaryVault(a);
    const stack = replicaStack(a);
    new VaultReplicaKey(stack, 'OrdersKey', {
      vault,
      keyAdmins: [new iam.ArnPrincipal(`arn:aws:iam::${ACCOUNT}:role/us-admin`)],
      breakGlass: new iam.ArnPrincipal(`arn:aws:iam::${ACCOUNT}:role/us-break-glass`),
    });
    expect(keyPolicy(stack).KeyAdministration.Condition.ArnLike['aws:PrincipalArn'].slice(1)).toEqual([
      `arn:aws:iam::${ACCOUNT}:role/us-admin`,
      `arn:aws:iam::${ACCOUNT}:role/us-break-glass`,
    ]);
  });

  test("carries the vault key's alias, so the vault's secrets name it by an alias ARN known at synth", () => {
    const a = app();
    const { vault } = primaryVault(a);
    const stack = replicaStack(a);
    const key = new VaultReplicaKey(stack, 'OrdersKey', { vault });
    Template.fromStack(stack).hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/example/orders' });
    expect(key.aliasName).toBe('alias/example/orders');
    expect(key.region).toBe(REPLICA);
    expect(Stack.of(vault).resolve(key.replicaRegion.toReplicaRegionProperty(vault))).toEqual({
      region: REPLICA,
      kmsKeyId: join('arn:', PARTITION, `:kms:${REPLICA}:${ACCOUNT}:alias/example/orders`),
    });
  });

  test('takes an alias of its own for a vault whose key has none', () => {
    const a = app();
    const primary = new Stack(a, 'Primary', { env: { account: ACCOUNT, region: PRIMARY } });
    const encryptionKey = kms.Key.fromKeyArn(primary, 'Key', `arn:aws:kms:${PRIMARY}:${ACCOUNT}:key/abc`);
    const vault = new SecretsVault(primary, 'Vault', { namePrefix: 'example/orders', encryptionKey });
    const stack = replicaStack(a);
    new VaultReplicaKey(stack, 'OrdersKey', { vault, alias: 'alias/orders-replica' });
    Template.fromStack(stack).hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/orders-replica' });
  });

  test('is kept when it leaves the stack: a promoted replica stays encrypted with it', () => {
    const a = app();
    const { vault } = primaryVault(a);
    const stack = replicaStack(a);
    new VaultReplicaKey(stack, 'OrdersKey', { vault });
    Template.fromStack(stack).hasResource('AWS::KMS::Key', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        PendingWindowInDays: 30,
        EnableKeyRotation: true,
        RotationPeriodInDays: 90,
      }),
    });
  });

  test('may be destroyed with its stack when asked', () => {
    const a = app();
    const { vault } = primaryVault(a);
    const stack = replicaStack(a);
    new VaultReplicaKey(stack, 'OrdersKey', { vault, removalPolicy: RemovalPolicy.DESTROY });
    Template.fromStack(stack).hasResource('AWS::KMS::Key', { DeletionPolicy: 'Delete' });
  });

  test("makes the vault's stack deploy after it, and depends on nothing itself", () => {
    const a = app();
    const { primary, vault } = primaryVault(a);
    const east = replicaStack(a, 'us-east-1');
    const west = replicaStack(a, 'us-west-2');
    new VaultReplicaKey(east, 'OrdersKey', { vault });
    new VaultReplicaKey(west, 'OrdersKey', { vault });
    expect(primary.dependencies.map((s) => s.stackName).sort()).toEqual([
      'Replica-us-east-1',
      'Replica-us-west-2',
    ]);
    expect(east.dependencies).toEqual([]);
    expect(west.dependencies).toEqual([]);
  });

  test('after a promotion, keeps the key and its alias while the vault stops waiting for this stack', () => {
    const before = app();
    const kept = primaryVault(before);
    const replicating = new VaultReplicaKey(replicaStack(before), 'OrdersKey', { vault: kept.vault });
    const after = app();
    const promoted = primaryVault(after);
    const stack = replicaStack(after);
    const key = new VaultReplicaKey(stack, 'OrdersKey', { vault: promoted.vault, replicate: false });
    expect([replicating.replicates, key.replicates]).toEqual([true, false]);
    expect(promoted.primary.dependencies).toEqual([]);
    expect(after.synth().getStackByName(stack.stackName).template).toEqual(
      before.synth().getStackByName(stack.stackName).template,
    );
  });

  test("writes nothing that refers to the primary region's stack, only the deterministic ARN of its event bus", () => {
    const a = app();
    const { vault } = primaryVault(a);
    const stack = replicaStack(a);
    new VaultReplicaKey(stack, 'OrdersKey', { vault });
    const json = JSON.stringify(a.synth().getStackByName(stack.stackName).template);
    expect(json).not.toMatch(/Fn::ImportValue|SsmParameterValue|ExportsReader/);
    // The vault's region appears only in the ARN of its default event bus, written out at synth.
    const mentions = json.match(/[^"]*eu-west-1[^"]*/g) ?? [];
    expect([...new Set(mentions)].sort()).toEqual([
      ':events:eu-west-1:111111111111:event-bus/default',
      'Forwards management calls on the us-east-1 key of vault example/orders to eu-west-1',
    ]);
  });

  test('names a reader of another account in its key policy, through Secrets Manager of its region only', () => {
    const a = app();
    const { vault } = primaryVault(a);
    const stack = replicaStack(a);
    new VaultReplicaKey(stack, 'OrdersKey', { vault, readers: [new iam.ArnPrincipal(PARTNER)] });
    expect(keyPolicy(stack).unnamed).toEqual({
      Effect: 'Allow',
      Principal: { AWS: PARTNER },
      Action: 'kms:Decrypt',
      Resource: '*',
      Condition: { StringEquals: { 'kms:ViaService': `secretsmanager.${REPLICA}.amazonaws.com` } },
    });
  });

  test('deploys after the stack of a reader of another account that its key policy names', () => {
    const a = app();
    const { vault } = primaryVault(a);
    const partner = new Stack(a, 'Partner', { env: { account: '222222222222', region: REPLICA } });
    const role = new iam.Role(partner, 'Reader', {
      roleName: 'orders-reader',
      assumedBy: new iam.AccountRootPrincipal(),
    });
    const stack = replicaStack(a);
    new VaultReplicaKey(stack, 'OrdersKey', { vault, readers: [role] });
    expect(stack.dependencies).toEqual([partner]);
    expect(keyPolicy(stack).unnamed.Principal).toEqual({
      AWS: { 'Fn::Join': ['', ['arn:', PARTITION, ':iam::222222222222:role/orders-reader']] },
    });
  });

  /** Warnings of every stack of the app, by message (the vault's stack or the key's, whichever says it). */
  function warnings(a: App): string[] {
    return a
      .synth()
      .stacks.flatMap((s) => s.messages)
      .filter((m) => m.level === 'warning')
      .map((m) => String(m.entry.data));
  }

  test('warns that nobody could promote a replica while the primary region is down when the vault has no break-glass principal', () => {
    const a = app();
    const { vault } = primaryVault(a, { breakGlass: false });
    new VaultReplicaKey(replicaStack(a), 'OrdersKey', { vault });
    expect(warnings(a).filter((w) => w.includes('nobody can promote'))).toHaveLength(1);
  });

  test('does not warn when the vault has a break-glass principal', () => {
    const a = app();
    const { vault } = primaryVault(a);
    new VaultReplicaKey(replicaStack(a), 'OrdersKey', { vault });
    expect(warnings(a).filter((w) => w.includes('nobody can promote'))).toEqual([]);
  });

  describe('refuses', () => {
    test("a stack of the vault's own region", () => {
      const a = app();
      const { vault } = primaryVault(a);
      const stack = replicaStack(a, PRIMARY);
      expect(() => new VaultReplicaKey(stack, 'OrdersKey', { vault })).toThrow(
        `VaultReplicaKey Replica-${PRIMARY}/OrdersKey: invalid \`vault\`: received "a vault of this stack's own region ${PRIMARY}"; ` +
          "a stack of another region: the vault's own key already serves its region.",
      );
    });

    test('a stack of another account', () => {
      const a = app();
      const { vault } = primaryVault(a);
      const stack = replicaStack(a, REPLICA, '333333333333');
      expect(() => new VaultReplicaKey(stack, 'OrdersKey', { vault })).toThrow(
        /invalid `vault`: received "a vault of account 111111111111, this stack being of account 333333333333"; a replica key in the vault's own account/,
      );
    });

    test('a stack without an explicit region', () => {
      const a = app();
      const { vault } = primaryVault(a);
      const stack = new Stack(a, 'Agnostic');
      expect(() => new VaultReplicaKey(stack, 'OrdersKey', { vault })).toThrow(
        /invalid `vault`: received "this stack \(Agnostic\) without an explicit account and region"; give both stacks `env: \{ account, region \}`/,
      );
    });

    test("a vault whose key has no alias, unless this key's alias is given", () => {
      const a = app();
      const primary = new Stack(a, 'Primary', { env: { account: ACCOUNT, region: PRIMARY } });
      const encryptionKey = kms.Key.fromKeyArn(primary, 'Key', `arn:aws:kms:${PRIMARY}:${ACCOUNT}:key/abc`);
      const vault = new SecretsVault(primary, 'Vault', { namePrefix: 'example/orders', encryptionKey });
      expect(() => new VaultReplicaKey(replicaStack(a), 'OrdersKey', { vault })).toThrow(
        /invalid `alias`: received undefined; the vault's key has no literal alias to reuse: name this key's alias/,
      );
    });

    test('a reader of the vault’s own account: the vault grants those by alias', () => {
      const a = app();
      const { vault } = primaryVault(a);
      const stack = replicaStack(a);
      expect(
        () =>
          new VaultReplicaKey(stack, 'OrdersKey', {
            vault,
            readers: [new iam.ArnPrincipal(`arn:aws:iam::${ACCOUNT}:role/app`)],
          }),
      ).toThrow(/invalid `readers`: received ".*role\/app\)"; a principal of another account/);
    });

    test('a second key for the same vault and region', () => {
      const a = app();
      const { vault } = primaryVault(a);
      const stack = replicaStack(a);
      new VaultReplicaKey(stack, 'OrdersKey', { vault });
      const other = new Stack(a, 'AlsoUsEast1', { env: { account: ACCOUNT, region: REPLICA } });
      expect(() => new VaultReplicaKey(other, 'OrdersKey', { vault })).toThrow(
        'VaultReplicaKey AlsoUsEast1/OrdersKey: invalid `vault`: received vault Primary/Vault, which has a key in us-east-1 already (Replica-us-east-1/OrdersKey); both would claim the alias alias/example/orders there: keep one key per vault and region.',
      );
    });

    test('naming itself a VaultReplicaKey in the checks and refusals it inherits from VaultKey', () => {
      const a = app();
      const { vault } = primaryVault(a);
      const stack = replicaStack(a);
      expect(() => new VaultReplicaKey(stack, 'Short', { vault, rotationPeriod: Duration.days(30) })).toThrow(
        `VaultReplicaKey Replica-${REPLICA}/Short: invalid \`rotationPeriod\`: received 30 days; allowed: a whole number of days from 90 to 2560.`,
      );
      const key = new VaultReplicaKey(stack, 'OrdersKey', { vault });
      const role = iam.Role.fromRoleArn(stack, 'Admin', KEY_ADMIN);
      expect(() => key.grantAdmin(role)).toThrow(
        new RegExp(`^VaultReplicaKey Replica-${REPLICA}/OrdersKey: grantAdmin\\(.*\\) is refused: `),
      );
    });
  });
});

describe('VaultReplicaRegion', () => {
  function scope() {
    return new Stack(app(), 'Primary', { env: { account: ACCOUNT, region: PRIMARY } });
  }

  test("a vault key's replica region names the key by its alias ARN in that region", () => {
    const stack = scope();
    const replica = VaultReplicaRegion.vaultKey('us-west-2', 'alias/example/orders');
    expect(stack.resolve(replica.kmsKeyId(stack))).toEqual(
      join('arn:', PARTITION, `:kms:us-west-2:${ACCOUNT}:alias/example/orders`),
    );
    expect(replica.viaService).toBe('secretsmanager.us-west-2.amazonaws.com');
    expect(replica.isVaultKey).toBe(true);
  });

  test('a key of your own is named by the ARN given, in the region of that ARN', () => {
    const stack = scope();
    const keyArn = `arn:aws:kms:ap-southeast-2:${ACCOUNT}:key/mrk-1234abcd12ab34cd56ef1234567890ab`;
    const replica = VaultReplicaRegion.fromKeyArn(keyArn);
    expect([replica.region, replica.kmsKeyId(stack), replica.aliasName, replica.isVaultKey]).toEqual([
      'ap-southeast-2',
      keyArn,
      undefined,
      false,
    ]);
  });

  test('an alias ARN of your own is named by alias', () => {
    const replica = VaultReplicaRegion.fromKeyArn(`arn:aws:kms:us-west-2:${ACCOUNT}:alias/team/secrets`);
    expect([replica.region, replica.aliasName, replica.keyArn]).toEqual([
      'us-west-2',
      'alias/team/secrets',
      undefined,
    ]);
  });

  test("imports the replica key by its ARN, once per scope, for aws-cdk-lib's addReplicaRegion(region, key)", () => {
    const stack = scope();
    const replica = VaultReplicaRegion.vaultKey(REPLICA, 'alias/example/orders');
    const key = replica.importKey(stack);
    expect(replica.importKey(stack)).toBe(key);
    expect(key.env).toEqual({ account: ACCOUNT, region: REPLICA });
    expect(stack.resolve(key.keyArn)).toEqual(stack.resolve(replica.kmsKeyId(stack)));
    expect(Template.fromStack(stack).toJSON().Resources ?? {}).toEqual({});
  });

  test('covers the replicas of a vault in its region by name prefix', () => {
    const stack = scope();
    expect(
      stack.resolve(
        VaultReplicaRegion.vaultKey(REPLICA, 'alias/x').secretArnPattern(stack, 'example/orders'),
      ),
    ).toEqual(join('arn:', PARTITION, `:secretsmanager:${REPLICA}:${ACCOUNT}:secret:example/orders/*`));
  });

  test('grants decryption of the replicas by alias, through Secrets Manager of the replica region only', () => {
    const stack = scope();
    const role = new iam.Role(stack, 'Reader', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    VaultReplicaRegion.vaultKey(REPLICA, 'alias/example/orders').grantDecryptViaSecretsManager(stack, role);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: 'kms:Decrypt',
            Resource: join('arn:', PARTITION, `:kms:${REPLICA}:${ACCOUNT}:key/*`),
            Condition: {
              StringEquals: { 'kms:ViaService': `secretsmanager.${REPLICA}.amazonaws.com` },
              'ForAnyValue:StringEquals': { 'kms:ResourceAliases': ['alias/example/orders'] },
            },
          },
        ],
      },
    });
  });

  test('grants encryption of the replicas by key ARN exactly when the key is named by ARN', () => {
    const stack = scope();
    const keyArn = `arn:aws:kms:${REPLICA}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
    const role = new iam.Role(stack, 'Rotator', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    VaultReplicaRegion.fromKeyArn(keyArn).grantEncryptViaSecretsManager(stack, role);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: ['kms:GenerateDataKey', 'kms:Encrypt'],
            Resource: keyArn,
            Condition: { StringEquals: { 'kms:ViaService': `secretsmanager.${REPLICA}.amazonaws.com` } },
          },
        ],
      },
    });
  });

  describe('refuses', () => {
    test.each([
      [
        'the AWS-managed key',
        `arn:aws:kms:${REPLICA}:${ACCOUNT}:alias/aws/secretsmanager`,
        /invalid `keyArn`: received "arn:aws:kms:us-east-1:111111111111:alias\/aws\/secretsmanager"; an AWS-managed key \(`alias\/aws\/...`\) is usable by every principal of the account/,
      ],
      [
        'an ARN of another service',
        `arn:aws:s3:::bucket`,
        /invalid `keyArn`: received "arn:aws:s3:::bucket"; allowed: a literal key ARN/,
      ],
      [
        'an alias name without region',
        'alias/example/orders',
        /invalid `keyArn`: received "alias\/example\/orders"; allowed: a literal key ARN/,
      ],
    ])('%s as a key of your own', (_name, keyArn, message) => {
      expect(() => VaultReplicaRegion.fromKeyArn(keyArn)).toThrow(message);
    });

    test('a key ARN that is a token: the primary region cannot refer to a key of another region by token', () => {
      const stack = scope();
      const key = new kms.Key(stack, 'Key');
      expect(() => VaultReplicaRegion.fromKeyArn(key.keyArn)).toThrow(
        /VaultReplicaRegion.fromKeyArn: invalid `keyArn`: received "\$\{Token\[[^\]]+\]\}"; allowed: a literal key ARN/,
      );
    });

    test.each([
      [
        'Virginia',
        'alias/x',
        /VaultReplicaRegion.vaultKey: invalid `region`: received "Virginia"; allowed: a literal region name/,
      ],
      [
        REPLICA,
        'alias/aws/secretsmanager',
        /invalid `aliasName`: received "alias\/aws\/secretsmanager"; allowed: a literal `alias\/` and a name of your own/,
      ],
      [REPLICA, 'orders', /invalid `aliasName`: received "orders"/],
    ])('vaultKey(%j, %j)', (region, aliasName, message) => {
      expect(() => VaultReplicaRegion.vaultKey(region, aliasName)).toThrow(message);
    });
  });
});
