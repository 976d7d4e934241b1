import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { acknowledgeCompliance, COMPLIANCE_RULES, ComplianceRule } from '../../lib/private/compliance';
import { CONTROL_TOWER_RULES, controlIdOf } from './guard';
import { ComplianceRun, describeFinding, runCompliancePacks } from './harness';

/** The five packs an auditor runs, by the file cdk-nag 3 defines each in. */
const PACK_FILES = ['aws-solutions', 'nist-800-53-r5', 'hipaa-security', 'pci-dss-321', 'serverless'];

/** For each pack, its rule ids (`<pack>-<suffix>`) and the cdk-nag rule function behind each. */
function nagPackRules(): Map<string, string> {
  const packs = join(dirname(require.resolve('cdk-nag/package.json')), 'lib', 'packs');
  const ruleOf = new Map<string, string>();
  for (const file of PACK_FILES) {
    const source = readFileSync(join(packs, `${file}.js`), 'utf8');
    const packName = /this\.packName = '([^']+)'/.exec(source)?.[1];
    if (!packName) throw new Error(`No packName in cdk-nag's ${file}.js`);
    for (const block of source.split('this.applyRule({').slice(1)) {
      const rule = /\brule: \w+\.(\w+),/.exec(block)?.[1];
      if (!rule) continue;
      const suffix = /ruleSuffixOverride: '(\w+)'/.exec(block)?.[1] ?? rule;
      ruleOf.set(`${packName}-${suffix}`, rule);
    }
  }
  return ruleOf;
}

/** Every guard rule name in the Control Tower rules, with the control it checks. */
function controlTowerRules(): Map<string, string> {
  const controls = new Map<string, string>();
  for (const file of readdirSync(CONTROL_TOWER_RULES, { recursive: true, encoding: 'utf8' })) {
    if (!file.endsWith('.guard')) continue;
    const text = readFileSync(join(CONTROL_TOWER_RULES, file), 'utf8');
    for (const match of text.matchAll(/^rule (\w+) when /gm))
      controls.set(match[1], controlIdOf(text) ?? '?');
  }
  return controls;
}

const entries = Object.entries(COMPLIANCE_RULES) as [string, ComplianceRule][];

describe('COMPLIANCE_RULES', () => {
  const nag = nagPackRules();
  const guard = controlTowerRules();

  test('cdk-nag and the Control Tower rules were read (the checks below are not vacuous)', () => {
    expect(nag.get('NIST.800.53.R5-LambdaDLQ')).toBe('LambdaDLQ');
    expect(nag.get('AwsSolutions-SQS3')).toBe('SQSQueueDLQ');
    expect(guard.get('lambda_inside_vpc_check')).toBe('CT.LAMBDA.PR.3');
  });

  test.each(entries)(
    '%s names cdk-nag ids that exist, and every pack that has the rule',
    (_name, requirement) => {
      const unknown = requirement.nag.filter((id) => !nag.has(id));
      expect(unknown).toEqual([]);
      const functions = new Set(requirement.nag.map((id) => nag.get(id)));
      const missing = [...nag.entries()]
        .filter(([id, fn]) => functions.has(fn) && !requirement.nag.includes(id))
        .map(([id]) => id);
      expect(missing).toEqual([]);
    },
  );

  test.each(entries)('%s names Control Tower guard rules that exist', (_name, requirement) => {
    expect(requirement.controlTower.filter((name) => !guard.has(name))).toEqual([]);
  });

  test('every requirement names at least one rule', () => {
    expect(entries.filter(([, r]) => r.nag.length + r.controlTower.length === 0)).toEqual([]);
  });
});

describe('acknowledgeCompliance', () => {
  const REASON =
    'Invoked synchronously only, and reaches no private resource: nothing to dead-letter or to reach in a VPC.';
  let run: ComplianceRun;

  beforeAll(() => {
    run = runCompliancePacks((app: App) => {
      const stack = new Stack(app, 'Tiny');
      const fn = new lambda.Function(stack, 'Fn', {
        runtime: lambda.Runtime.NODEJS_24_X,
        handler: 'index.handler',
        code: lambda.Code.fromInline('exports.handler = async () => {}'),
      });
      acknowledgeCompliance(fn, COMPLIANCE_RULES.lambdaDeadLetterQueue, REASON);
      acknowledgeCompliance(fn, COMPLIANCE_RULES.lambdaInsideVpc, REASON);
    });
  });
  afterAll(() => run?.dispose());

  test('removes the requirement in every cdk-nag pack and in Control Tower', () => {
    const remaining = run.findings.map(describeFinding);
    expect(remaining.filter((f) => /LambdaDLQ|LambdaInsideVPC|CT\.LAMBDA\.PR\.3/.test(f))).toEqual([]);
    // The unacknowledged requirements of the same function still stand.
    expect(remaining).toContain('HIPAA.Security HIPAA.Security-LambdaConcurrency at Tiny/Fn/Resource');
    expect(remaining).toContain('NIST.800.53.R5 NIST.800.53.R5-LambdaConcurrency at Tiny/Fn/Resource');
  });

  test('with one reason, which the validation report keeps for the Control Tower finding', () => {
    expect(run.acknowledgements.filter((a) => a.path === 'Tiny/Fn').map((a) => a.reason)).toEqual(
      Array(
        COMPLIANCE_RULES.lambdaDeadLetterQueue.nag.length +
          COMPLIANCE_RULES.lambdaInsideVpc.nag.length +
          COMPLIANCE_RULES.lambdaInsideVpc.controlTower.length,
      ).fill(REASON),
    );
    expect(run.suppressed.map((s) => [s.rule, s.path, s.acknowledgedAt, s.reason])).toEqual([
      ['CT.LAMBDA.PR.3 lambda_inside_vpc_check', 'Tiny/Fn/Resource', 'Tiny/Fn', REASON],
    ]);
  });

  test('rejects a reason too short to tell an auditor why', () => {
    const stack = new Stack(new App(), 'Short');
    expect(() => acknowledgeCompliance(stack, COMPLIANCE_RULES.s3Replication, 'by design')).toThrow(
      'acknowledgeCompliance(Short): the reason "by design" is too short to tell an auditor why; say why the finding does not apply here',
    );
  });
});
