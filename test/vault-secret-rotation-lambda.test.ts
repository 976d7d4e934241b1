/**
 * VaultSecret.addRotationSchedule({ rotationLambda }): the permission that lets Secrets Manager invoke
 * the function carries SourceAccount (the secret's account) and SourceArn (the secret), so that Secrets
 * Manager acting for another account or secret cannot invoke it (a confused deputy, CT.LAMBDA.PR.2).
 * aws-cdk-lib's RotationSchedule alone grants `secretsmanager.amazonaws.com` with neither.
 */
import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { VaultKey, VaultSecret } from '../lib';
import { lambdaPr2Only } from './compliance/guard';
import { expectKeyUsableOnlyThroughSecretsManager } from './interop/support';
import { describeFinding, runValidation, withRun } from './compliance/harness';
import { ACCOUNT, OTHER_ACCOUNT, REGION, newStack, template } from './support/stack';

const SECRETS_MANAGER = 'secretsmanager.amazonaws.com';
const LAMBDA_PR_2 = 'lambda_function_public_access_prohibited_check';

type Resource = { Type: string; Properties: Record<string, any>; DependsOn?: string[] };

function secretIn(stack: Stack, id = 'Secret'): VaultSecret {
  const key = (stack.node.tryFindChild('Key') as VaultKey | undefined) ?? new VaultKey(stack, 'Key');
  return new VaultSecret(stack, id, { encryptionKey: key });
}

function functionIn(scope: Stack, id = 'Rotator'): lambda.Function {
  return new lambda.Function(scope, id, {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => {};'),
  });
}

function importedRole(stack: Stack, account = ACCOUNT): iam.IRole {
  return iam.Role.fromRoleArn(stack, 'RotatorRole', `arn:aws:iam::${account}:role/rotator`);
}

/** Every Lambda permission for Secrets Manager in the stack, by logical id. */
function secretsManagerPermissions(stack: Stack): Record<string, Resource> {
  const all = template(stack).findResources('AWS::Lambda::Permission') as Record<string, Resource>;
  return Object.fromEntries(
    Object.entries(all).filter(([, r]) => r.Properties.Principal === SECRETS_MANAGER),
  );
}

/** The one Secrets Manager permission of the stack, after checking that it is the only one. */
function thePermission(stack: Stack): [string, Resource] {
  const found = Object.entries(secretsManagerPermissions(stack));
  expect(found).toHaveLength(1);
  return found[0];
}

/** The rotation schedule's resource, found by the secret it rotates. */
function scheduleOf(stack: Stack, secret: VaultSecret): Resource {
  const schedules = template(stack).findResources('AWS::SecretsManager::RotationSchedule', {
    Properties: { SecretId: stack.resolve(secret.secretArn) },
  }) as Record<string, Resource>;
  const found = Object.values(schedules);
  expect(found).toHaveLength(1);
  return found[0];
}

/** No permission for Secrets Manager anywhere in the stack without SourceAccount and SourceArn. */
function expectEveryPermissionConditioned(stack: Stack): void {
  const permissions = Object.values(secretsManagerPermissions(stack));
  expect(permissions.length).toBeGreaterThan(0);
  for (const permission of permissions) {
    expect(permission.Properties.SourceAccount).toBeDefined();
    expect(permission.Properties.SourceArn).toBeDefined();
  }
}

