/**
 * A database's master credential from the vault (VaultDatabaseMaster) and its application users
 * (addUser), on aws-cdk-lib's rds.DatabaseInstance and rds.DatabaseCluster: what the synthesized
 * template holds, and every input refused.
 */
import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { DatabaseEngine, SecretRotationSchedule, SecretsVault } from '../lib';
import { VaultDatabaseMaster, DatabaseMasterOptions } from '../lib/vault-database';
import { newStack, template } from './support/stack';

type Resources = Record<string, { Type: string; Properties?: any; DependsOn?: string | string[] }>;

interface EngineCase {
  readonly name: string;
  readonly engine: DatabaseEngine;
  /** The value the secret's `engine` field gets from the attachment, and the L1 `Engine`. */
  readonly rdsEngine: string;
  readonly make: (
    stack: Stack,
    vpc: ec2.IVpc,
    credentials: rds.Credentials,
  ) => rds.DatabaseInstance | rds.DatabaseCluster;
  readonly resourceType: 'AWS::RDS::DBInstance' | 'AWS::RDS::DBCluster';
}

const ISOLATED = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };

const instance =
  (engine: rds.IInstanceEngine) => (stack: Stack, vpc: ec2.IVpc, credentials: rds.Credentials) =>
    new rds.DatabaseInstance(stack, 'Db', { engine, vpc, vpcSubnets: ISOLATED, credentials });
const cluster = (engine: rds.IClusterEngine) => (stack: Stack, vpc: ec2.IVpc, credentials: rds.Credentials) =>
  new rds.DatabaseCluster(stack, 'Db', {
    engine,
    vpc,
    vpcSubnets: ISOLATED,
    writer: rds.ClusterInstance.provisioned('Writer'),
    credentials,
  });

const CASES: EngineCase[] = [
  {
    name: 'PostgreSQL instance',
    engine: DatabaseEngine.POSTGRES,
    rdsEngine: 'postgres',
    make: instance(rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_16 })),
    resourceType: 'AWS::RDS::DBInstance',
  },
  {
    name: 'MySQL instance',
    engine: DatabaseEngine.MYSQL,
    rdsEngine: 'mysql',
    make: instance(rds.DatabaseInstanceEngine.mysql({ version: rds.MysqlEngineVersion.VER_8_0 })),
    resourceType: 'AWS::RDS::DBInstance',
  },
  {
    name: 'MariaDB instance',
    engine: DatabaseEngine.MYSQL,
    rdsEngine: 'mariadb',
    make: instance(rds.DatabaseInstanceEngine.mariaDb({ version: rds.MariaDbEngineVersion.VER_10_11 })),
    resourceType: 'AWS::RDS::DBInstance',
  },
  {
    name: 'Aurora PostgreSQL cluster',
    engine: DatabaseEngine.POSTGRES,
    rdsEngine: 'aurora-postgresql',
    make: cluster(
      rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_16_4 }),
    ),
    resourceType: 'AWS::RDS::DBCluster',
  },
  {
    name: 'Aurora MySQL cluster',
    engine: DatabaseEngine.MYSQL,
    rdsEngine: 'aurora-mysql',
    make: cluster(
      rds.DatabaseClusterEngine.auroraMysql({ version: rds.AuroraMysqlEngineVersion.VER_3_08_0 }),
    ),
    resourceType: 'AWS::RDS::DBCluster',
  },
];

