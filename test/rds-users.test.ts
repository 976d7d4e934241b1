/**
 * Application users of an RDS database, each one call (`master.addUser`), rotated with alternating
 * users with the vault's master as admin; what breaks them (RDS Proxy); and why no connection field is
 * in any generated template (aws-cdk#19985).
 */
import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { resolveBinding } from '../lambda/rotation/checks';
import { loadConfig } from '../lambda/rotation/config';
import { ROTATION_ENV } from '../lib/contract/rotation-contract';
import { DatabaseEngine, SecretsVault } from '../lib';
import { VaultDatabaseMaster } from '../lib/vault-database';
import { newStack, template } from './support/stack';

const ISOLATED = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
const HOST = 'orders.abcdefghij.eu-west-1.rds.amazonaws.com';
const ARN = (name: string) => `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${name}-AbCdEf`;

function build(
  options: {
    port?: number;
    engine?: 'postgres' | 'mysql';
    addUser?: 'before' | 'after';
    identifier?: string;
  } = {},
) {
  const { app, stack } = newStack();
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    maxAzs: 2,
    natGateways: 0,
    subnetConfiguration: [{ name: 'db', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
  });
  const vault = new SecretsVault(stack, 'Vault', { namePrefix: 'orders', rotationVpc: vpc });
  const mysql = options.engine === 'mysql';
  const master = new VaultDatabaseMaster(vault, 'Master', {
    engine: mysql ? DatabaseEngine.MYSQL : DatabaseEngine.POSTGRES,
  });
  const addUser = () => master.addUser('App', { username: 'orders_app', dbname: 'orders' });
  const early = options.addUser === 'before' ? addUser() : undefined;
  const db = new rds.DatabaseInstance(stack, 'Db', {
    engine: mysql
      ? rds.DatabaseInstanceEngine.mysql({ version: rds.MysqlEngineVersion.VER_8_0 })
      : rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_16 }),
    vpc,
    vpcSubnets: ISOLATED,
    credentials: master.credentials,
    port: options.port,
    instanceIdentifier: options.identifier,
  });
  const user = early ?? addUser();
  return { app, stack, vpc, vault, master, db, user };
}

