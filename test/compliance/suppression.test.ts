import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { HIPAASecurityChecks, ServerlessChecks } from 'cdk-nag';
import { CFN_GUARD_PLUGIN } from '../../lib/private/compliance';
import { CFN_GUARD, controlTowerRule, GuardRuleRunner, lambdaPr2Only } from './guard';
import { describeFinding, runValidation, withRun } from './harness';

/**
 * How each tool's findings are suppressed, and the two facts the harness and the report rest on:
 * CT.LAMBDA.PR.2 cannot read `{"Ref": "AWS::AccountId"}`, and the package's plugin cannot read a
 * CT.KMS.PR.3 failure.
 */

const LAMBDA_PR_2 = 'lambda_function_public_access_prohibited_check';
const ACCOUNT = '123456789012';

/** A function and the permission that lets Secrets Manager invoke it, as RotationFunction writes it. */
function permissionApp(options: { account?: string; metadata?: Record<string, unknown> } = {}) {
  return (app: App) => {
    const env = options.account ? { account: options.account, region: 'eu-west-1' } : undefined;
    const stack = new Stack(app, 'Tiny', { env });
    const fn = new lambda.CfnFunction(stack, 'Fn', {
      role: `arn:aws:iam::${ACCOUNT}:role/rotation`,
      runtime: 'nodejs22.x',
      handler: 'index.handler',
      code: { zipFile: 'exports.handler = async () => {}' },
    });
    const permission = new lambda.CfnPermission(stack, 'Permission', {
      action: 'lambda:InvokeFunction',
      functionName: fn.attrArn,
      principal: 'secretsmanager.amazonaws.com',
      sourceAccount: stack.account,
    });
    if (options.metadata) permission.cfnOptions.metadata = options.metadata;
  };
}

