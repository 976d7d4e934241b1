/**
 * Every public member VaultKey inherits from aws-cdk-lib's kms.Key, called the way a user would. The
 * rule is one: every grant on a vault key goes through Secrets Manager (`kms:ViaService`), or is
 * refused with a message naming the key, the member and what to use instead. The decrypt and encrypt
 * helpers (grantDecrypt, grantEncrypt, grantEncryptDecrypt) give their actions
 * through Secrets Manager, as grantDecryptViaSecretsManager does; every other grant (grant, which
 * other services' grants on their encryption key call, sign/verify/MAC, grantAdmin) must already be
 * limited to Secrets Manager or is refused. An Allow statement added to the key policy without the
 * condition is refused. What reaches the key past every member (aws-cdk-lib's `key.grants`, L1 grants
 * through kms.KeyGrants.fromKey) fails synth.
 */
import { IPropertyInjector, PropertyInjectors, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { VaultKey } from '../../lib';
import {
  ACCOUNT,
  REGION,
  VIA_SM,
  expectKeyUsableOnlyThroughSecretsManager,
  expectRefusal,
  keyUseStatements,
  logicalId,
  newStack,
  readerRole,
  resources,
} from './support';

type Treatment = 'kept' | 'overridden' | 'internal';

const INSTANCE_MEMBERS: Array<[string, Treatment]> = [
  // Key
  ['grantAdmin', 'overridden'],
  // Private, and unreachable for a VaultKey: aws-cdk-lib v2 refuses @aws-cdk/aws-kms:defaultKeyPolicies=false,
  // and a key given a policy document gets no default admin statement.
  ['addDefaultAdminPolicy', 'internal'],
  ['addLegacyAdminPolicy', 'internal'],
  // KeyBase
  ['keyRef', 'kept'],
  ['grants', 'kept'], // aws-cdk-lib's KeyGrants: what it grants outside Secrets Manager fails synth
  ['addAlias', 'kept'], // the alias forwards its grants and policy statements to the key
  ['addToResourcePolicy', 'overridden'],
  ['grant', 'overridden'],
  ['grantDecrypt', 'overridden'],
  ['grantEncrypt', 'overridden'],
  ['grantEncryptDecrypt', 'overridden'],
  ['grantSign', 'overridden'],
  ['grantVerify', 'overridden'],
  ['grantSignVerify', 'overridden'],
  ['grantGenerateMac', 'overridden'],
  ['grantVerifyMac', 'overridden'],
  // Resource
  ['stack', 'kept'],
  ['env', 'kept'],
  ['with', 'kept'],
  ['physicalName', 'internal'],
  ['_enableCrossEnvironment', 'internal'],
  ['applyRemovalPolicy', 'kept'],
  ['applyCrossStackReferenceStrength', 'kept'],
  ['generatePhysicalName', 'internal'],
  ['getResourceNameAttribute', 'internal'],
  ['getResourceArnAttribute', 'internal'],
  // Construct
  ['toString', 'kept'],
];

const STATIC_MEMBERS: Array<[string, Treatment]> = [
  ['fromKeyArn', 'overridden'],
  ['fromCfnKey', 'overridden'],
  ['fromLookup', 'overridden'],
  ['isLookupDummy', 'kept'],
  ['PROPERTY_INJECTION_ID', 'kept'], // injectors for aws-cdk-lib's Key reach VaultKey's super(): tested below
  ['DEFAULT_DUMMY_KEY_ID', 'kept'],
  ['isResource', 'kept'],
  ['isOwnedResource', 'kept'],
  ['isConstruct', 'kept'],
];

function chainMembers(start: object, stop: object): string[] {
  const names = new Set<string>();
  for (let p: object | null = start; p && p !== stop; p = Object.getPrototypeOf(p)) {
    for (const name of Object.getOwnPropertyNames(p)) names.add(name);
  }
  return [...names];
}

describe('the inherited surface, member by member', () => {
  test('every member aws-cdk-lib gives VaultKey is classified by these tests', () => {
    expect(
      chainMembers(kms.Key.prototype, Object.prototype)
        .filter((n) => n !== 'constructor')
        .sort(),
    ).toEqual(INSTANCE_MEMBERS.map(([n]) => n).sort());
    expect(
      chainMembers(kms.Key, Function.prototype)
        .filter((n) => !['length', 'name', 'prototype'].includes(n))
        .sort(),
    ).toEqual(STATIC_MEMBERS.map(([n]) => n).sort());
  });

  test.each(INSTANCE_MEMBERS.filter(([, t]) => t === 'overridden'))('VaultKey defines %s itself', (name) => {
    expect(Object.getOwnPropertyNames(VaultKey.prototype)).toContain(name);
  });

  test.each(STATIC_MEMBERS.filter(([, t]) => t === 'overridden'))(
    'VaultKey defines the static %s itself',
    (name) => {
      expect(Object.getOwnPropertyNames(VaultKey)).toContain(name);
    },
  );
});

function keyIn(stack: Stack) {
  return new VaultKey(stack, 'Key');
}

describe('grants', () => {
  test.each<[string, (key: VaultKey, grantee: iam.IGrantable) => iam.Grant, string[]]>([
    ['grantDecrypt', (k, g) => k.grantDecrypt(g), ['kms:Decrypt']],
    ['grantEncrypt', (k, g) => k.grantEncrypt(g), ['kms:Encrypt', 'kms:GenerateDataKey*']],
    ['grantEncryptDecrypt', (k, g) => k.grantEncryptDecrypt(g), ['kms:Decrypt', 'kms:Encrypt']],
  ])('%s(role) gives its actions through Secrets Manager only', (_member, call, actions) => {
    const { stack } = newStack();
    const key = keyIn(stack);
    const role = readerRole(stack);
    expect(call(key, role).success).toBe(true);
    const granted = keyUseStatements(stack, key).flatMap((s) => [s.Action].flat());
    expect(granted).toEqual(expect.arrayContaining(actions));
    expectKeyUsableOnlyThroughSecretsManager(stack, key);
  });

  test('grantEncryptDecrypt(new AccountRootPrincipal()) gives the account use through Secrets Manager only', () => {
    const { stack } = newStack();
    const key = keyIn(stack);
    key.grantEncryptDecrypt(new iam.AccountRootPrincipal());
    expectKeyUsableOnlyThroughSecretsManager(stack, key);
  });

  test.each<[string, string, (key: VaultKey, grantee: iam.IGrantable) => unknown, RegExp]>([
    ["grant(role, 'kms:Decrypt')", 'grant', (k, g) => k.grant(g, 'kms:Decrypt'), /grantDecrypt|grantRead/],
    ['grantSign(role)', 'grantSign', (k, g) => k.grantSign(g), /kms\.Key/],
    ['grantVerify(role)', 'grantVerify', (k, g) => k.grantVerify(g), /kms\.Key/],
    ['grantSignVerify(role)', 'grantSignVerify', (k, g) => k.grantSignVerify(g), /kms\.Key/],
    ['grantGenerateMac(role)', 'grantGenerateMac', (k, g) => k.grantGenerateMac(g), /kms\.Key/],
    ['grantVerifyMac(role)', 'grantVerifyMac', (k, g) => k.grantVerifyMac(g), /kms\.Key/],
  ])('%s is refused: it is not limited to Secrets Manager', (_label, member, call, instead) => {
    const { app, stack } = newStack();
    const key = keyIn(stack);
    const role = readerRole(stack);
    expectRefusal(app, () => call(key, role), { path: 'Test/Key', member, instead });
  });

  test.each<[string, (key: VaultKey, grantee: iam.IGrantable) => unknown]>([
    ['grants.decrypt(role)', (k, g) => k.grants.decrypt(g)],
    ["grants.actions(role, 'kms:Decrypt')", (k, g) => k.grants.actions(g, 'kms:Decrypt')],
    ['grants.sign(role)', (k, g) => k.grants.sign(g)],
  ])("aws-cdk-lib's %s is refused at synth: it grants outside Secrets Manager", (_label, call) => {
    const { app, stack } = newStack();
    const key = keyIn(stack);
    const role = readerRole(stack);
    expectRefusal(app, () => call(key, role), {
      path: 'Test/Key',
      member: 'Test/Reader',
      instead: /kms:ViaService/,
    });
  });

  test("grant(another account, 'kms:Decrypt') is refused", () => {
    const { app, stack } = newStack();
    const key = keyIn(stack);
    expectRefusal(app, () => key.grant(new iam.AccountPrincipal('210987654321'), 'kms:Decrypt'), {
      path: 'Test/Key',
      member: 'grant',
      instead: /grantDecrypt|grantRead/,
    });
  });

  test('grantAdmin(role) is refused: administrators are named in keyAdmins', () => {
    const { app, stack } = newStack();
    const key = keyIn(stack);
    expectRefusal(app, () => key.grantAdmin(readerRole(stack, 'Admin')), {
      path: 'Test/Key',
      member: 'grantAdmin',
      instead: 'keyAdmins',
    });
  });

  test("grant(ViaServicePrincipal(Secrets Manager, role), 'kms:Decrypt') is kept, with the condition", () => {
    const { stack } = newStack();
    const key = keyIn(stack);
    const role = readerRole(stack);
    key.grant(new kms.ViaServicePrincipal(VIA_SM, role), 'kms:Decrypt');
    expect(keyUseStatements(stack, key).flatMap((s) => [s.Action].flat())).toContain('kms:Decrypt');
    expectKeyUsableOnlyThroughSecretsManager(stack, key);
  });

  test("grant(ViaServicePrincipal(another service, role), 'kms:Decrypt') is refused", () => {
    const { app, stack } = newStack();
    const key = keyIn(stack);
    const role = readerRole(stack);
    expectRefusal(
      app,
      () => key.grant(new kms.ViaServicePrincipal(`s3.${REGION}.amazonaws.com`, role), 'kms:Decrypt'),
      {
        path: 'Test/Key',
        member: 'grant',
        instead: /grantDecrypt|grantRead/,
      },
    );
  });

  test("grantDecryptViaSecretsManager and grantEncryptViaSecretsManager keep the key's rule", () => {
    const { stack } = newStack();
    const key = keyIn(stack);
    key.grantDecryptViaSecretsManager(readerRole(stack));
    key.grantEncryptViaSecretsManager(new iam.ArnPrincipal('arn:aws:iam::210987654321:role/partner'));
    expectKeyUsableOnlyThroughSecretsManager(stack, key);
  });
});

describe('the key policy', () => {
  const allow = (conditions?: Record<string, Record<string, unknown>>) =>
    new iam.PolicyStatement({
      sid: 'Added',
      principals: [new iam.ArnPrincipal(`arn:aws:iam::${ACCOUNT}:role/app`)],
      actions: ['kms:Decrypt'],
      resources: ['*'],
      conditions,
    });

  test('addToResourcePolicy(Allow without kms:ViaService) is refused', () => {
    const { app, stack } = newStack();
    const key = keyIn(stack);
    expectRefusal(app, () => key.addToResourcePolicy(allow()), {
      path: 'Test/Key',
      member: 'addToResourcePolicy',
      instead: 'kms:ViaService',
    });
  });

  test('addToResourcePolicy(Allow through another service) is refused', () => {
    const { app, stack } = newStack();
    const key = keyIn(stack);
    expectRefusal(
      app,
      () =>
        key.addToResourcePolicy(allow({ StringEquals: { 'kms:ViaService': `s3.${REGION}.amazonaws.com` } })),
      { path: 'Test/Key', member: 'addToResourcePolicy', instead: VIA_SM },
    );
  });

  test('addToResourcePolicy(Allow through Secrets Manager) is kept', () => {
    const { stack } = newStack();
    const key = keyIn(stack);
    key.addToResourcePolicy(allow({ StringEquals: { 'kms:ViaService': VIA_SM } }));
    const statements = resources(stack)[logicalId(stack, key)].Properties!.KeyPolicy.Statement as any[];
    expect(statements.find((s) => s.Sid === 'Added')?.Condition).toEqual({
      StringEquals: { 'kms:ViaService': VIA_SM },
    });
  });

  test('addToResourcePolicy(Deny ...) is kept: a deny only narrows', () => {
    const { stack } = newStack();
    const key = keyIn(stack);
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AddedDeny',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['kms:ScheduleKeyDeletion'],
        resources: ['*'],
      }),
    );
    const statements = resources(stack)[logicalId(stack, key)].Properties!.KeyPolicy.Statement as any[];
    expect(statements.map((s) => s.Sid)).toContain('AddedDeny');
  });

  test("a PropertyInjector for aws-cdk-lib's Key that supplies a policy document is refused for a VaultKey", () => {
    const { app, stack } = newStack();
    const injector: IPropertyInjector = {
      constructUniqueId: kms.Key.PROPERTY_INJECTION_ID,
      inject: (props: kms.KeyProps) => ({
        ...props,
        policy: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              principals: [new iam.AccountRootPrincipal()],
              actions: ['kms:*'],
              resources: ['*'],
            }),
          ],
        }),
      }),
    };
    PropertyInjectors.of(app).add(injector);
    expectRefusal(app, () => keyIn(stack), {
      path: 'Test/Key',
      member: /policy/,
      instead: /PropertyInjector/,
    });
  });
});

