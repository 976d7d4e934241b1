/**
 * Every public member VaultSecret inherits from aws-cdk-lib's Secret, called the way a user would:
 * each keeps the vault's invariants (one resource policy per secret with Block Public Policy and our
 * denies, every reader exempt from the read deny, one rotation schedule, no replica under the
 * AWS-managed key) or is refused with a message naming the construct, the member and what to use.
 */
import { IPropertyInjector, PropertyInjectors, RemovalPolicy, SecretValue, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Template } from 'aws-cdk-lib/assertions';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { IConstruct } from 'constructs';
import { SecretContent, SecretRotationSchedule, SecretsVault, VaultKey, VaultSecret } from '../../lib';
import {
  ACCOUNT,
  OTHER_ACCOUNT,
  expectKeyUsableOnlyThroughSecretsManager,
  expectRefusal,
  exemptFromDeny,
  logicalId,
  newStack,
  readerRole,
  resources,
  resourcesForSecret,
  theResourcePolicy,
  vaultSecret,
} from './support';

/** What a target implementation does with each member aws-cdk-lib's Secret gives VaultSecret. */
type Treatment =
  | 'kept' // inherited as is: it adds nothing to a policy, or only through an overridden member
  | 'overridden' // VaultSecret defines it: it keeps the invariants or refuses
  | 'internal'; // protected or private in aws-cdk-lib's typings, not callable from TypeScript

const INSTANCE_MEMBERS: Array<[string, Treatment]> = [
  // SecretBase
  ['secretRef', 'kept'],
  ['cfnDynamicReferenceKey', 'kept'],
  ['secretFullArn', 'kept'],
  ['grantRead', 'overridden'],
  ['grantWrite', 'overridden'],
  ['secretValue', 'kept'],
  ['secretValueFromJson', 'kept'],
  ['addRotationSchedule', 'overridden'],
  ['addToResourcePolicy', 'overridden'],
  ['denyAccountRootDelete', 'kept'], // through addToResourcePolicy
  ['arnForPolicies', 'internal'],
  ['attach', 'overridden'],
  // Secret
  ['resolveSecretObjectValue', 'internal'],
  ['addTargetAttachment', 'overridden'], // gone from the typings, still on the prototype for JavaScript callers
  ['addReplicaRegion', 'overridden'],
  // Resource
  ['stack', 'kept'],
  ['env', 'kept'],
  ['with', 'kept'], // a mixin that changes the secret's resources is caught at synth
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
  ['isSecret', 'kept'],
  ['fromSecretArn', 'overridden'], // deprecated, untyped, still callable from JavaScript
  ['fromSecretCompleteArn', 'overridden'],
  ['fromSecretPartialArn', 'overridden'],
  ['fromSecretName', 'overridden'], // deprecated, untyped, still callable from JavaScript
  ['fromSecretNameV2', 'overridden'],
  ['fromSecretAttributes', 'overridden'],
  ['PROPERTY_INJECTION_ID', 'kept'], // injectors for aws-cdk-lib's Secret reach VaultSecret's super(): tested below
  ['isResource', 'kept'],
  ['isOwnedResource', 'kept'],
  ['isConstruct', 'kept'],
];

/** Names defined along a prototype (or constructor) chain, from aws-cdk-lib's class up to Object. */
function chainMembers(start: object, stop: object): string[] {
  const names = new Set<string>();
  for (let p: object | null = start; p && p !== stop; p = Object.getPrototypeOf(p)) {
    for (const name of Object.getOwnPropertyNames(p)) names.add(name);
  }
  return [...names];
}

const inheritedInstanceMembers = () =>
  chainMembers(secretsmanager.Secret.prototype, Object.prototype).filter((n) => n !== 'constructor');
const inheritedStaticMembers = () =>
  chainMembers(secretsmanager.Secret, Function.prototype).filter(
    (n) => !['length', 'name', 'prototype'].includes(n),
  );