type Resources = Record<string, { Type: string; Properties: any }>;
const resources = (stack: Stack) => template(stack).toJSON().Resources as Resources;
const idOf = (stack: Stack, c: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(c.node.defaultChild as any);

/** A rendered value as CloudFormation would deploy it: secrets by name, the database's endpoint fixed. */
function deployed(value: unknown, names: Record<string, string>): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const v = value as Record<string, any>;
  if ('Ref' in v) return ARN(names[v.Ref] ?? v.Ref);
  if ('Fn::GetAtt' in v) {
    const attribute = v['Fn::GetAtt'][1];
    if (attribute === 'Endpoint.Address') return HOST;
    if (attribute === 'Endpoint.Port') return '5432';
    return `${v['Fn::GetAtt'][0]}.${attribute}`;
  }
  if ('Fn::Join' in v) {
    const [separator, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map((p) => deployed(p, names)).join(separator);
  }
  return value;
}

/** The rotation function's environment as deployed, read by the function's own loadConfig. */
function functionConfig(stack: Stack) {
  const all = resources(stack);
  const names = Object.fromEntries(
    Object.entries(all)
      .filter(([, r]) => r.Type === 'AWS::SecretsManager::Secret')
      .map(([id, r]) => [id, r.Properties.Name as string]),
  );
  const fn = Object.values(all).find((r) => r.Properties?.Environment?.Variables?.ROTATION_TARGETS)!;
  const env = Object.fromEntries(
    Object.entries(fn.Properties.Environment.Variables).map(([k, v]) => [k, deployed(v, names)]),
  ) as Record<string, string>;
  const saved = { ...process.env };
  for (const name of Object.values(ROTATION_ENV)) delete process.env[name];
  Object.assign(process.env, env);
  try {
    return loadConfig();
  } finally {
    process.env = saved;
  }
}

const resolve = (config: ReturnType<typeof loadConfig>, name: string) =>
  resolveBinding({ arn: ARN(name), name, rotationEnabled: true, versionIdsToStages: {}, tags: {} }, config);

describe('application users with the vault master as admin', () => {
  test.each(['before', 'after'] as const)(
    'a user added %s the database takes the master is pinned to its endpoint, with the master as admin and verified TLS',
    (when) => {
      const { stack } = build({ addUser: when });
      const config = functionConfig(stack);
      expect(resolve(config, 'orders/Master')).toEqual({
        profile: expect.objectContaining({ kind: 'postgres-single' }),
        target: {
          engine: 'postgres',
          host: HOST,
          port: 5432,
          dbname: undefined,
          tls: 'verified',
          admin: undefined,
        },
      });
      expect(resolve(config, 'orders/App')).toEqual({
        profile: expect.objectContaining({ kind: 'postgres-alternating' }),
        target: {
          engine: 'postgres',
          host: HOST,
          port: 5432,
          dbname: 'orders',
          tls: 'verified',
          admin: ARN('orders/Master'),
        },
      });
    },
  );

  test('the user’s secret holds only its username around the password; the database attaches its connection', () => {
    const { stack, user, db } = build();
    const all = resources(stack);
    const userId = idOf(stack, user);
    expect(all[userId].Properties.GenerateSecretString).toEqual(
      expect.objectContaining({
        SecretStringTemplate: JSON.stringify({ username: 'orders_app' }),
        GenerateStringKey: 'password',
        ExcludeCharacters: '/@"\'\\:',
      }),
    );
    const attachments = Object.values(all)
      .filter((r) => r.Type === 'AWS::SecretsManager::SecretTargetAttachment')
      .map((r) => r.Properties);
    expect(attachments).toContainEqual({
      SecretId: { Ref: userId },
      TargetId: { Ref: idOf(stack, db) },
      TargetType: 'AWS::RDS::DBInstance',
    });
    expect(Object.values(all).filter((r) => r.Type === 'AWS::SecretsManager::Secret')).toHaveLength(2);
  });

  test('the rotation function may read the master (AWSCURRENT) and the database opens its port once', () => {
    const { stack, vault, master, db } = build({ addUser: 'after' });
    const all = resources(stack);
    const ingress = Object.values(all).filter(
      (r) =>
        r.Type === 'AWS::EC2::SecurityGroupIngress' &&
        JSON.stringify(r.Properties.GroupId).includes(idOf(stack, db.connections.securityGroups[0] as any)),
    );
    expect(ingress).toHaveLength(1);
    const roleId = idOf(stack, vault.rotationFunction.role);
    const policies = JSON.stringify(
      Object.values(all).filter((r) => JSON.stringify(r.Properties?.Roles ?? []).includes(roleId)),
    );
    expect(policies).toContain(
      JSON.stringify({
        Action: 'secretsmanager:GetSecretValue',
        Condition: { StringEquals: { 'secretsmanager:VersionStage': ['AWSCURRENT'] } },
        Effect: 'Allow',
        Resource: { Ref: idOf(stack, master.secret) },
      }),
    );
  });

  test.each([
    [
      'postgres',
      'a_name_of_fifty_eight_characters_that_is_too_long_for_pg_x',
      'allowed: a letter followed by letters, digits or `_`, 1 to 57 characters for postgres (alternating users add "_clone")',
    ],
    [
      'mysql',
      'a_name_of_twenty_seven_chars',
      'allowed: a letter followed by letters, digits or `_`, 1 to 26 characters for mysql (alternating users add "_clone")',
    ],
    ['postgres', 'orders app', 'allowed: a letter followed by letters, digits or `_`, 1 to 57 characters'],
    [
      'postgres',
      'postgres',
      'it is the master user, which rotates with its own secret: name an application user',
    ],
    [
      'postgres',
      'orders_clone',
      'names ending in "_clone" are the other half of an alternating pair: name the user without it',
    ],
  ] as const)('%s: username %j is refused', (engine, username, allowed) => {
    const { master } = build({ engine });
    expect(() => master.addUser('Other', { username })).toThrow(
      `VaultDatabaseMaster Test/Vault/Master.addUser("Other"): invalid \`username\`: received ${JSON.stringify(username)}; ${allowed}`,
    );
  });

  test('a dbname that cannot be one is refused', () => {
    const { master } = build();
    expect(() => master.addUser('Other', { username: 'reports', dbname: 'orders db' })).toThrow(
      'VaultDatabaseMaster Test/Vault/Master.addUser("Other"): invalid `dbname`: received "orders db"; allowed: 1 to 63 letters, digits, `_`, `$` or `-`, starting with a letter or `_`',
    );
  });
});

describe('RDS Proxy: alternating users cannot authenticate a proxy', () => {
  function withProxy(secret: (b: ReturnType<typeof build>) => secretsmanager.ISecret) {
    const b = build();
    new rds.DatabaseProxy(b.stack, 'Proxy', {
      proxyTarget: rds.ProxyTarget.fromInstance(b.db),
      secrets: [secret(b)],
      vpc: b.vpc,
      vpcSubnets: ISOLATED,
    });
    return b;
  }

  test('a proxy given an application user’s secret fails synth, saying why and what to do', () => {
    const { app } = withProxy((b) => b.user);
    expect(() => app.synth()).toThrow(
      'VaultSecret Test/Vault/App rotates with alternating users, so RDS Proxy Test/Proxy/Resource cannot authenticate with it: a proxy knows one user per registered secret',
    );
  });

  test('a proxy given the single-user master secret synthesizes', () => {
    const { app, stack } = withProxy((b) => b.db.secret!);
    app.synth();
    expect(Object.values(resources(stack)).filter((r) => r.Type === 'AWS::RDS::DBProxy')).toHaveLength(1);
  });
});

describe('changing a connection field must not change the password (aws-cdk#19985)', () => {
  const generated = (stack: Stack) =>
    Object.fromEntries(
      Object.values(resources(stack))
        .filter((r) => r.Type === 'AWS::SecretsManager::Secret')
        .map((r) => [r.Properties.Name, JSON.stringify(r.Properties.GenerateSecretString)]),
    );

  test('addDatabaseSecret too: moving the host or port leaves GenerateSecretString as it was (only the username is generated around), and re-pins the rotation', () => {
    const synth = (host: string, port?: number) => {
      const { stack } = newStack();
      const vault = new SecretsVault(stack, 'Vault', { namePrefix: 'orders' });
      vault.addDatabaseSecret('Legacy', { engine: DatabaseEngine.POSTGRES, host, port, username: 'legacy' });
      const fn = Object.values(resources(stack)).find(
        (r) => r.Properties?.Environment?.Variables?.ROTATION_TARGETS,
      )!;
      return {
        generated: generated(stack)['orders/Legacy'],
        targets: JSON.parse(fn.Properties.Environment.Variables.ROTATION_TARGETS),
      };
    };
    const before = synth('old.db.internal');
    const after = synth('new.db.internal', 5433);
    expect(after.generated).toEqual(before.generated);
    expect(JSON.parse(before.generated).SecretStringTemplate).toBe('{"username":"legacy"}');
    // The rotation function writes the connection fields into each new version, from the new pin.
    expect(Object.values(before.targets)).toEqual([
      expect.objectContaining({ host: 'old.db.internal', port: 5432 }),
    ]);
    expect(Object.values(after.targets)).toEqual([
      expect.objectContaining({ host: 'new.db.internal', port: 5433 }),
    ]);
  });

  test.each([
    ['the port', { port: 5433 }],
    ['the instance (a new identifier replaces it, and its host)', { identifier: 'orders-v2' }],
  ])('moving %s leaves every generated template as it was, and re-pins the rotation', (_what, change) => {
    const before = build();
    const after = build(change);
    expect(generated(after.stack)).toEqual(generated(before.stack));
    expect(Object.keys(generated(before.stack))).toEqual(['orders/Master', 'orders/App']);
    const env = (stack: Stack) =>
      JSON.stringify(
        Object.values(resources(stack)).find((r) => r.Properties?.Environment?.Variables?.ROTATION_TARGETS)!
          .Properties.Environment.Variables.ROTATION_TARGETS,
      );
    // The pinned endpoint is the database's own attributes: it follows the database on its own.
    expect(env(after.stack)).toContain('Endpoint.Address');
    expect(resources(after.stack)[idOf(after.stack, after.db)].Properties).toEqual(
      expect.objectContaining('port' in change ? { Port: '5433' } : { DBInstanceIdentifier: 'orders-v2' }),
    );
  });
});
