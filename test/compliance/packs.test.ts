import { readFileSync } from 'node:fs';
import { CFN_GUARD_PLUGIN } from '../../lib/private/compliance';
import { exampleApp, fullFeaturedApp } from './fixtures';
import { ComplianceRun, describeFinding, Finding, runCompliancePacks } from './harness';

/**
 * What an auditor runs: cdk-nag's AwsSolutions, NIST 800-53 rev 5, HIPAA Security, PCI DSS 3.2.1 and
 * Serverless packs, and AWS Control Tower's proactive controls (cfn-guard). Each fixture is
 * synthesized once; its findings must be exactly the list below, so a new finding fails here with
 * its pack, rule and construct path, and a fixed one fails until its entry is removed.
 *
 * Both lists are empty: every finding of issue 13's compliance report is fixed or acknowledged. An
 * entry added here names the item (of a report, an issue) whose fix or acknowledgement removes it.
 */
type Expected = readonly [pack: string, rule: string, path: string, reportItem: string];

const HIPAA = 'HIPAA.Security';
const PCI = 'PCI.DSS.321';
const SERVERLESS = 'Serverless';
const AWS_SOLUTIONS = 'AwsSolutions';

// Every finding of issue 13's report is fixed or acknowledged: a new one fails here until it is.
const EXAMPLE: Expected[] = [];

const FULL: Expected[] = [];

/**
 * Acknowledgements that answer no finding today, each with the report item that fixes it. An
 * acknowledgement with no finding behind it hides the next real one, or (R16) a broken premise.
 */
type StaleAcknowledgement = readonly [id: string, at: string, reportItem: string];

const EXAMPLE_STALE: StaleAcknowledgement[] = [];

const FULL_STALE: StaleAcknowledgement[] = [];

const NAG_PACK_PREFIXES = [AWS_SOLUTIONS, 'NIST.800.53.R5', HIPAA, PCI, SERVERLESS].map((p) => `${p}-`);

function expectedFinding([pack, rule, path]: Expected): string {
  return describeFinding({
    pack,
    rule,
    path,
    severity: rule.includes('LambdaTracing') ? 'warning' : 'error',
  });
}

type Resources = Record<string, any>;
const ofType = (resources: Resources, type: string): any[] =>
  Object.values(resources).filter((r: any) => r.Type === type);

/**
 * The example app: what README's quick start deploys. A PostgreSQL instance in a VPC, its storage
 * encrypted with a key of its own, the rotation function in the VPC next to it, the application
 * function outside, every log group that holds rotation logs encrypted, and an audit trail.
 */
function exampleCovers(resources: Resources): void {
  expect(ofType(resources, 'AWS::SecretsManager::Secret')).toHaveLength(3);
  expect(ofType(resources, 'AWS::EC2::VPC')).toHaveLength(1);
  const databases = ofType(resources, 'AWS::RDS::DBInstance');
  expect(databases.map((d) => d.Properties)).toEqual([
    expect.objectContaining({
      Engine: 'postgres',
      StorageEncrypted: true,
      KmsKeyId: { 'Fn::GetAtt': [expect.stringMatching(/^OrdersDbKey/), 'Arn'] },
      MasterUsername: 'orders_admin',
    }),
  ]);
  const functions = ofType(resources, 'AWS::Lambda::Function').map((f) => f.Properties);
  expect(functions.map((f) => [f.Description, f.VpcConfig !== undefined, f.TracingConfig?.Mode])).toEqual(
    expect.arrayContaining([
      [expect.stringMatching(/^Rotates secrets/), true, 'Active'],
      [expect.stringMatching(/^Example application/), false, 'Active'],
    ]),
  );
  const rotationLogs = ofType(resources, 'AWS::Logs::LogGroup').filter((g) =>
    String(g.Properties.LogGroupName).startsWith('/secrets-vault/rotation/'),
  );
  expect(rotationLogs.map((g) => g.Properties.KmsKeyId)).toEqual([
    { 'Fn::GetAtt': [expect.stringMatching(/^VaultKey/), 'Arn'] },
  ]);
  expect(ofType(resources, 'AWS::CloudTrail::Trail')).toHaveLength(1);
}