describe('the inherited surface, member by member', () => {
  test('every member aws-cdk-lib gives VaultSecret is classified by these tests', () => {
    // A new aws-cdk-lib member fails here until someone decides whether it keeps the invariants.
    expect(inheritedInstanceMembers().sort()).toEqual(INSTANCE_MEMBERS.map(([n]) => n).sort());
    expect(inheritedStaticMembers().sort()).toEqual(STATIC_MEMBERS.map(([n]) => n).sort());
  });

  test.each(INSTANCE_MEMBERS.filter(([, t]) => t === 'overridden'))(
    'VaultSecret defines %s itself',
    (name) => {
      expect(Object.getOwnPropertyNames(VaultSecret.prototype)).toContain(name);
    },
  );

  test.each(STATIC_MEMBERS.filter(([, t]) => t === 'overridden'))(
    'VaultSecret defines the static %s itself',
    (name) => {
      expect(Object.getOwnPropertyNames(VaultSecret)).toContain(name);
    },
  );
});

/** Every policy-bearing resource of the template, to compare a stack before and after a call. */
function policies(stack: Stack) {
  return Object.fromEntries(
    Object.entries(resources(stack)).filter(([, r]) =>
      [
        'AWS::SecretsManager::ResourcePolicy',
        'AWS::KMS::Key',
        'AWS::IAM::Policy',
        'AWS::IAM::Role',
        'AWS::IAM::ManagedPolicy',
      ].includes(r.Type),
    ),
  );
}

describe('members that only read', () => {
  test.each<[string, (secret: VaultSecret) => unknown]>([
    ['secretValue', (s) => s.secretValue],
    ['secretValueFromJson', (s) => s.secretValueFromJson('password')],
    ['cfnDynamicReferenceKey', (s) => s.cfnDynamicReferenceKey({ jsonField: 'password' })],
    ['secretRef', (s) => s.secretRef],
    ['secretFullArn', (s) => s.secretFullArn],
    ['env', (s) => s.env],
    ['stack', (s) => s.stack],
    ['toString', (s) => s.toString()],
    ['applyCrossStackReferenceStrength', (s) => s.applyCrossStackReferenceStrength],
  ])('%s leaves every policy of the template unchanged', (_name, call) => {
    const before = newStack();
    vaultSecret(before.stack);
    const after = newStack();
    call(vaultSecret(after.stack));
    expect(policies(after.stack)).toEqual(policies(before.stack));
  });

  test('secretValueFromJson is a dynamic reference to this secret, never a value', () => {
    const { stack } = newStack();
    const secret = vaultSecret(stack);
    const reference = JSON.stringify(stack.resolve(secret.secretValueFromJson('password').unsafeUnwrap()));
    expect(reference).toContain('{{resolve:secretsmanager:');
    expect(reference).toContain(logicalId(stack, secret));
    expect(reference).toContain(':SecretString:password::');
  });

  test("applyRemovalPolicy sets the secret's deletion policy as the removalPolicy prop does", () => {
    const { stack } = newStack();
    const secret = vaultSecret(stack);
    secret.applyRemovalPolicy(RemovalPolicy.DESTROY);
    expect(resources(stack)[logicalId(stack, secret)]).toMatchObject({ DeletionPolicy: 'Delete' });
  });

  test('VaultSecret.isSecret is true for a vault secret, as aws-cdk-lib checks it', () => {
    const { stack } = newStack();
    expect(secretsmanager.Secret.isSecret(vaultSecret(stack))).toBe(true);
  });
});