function isolatedVpc(stack: Stack, id = 'Vpc'): ec2.Vpc {
  return new ec2.Vpc(stack, id, {
    maxAzs: 2,
    natGateways: 0,
    subnetConfiguration: [{ name: 'db', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
  });
}

function setup(
  c: EngineCase = CASES[0],
  options: Partial<DatabaseMasterOptions> = {},
  vaultVpc?: (stack: Stack, vpc: ec2.Vpc) => ec2.IVpc | undefined,
) {
  const { app, stack } = newStack();
  const vpc = isolatedVpc(stack);
  const vault = new SecretsVault(stack, 'Vault', {
    namePrefix: 'test/orders',
    rotationVpc: vaultVpc ? vaultVpc(stack, vpc) : vpc,
  });
  const master = new VaultDatabaseMaster(vault, 'Master', { engine: c.engine, ...options });
  return { app, stack, vpc, vault, master, db: () => c.make(stack, vpc, master.credentials) };
}

function resources(stack: Stack): Resources {
  return template(stack).toJSON().Resources as Resources;
}

function idOf(stack: Stack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as any);
}

function ofType(all: Resources, type: string): [string, Resources[string]][] {
  return Object.entries(all).filter(([, r]) => r.Type === type);
}

/** Every logical id a value refers to (Ref, Fn::GetAtt, ${X} and ${X.Attr} in Fn::Sub). */
function referencesIn(value: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) value.forEach((v) => referencesIn(v, out));
  else if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (key === 'Ref' && typeof v === 'string') out.add(v);
      else if (key === 'Fn::GetAtt') out.add(Array.isArray(v) ? (v[0] as string) : String(v).split('.')[0]);
      else if (key === 'Fn::Sub') {
        const text = Array.isArray(v) ? (v[0] as string) : (v as string);
        for (const m of text.matchAll(/\$\{([^}!.]+)[^}]*\}/g)) out.add(m[1]);
        referencesIn(v, out);
      } else referencesIn(v, out);
    }
  }
  return out;
}

/** A dependency cycle among the template's resources, as a list of ids, or undefined. */
function findCycle(all: Resources): string[] | undefined {
  const edges = new Map<string, string[]>();
  for (const [id, r] of Object.entries(all)) {
    const deps = new Set([...referencesIn(r.Properties), ...[r.DependsOn ?? []].flat()]);
    edges.set(
      id,
      [...deps].filter((d) => d in all),
    );
  }
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === 'done') return undefined;
    if (state.get(id) === 'open') return [...path.slice(path.indexOf(id)), id];
    state.set(id, 'open');
    path.push(id);
    for (const next of edges.get(id) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const id of edges.keys()) {
    const cycle = visit(id);
    if (cycle) return cycle;
  }
  return undefined;
}

/** The rotation function's pinned targets, as the template renders them (tokens as CloudFormation JSON). */
function pinnedTargets(all: Resources): string {
  const fns = ofType(all, 'AWS::Lambda::Function').filter(
    ([, r]) => r.Properties.Environment?.Variables?.ROTATION_TARGETS,
  );
  expect(fns).toHaveLength(1);
  return JSON.stringify(fns[0][1].Properties.Environment.Variables.ROTATION_TARGETS);
}