/** The full-featured app: VPC rotation of database secrets, readers of both routes, an audit trail. */
function fullCovers(resources: Resources): void {
  const functions = ofType(resources, 'AWS::Lambda::Function');
  expect(functions.map((f) => f.Properties.VpcConfig !== undefined)).toEqual([true]);
  expect(ofType(resources, 'AWS::EC2::SecurityGroup')).toHaveLength(1);
  expect(ofType(resources, 'AWS::SecretsManager::Secret')).toHaveLength(5);
  expect(ofType(resources, 'AWS::SecretsManager::RotationSchedule')).toHaveLength(5);
  expect(JSON.stringify(functions[0].Properties.Environment)).toMatch(/alternating/);
  expect(ofType(resources, 'AWS::CloudTrail::Trail')).toHaveLength(1);
  expect(ofType(resources, 'AWS::SNS::Subscription')).toHaveLength(1);
  expect(JSON.stringify(ofType(resources, 'AWS::SecretsManager::ResourcePolicy'))).toContain(
    'arn:aws:iam::222222222222:role/partner-reporting-reader',
  );
  expect(JSON.stringify(ofType(resources, 'AWS::IAM::ManagedPolicy'))).toContain(
    ':secretsmanager:eu-west-1:111111111111:secret:fixture/orders/Service-??????',
  );
}

describe.each([
  ['the example app', exampleApp, EXAMPLE, EXAMPLE_STALE, exampleCovers],
  ['a full-featured app', fullFeaturedApp, FULL, FULL_STALE, fullCovers],
] as const)(
  '%s under the five cdk-nag packs and the Control Tower rules',
  (_name, build, expected, stale, covers) => {
    let run: ComplianceRun;

    beforeAll(() => {
      run = runCompliancePacks(build);
    });
    afterAll(() => run?.dispose());

    test('contains what the packs are meant to judge', () => {
      const resources: Resources = Object.assign(
        {},
        ...run.templatePaths.map((p) => JSON.parse(readFileSync(p, 'utf8')).Resources),
      );
      covers(resources);
    });

    test('every validation plugin reports (none fails instead)', () => {
      expect(run.pluginFailures).toEqual([]);
    });

    test('its findings are exactly the expected list (new: fix or acknowledge it; gone: remove its entry)', () => {
      const actual = run.findings.map(describeFinding);
      const wanted = expected.map(expectedFinding);
      expect({
        new: actual.filter((f) => !wanted.includes(f)),
        gone: wanted.filter((f) => !actual.includes(f)),
      }).toEqual({ new: [], gone: [] });
      expect(actual).toHaveLength(wanted.length);
    });

    test('every acknowledgement answers a finding of its own rule at or below its construct, with a reason', () => {
      const below = (path: string, scope: string) => path === scope || path.startsWith(`${scope}/`);
      const checked = run.acknowledgements.flatMap((ack) => {
        const id = ack.id.replace(/^Annotation::/, '');
        let answered: Finding[];
        if (NAG_PACK_PREFIXES.some((prefix) => id.startsWith(prefix))) {
          answered = run.nagFindingsIgnoringAcknowledgements.filter(
            (f) => f.rule === id && below(f.path, ack.path),
          );
        } else if (id.startsWith(`${CFN_GUARD_PLUGIN}::`)) {
          const guardRule = id.slice(CFN_GUARD_PLUGIN.length + 2);
          answered = run.suppressed.filter(
            (f) => f.rule.endsWith(` ${guardRule}`) && f.acknowledgedAt === ack.path,
          );
        } else {
          return [];
        }
        return [{ id, at: ack.path, answers: answered.length > 0, reason: ack.reason }];
      });
      expect(checked.length).toBeGreaterThan(0);
      expect(checked.filter((c) => c.reason.length <= 40)).toEqual([]);
      expect(checked.filter((c) => !c.answers).map((c) => [c.id, c.at])).toEqual(
        stale.map(([id, at]) => [id, at]),
      );
    });
  },
);