describe('grants and the resource policy', () => {
  test('grantRead(role of this account) registers the role as a reader and decrypts through Secrets Manager only', () => {
    const { stack } = newStack();
    const secret = vaultSecret(stack);
    const role = readerRole(stack);
    secret.grantRead(role);
    expect(exemptFromDeny(stack, secret, 'secretsmanager:GetSecretValue')).toContainEqual(
      stack.resolve(role.roleArn),
    );
    expectKeyUsableOnlyThroughSecretsManager(stack, secret.encryptionKey);
  });

  test("grantRead(another account's role) names it in the one resource policy and the key policy through Secrets Manager only", () => {
    const { stack } = newStack();
    const secret = vaultSecret(stack);
    const partner = `arn:aws:iam::${OTHER_ACCOUNT}:role/partner`;
    secret.grantRead(new iam.ArnPrincipal(partner));
    expect(exemptFromDeny(stack, secret, 'secretsmanager:GetSecretValue')).toContain(partner);
    expectKeyUsableOnlyThroughSecretsManager(stack, secret.encryptionKey);
  });

  test('grantWrite(role) exempts the writer from the write guard and encrypts through Secrets Manager only', () => {
    const { stack } = newStack();
    const secret = vaultSecret(stack);
    const role = readerRole(stack, 'Writer');
    secret.grantWrite(role);
    expect(exemptFromDeny(stack, secret, 'secretsmanager:PutSecretValue')).toContainEqual(
      stack.resolve(role.roleArn),
    );
    expectKeyUsableOnlyThroughSecretsManager(stack, secret.encryptionKey);
  });

  test('addToResourcePolicy(Allow GetSecretValue to a role) exempts that role from the read deny', () => {
    const { stack } = newStack();
    const secret = vaultSecret(stack);
    const role = readerRole(stack);
    secret.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [role],
        actions: ['secretsmanager:GetSecretValue'],
        resources: ['*'],
      }),
    );
    expect(exemptFromDeny(stack, secret, 'secretsmanager:GetSecretValue')).toContainEqual(
      stack.resolve(role.roleArn),
    );
  });

  test("denyAccountRootDelete adds its deny to the secret's one resource policy", () => {
    const { stack } = newStack();
    const secret = vaultSecret(stack);
    secret.denyAccountRootDelete();
    expect(theResourcePolicy(stack, secret)).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Action: 'secretsmanager:DeleteSecret' }),
    );
  });
});

describe('rotation through the inherited members', () => {
  function rotationLambda(stack: Stack) {
    return new lambda.Function(stack, 'Rotator', {
      runtime: lambda.Runtime.NODEJS_20_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => {};'),
    });
  }

  test("addRotationSchedule({ rotationLambda }) on a secret that does not rotate exempts the function's role from the read and write guards", () => {
    const { stack } = newStack();
    const secret = vaultSecret(stack);
    const fn = rotationLambda(stack);
    secret.addRotationSchedule('Rotation', { rotationLambda: fn });
    const role = stack.resolve(fn.role!.roleArn);
    expect(exemptFromDeny(stack, secret, 'secretsmanager:GetSecretValue')).toContainEqual(role);
    expect(exemptFromDeny(stack, secret, 'secretsmanager:PutSecretValue')).toContainEqual(role);
    expect(
      Object.keys(resourcesForSecret(stack, secret, 'AWS::SecretsManager::RotationSchedule')),
    ).toHaveLength(1);
    expectKeyUsableOnlyThroughSecretsManager(stack, secret.encryptionKey);
  });

  test('addRotationSchedule on a secret the vault already rotates is refused: one secret has one schedule', () => {
    const { app, stack } = newStack();
    const vault = new SecretsVault(stack, 'Vault', { namePrefix: 'app' });
    const secret = vault.addSecret('Token');
    expectRefusal(
      app,
      () => secret.addRotationSchedule('Rotation', { rotationLambda: rotationLambda(stack) }),
      {
        path: 'Test/Vault/Token',
        member: 'addRotationSchedule',
        instead: /rotation/,
      },
    );
  });

  test('addRotationSchedule({ hostedRotation }) is refused: the hosted function runs as a role the guards cannot name', () => {
    const { app, stack } = newStack();
    const secret = vaultSecret(stack);
    expectRefusal(
      app,
      () =>
        secret.addRotationSchedule('Rotation', {
          hostedRotation: secretsmanager.HostedRotation.postgreSqlSingleUser(),
        }),
      { path: 'Test/Secret', member: 'addRotationSchedule', instead: /RotationFunction/ },
    );
  });

  test('addRotationSchedule with an imported function (no known role) is refused', () => {
    const { app, stack } = newStack();
    const secret = vaultSecret(stack);
    const imported = lambda.Function.fromFunctionArn(
      stack,
      'Imported',
      `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:rotator`,
    );
    expectRefusal(app, () => secret.addRotationSchedule('Rotation', { rotationLambda: imported }), {
      path: 'Test/Secret',
      member: 'addRotationSchedule',
      instead: /role/,
    });
  });

  test('a secretsmanager.RotationSchedule made directly for a secret the vault already rotates fails synth', () => {
    const { app, stack } = newStack();
    const vault = new SecretsVault(stack, 'Vault', { namePrefix: 'app' });
    const secret = vault.addSecret('Token');
    expectRefusal(
      app,
      () =>
        new secretsmanager.RotationSchedule(stack, 'Direct', {
          secret,
          rotationLambda: rotationLambda(stack),
        }),
      { path: 'Test/Vault/Token', member: /rotation schedule/i, instead: /rotation/ },
    );
  });

  test('a secretsmanager.RotationSchedule made directly for a vault secret that does not rotate fails synth: its invoke permission names no secret', () => {
    const { app, stack } = newStack();
    const vault = new SecretsVault(stack, 'Vault', { namePrefix: 'app' });
    const secret = vault.addSecret('Token', { rotation: SecretRotationSchedule.never() });
    new secretsmanager.RotationSchedule(stack, 'Direct', { secret, rotationLambda: rotationLambda(stack) });
    expect(() => app.synth()).toThrow(
      /Test\/Vault\/Token: rotation schedule Test\/Direct\/Resource was made around the vault's members .*not limited to this secret \(aws:SourceAccount, aws:SourceArn.*not exempt from the secret's read and write guards\. Give the secret its `rotation` and `rotationFunction` props, or use its addRotationSchedule\./,
    );
  });

  test('the schedules the members make pass the same check: addRotationSchedule, and the rotation props', () => {
    const { stack } = newStack();
    const vault = new SecretsVault(stack, 'Vault', { namePrefix: 'app' });
    vault.addSecret('Rotated');
    const secret = vault.addSecret('Token', { rotation: SecretRotationSchedule.never() });
    secret.addRotationSchedule('Rotation', { rotationLambda: rotationLambda(stack) });
    const template = Template.fromStack(stack);
    // Template.fromStack synthesizes: the finished-tree checks ran and let both schedules through.
    template.resourceCountIs('AWS::SecretsManager::RotationSchedule', 2);
  });
});

