import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks, NIST80053R5Checks } from 'cdk-nag';
import { CrossAccountSecretReader, VaultReference } from '../lib/cross-account-reader';
import { SecretContent } from '../lib/secret-content';
import { SecretsVault } from '../lib/secrets-vault';
import { VaultReplicaKey } from '../lib/vault-replica-key';

const ACCOUNT = '111111111111';
const PARTNER = '222222222222';

/**
 * Stands in for the vault writing `ReplicaRegions` itself (the issue-15 proposal for SecretsVault):
 * every secret of the vault replicates into the region of each VaultReplicaKey of the vault.
 */
function replicate(vault: SecretsVault) {
  const keys = vault.node.root.node
    .findAll()
    .filter((c): c is VaultReplicaKey => c instanceof VaultReplicaKey && c.vault === vault);
  for (const secret of vault.secrets) {
    (secret.node.defaultChild as secretsmanager.CfnSecret).replicaRegions = keys.map((k) =>
      k.replicaRegion.toReplicaRegionProperty(secret),
    );
  }
}

/**
 * The whole shape: a vault in eu-west-1 replicating into us-east-1 and us-west-2, each with a key of
 * its own, and a partner account's role that reads one secret.
 */
function wholeApp(options: { regions?: string[]; nag?: boolean } = {}): CloudAssembly {
  const app = new App({ builtinCloudFormationValidation: false });
  const primary = new Stack(app, 'OrdersVault', { env: { account: ACCOUNT, region: 'eu-west-1' } });
  const vault = new SecretsVault(primary, 'Vault', {
    namePrefix: 'example/orders',
    breakGlass: iam.Role.fromRoleArn(primary, 'BreakGlass', `arn:aws:iam::${ACCOUNT}:role/break-glass`),
  });
  vault.addSecret('PaymentsApiKey');
  const db = vault.addSecret('OrdersDb', {
    content: SecretContent.generatedJson({ username: 'orders_app' }, 'password'),
  });
  for (const region of options.regions ?? ['us-east-1', 'us-west-2']) {
    const stack = new Stack(app, `OrdersVault-${region}`, { env: { account: ACCOUNT, region } });
    new VaultReplicaKey(stack, 'Key', { vault });
  }
  const partner = new Stack(app, 'PartnerReader', { env: { account: PARTNER, region: 'us-east-1' } });
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
  replicate(vault);
  if (options.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new NIST80053R5Checks(app));
  return app.synth();
}

/** The stacks in an order `cdk deploy --all` may take: each after every stack it depends on. */
function deployOrder(assembly: CloudAssembly): string[] {
  const stacks = assembly.stacks;
  const order: string[] = [];
  const visit = (name: string, path: string[]) => {
    if (order.includes(name)) return;
    if (path.includes(name)) throw new Error(`dependency cycle: ${[...path, name].join(' -> ')}`);
    const artifact = stacks.find((s) => s.stackName === name)!;
    for (const dependency of artifact.dependencies) {
      if (stacks.some((s) => s.id === dependency.id)) visit(dependency.id, [...path, name]);
    }
    order.push(name);
  };
  for (const s of stacks) visit(s.stackName, []);
  return order;
}

function stackDependencies(assembly: CloudAssembly, name: string): string[] {
  const names = assembly.stacks.map((s) => s.id);
  return assembly
    .getStackByName(name)
    .dependencies.map((d) => d.id)
    .filter((id) => names.includes(id))
    .sort();
}