describe('the invoke permission of addRotationSchedule({ rotationLambda })', () => {
  test("a function of this app: SourceAccount is the secret's account, SourceArn the secret, and the schedule waits for it", () => {
    const { stack } = newStack();
    const secret = secretIn(stack);
    const fn = functionIn(stack);
    secret.addRotationSchedule('Rotation', { rotationLambda: fn });

    const [id, permission] = thePermission(stack);
    expect(permission.Properties).toEqual({
      Action: 'lambda:InvokeFunction',
      FunctionName: stack.resolve(fn.functionArn),
      Principal: SECRETS_MANAGER,
      SourceAccount: ACCOUNT,
      SourceArn: stack.resolve(secret.secretArn),
    });
    expect(scheduleOf(stack, secret).DependsOn).toContain(id);
  });

  test('in an environment-agnostic stack SourceAccount is the stack account', () => {
    const { stack } = newStack({ env: false });
    const secret = secretIn(stack);
    secret.addRotationSchedule('Rotation', { rotationLambda: functionIn(stack) });

    const [, permission] = thePermission(stack);
    expect(permission.Properties.SourceAccount).toEqual({ Ref: 'AWS::AccountId' });
    expect(permission.Properties.SourceArn).toEqual(stack.resolve(secret.secretArn));
  });

  test('one function rotating two secrets gets one permission per secret, each limited to its secret', () => {
    const { stack } = newStack();
    const first = secretIn(stack, 'First');
    const second = secretIn(stack, 'Second');
    const fn = functionIn(stack);
    first.addRotationSchedule('Rotation', { rotationLambda: fn });
    second.addRotationSchedule('Rotation', { rotationLambda: fn });

    const arns = Object.values(secretsManagerPermissions(stack)).map((p) => p.Properties.SourceArn);
    expect(arns).toEqual(
      expect.arrayContaining([stack.resolve(first.secretArn), stack.resolve(second.secretArn)]),
    );
    expect(arns).toHaveLength(2);
    expectEveryPermissionConditioned(stack);
  });

  test('an alias of a function of this app gets the same conditions, on the alias', () => {
    const { stack } = newStack();
    const secret = secretIn(stack);
    const alias = new lambda.Alias(stack, 'Live', {
      aliasName: 'live',
      version: functionIn(stack).currentVersion,
    });
    secret.addRotationSchedule('Rotation', { rotationLambda: alias });

    const [, permission] = thePermission(stack);
    expect(permission.Properties).toMatchObject({
      FunctionName: stack.resolve(alias.functionArn),
      SourceAccount: ACCOUNT,
      SourceArn: stack.resolve(secret.secretArn),
    });
  });

  test('a SingletonFunction gets the same conditions, on its one function', () => {
    const { stack } = newStack();
    const secret = secretIn(stack);
    const singleton = new lambda.SingletonFunction(stack, 'Singleton', {
      uuid: '6f2b3d4e-0000-4000-8000-000000000001',
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => {};'),
    });
    secret.addRotationSchedule('Rotation', { rotationLambda: singleton });

    const [, permission] = thePermission(stack);
    expect(permission.Properties).toMatchObject({
      FunctionName: stack.resolve(singleton.functionArn),
      SourceAccount: ACCOUNT,
      SourceArn: stack.resolve(secret.secretArn),
    });
  });

  test('the rest of the function is its own: the role still reads and writes the secret, the key still goes through Secrets Manager', () => {
    const { stack } = newStack();
    const secret = secretIn(stack);
    const fn = functionIn(stack);
    secret.addRotationSchedule('Rotation', { rotationLambda: fn });

    template(stack).hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      RotationLambdaARN: stack.resolve(fn.functionArn),
    });
    const policies = Object.values(template(stack).findResources('AWS::IAM::Policy')) as Resource[];
    const actions = policies
      .filter(
        (p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([stack.resolve(fn.role!.roleName)]),
      )
      .flatMap((p) => p.Properties.PolicyDocument.Statement.flatMap((s: any) => [s.Action].flat()));
    expect(actions).toEqual(
      expect.arrayContaining(['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue']),
    );
    expectKeyUsableOnlyThroughSecretsManager(stack, secret.encryptionKey!);
  });
});