describe('replication', () => {
  test('addReplicaRegion(region) without a key is refused: the replica would use the AWS-managed key', () => {
    const { app, stack } = newStack();
    const secret = vaultSecret(stack);
    expectRefusal(app, () => secret.addReplicaRegion('us-east-1'), {
      path: 'Test/Secret',
      member: 'addReplicaRegion',
      instead: /key/,
    });
  });

  test('addReplicaRegion(region, key) replicates under that customer-managed key', () => {
    const { stack } = newStack();
    const secret = vaultSecret(stack);
    const replicaKey = kms.Key.fromKeyArn(
      stack,
      'ReplicaKey',
      `arn:aws:kms:us-east-1:${ACCOUNT}:key/11111111-2222-3333-4444-555555555555`,
    );
    secret.addReplicaRegion('us-east-1', replicaKey);
    expect(resources(stack)[logicalId(stack, secret)].Properties!.ReplicaRegions).toEqual([
      { Region: 'us-east-1', KmsKeyId: replicaKey.keyArn },
    ]);
  });

  test("a PropertyInjector for aws-cdk-lib's Secret that adds a replica without a key is refused for a VaultSecret", () => {
    const { app, stack } = newStack();
    const injector: IPropertyInjector = {
      constructUniqueId: secretsmanager.Secret.PROPERTY_INJECTION_ID,
      inject: (props: secretsmanager.SecretProps) => ({
        ...props,
        replicaRegions: [{ region: 'us-east-1' }],
      }),
    };
    PropertyInjectors.of(app).add(injector);
    expectRefusal(app, () => vaultSecret(stack), {
      path: 'Test/Secret',
      member: /replica/i,
      instead: /key/,
    });
  });
});