describe('a vault with two replica regions and a partner account, in one app', () => {
  let assembly: CloudAssembly;

  beforeAll(() => {
    assembly = wholeApp({ nag: true });
  }, 60000);

  test("cdk-nag's AwsSolutions and NIST 800-53 rev 5 packs find nothing unacknowledged in any stack", () => {
    // An error-level finding makes the synth in beforeAll throw; the four stacks prove it ran to the end.
    expect(assembly.stacks.map((s) => s.stackName).sort()).toEqual([
      'OrdersVault',
      'OrdersVault-us-east-1',
      'OrdersVault-us-west-2',
      'PartnerReader',
    ]);
  });

  test('every secret replicates into each region with that region’s key, named by alias ARN', () => {
    const secrets = Object.values(
      assembly.getStackByName('OrdersVault').template.Resources as Record<string, any>,
    ).filter((r) => r.Type === 'AWS::SecretsManager::Secret');
    expect(secrets).toHaveLength(2);
    for (const secret of secrets) {
      expect(secret.Properties.ReplicaRegions).toEqual(
        ['us-east-1', 'us-west-2'].map((region) => ({
          Region: region,
          KmsKeyId: {
            'Fn::Join': [
              '',
              ['arn:', { Ref: 'AWS::Partition' }, `:kms:${region}:${ACCOUNT}:alias/example/orders`],
            ],
          },
        })),
      );
    }
  });

  test('deploys in one go: the replica keys and the partner role first, then the vault', () => {
    expect(stackDependencies(assembly, 'OrdersVault')).toEqual([
      'OrdersVault-us-east-1',
      'OrdersVault-us-west-2',
      'PartnerReader',
    ]);
    for (const name of ['OrdersVault-us-east-1', 'OrdersVault-us-west-2', 'PartnerReader']) {
      expect(stackDependencies(assembly, name)).toEqual([]);
    }
    expect(deployOrder(assembly).at(-1)).toBe('OrdersVault');
  });

  test('no stack refers to another by export, parameter or cross-region custom resource', () => {
    for (const stack of assembly.stacks) {
      const json = JSON.stringify(stack.template);
      expect(json).not.toMatch(/Fn::ImportValue|ExportsWriter|ExportsReader|\/cdk\/exports\//);
    }
  });

  test('cfn-lint: no error in any template, nothing at all in the replica and partner templates', () => {
    const dir = mkdtempSync(join(tmpdir(), 'replica-cfn-lint-'));
    try {
      const files = assembly.stacks.map((s) => {
        const file = join(dir, `${s.stackName}.template.json`);
        writeFileSync(file, JSON.stringify(s.template, null, 1));
        return file;
      });
      const run = spawnSync('cfn-lint', ['--format', 'json', '--', ...files], {
        encoding: 'utf8',
        timeout: 60000,
      });
      if (run.error) throw run.error;
      const findings: { Level: string; Filename: string }[] = JSON.parse(run.stdout || '[]');
      expect(findings.filter((f) => f.Level === 'Error')).toEqual([]);
      expect(findings.filter((f) => !f.Filename.endsWith('/OrdersVault.template.json'))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 70000);
});

describe('removing a replica region', () => {
  test("touches only the vault's stack: its secrets stop replicating there and it no longer waits for that region", () => {
    const before = wholeApp();
    const after = wholeApp({ regions: ['us-east-1'] });
    const replicaRegions = (assembly: CloudAssembly) =>
      Object.values(assembly.getStackByName('OrdersVault').template.Resources as Record<string, any>)
        .filter((r) => r.Type === 'AWS::SecretsManager::Secret')
        .map((r) => r.Properties.ReplicaRegions.map((x: any) => x.Region));
    expect(replicaRegions(before)).toEqual([
      ['us-east-1', 'us-west-2'],
      ['us-east-1', 'us-west-2'],
    ]);
    expect(replicaRegions(after)).toEqual([['us-east-1'], ['us-east-1']]);
    expect(stackDependencies(after, 'OrdersVault')).toEqual(['OrdersVault-us-east-1', 'PartnerReader']);
    // The remaining region's key is exactly what it was.
    expect(after.getStackByName('OrdersVault-us-east-1').template).toEqual(
      before.getStackByName('OrdersVault-us-east-1').template,
    );
  });

  test("leaves the removed region's key in place when its stack is destroyed: it is retained", () => {
    const key = Object.values(
      wholeApp().getStackByName('OrdersVault-us-west-2').template.Resources as Record<string, any>,
    ).find((r) => r.Type === 'AWS::KMS::Key');
    expect([key.DeletionPolicy, key.UpdateReplacePolicy]).toEqual(['Retain', 'Retain']);
  });
});

describe('promoting a replica to a standalone secret', () => {
  test('is denied by every secret’s resource policy (which Secrets Manager replicates) to all but the deployment and break-glass', () => {
    const resources = wholeApp().getStackByName('OrdersVault').template.Resources as Record<string, any>;
    const policies = Object.values(resources).filter((r) => r.Type === 'AWS::SecretsManager::ResourcePolicy');
    expect(policies).toHaveLength(2);
    for (const policy of policies) {
      const guard = policy.Properties.ResourcePolicy.Statement.find(
        (s: any) => s.Sid === 'DenyManagementExceptDeployment',
      );
      expect(guard.Action).toEqual(
        expect.arrayContaining([
          'secretsmanager:StopReplicationToReplica',
          'secretsmanager:RemoveRegionsFromReplication',
          'secretsmanager:ReplicateSecretToRegions',
        ]),
      );
      expect(guard.Condition.ArnNotLike['aws:PrincipalArn']).toEqual([
        {
          'Fn::Sub': `arn:\${AWS::Partition}:iam::${ACCOUNT}:role/cdk-hnb659fds-cfn-exec-role-${ACCOUNT}-eu-west-1`,
        },
        `arn:aws:iam::${ACCOUNT}:role/break-glass`,
      ]);
    }
  });
});
