import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks, NIST80053R5Checks } from 'cdk-nag';
import { SecretContent, SecretsVault } from '../../lib';
import { AuditTrail, SecretsAudit } from '../../lib/secrets-audit';

interface CfnLintFinding {
  Level: string;
  Rule: { Id: string };
  Message: string;
  Location: { Path: (string | number)[] };
}

function vaultWithSecrets(stack: Stack, namePrefix: string): SecretsVault {
  const breakGlass = new iam.Role(stack, 'BreakGlass', {
    assumedBy: new iam.AccountRootPrincipal(),
    description:
      'Emergency access to the vault: every call it makes raises the break-glass alarm of the audit',
  });
  const vault = new SecretsVault(stack, 'Vault', { namePrefix, breakGlass });
  vault.addSecret('PaymentsApiKey');
  vault.addSecret('OrdersDb', {
    content: SecretContent.generatedJson({ username: 'orders_app' }, 'password'),
  });
  return vault;
}

/**
 * One app, two stacks (an audit with its own trail, Object Lock on, and one on an organization
 * trail's log group; both vaults with a break-glass role),
 * synthesized once with cdk-nag's AwsSolutions and NIST 800-53 rev 5 packs: an error-level finding
 * makes the synth throw. aws-cdk-lib's built-in CloudFormation validator stays off (3 s idle, 18 s on
 * a loaded machine): cfn-lint checks the same templates against the resource schemas below.
 */
describe('compliance of a vault with an audit', () => {
  const templates: Record<string, unknown> = {};
  let synthError: unknown;

  beforeAll(() => {
    const app = new App({ builtinCloudFormationValidation: false });
    const env = { account: '123456789012', region: 'eu-west-1' };
    const own = new Stack(app, 'AuditOwnTrail', { env });
    new SecretsAudit(own, 'Audit', {
      vaults: [vaultWithSecrets(own, 'example/orders')],
      alarmEmail: 'secops@example.com',
      trail: AuditTrail.create({ objectLockRetention: s3.ObjectLockRetention.governance(Duration.days(90)) }),
    });
    const org = new Stack(app, 'AuditOrgTrail', { env });
    new SecretsAudit(org, 'Audit', {
      vaults: [vaultWithSecrets(org, 'example/billing')],
      // Two audits of one account and region need their own namespaces, or each alarm counts both.
      metricNamespace: 'SecretsVault/AuditBilling',
      trail: AuditTrail.fromLogGroup(
        logs.LogGroup.fromLogGroupName(org, 'OrgTrail', 'aws-controltower/CloudTrailLogs'),
      ),
    });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new NIST80053R5Checks(app));
    try {
      const assembly = app.synth();
      for (const name of ['AuditOwnTrail', 'AuditOrgTrail']) {
        templates[name] = assembly.getStackByName(name).template;
      }
    } catch (error) {
      synthError = error;
    }
  });

  test('cdk-nag (AwsSolutions, NIST 800-53 rev 5) finds nothing unacknowledged', () => {
    expect(synthError).toBeUndefined();
    expect(Object.keys(templates)).toHaveLength(2);
  });

  describe('cfn-lint', () => {
    let findings: CfnLintFinding[];

    beforeAll(() => {
      const dir = mkdtempSync(join(tmpdir(), 'audit-cfn-lint-'));
      try {
        const files = Object.entries(templates).map(([name, template]) => {
          const file = join(dir, `${name}.template.json`);
          writeFileSync(file, JSON.stringify(template, null, 1));
          return file;
        });
        // One run for both templates: cfn-lint's start-up is most of its time.
        const run = spawnSync('cfn-lint', ['--format', 'json', '--', ...files], {
          encoding: 'utf8',
          timeout: 60000,
        });
        if (run.error) throw run.error;
        findings = JSON.parse(run.stdout || '[]');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }, 70000);

    test('reports no error on either template', () => {
      expect(findings.filter((f) => f.Level === 'Error')).toEqual([]);
    });

    test('reports nothing at all on the audit’s own resources', () => {
      const onAudit = findings.filter(
        (f) => f.Location.Path[0] === 'Resources' && String(f.Location.Path[1]).startsWith('Audit'),
      );
      expect(onAudit).toEqual([]);
    });

    test('ran on both templates', () => {
      expect(Object.keys(templates).sort()).toEqual(['AuditOrgTrail', 'AuditOwnTrail']);
    });
  });
});