describe("aws-cdk-lib SecretProps spread into a VaultSecret's props", () => {
  const PLAINTEXT = 'correct-horse-battery-staple';
  test.each<[string, Partial<secretsmanager.SecretProps>]>([
    ['secretStringValue', { secretStringValue: SecretValue.unsafePlainText(PLAINTEXT) }],
    ['secretObjectValue', { secretObjectValue: { password: SecretValue.unsafePlainText(PLAINTEXT) } }],
    ['generateSecretString', { generateSecretString: { passwordLength: 12, excludeCharacters: PLAINTEXT } }],
    ['replicaRegions', { replicaRegions: [{ region: 'us-east-1' }] }],
  ])(
    '{ ...secretProps, encryptionKey } with %s is refused, naming the prop and never the value',
    (prop, secretProps) => {
      const { app, stack } = newStack();
      const encryptionKey = new VaultKey(stack, 'Key');
      const message = expectRefusal(
        app,
        () => new VaultSecret(stack, 'Secret', { ...secretProps, encryptionKey }),
        {
          path: 'Test/Secret',
          member: prop,
          instead: /content|SecretContent|addReplicaRegion/,
        },
      );
      expect(message).not.toContain(PLAINTEXT);
    },
  );
});

/** Members aws-cdk-lib dropped from its typings but still ships: a JavaScript user calls them as is. */
function untyped<T>(value: T): T & Record<string, (...args: unknown[]) => unknown> {
  return value as T & Record<string, (...args: unknown[]) => unknown>;
}

describe('imports', () => {
  const ARN = `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:app/token-AbCdEf`;
  test.each<[string, (stack: Stack) => unknown]>([
    ['fromSecretCompleteArn', (s) => VaultSecret.fromSecretCompleteArn(s, 'Imported', ARN)],
    ['fromSecretPartialArn', (s) => VaultSecret.fromSecretPartialArn(s, 'Imported', ARN.slice(0, -7))],
    ['fromSecretNameV2', (s) => VaultSecret.fromSecretNameV2(s, 'Imported', 'app/token')],
    [
      'fromSecretAttributes',
      (s) => VaultSecret.fromSecretAttributes(s, 'Imported', { secretCompleteArn: ARN }),
    ],
    ['fromSecretArn', (s) => untyped(VaultSecret).fromSecretArn(s, 'Imported', ARN)],
    ['fromSecretName', (s) => untyped(VaultSecret).fromSecretName(s, 'Imported', 'app/token')],
  ])('VaultSecret.%s is refused: an imported secret carries none of the vault guards', (member, call) => {
    const { app, stack } = newStack();
    expectRefusal(app, () => call(stack), {
      path: 'Test',
      member,
      instead: /secretsmanager\.Secret|grantRead/,
    });
  });
});

describe('escape hatches around the members', () => {
  test('a second secretsmanager.ResourcePolicy made directly for a vault secret fails synth', () => {
    const { app, stack } = newStack();
    const secret = vaultSecret(stack);
    expectRefusal(
      app,
      () => {
        const extra = new secretsmanager.ResourcePolicy(stack, 'Extra', { secret });
        extra.document.addStatements(
          new iam.PolicyStatement({
            effect: iam.Effect.DENY,
            principals: [new iam.AnyPrincipal()],
            actions: ['secretsmanager:DeleteSecret'],
            resources: ['*'],
          }),
        );
      },
      { path: 'Test/Secret', member: /resource polic/i, instead: /addToResourcePolicy/ },
    );
  });

  test("with(mixin) that takes the vault key off the secret's resource fails synth", () => {
    const { app, stack } = newStack();
    const secret = vaultSecret(stack);
    const dropKey = {
      supports: (c: IConstruct) => c instanceof secretsmanager.CfnSecret,
      applyTo: (c: IConstruct) => {
        (c as secretsmanager.CfnSecret).kmsKeyId = undefined;
      },
    };
    expectRefusal(app, () => secret.with(dropKey), {
      path: 'Test/Secret',
      member: /KmsKeyId|kmsKeyId|key/,
      instead: /encryptionKey/,
    });
  });

  test('a secret made with SecretContent keeps its value when given as the VaultSecret content', () => {
    // The supported way to do what `secretStringValue` did: the value is written, not replaced.
    const { stack } = newStack();
    const secret = vaultSecret(stack, {
      content: SecretContent.fromSecretValue(SecretValue.ssmSecure('/app/token')),
    });
    expect(resources(stack)[logicalId(stack, secret)].Properties!.SecretString).toBe(
      '{{resolve:ssm-secure:/app/token}}',
    );
    expect(resources(stack)[logicalId(stack, secret)].Properties!.GenerateSecretString).toBeUndefined();
  });
});