describe('CT.LAMBDA.PR.2 and the source account of a Lambda permission', () => {
  const permissionTemplate = (sourceAccount: unknown) => ({
    Resources: {
      Fn: {
        Type: 'AWS::Lambda::Function',
        Properties: {
          Role: `arn:aws:iam::${ACCOUNT}:role/rotation`,
          Runtime: 'nodejs22.x',
          Handler: 'index.handler',
          Code: { ZipFile: 'x' },
        },
      },
      Permission: {
        Type: 'AWS::Lambda::Permission',
        Properties: {
          Action: 'lambda:InvokeFunction',
          FunctionName: { 'Fn::GetAtt': ['Fn', 'Arn'] },
          Principal: 'secretsmanager.amazonaws.com',
          SourceAccount: sourceAccount,
        },
      },
    },
  });

  function guard(template: unknown) {
    const dir = mkdtempSync(join(tmpdir(), 'ct-lambda-pr-2-'));
    try {
      writeFileSync(join(dir, 'template.json'), JSON.stringify(template));
      const run = spawnSync(
        CFN_GUARD,
        [
          'validate',
          '--rules',
          controlTowerRule('ct-lambda-pr-2'),
          '--data',
          join(dir, 'template.json'),
          '--show-summary',
          'all',
        ],
        { encoding: 'utf8' },
      );
      return { status: run.status, output: run.stdout };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  test('cfn-guard fails {"Ref": "AWS::AccountId"}: the rule wants a string, and AWS::AccountId is no resource', () => {
    const { status, output } = guard(permissionTemplate({ Ref: 'AWS::AccountId' }));
    expect(status).toBe(19);
    expect(output).toContain(`${LAMBDA_PR_2}    FAIL`);
    expect(output).toContain('/Resources/Permission/Properties/SourceAccount');
    expect(output).toContain('was not string');
  });

  test('cfn-guard passes the same permission with a literal account', () => {
    const { status, output } = guard(permissionTemplate(ACCOUNT));
    expect(status).toBe(0);
    expect(output).toContain(`${LAMBDA_PR_2}    PASS`);
  });

  test('so it fires on an environment-agnostic stack and not on a stack with an explicit account', () => {
    withRun(runValidation(permissionApp(), lambdaPr2Only), (run) => {
      expect(run.findings.map(describeFinding)).toEqual([
        `ControlTower CT.LAMBDA.PR.2 ${LAMBDA_PR_2} at Tiny/Permission`,
      ]);
    });
    withRun(runValidation(permissionApp({ account: ACCOUNT }), lambdaPr2Only), (run) => {
      expect(run.findings).toEqual([]);
    });
  });
});

describe('suppressing a Control Tower finding', () => {
  test('Metadata.guard.SuppressedRules does not: the Control Tower rules never read it', () => {
    const metadata = { guard: { SuppressedRules: [LAMBDA_PR_2, 'CT.LAMBDA.PR.2', 'ct-lambda-pr-2'] } };
    withRun(runValidation(permissionApp({ metadata }), lambdaPr2Only), (run) => {
      expect(run.findings.map((f) => f.path)).toEqual(['Tiny/Permission']);
    });
  });

  test('an acknowledgement `cdk-validator-cfnguard::<guard rule>` on the resource or an ancestor does, and the report keeps its reason', () => {
    const reason = 'SourceAccount is the deploying account; the rule reads only literal strings.';
    const build = (app: App) => {
      permissionApp()(app);
      Validations.of(app.node.findChild('Tiny')).acknowledge({
        id: `${CFN_GUARD_PLUGIN}::${LAMBDA_PR_2}`,
        reason,
      });
    };
    withRun(runValidation(build, lambdaPr2Only), (run) => {
      expect(run.findings).toEqual([]);
      expect(run.suppressed).toEqual([
        {
          pack: 'ControlTower',
          rule: `CT.LAMBDA.PR.2 ${LAMBDA_PR_2}`,
          path: 'Tiny/Permission',
          severity: 'error',
          acknowledgedAt: 'Tiny',
          reason,
        },
      ]);
    });
  });

  test('an acknowledgement by the control id (`CT.LAMBDA.PR.2`) does not', () => {
    const build = (app: App) => {
      permissionApp()(app);
      Validations.of(app.node.findChild('Tiny')).acknowledge({
        id: `${CFN_GUARD_PLUGIN}::CT.LAMBDA.PR.2`,
        reason: 'The control id is not the name the plugin reports the finding under.',
      });
    };
    withRun(runValidation(build, lambdaPr2Only), (run) => {
      expect(run.findings.map((f) => f.path)).toEqual(['Tiny/Permission']);
    });
  });
});

describe('suppressing a cdk-nag finding', () => {
  test('an acknowledgement is per pack: HIPAA.Security-LambdaDLQ leaves Serverless-LambdaDLQ standing', () => {
    const build = (app: App) => {
      const stack = new Stack(app, 'Tiny');
      const fn = new lambda.Function(stack, 'Fn', {
        runtime: lambda.Runtime.NODEJS_24_X,
        handler: 'index.handler',
        code: lambda.Code.fromInline('exports.handler = async () => {}'),
      });
      Validations.of(fn).acknowledge({
        id: 'HIPAA.Security-LambdaDLQ',
        reason: 'Invoked synchronously only; the caller sees every failure.',
      });
    };
    withRun(
      runValidation(build, (app) => [new HIPAASecurityChecks(app), new ServerlessChecks(app)]),
      (run) => {
        const rules = run.findings.filter((f) => f.path === 'Tiny/Fn/Resource').map((f) => f.rule);
        expect(rules).toContain('Serverless-LambdaDLQ');
        expect(rules).not.toContain('HIPAA.Security-LambdaDLQ');
        expect(rules).toContain('HIPAA.Security-LambdaInsideVPC');
      },
    );
  });
});

describe('CT.KMS.PR.3 and the package plugin (why the harness runs that rule itself)', () => {
  const kmsRule = controlTowerRule('ct-kms-pr-3');
  const outdirs: string[] = [];
  afterAll(() => outdirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  /**
   * A key whose policy has no grant guard, VaultKey's former guard (deny unless the grant is for an
   * AWS resource), or the control's (deny unless for an AWS resource or by an AWS service).
   */
  function keyTemplate(guard: 'none' | 'resourceOnly' | 'control'): string {
    const outdir = mkdtempSync(join(tmpdir(), 'ct-kms-pr-3-'));
    outdirs.push(outdir);
    const app = new App({ outdir, builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'Keys');
    const key = new kms.Key(stack, 'Key', { policy: new iam.PolicyDocument() });
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.AccountRootPrincipal()],
        actions: ['kms:DescribeKey'],
        resources: ['*'],
      }),
    );
    if (guard !== 'none') {
      key.addToResourcePolicy(
        new iam.PolicyStatement({
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: ['kms:CreateGrant'],
          resources: ['*'],
          conditions: {
            BoolIfExists: {
              'kms:GrantIsForAWSResource': 'false',
              ...(guard === 'control' ? { 'aws:PrincipalIsAWSService': 'false' } : {}),
            },
          },
        }),
      );
    }
    const assembly = app.synth();
    return assembly.getStackByName('Keys').templateFullPath;
  }

  test('@cdklabs/cdk-validator-cfnguard 0.0.62 throws on a near miss (VaultKey’s former guard) instead of reporting it', () => {
    const plugin = new CfnGuardValidator({ controlTowerRulesEnabled: false, rules: [kmsRule] });
    const validate = (path: string) => plugin.validate({ templatePaths: [path] } as any);
    expect(() => validate(keyTemplate('resourceOnly'))).toThrow(
      /failed processing cfn-guard results[\s\S]*reading 'to'/,
    );
    expect(validate(keyTemplate('none')).violations.map((v) => v.ruleName)).toEqual([
      'kms_create_grant_aws_service_check',
    ]);
  });

  test('GuardRuleRunner reports both failing keys and passes a key with the control’s grant guard', () => {
    const runner = new GuardRuleRunner(['ct-kms-pr-3']);
    for (const guard of ['none', 'resourceOnly'] as const) {
      const failing = runner.validate({ templatePaths: [keyTemplate(guard)] });
      expect(
        failing.violations.map((v) => [v.ruleName, v.violatingResources.map((r) => r.resourceLogicalId)]),
      ).toEqual([['kms_create_grant_aws_service_check', [expect.stringMatching(/^Key/)]]]);
      expect(failing.violations[0].description).toMatch(/^\[CT\.KMS\.PR\.3\]/);
    }
    expect(runner.validate({ templatePaths: [keyTemplate('control')] })).toEqual({
      success: true,
      violations: [],
    });
  });
});