describe('an imported function', () => {
  test("of this stack's account: the permission aws-cdk-lib leaves out is added, with SourceAccount and SourceArn", () => {
    const { stack } = newStack();
    const secret = secretIn(stack);
    const imported = lambda.Function.fromFunctionAttributes(stack, 'Imported', {
      functionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:rotator`,
      role: importedRole(stack),
    });
    secret.addRotationSchedule('Rotation', { rotationLambda: imported });

    const [id, permission] = thePermission(stack);
    expect(permission.Properties).toEqual({
      Action: 'lambda:InvokeFunction',
      FunctionName: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:rotator`,
      Principal: SECRETS_MANAGER,
      SourceAccount: ACCOUNT,
      SourceArn: stack.resolve(secret.secretArn),
    });
    expect(scheduleOf(stack, secret).DependsOn).toContain(id);
  });

  test('declared to be of the same environment (sameEnvironment) in an environment-agnostic stack: the same', () => {
    const { stack } = newStack({ env: false });
    const secret = secretIn(stack);
    const imported = lambda.Function.fromFunctionAttributes(stack, 'Imported', {
      functionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:rotator`,
      role: importedRole(stack),
      sameEnvironment: true,
    });
    secret.addRotationSchedule('Rotation', { rotationLambda: imported });

    const [, permission] = thePermission(stack);
    expect(permission.Properties.SourceAccount).toEqual({ Ref: 'AWS::AccountId' });
    expect(permission.Properties.SourceArn).toEqual(stack.resolve(secret.secretArn));
  });

  const refusal = (path: string) =>
    `VaultSecret Test/Secret: addRotationSchedule('Rotation') is refused: function ${path} is imported from another account, or from an account this stack cannot compare with its own (an environment-agnostic stack), so this app cannot give Secrets Manager a permission to invoke it limited to this secret (aws:SourceAccount and aws:SourceArn). If the function is in this stack's account, import it with lambda.Function.fromFunctionAttributes({ functionArn, role, sameEnvironment: true }); otherwise give it, in its own account, a permission for secretsmanager.amazonaws.com with SourceAccount and SourceArn of this secret, and import it with skipPermissions: true.`;

  test('of another account is refused rather than rotated without a permission this app can limit', () => {
    const { stack } = newStack();
    const secret = secretIn(stack);
    const imported = lambda.Function.fromFunctionAttributes(stack, 'Imported', {
      functionArn: `arn:aws:lambda:${REGION}:${OTHER_ACCOUNT}:function:rotator`,
      role: importedRole(stack, OTHER_ACCOUNT),
    });
    expect(() => secret.addRotationSchedule('Rotation', { rotationLambda: imported })).toThrow(
      refusal('Test/Imported'),
    );
    template(stack).resourceCountIs('AWS::SecretsManager::RotationSchedule', 0);
  });

  test('in an environment-agnostic stack, without sameEnvironment, is refused: the stack cannot tell it is its own', () => {
    const { stack } = newStack({ env: false });
    const secret = secretIn(stack);
    const imported = lambda.Function.fromFunctionAttributes(stack, 'Imported', {
      functionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:rotator`,
      role: importedRole(stack),
    });
    expect(() => secret.addRotationSchedule('Rotation', { rotationLambda: imported })).toThrow(
      refusal('Test/Imported'),
    );
  });

  test('with skipPermissions (its owner granted already) is rotated, and this app adds no permission', () => {
    const { stack } = newStack();
    const secret = secretIn(stack);
    const imported = lambda.Function.fromFunctionAttributes(stack, 'Imported', {
      functionArn: `arn:aws:lambda:${REGION}:${OTHER_ACCOUNT}:function:rotator`,
      role: importedRole(stack, OTHER_ACCOUNT),
      skipPermissions: true,
    });
    secret.addRotationSchedule('Rotation', { rotationLambda: imported });

    expect(secretsManagerPermissions(stack)).toEqual({});
    expect(scheduleOf(stack, secret).Properties.RotationLambdaARN).toBe(
      `arn:aws:lambda:${REGION}:${OTHER_ACCOUNT}:function:rotator`,
    );
  });
});

describe('the refusals that come first still hold', () => {
  test('a function without a role this app knows is refused before any permission is made', () => {
    const { stack } = newStack();
    const secret = secretIn(stack);
    const imported = lambda.Function.fromFunctionArn(
      stack,
      'Imported',
      `arn:aws:lambda:${REGION}:${OTHER_ACCOUNT}:function:rotator`,
    );
    expect(() => secret.addRotationSchedule('Rotation', { rotationLambda: imported })).toThrow(
      "VaultSecret Test/Secret: addRotationSchedule('Rotation') is refused: function Test/Imported has no role this app knows",
    );
    expect(secretsManagerPermissions(stack)).toEqual({});
  });

  test('a second schedule is refused, and the first permission stays the only one', () => {
    const { stack } = newStack();
    const secret = secretIn(stack);
    const fn = functionIn(stack);
    secret.addRotationSchedule('Rotation', { rotationLambda: fn });
    expect(() => secret.addRotationSchedule('Again', { rotationLambda: fn })).toThrow(
      "VaultSecret Test/Secret: addRotationSchedule('Again') is refused: the secret already rotates",
    );
    thePermission(stack);
  });
});

describe('CT.LAMBDA.PR.2 (lambda_function_public_access_prohibited_check)', () => {
  function rotatedApp(options: { env: boolean; plain?: boolean }) {
    return (app: App) => {
      const stack = new Stack(
        app,
        'Rotated',
        options.env ? { env: { account: ACCOUNT, region: REGION } } : undefined,
      );
      const fn = functionIn(stack);
      const secret = options.plain ? new secretsmanager.Secret(stack, 'Secret') : secretIn(stack);
      secret.addRotationSchedule('Rotation', { rotationLambda: fn });
    };
  }

  test("fails aws-cdk-lib's own Secret: the check is not vacuous", () => {
    withRun(runValidation(rotatedApp({ env: true, plain: true }), lambdaPr2Only), (run) => {
      expect(run.findings.map(describeFinding)).toEqual([
        expect.stringMatching(
          new RegExp(`^ControlTower CT\\.LAMBDA\\.PR\\.2 ${LAMBDA_PR_2} at Rotated/Rotator/`),
        ),
      ]);
    });
  });

  test('passes a VaultSecret with a literal account, with nothing acknowledged', () => {
    withRun(runValidation(rotatedApp({ env: true }), lambdaPr2Only), (run) => {
      expect(run.pluginFailures).toEqual([]);
      expect(run.findings).toEqual([]);
      expect(run.suppressed).toEqual([]);
    });
  });

  test('passes in an environment-agnostic stack too, with nothing acknowledged: SourceArn is a reference to the secret of the same template', () => {
    withRun(runValidation(rotatedApp({ env: false }), lambdaPr2Only), (run) => {
      expect(run.pluginFailures).toEqual([]);
      expect(run.findings).toEqual([]);
      expect(run.suppressed).toEqual([]);
      expect(run.acknowledgements.filter((a) => a.id.includes(LAMBDA_PR_2))).toEqual([]);
    });
  });
});