describe.each(CASES)('the vault master credential of an $name', (c) => {
  test('one secret (the vault’s), attached, the master password resolved from it, and no cycle', () => {
    const { stack, master, db } = setup(c);
    const database = db();
    const all = resources(stack);
    const secretId = idOf(stack, master.secret);
    const dbId = idOf(stack, database);

    // No second secret: aws-cdk-lib's own generated master secret never appears.
    expect(ofType(all, 'AWS::SecretsManager::Secret').map(([id]) => id)).toEqual([secretId]);
    expect(all[secretId].Properties.GenerateSecretString.SecretStringTemplate).toBe(
      JSON.stringify({ username: master.username }),
    );
    expect(ofType(all, 'AWS::SecretsManager::SecretTargetAttachment').map(([, r]) => r.Properties)).toEqual([
      { SecretId: { Ref: secretId }, TargetId: { Ref: dbId }, TargetType: c.resourceType },
    ]);
    const dbProps = all[dbId].Properties;
    expect(dbProps.MasterUsername).toBe(master.username);
    expect(dbProps.MasterUserPassword).toEqual({
      'Fn::Join': ['', ['{{resolve:secretsmanager:', { Ref: secretId }, ':SecretString:password::}}']],
    });
    expect(dbProps.ManageMasterUserPassword).toBeUndefined();
    expect(findCycle(all)).toBeUndefined();
  });

  test('rotates with the vault’s function (single user), pinned to the endpoint with verified TLS', () => {
    const { stack, vault, master, db } = setup(c);
    const database = db();
    const all = resources(stack);
    const dbId = idOf(stack, database);
    const fnId = idOf(stack, vault.rotationFunction.function);
    const schedules = ofType(all, 'AWS::SecretsManager::RotationSchedule');
    expect(schedules.map(([, r]) => r.Properties)).toEqual([
      expect.objectContaining({
        SecretId: { Ref: idOf(stack, master.secret) },
        RotationLambdaARN: { 'Fn::GetAtt': [fnId, 'Arn'] },
      }),
    ]);
    expect(ofType(all, 'AWS::Serverless::Application')).toEqual([]);
    const profiles = JSON.parse(all[fnId].Properties.Environment.Variables.ROTATION_PROFILES);
    expect(Object.values(profiles).map((p: any) => p.kind)).toEqual([`${c.engine.name}-single`]);
    const targets = pinnedTargets(all);
    expect(targets).toContain(JSON.stringify(`{"t0":{"engine":"${c.engine.name}","host":"`).slice(1, -1));
    expect(targets).toContain(JSON.stringify({ 'Fn::GetAtt': [dbId, 'Endpoint.Address'] }));
    expect(targets).toContain(JSON.stringify({ 'Fn::GetAtt': [dbId, 'Endpoint.Port'] }));
    expect(targets).toContain(JSON.stringify(',"tls":"verified"}}').slice(1, -1));
  });

  test('the function runs in the database’s VPC, and the database accepts it on its port, and only it', () => {
    const { stack, vpc, vault, db } = setup(c);
    const database = db();
    const all = resources(stack);
    const fn = all[idOf(stack, vault.rotationFunction.function)].Properties;
    const subnets = vpc.isolatedSubnets.map((s) => stack.resolve(s.subnetId));
    expect(fn.VpcConfig.SubnetIds).toEqual(subnets);
    const fnGroup = fn.VpcConfig.SecurityGroupIds[0];
    const dbGroups = database.connections.securityGroups.map((g) => stack.resolve(g.securityGroupId));
    const ingress = ofType(all, 'AWS::EC2::SecurityGroupIngress')
      .map(([, r]) => r.Properties)
      .filter((p) => dbGroups.some((g) => JSON.stringify(g) === JSON.stringify(p.GroupId)));
    // The rule names the database's literal port when its template has one, else its port attribute.
    const literal = (database.node.defaultChild as rds.CfnDBInstance | rds.CfnDBCluster).port;
    const port =
      literal !== undefined ? Number(literal) : { 'Fn::GetAtt': [idOf(stack, database), 'Endpoint.Port'] };
    expect(ingress).toEqual([
      {
        IpProtocol: 'tcp',
        FromPort: port,
        ToPort: port,
        GroupId: dbGroups[0],
        SourceSecurityGroupId: fnGroup,
        Description: 'Rotation function of the secrets vault',
      },
    ]);
    for (const [, group] of ofType(all, 'AWS::EC2::SecurityGroup')) {
      expect(group.Properties.SecurityGroupIngress ?? []).toEqual([]);
    }
  });
});

