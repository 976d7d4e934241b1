/**
 * The RDS-managed master secret (`manageMasterUserPassword`) governed by the vault: encrypted with the
 * vault's key, the admin of the vault's application users, readable by the rotation function only
 * (AWSCURRENT), and by nothing else the vault declares. Policies are decided by the independent IAM
 * engine (test/support/iam-evaluator.ts) on the synthesized templates.
 */
import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import { resolveBinding } from '../lambda/rotation/checks';
import { loadConfig } from '../lambda/rotation/config';
import { ROTATION_ENV } from '../lib/contract/rotation-contract';
import { SecretReaderRole, SecretsVault } from '../lib';
import { RdsManagedMaster } from '../lib/vault-database';
import { ACCOUNT, IamEvaluator, REGION, stacksOf, type Principal } from './support/iam-evaluator';

const ISOLATED = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
const MANAGED_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:rds!db-0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d-AbCdEf`;
const HOST = `orders.abcdefghij.${REGION}.rds.amazonaws.com`;

function build(options: { encryptionKey?: 'vault' | 'other' | 'none'; managed?: boolean } = {}) {
  const app = new App({
    context: { 'aws:cdk:enable-path-metadata': true, 'aws:cdk:disable-stack-trace': true },
    builtinCloudFormationValidation: false,
  } as any);
  const stack = new Stack(app, 'Test', { env: { account: ACCOUNT, region: REGION } });
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    maxAzs: 2,
    natGateways: 0,
    subnetConfiguration: [{ name: 'db', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
  });
  const vault = new SecretsVault(stack, 'Vault', { namePrefix: 'orders', rotationVpc: vpc });
  const which = options.encryptionKey ?? 'vault';
  const encryptionKey =
    which === 'vault' ? vault.encryptionKey : which === 'other' ? new kms.Key(stack, 'OtherKey') : undefined;
  const db = new rds.DatabaseInstance(stack, 'Db', {
    engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_16 }),
    vpc,
    vpcSubnets: ISOLATED,
    manageMasterUserPassword: options.managed ?? true,
    credentials: rds.Credentials.fromUsername('postgres', { encryptionKey }),
  });
  return { app, stack, vpc, vault, db };
}

/**
 * The synthesized templates with the database's attributes fixed to what RDS returns once deployed
 * (the evaluator knows no RDS resource): the managed secret's ARN and the endpoint.
 */
function deployedTemplates(app: App) {
  return stacksOf(app.synth()).map((s) => {
    const text = JSON.stringify(s.template).replace(
      /\{"Fn::GetAtt":\["Db[0-9A-F]{8}","(MasterUserSecret\.SecretArn|Endpoint\.Address|Endpoint\.Port)"\]\}/g,
      (_whole, attribute: string) =>
        JSON.stringify(
          attribute === 'Endpoint.Address' ? HOST : attribute === 'Endpoint.Port' ? '5432' : MANAGED_ARN,
        ),
    );
    return { ...s, template: JSON.parse(text) };
  });
}

describe('an RDS-managed master as the admin of the vault’s application users', () => {
  test('the managed secret is encrypted with the vault key and each user is pinned to the endpoint with it as admin', () => {
    const { app, stack, vault, db } = build();
    const master = new RdsManagedMaster(vault, db);
    master.addUser('App', { username: 'orders_app', dbname: 'orders' });
    const [deployed] = deployedTemplates(app);
    const resources = deployed.template.Resources as Record<string, any>;
    const instance = Object.values(resources).find((r) => r.Type === 'AWS::RDS::DBInstance');
    expect(instance.Properties.ManageMasterUserPassword).toBe(true);
    expect(instance.Properties.MasterUserPassword).toBeUndefined();
    expect(instance.Properties.MasterUserSecret).toEqual({
      KmsKeyId: { 'Fn::GetAtt': [stack.getLogicalId(vault.encryptionKey.node.defaultChild as any), 'Arn'] },
    });
    // The vault holds one secret (the user's); RDS owns the master's.
    expect(Object.values(resources).filter((r) => r.Type === 'AWS::SecretsManager::Secret')).toHaveLength(1);

    const fn = Object.values(resources).find((r) => r.Properties?.Environment?.Variables?.ROTATION_TARGETS);
    const env = Object.fromEntries(
      Object.entries(fn.Properties.Environment.Variables).map(([k, v]) => [
        k,
        typeof v === 'string' ? v : (v as any)['Fn::Join'][1].join(''),
      ]),
    );
    const saved = { ...process.env };
    for (const name of Object.values(ROTATION_ENV)) delete process.env[name];
    Object.assign(process.env, env);
    try {
      const config = loadConfig();
      expect(
        resolveBinding(
          { arn: 'x', name: 'orders/App', rotationEnabled: true, versionIdsToStages: {}, tags: {} },
          config,
        ).target,
      ).toEqual({
        engine: 'postgres',
        host: HOST,
        port: 5432,
        dbname: 'orders',
        tls: 'verified',
        admin: MANAGED_ARN,
      });
    } finally {
      process.env = saved;
    }
  });

  async function managedEvaluator() {
    const { app, stack, vault, db } = build();
    const user = new RdsManagedMaster(vault, db).addUser('App', { username: 'orders_app' });
    new SecretReaderRole(stack, 'AppReader', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      secrets: [user],
    });
    vault.addReaderRole('VaultReader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    const evaluator = new IamEvaluator(deployedTemplates(app));
    const read = (principal: Principal, stage: string | null) =>
      evaluator.decide({
        principal,
        action: 'secretsmanager:GetSecretValue',
        resource: MANAGED_ARN,
        context: { 'secretsmanager:VersionStage': stage },
      });
    return { evaluator, read };
  }
  const rotation: Principal = { role: 'Test/Vault/Rotation/Role' };

  test('the rotation function reads the managed secret (AWSCURRENT) and decrypts it through Secrets Manager, but never writes it', async () => {
    const { evaluator, read } = await managedEvaluator();
    expect((await read(rotation, 'AWSCURRENT')).decision).toBe('Allowed');
    const decrypt = await evaluator.decide({
      principal: rotation,
      action: 'kms:Decrypt',
      resource: 'Test/Vault/Key',
      via: 'secretsmanager',
    });
    expect(decrypt.decision).toBe('Allowed');
    for (const action of ['secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage']) {
      const decision = await evaluator.decide({ principal: rotation, action, resource: MANAGED_ARN });
      expect([action, decision.decision]).toEqual([action, 'ImplicitlyDenied']);
    }
  });

  test('no reader the vault declares gains access to the managed secret', async () => {
    const { read } = await managedEvaluator();
    for (const path of ['Test/AppReader', 'Test/Vault/VaultReader']) {
      expect([path, (await read({ role: path }, 'AWSCURRENT')).decision]).toEqual([path, 'ImplicitlyDenied']);
    }
  });

  // aws-cdk-lib's grantRead(role, ['AWSCURRENT']) added the stage condition after the role's managed
  // policy had taken the statement, so an imported admin secret was readable at every stage.
  test('the rotation function reads only AWSCURRENT of the managed secret, and may describe it', async () => {
    const { evaluator, read } = await managedEvaluator();
    for (const stage of ['AWSPREVIOUS', 'AWSPENDING', null]) {
      expect([stage, (await read(rotation, stage)).decision]).toEqual([stage, 'ImplicitlyDenied']);
    }
    const describe = await evaluator.decide({
      principal: rotation,
      action: 'secretsmanager:DescribeSecret',
      resource: MANAGED_ARN,
    });
    expect(describe.decision).toBe('Allowed');
  });

  test('a database whose password RDS does not manage is refused', () => {
    const { vault, db } = build({ managed: false, encryptionKey: 'none' });
    expect(() => new RdsManagedMaster(vault, db)).toThrow(
      'RdsManagedMaster Test/Db: invalid `database`: received "Test/Db"; RDS does not manage its master password: create it with `manageMasterUserPassword: true`',
    );
  });

  test.each(['other', 'none'] as const)(
    'a managed secret encrypted with %s key than the vault’s is refused',
    (key) => {
      const { vault, db } = build({ encryptionKey: key });
      expect(() => new RdsManagedMaster(vault, db)).toThrow(
        'RdsManagedMaster Test/Db: invalid `database`: received "Test/Db"; its RDS-managed secret is not encrypted with the key of vault Test/Vault: pass `credentials: rds.Credentials.fromUsername(username, { encryptionKey: vault.encryptionKey })` to the database',
      );
    },
  );

  test('the master user cannot also be an application user', () => {
    const { vault, db } = build();
    expect(() => new RdsManagedMaster(vault, db).addUser('App', { username: 'postgres' })).toThrow(
      'RdsManagedMaster Test/Db.addUser("App"): invalid `username`: received "postgres"; it is the master user',
    );
  });
});