describe('other members', () => {
  test("addAlias(name).grantDecrypt(role) gives decrypt through Secrets Manager only, like the key's own", () => {
    const { stack } = newStack();
    const key = keyIn(stack);
    key.addAlias('alias/extra').grantDecrypt(readerRole(stack));
    expect(keyUseStatements(stack, key).flatMap((s) => [s.Action].flat())).toContain('kms:Decrypt');
    expectKeyUsableOnlyThroughSecretsManager(stack, key);
  });

  test("addAlias(name).addToResourcePolicy(Allow without kms:ViaService) is refused like the key's own", () => {
    const { app, stack } = newStack();
    const key = keyIn(stack);
    const alias = key.addAlias('alias/extra');
    expectRefusal(
      app,
      () =>
        alias.addToResourcePolicy(
          new iam.PolicyStatement({
            principals: [new iam.AccountRootPrincipal()],
            actions: ['kms:Decrypt'],
            resources: ['*'],
          }),
        ),
      { path: 'Test/Key', member: 'addToResourcePolicy', instead: 'kms:ViaService' },
    );
  });

  test("applyRemovalPolicy sets the key's deletion policy", () => {
    const { stack } = newStack();
    const key = keyIn(stack);
    key.applyRemovalPolicy(RemovalPolicy.DESTROY);
    expect(resources(stack)[logicalId(stack, key)]).toMatchObject({ DeletionPolicy: 'Delete' });
  });

  test.each<[string, (stack: Stack) => kms.IKey]>([
    ['fromKeyArn', (s) => VaultKey.fromKeyArn(s, 'Imported', `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234`)],
    [
      'fromCfnKey',
      (s) =>
        VaultKey.fromCfnKey(new kms.CfnKey(s, 'L1', { keyPolicy: { Version: '2012-10-17', Statement: [] } })),
    ],
    ['fromLookup', (s) => VaultKey.fromLookup(s, 'Imported', { aliasName: 'alias/app' })],
  ])('VaultKey.%s is refused: an imported key has none of the vault rules', (member, call) => {
    const { app, stack } = newStack();
    expectRefusal(app, () => call(stack).grantDecrypt(readerRole(stack)), {
      path: 'Test',
      member,
      instead: /kms\.Key|grantRead/,
    });
  });
});