describe('the master secret keeps the vault’s invariants whatever the database offers', () => {
  test('one resource policy for the master secret, with its guards', () => {
    const { stack, master, db } = setup();
    db();
    const policies = ofType(resources(stack), 'AWS::SecretsManager::ResourcePolicy').filter(
      ([, r]) =>
        JSON.stringify(r.Properties.SecretId) === JSON.stringify({ Ref: idOf(stack, master.secret) }),
    );
    expect(policies).toHaveLength(1);
    expect(policies[0][1].Properties.BlockPublicPolicy).toBe(true);
    expect(policies[0][1].Properties.ResourcePolicy.Statement.map((s: any) => s.Sid)).toEqual(
      expect.arrayContaining(['DenyRequestsWithoutTls', 'DenyReadsByUndeclaredPrincipals']),
    );
  });

  test.each([
    [
      'addRotationSingleUser()',
      (db: rds.DatabaseInstance | rds.DatabaseCluster) => db.addRotationSingleUser(),
    ],
    [
      'secret.addRotationSchedule()',
      (db: rds.DatabaseInstance | rds.DatabaseCluster) =>
        db.secret!.addRotationSchedule('Mine', {
          hostedRotation: secretsmanager.HostedRotation.postgreSqlSingleUser(),
        }),
    ],
  ])('the database’s %s is refused: the vault’s function rotates the master', (_name, act) => {
    const { app, db } = setup();
    const database = db();
    let message = '';
    try {
      act(database);
      app.synth();
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(
      /VaultSecret Test\/Vault\/Master is the master credential of a database and the vault's rotation function rotates it, but Test\/Db\/.* adds a second rotation .*: remove that call\.|Test\/Vault\/Master.*addRotationSchedule/,
    );
  });

  test('a statement added through the database’s secret never leaves the master with two resource policies', () => {
    const { app, stack, master, db } = setup();
    const database = db();
    database.secret!.addToResourcePolicy(
      new iam.PolicyStatement({
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['secretsmanager:DeleteSecret'],
        resources: ['*'],
      }),
    );
    let message: string | undefined;
    try {
      app.synth();
    } catch (error) {
      message = (error as Error).message;
    }
    if (message === undefined) {
      // Forwarded into the vault secret's own policy (what VaultSecret.attach is to do).
      const ids = [idOf(stack, master.secret)];
      const policies = ofType(resources(stack), 'AWS::SecretsManager::ResourcePolicy');
      expect(policies.filter(([, r]) => ids.includes(r.Properties.SecretId.Ref))).toHaveLength(1);
    } else {
      expect(message).toContain(
        'VaultSecret Test/Vault/Master would get 2 resource policies (Test/Vault/Master/Policy, Test/Vault/Master/Attachment/Policy)',
      );
    }
  });
});

describe('a secretsmanager interface endpoint, when asked', () => {
  test('one endpoint in the VPC, open on 443 to the rotation function only', () => {
    const { stack, vault, db } = setup(CASES[0], { secretsManagerEndpoint: true });
    db();
    const all = resources(stack);
    const endpoints = ofType(all, 'AWS::EC2::VPCEndpoint');
    expect(
      endpoints.map(([, r]) => [
        r.Properties.ServiceName,
        r.Properties.VpcEndpointType,
        r.Properties.PrivateDnsEnabled,
      ]),
    ).toEqual([['com.amazonaws.eu-west-1.secretsmanager', 'Interface', true]]);
    const group = endpoints[0][1].Properties.SecurityGroupIds[0];
    const fnGroup =
      all[idOf(stack, vault.rotationFunction.function)].Properties.VpcConfig.SecurityGroupIds[0];
    const rules = ofType(all, 'AWS::EC2::SecurityGroupIngress')
      .map(([, r]) => r.Properties)
      .filter((p) => JSON.stringify(p.GroupId) === JSON.stringify(group));
    expect(rules).toEqual([
      expect.objectContaining({ FromPort: 443, ToPort: 443, SourceSecurityGroupId: fnGroup }),
    ]);
  });

  test('none unless asked (a NAT gateway is the other route)', () => {
    const { stack, db } = setup();
    db();
    expect(ofType(resources(stack), 'AWS::EC2::VPCEndpoint')).toEqual([]);
  });
});

describe('bad input is refused with a message naming the prop and the value', () => {
  const owner = 'VaultDatabaseMaster Test/Vault/Master';

  test.each([
    [
      DatabaseEngine.POSTGRES,
      '1postgres',
      'allowed: a letter followed by letters, digits or `_`, 1 to 63 characters',
    ],
    [
      DatabaseEngine.POSTGRES,
      'pg-admin',
      'allowed: a letter followed by letters, digits or `_`, 1 to 63 characters',
    ],
    [
      DatabaseEngine.MYSQL,
      'a_seventeen_chars',
      'allowed: a letter followed by letters, digits or `_`, 1 to 16 characters',
    ],
    [DatabaseEngine.POSTGRES, 'rdsadmin', 'RDS reserves this name for itself'],
  ])('%# a master username refused', (engine, username, allowed) => {
    const { stack } = newStack();
    const vault = new SecretsVault(stack, 'Vault', { namePrefix: 'test/orders' });
    expect(() => new VaultDatabaseMaster(vault, 'Master', { engine, username })).toThrow(
      `${owner}: invalid \`username\`: received ${JSON.stringify(username)}; ${allowed}`,
    );
  });

  test.each([
    [
      DatabaseEngine.MYSQL,
      { length: 42 },
      '`passwordOptions.length`: received 42; RDS accepts a mysql master password of 8 to 41 characters',
    ],
    [
      DatabaseEngine.POSTGRES,
      { length: 7 },
      '`passwordOptions.length`: received 7; RDS accepts a postgres master password of 8 to 128 characters',
    ],
    [
      DatabaseEngine.POSTGRES,
      { includeSpace: true },
      '`passwordOptions.includeSpace`: received true; RDS refuses a master password with a space',
    ],
    [
      DatabaseEngine.MYSQL,
      { excludeCharacters: '/"' },
      '`passwordOptions.excludeCharacters`: received a list without "@"; RDS refuses a master password with `/`, `@` or `"`: keep them excluded',
    ],
  ])('%# master password options refused', (engine, passwordOptions, message) => {
    const { stack } = newStack();
    const vault = new SecretsVault(stack, 'Vault', { namePrefix: 'test/orders' });
    expect(() => new VaultDatabaseMaster(vault, 'Master', { engine, passwordOptions })).toThrow(
      `${owner}: invalid ${message}`,
    );
  });

  test('a master of one engine on a database of another', () => {
    const { stack, vpc, master } = setup(CASES[0]);
    expect(() => CASES[1].make(stack, vpc, master.credentials)).toThrow(
      `${owner}: invalid \`engine\`: received "postgres"; instance Test/Db runs mysql: create the master with engine DatabaseEngine.MYSQL`,
    );
  });

  test('an engine the rotation function has no strategy for', () => {
    const { stack, vpc, master } = setup(CASES[0]);
    expect(
      () =>
        new rds.DatabaseInstance(stack, 'Db', {
          engine: rds.DatabaseInstanceEngine.sqlServerEx({ version: rds.SqlServerEngineVersion.VER_16 }),
          vpc,
          vpcSubnets: ISOLATED,
          credentials: master.credentials,
        }),
    ).toThrow(
      `${owner}: invalid \`credentials\`: received "Test/Db (engine family SQLSERVER)"; allowed: a PostgreSQL`,
    );
  });

  test('one master credential for two databases', () => {
    const { stack, vpc, master, db } = setup(CASES[0]);
    db();
    expect(
      () =>
        new rds.DatabaseInstance(stack, 'Db2', {
          engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_16 }),
          vpc,
          vpcSubnets: ISOLATED,
          credentials: master.credentials,
        }),
    ).toThrow(
      `${owner}: invalid \`credentials\`: received "Test/Db2"; it is already the master credential of Test/Db; a secret holds the connection of one database`,
    );
  });

  test('a master no database takes fails synth', () => {
    const { app } = setup(CASES[0]);
    expect(() => app.synth()).toThrow(
      `${owner}: no database took this master credential. Pass \`credentials: master.credentials\` to an rds.DatabaseInstance or rds.DatabaseCluster`,
    );
  });

  test('a vault whose rotation function is not in a VPC', () => {
    const { app, db } = setup(CASES[0], {}, () => undefined);
    db();
    expect(() => app.synth()).toThrow(
      `${owner}: invalid \`rotationVpc\`: received "the rotation function of vault Test/Vault"; its rotation function must run in the VPC of instance Test/Db to reach it`,
    );
  });

  test('a vault whose rotation function runs in another VPC', () => {
    const { app, db } = setup(CASES[0], {}, (stack) => isolatedVpc(stack, 'OtherVpc'));
    db();
    expect(() => app.synth()).toThrow(
      `${owner}: invalid \`rotationVpc\`: received "the rotation function of vault Test/Vault"; its rotation function must run in the VPC of instance Test/Db`,
    );
  });

  test('a master that never rotates needs no VPC of the vault, and still pins nothing it cannot', () => {
    const { app, stack } = newStack();
    const vpc = isolatedVpc(stack);
    const vault = new SecretsVault(stack, 'Vault', { namePrefix: 'test/orders' });
    const master = new VaultDatabaseMaster(vault, 'Master', {
      engine: DatabaseEngine.POSTGRES,
      rotation: SecretRotationSchedule.never(),
    });
    CASES[0].make(stack, vpc, master.credentials);
    app.synth();
    expect(vault.existingRotationFunction).toBeUndefined();
    expect(ofType(resources(stack), 'AWS::SecretsManager::SecretTargetAttachment')).toHaveLength(1);
  });
});
