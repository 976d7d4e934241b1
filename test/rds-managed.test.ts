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
import { Construct } from 'constructs';
import { RDS_API_ENDPOINT_ID, RdsManagedMaster } from '../lib/vault-database';
import { ACCOUNT, IamEvaluator, REGION, stacksOf, type Principal } from './support/iam-evaluator';

const ISOLATED = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
const MANAGED_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:rds!db-0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d-AbCdEf`;
const HOST = `orders.abcdefghij.${REGION}.rds.amazonaws.com`;

function build(
  options: { encryptionKey?: 'vault' | 'other' | 'none'; managed?: boolean; cluster?: boolean } = {},
) {
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
  const credentials = rds.Credentials.fromUsername('postgres', { encryptionKey });
  const db = options.cluster
    ? new rds.DatabaseCluster(stack, 'Db', {
        engine: rds.DatabaseClusterEngine.auroraPostgres({
          version: rds.AuroraPostgresEngineVersion.VER_16_4,
        }),
        vpc,
        vpcSubnets: ISOLATED,
        writer: rds.ClusterInstance.serverlessV2('Writer'),
        manageMasterUserPassword: options.managed ?? true,
        credentials,
      })
    : new rds.DatabaseInstance(stack, 'Db', {
        engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_16 }),
        vpc,
        vpcSubnets: ISOLATED,
        manageMasterUserPassword: options.managed ?? true,
        credentials,
      });
  return { app, stack, vpc, vault, db };
}

/** The identifier RDS gives the database once deployed (its `Ref`), in deployedTemplates. */
const IDENTIFIER = 'orders';
const INSTANCE_ARN = `arn:aws:rds:${REGION}:${ACCOUNT}:db:${IDENTIFIER}`;
const CLUSTER_ARN = `arn:aws:rds:${REGION}:${ACCOUNT}:cluster:${IDENTIFIER}`;

/**
 * The synthesized templates with the database's attributes fixed to what RDS returns once deployed
 * (the evaluator knows no RDS resource): the managed secret's ARN, the endpoint and the identifier.
 */
function deployedTemplates(app: App) {
  return stacksOf(app.synth()).map((s) => {
    const text = JSON.stringify(s.template)
      .replace(
        /\{"Fn::GetAtt":\["Db[0-9A-F]{8}","(MasterUserSecret\.SecretArn|Endpoint\.Address|Endpoint\.Port)"\]\}/g,
        (_whole, attribute: string) =>
          JSON.stringify(
            attribute === 'Endpoint.Address' ? HOST : attribute === 'Endpoint.Port' ? '5432' : MANAGED_ARN,
          ),
      )
      .replace(/\{"Ref":"Db[0-9A-F]{8}"\}/g, JSON.stringify(IDENTIFIER));
    return { ...s, template: JSON.parse(text) };
  });
}

/** A deployed template value as the string it deploys as (the partition is `aws`). */
function joined(v: unknown): string {
  if (typeof v === 'string') return v;
  return ((v as any)['Fn::Join'][1] as unknown[])
    .map((part) => {
      if (typeof part === 'string') return part;
      if ((part as any).Ref === 'AWS::Partition') return 'aws';
      throw new Error(`unresolved part ${JSON.stringify(part)}`);
    })
    .join('');
}

/** The rotation function's environment in `template`, each value joined into the string it deploys as. */
function functionEnvironment(template: Record<string, any>): Record<string, string> {
  const resources = template.Resources as Record<string, any>;
  const fn = Object.values(resources).find((r) => r.Properties?.Environment?.Variables?.ROTATION_TARGETS);
  return Object.fromEntries(
    Object.entries(fn.Properties.Environment.Variables).map(([k, v]) => [k, joined(v)]),
  );
}

/** What the function's configuration code reads from `env`, as the deployed function would. */
function configFrom(env: Record<string, string>) {
  const saved = { ...process.env };
  for (const name of Object.values(ROTATION_ENV)) delete process.env[name];
  Object.assign(process.env, env);
  try {
    return loadConfig();
  } finally {
    process.env = saved;
  }
}

/** The statements of the rotation function's policy that name an `rds:` action. */
function rdsStatements(template: Record<string, any>): Record<string, unknown>[] {
  return Object.values(template.Resources as Record<string, any>)
    .filter((r) => r.Type === 'AWS::IAM::ManagedPolicy' || r.Type === 'AWS::IAM::Policy')
    .flatMap((r) => r.Properties.PolicyDocument.Statement as Record<string, any>[])
    .filter((st) => [st.Action].flat().some((a: string) => a.startsWith('rds:')))
    .map((st) => ({ ...st, Resource: [st.Resource].flat().map(joined) }));
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

    // What the construct writes is what the function accepts: the target is pinned by the database's
    // identifier, with no host or port (the function asks the RDS API), and the managed secret as admin.
    const config = configFrom(functionEnvironment(deployed.template));
    const target = resolveBinding(
      { arn: 'x', name: 'orders/App', rotationEnabled: true, versionIdsToStages: {}, tags: {} },
      config,
    ).target;
    expect(target).toEqual({
      engine: 'postgres',
      rds: { kind: 'instance', identifier: IDENTIFIER },
      dbname: 'orders',
      tls: 'verified',
      admin: MANAGED_ARN,
    });
    expect(JSON.stringify(functionEnvironment(deployed.template))).not.toContain(HOST);
  });

  test('an Aurora cluster: its users are pinned by the cluster identifier', () => {
    const { app, vault, db } = build({ cluster: true });
    new RdsManagedMaster(vault, db).addUser('App', { username: 'orders_app' });
    const [deployed] = deployedTemplates(app);
    const config = configFrom(functionEnvironment(deployed.template));
    expect([...config.targets.values()]).toEqual([
      {
        engine: 'postgres',
        rds: { kind: 'cluster', identifier: IDENTIFIER },
        dbname: undefined,
        tls: 'verified',
        admin: MANAGED_ARN,
      },
    ]);
    expect(rdsStatements(deployed.template)).toEqual([
      expect.objectContaining({ Effect: 'Allow', Action: 'rds:DescribeDBClusters', Resource: [CLUSTER_ARN] }),
    ]);
  });

  test('users of one database share one target; the rotation function may describe that database only', () => {
    const { app, vault, db } = build();
    const master = new RdsManagedMaster(vault, db);
    master.addUser('App', { username: 'orders_app', dbname: 'orders' });
    master.addUser('Reports', { username: 'orders_reports', dbname: 'orders' });
    const [deployed] = deployedTemplates(app);
    expect(configFrom(functionEnvironment(deployed.template)).targets.size).toBe(1);
    // One statement, one action, the one database's ARN: not rds:* and not "*".
    expect(rdsStatements(deployed.template)).toEqual([
      {
        Sid: expect.stringMatching(/^DescribeRdsDatabase[A-Za-z0-9]+$/),
        Effect: 'Allow',
        Action: 'rds:DescribeDBInstances',
        Resource: [INSTANCE_ARN],
      },
    ]);
  });

  test('the rotation function describes its database and no other, and only that way', async () => {
    const { evaluator } = await managedEvaluator();
    const decide = async (action: string, resource: string) =>
      (await evaluator.decide({ principal: rotation, action, resource })).decision;
    expect(await decide('rds:DescribeDBInstances', INSTANCE_ARN)).toBe('Allowed');
    expect(await decide('rds:DescribeDBInstances', INSTANCE_ARN.replace(IDENTIFIER, 'reports'))).toBe(
      'ImplicitlyDenied',
    );
    expect(await decide('rds:DescribeDBClusters', CLUSTER_ARN)).toBe('ImplicitlyDenied');
    for (const action of ['rds:ModifyDBInstance', 'rds:DescribeDBLogFiles', 'rds:ListTagsForResource']) {
      expect([action, await decide(action, INSTANCE_ARN)]).toEqual([action, 'ImplicitlyDenied']);
    }
    // The tag check reads the managed secret's tags with DescribeSecret, which the function has on its
    // admin secrets only: another database's managed secret is not among them.
    const elsewhere = MANAGED_ARN.replace('rds!db-', 'rds!db-ffff');
    expect(await decide('secretsmanager:DescribeSecret', elsewhere)).toBe('ImplicitlyDenied');
  });

  test('no reader the vault declares may describe the database', async () => {
    const { evaluator } = await managedEvaluator();
    for (const path of ['Test/AppReader', 'Test/Vault/VaultReader']) {
      const { decision } = await evaluator.decide({
        principal: { role: path },
        action: 'rds:DescribeDBInstances',
        resource: INSTANCE_ARN,
      });
      expect([path, decision]).toEqual([path, 'ImplicitlyDenied']);
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

  test('rdsApiEndpoint: one `rds` interface endpoint in the VPC, open on 443 to the rotation function only', () => {
    const { app, stack, vault, db, vpc } = build();
    new RdsManagedMaster(vault, db, { rdsApiEndpoint: true, secretsManagerEndpoint: true }).addUser('App', {
      username: 'orders_app',
    });
    const all = app.synth().getStackByName(stack.stackName).template.Resources as Record<string, any>;
    const endpoints = Object.values(all).filter((r) => r.Type === 'AWS::EC2::VPCEndpoint');
    expect(endpoints.map((r) => [r.Properties.ServiceName, r.Properties.PrivateDnsEnabled]).sort()).toEqual([
      [`com.amazonaws.${REGION}.rds`, true],
      [`com.amazonaws.${REGION}.secretsmanager`, true],
    ]);
    const rdsEndpoint = vpc.node.findChild(RDS_API_ENDPOINT_ID) as ec2.InterfaceVpcEndpoint;
    const group = stack.resolve(rdsEndpoint.connections.securityGroups[0].securityGroupId);
    const fnGroup = stack.resolve(vault.rotationFunction.connections.securityGroups[0].securityGroupId);
    const rules = Object.values(all)
      .filter((r) => r.Type === 'AWS::EC2::SecurityGroupIngress')
      .map((r) => r.Properties)
      .filter((p) => JSON.stringify(p.GroupId) === JSON.stringify(group));
    expect(rules).toEqual([
      expect.objectContaining({ FromPort: 443, ToPort: 443, SourceSecurityGroupId: fnGroup }),
    ]);
    // Not open to the VPC's CIDR either (no inline rule on the endpoint's group).
    const groupId = (group as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    expect(all[groupId].Type).toBe('AWS::EC2::SecurityGroup');
    expect(all[groupId].Properties.SecurityGroupIngress).toBeUndefined();
  });

  test('no `rds` endpoint unless asked (a NAT gateway, or an endpoint the VPC already has, is the other route)', () => {
    const { app, stack, vault, db } = build();
    new RdsManagedMaster(vault, db).addUser('App', { username: 'orders_app' });
    const all = app.synth().getStackByName(stack.stackName).template.Resources as Record<string, any>;
    expect(Object.values(all).filter((r) => r.Type === 'AWS::EC2::VPCEndpoint')).toEqual([]);
  });

  test('rdsApiEndpoint with a VPC child of that id that is not an endpoint is refused', () => {
    const { vault, db, vpc } = build();
    new Construct(vpc, RDS_API_ENDPOINT_ID);
    expect(() =>
      new RdsManagedMaster(vault, db, { rdsApiEndpoint: true }).addUser('App', { username: 'orders_app' }),
    ).toThrow(
      'VPC Test/Vpc: invalid `rdsApiEndpoint`: received "Test/Vpc/RdsApiEndpoint"; the VPC already has a child "RdsApiEndpoint" that is not an interface endpoint.',
    );
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
