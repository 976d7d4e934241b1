import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, NIST80053R5Checks } from 'cdk-nag';
import { ExampleStack } from '../bin/example-stack';

const PARTNER = 'arn:aws:iam::111122223333:role/partner-reporting-reader';

/** The example app as bin/app.ts builds it: cdk-nag's two packs and the built-in validator on. */
function synthExample(outdir: string, options: { builtinValidation?: boolean } = {}) {
  const app = new App({ outdir, builtinCloudFormationValidation: options.builtinValidation ?? true });
  const stack = new ExampleStack(app, 'SecretsVaultExample', { partnerReaderArn: PARTNER });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new NIST80053R5Checks(app));
  return { app, stack, assembly: app.synth() };
}

describe('the example app', () => {
  let outdir: string;
  let stack: ExampleStack;
  let template: Template;
  let templatePath: string;

  beforeAll(() => {
    outdir = mkdtempSync(join(tmpdir(), 'example-app-'));
    // Throws on any error-level cdk-nag finding (AwsSolutions, NIST 800-53 rev 5) or validator error.
    const synth = synthExample(outdir);
    stack = synth.stack;
    template = Template.fromStack(stack);
    templatePath = join(outdir, synth.assembly.getStackByName(stack.stackName).templateFile);
  });
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  test('synthesizes with the AwsSolutions and NIST 800-53 rev 5 packs and the CloudFormation validator', () => {
    expect(JSON.parse(readFileSync(templatePath, 'utf8')).Resources).toBeDefined();
    expect(template.toJSON().Resources).toEqual(expect.any(Object));
    // The API key, the database's master and its application user: no secret of aws-cdk-lib's.
    expect(
      Object.values(template.findResources('AWS::SecretsManager::Secret')).map((s) => s.Properties.Name),
    ).toEqual(['example/orders/PaymentsApiKey', 'example/orders/OrdersDbMaster', 'example/orders/OrdersApp']);
  });

  test('the database runs in isolated subnets with the vault secret as its master credential', () => {
    const resources = template.toJSON().Resources;
    expect(
      Object.values(template.findResources('AWS::EC2::Subnet')).map((s) => s.Properties.MapPublicIpOnLaunch),
    ).toEqual([false, false]);
    template.resourceCountIs('AWS::EC2::InternetGateway', 0);
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    const masterId = Object.keys(template.findResources('AWS::SecretsManager::Secret')).find(
      (id) => resources[id].Properties.Name === 'example/orders/OrdersDbMaster',
    )!;
    const db = Object.values(template.findResources('AWS::RDS::DBInstance'))[0];
    const [storageKeyId] = Object.keys(template.findResources('AWS::KMS::Key')).filter((id) =>
      id.startsWith('OrdersDbKey'),
    );
    expect(db.Properties).toEqual(
      expect.objectContaining({
        Engine: 'postgres',
        // Not the engine's default admin name (Control Tower's CT.RDS.PR.22).
        MasterUsername: 'orders_admin',
        MasterUserPassword: {
          'Fn::Join': ['', ['{{resolve:secretsmanager:', { Ref: masterId }, ':SecretString:password::}}']],
        },
        StorageEncrypted: true,
        // A key of the database's own (CT.RDS.PR.30): the vault's key serves Secrets Manager only.
        KmsKeyId: { 'Fn::GetAtt': [storageKeyId, 'Arn'] },
        PubliclyAccessible: false,
      }),
    );
    expect(template.toJSON().Resources[storageKeyId].Properties.EnableKeyRotation).toBe(true);
    expect(
      Object.values(template.findResources('AWS::SecretsManager::SecretTargetAttachment')).map(
        (a) => a.Properties.TargetType,
      ),
    ).toEqual(['AWS::RDS::DBInstance', 'AWS::RDS::DBInstance']);
    const endpoints = Object.values(template.findResources('AWS::EC2::VPCEndpoint'));
    expect(
      endpoints.map((e) => [
        JSON.stringify(e.Properties.ServiceName).endsWith('.secretsmanager"]]}'),
        e.Properties.PrivateDnsEnabled,
      ]),
    ).toEqual([[true, true]]);
  });

  test('the application user rotates with alternating users, pinned to the database with the master as admin', () => {
    const fn = Object.values(template.findResources('AWS::Lambda::Function')).find(
      (f) => f.Properties.Environment?.Variables?.ROTATION_TARGETS,
    )!;
    const variables = fn.Properties.Environment.Variables;
    const kinds = Object.values(JSON.parse(variables.ROTATION_PROFILES))
      .map((p: any) => p.kind)
      .sort();
    expect(kinds).toEqual(['generated', 'postgres-alternating', 'postgres-single']);
    const targets = JSON.stringify(variables.ROTATION_TARGETS);
    const dbId = Object.keys(template.findResources('AWS::RDS::DBInstance'))[0];
    expect(targets).toContain(JSON.stringify({ 'Fn::GetAtt': [dbId, 'Endpoint.Address'] }));
    expect(targets).toContain('\\"dbname\\":\\"orders\\",\\"tls\\":\\"verified\\",\\"admin\\":');
    expect(fn.Properties.VpcConfig.SubnetIds).toHaveLength(2);
  });

  test('every cdk-nag acknowledgement answers a real finding, with a specific reason', () => {
    const acknowledged: Array<{ id: string; reason: string; path: string }> = [];
    const spy = jest.spyOn(Validations.prototype, 'acknowledge').mockImplementation(function (
      this: Validations,
      ack: { id: string; reason: string },
    ) {
      acknowledged.push({
        ...ack,
        path: (this as unknown as { scope: { node: { path: string } } }).scope.node.path,
      });
    });
    const dir = mkdtempSync(join(tmpdir(), 'example-nag-'));
    try {
      expect(() => synthExample(dir, { builtinValidation: false })).toThrow(/ERROR/);
      const report = JSON.parse(readFileSync(join(dir, 'validation-report.json'), 'utf8'));
      const findings: Array<{ rule: string; path: string }> = report.pluginReports.flatMap((p: any) =>
        p.violations.flatMap((v: any) =>
          v.violatingConstructs.map((c: any) => ({ rule: v.ruleName, path: c.constructPath })),
        ),
      );
      expect(acknowledged.length).toBeGreaterThan(0);
      // This synth runs the two packs bin/app.ts registers; test/compliance checks the acknowledgements
      // of the other packs (HIPAA, PCI, Serverless) and of Control Tower's rules the same way.
      for (const ack of acknowledged.filter((a) => /^(AwsSolutions-|NIST\.800\.53\.R5-)/.test(a.id))) {
        expect(ack.reason.length).toBeGreaterThan(40);
        const matching = findings.filter((f) => f.rule === ack.id && f.path.startsWith(`${ack.path}/`));
        expect([ack.id, ack.path, matching.length > 0]).toEqual([ack.id, ack.path, true]);
      }
    } finally {
      spy.mockRestore();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('cfn-lint reports no errors and no warnings on the synthesized template', () => {
    const result = spawnSync('cfn-lint', ['--format', 'json', '--', templatePath], { encoding: 'utf8' });
    expect(result.error).toBeUndefined();
    const matches = JSON.parse(result.stdout || '[]') as Array<{
      Level: string;
      Rule: { Id: string };
      Message: string;
    }>;
    expect(matches.filter((m) => m.Level === 'Error')).toEqual([]);
    // Warnings too: the redundant DependsOn of aws-cdk-lib's functions (W3005) is acknowledged on
    // each function, and the example's engine version is one RDS still creates (W3691).
    expect(matches.map((m) => `${m.Rule.Id}: ${m.Message}`)).toEqual([]);
  });

  test('the application reads its secret through the identity-based route only', () => {
    const fn = Object.values(template.findResources('AWS::Lambda::Function')).find(
      (f) => f.Properties.Environment?.Variables?.SECRET_ARN,
    )!;
    const roleId = fn.Properties.Role['Fn::GetAtt'][0];
    const apiKeyId = fn.Properties.Environment.Variables.SECRET_ARN.Ref;
    expect(template.toJSON().Resources[apiKeyId].Properties.Name).toBe('example/orders/OrdersApp');
    const policies = Object.values(template.findResources('AWS::IAM::ManagedPolicy')).filter((p) =>
      JSON.stringify(p.Properties.Roles).includes(roleId),
    );
    expect(policies).toHaveLength(1);
    const statements = policies[0].Properties.PolicyDocument.Statement as any[];
    expect(statements.find((s) => [s.Action].flat().includes('secretsmanager:GetSecretValue'))).toEqual({
      Effect: 'Allow',
      Action: 'secretsmanager:GetSecretValue',
      Resource: { Ref: apiKeyId },
      Condition: { StringEquals: { 'secretsmanager:VersionStage': ['AWSCURRENT'] } },
    });
    expect(template.toJSON().Resources[roleId].Properties.MaxSessionDuration).toBe(3600);
  });

  test('the partner reads the database credential through its resource policy only', () => {
    const policies = Object.values(template.findResources('AWS::SecretsManager::ResourcePolicy'));
    const withPartner = policies.filter((p) => JSON.stringify(p.Properties.ResourcePolicy).includes(PARTNER));
    expect(withPartner).toHaveLength(1);
    const db = template.toJSON().Resources[withPartner[0].Properties.SecretId.Ref];
    expect(db.Properties.Name).toBe('example/orders/OrdersApp');
  });

  test('audits the vault: a trail, metric filters, alarms on an encrypted topic and a dashboard', () => {
    template.resourceCountIs('AWS::CloudTrail::Trail', 1);
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    expect(Object.keys(template.findResources('AWS::Logs::MetricFilter')).length).toBeGreaterThan(0);
    expect(Object.keys(template.findResources('AWS::CloudWatch::Alarm')).length).toBeGreaterThan(0);
  });

  test('no secret value is in the template', () => {
    const text = readFileSync(templatePath, 'utf8');
    expect(text).not.toMatch(/"SecretString"/);
    for (const secret of Object.values(template.findResources('AWS::SecretsManager::Secret'))) {
      expect(secret.Properties.GenerateSecretString).toBeDefined();
    }
  });

  test('snapshot of the example stack (a tripwire; asset hashes stripped)', () => {
    expect(template.toJSON()).toMatchSnapshot();
  });

  test('npx cdk synth works from the command line (the README’s main command)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cdk-synth-'));
    try {
      execFileSync('npx', ['cdk', 'synth', '--quiet', '--output', dir], {
        cwd: join(__dirname, '..'),
        stdio: 'pipe',
      });
      const synthesized = JSON.parse(readFileSync(join(dir, 'SecretsVaultExample.template.json'), 'utf8'));
      const withoutMetadata = (ids: string[]) => ids.filter((id) => id !== 'CDKMetadata');
      expect(withoutMetadata(Object.keys(synthesized.Resources))).toEqual(
        Object.keys(template.toJSON().Resources),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
