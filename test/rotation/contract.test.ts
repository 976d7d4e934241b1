/**
 * The contract between the constructs and the function (lib/contract/rotation-contract.ts): what a
 * synthesized RotationFunction's environment says is exactly what the function's loadConfig accepts,
 * and each secret the constructs added resolves to the profile and target they pinned. Also measures
 * the environment at 150 database secrets against Lambda's 4 KB.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { loadConfig } from '../../lambda/rotation/config';
import { resolveBinding } from '../../lambda/rotation/checks';
import {
  ROTATION_ENV,
  ROTATION_PROFILE_TAG,
  secretNameKey,
  type HostTargetSpec,
} from '../../lib/contract/rotation-contract';
import { parseDatabaseSecret } from '../../lambda/rotation/strategies/database/secret';
import { POSTGRES } from '../../lambda/rotation/strategies/postgres';
import { DatabaseEngine, DatabaseTls, DatabaseUserRotation, SecretContent, SecretsVault } from '../../lib';
import { MAX_LAMBDA_ENVIRONMENT_BYTES } from '../../lib/private/size';

function synth(build: (vault: SecretsVault, stack: Stack) => void): Record<string, string> {
  const app = new App({ builtinCloudFormationValidation: false });
  const stack = new Stack(app, 'Test', { env: { account: '123456789012', region: 'us-east-1' } });
  const vault = new SecretsVault(stack, 'Vault', { namePrefix: 'orders' });
  build(vault, stack);
  const functions = Template.fromStack(stack).findResources('AWS::Lambda::Function');
  const fn = Object.values(functions).find((f) => f.Properties.Environment?.Variables?.ROTATION_PROFILES);
  return Object.fromEntries(
    Object.entries(fn!.Properties.Environment.Variables).map(([k, v]) => [k, deployed(v)]),
  ) as Record<string, string>;
}

/** A value as CloudFormation would deploy it: each Ref becomes a secret ARN named after its resource. */
function deployed(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const v = value as Record<string, unknown>;
  if ('Ref' in v) return ARN(String(v.Ref));
  if ('Fn::Join' in v) {
    const [separator, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map(deployed).join(separator);
  }
  return value;
}

function withEnv<T>(variables: Record<string, unknown>, action: () => T): T {
  const saved = { ...process.env };
  for (const name of Object.values(ROTATION_ENV)) delete process.env[name];
  for (const [name, value] of Object.entries(variables)) {
    if (typeof value === 'string') process.env[name] = value;
  }
  try {
    return action();
  } finally {
    process.env = saved;
  }
}

const ARN = (name: string) => `arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}-AbCdEf`;

test('what the constructs write is what the function accepts: every secret resolves to the profile and target pinned for it', () => {
  const env = synth((vault) => {
    vault.addSecret('ApiKey');
    vault.addSecret('Token', { content: SecretContent.generatedString({ length: 64 }) });
    const admin = vault.addDatabaseSecret('Admin', {
      engine: DatabaseEngine.POSTGRES,
      host: 'db.internal',
      username: 'postgres',
    });
    vault.addDatabaseSecret('App', {
      engine: DatabaseEngine.POSTGRES,
      host: 'db.internal',
      dbname: 'orders',
      username: 'app',
      userRotation: DatabaseUserRotation.alternatingUsers(admin),
    });
    vault.addDatabaseSecret('Legacy', {
      engine: DatabaseEngine.MYSQL,
      host: 'legacy.internal',
      port: 3307,
      username: 'legacy',
      tls: DatabaseTls.PLAINTEXT_INSECURE,
    });
  });
  const config = withEnv(env, () => loadConfig());
  const profiles = JSON.parse(env.ROTATION_PROFILES);
  const resolve = (name: string) =>
    resolveBinding({ arn: ARN(name), name, rotationEnabled: true, versionIdsToStages: {}, tags: {} }, config);

  expect(resolve('orders/ApiKey').profile).toEqual(
    expect.objectContaining({ kind: 'generated', password: expect.objectContaining({ length: 32 }) }),
  );
  expect(resolve('orders/ApiKey').target).toBeUndefined();
  expect(resolve('orders/Token').profile).toEqual(
    expect.objectContaining({ password: expect.objectContaining({ length: 64 }) }),
  );
  expect(resolve('orders/Admin')).toEqual({
    profile: expect.objectContaining({ kind: 'postgres-single' }),
    target: {
      engine: 'postgres',
      host: 'db.internal',
      port: 5432,
      dbname: undefined,
      tls: 'verified',
      admin: undefined,
    },
  });
  expect(resolve('orders/App').profile.kind).toBe('postgres-alternating');
  expect(resolve('orders/App').target).toEqual(
    expect.objectContaining({
      host: 'db.internal',
      dbname: 'orders',
      tls: 'verified',
      admin: expect.any(String),
    }),
  );
  expect(resolve('orders/Legacy').target).toEqual(
    expect.objectContaining({ engine: 'mysql', host: 'legacy.internal', port: 3307, tls: 'plaintext' }),
  );
  // Every profile the constructs wrote parses to the same password rules.
  for (const [id, profile] of config.profiles) {
    expect((profile as unknown as { password: unknown }).password).toEqual(profiles[id].password);
  }
  // A secret the deployment did not add may not use a database profile through its tag.
  const stray = {
    arn: ARN('orders/Stray'),
    name: 'orders/Stray',
    rotationEnabled: true,
    versionIdsToStages: {},
  };
  const dbProfile = [...config.profiles.values()].find((p) => p.kind === 'postgres-single')!;
  expect(() =>
    resolveBinding({ ...stray, tags: { 'secrets-vault:rotation-profile': dbProfile.id } }, config),
  ).toThrow('is not bound to a database target by this deployment');
});

test('a moved database: the former endpoints the constructs write (movedFrom) are exactly what the function parses and accepts', () => {
  const env = synth((vault) => {
    vault.addDatabaseSecret('Moved', {
      engine: DatabaseEngine.POSTGRES,
      host: 'new.db.internal',
      port: 6432,
      dbname: 'orders',
      username: 'app',
      movedFrom: [
        // Port and database left out: the engine's port, the secret's database.
        { host: 'old.db.internal' },
        { host: 'older.db.internal', port: 5433, dbname: 'orders_v1' },
      ],
    });
    vault.addDatabaseSecret('MovedMysql', {
      engine: DatabaseEngine.MYSQL,
      host: 'new.mysql.internal',
      username: 'app',
      movedFrom: [{ host: 'old.mysql.internal', port: 3307 }],
    });
  });
  const config = withEnv(env, () => loadConfig());
  const resolve = (name: string) =>
    resolveBinding({ arn: ARN(name), name, rotationEnabled: true, versionIdsToStages: {}, tags: {} }, config);
  const moved = resolve('orders/Moved').target as HostTargetSpec;
  expect(moved).toEqual({
    engine: 'postgres',
    host: 'new.db.internal',
    port: 6432,
    dbname: 'orders',
    tls: 'verified',
    admin: undefined,
    formerly: [
      { host: 'old.db.internal', port: 5432, dbname: 'orders' },
      { host: 'older.db.internal', port: 5433, dbname: 'orders_v1' },
    ],
  });
  expect((resolve('orders/MovedMysql').target as HostTargetSpec).formerly).toEqual([
    { host: 'old.mysql.internal', port: 3307 },
  ]);
  // What was written is what was parsed, entry for entry.
  const written = Object.values(JSON.parse(env.ROTATION_TARGETS) as Record<string, { formerly?: unknown }>);
  expect(written.map((t) => t.formerly)).toEqual(
    [...config.targets.values()].map((t) => (t as HostTargetSpec).formerly),
  );
  // And the function reads a value naming a former endpoint as the secret's, any other as foreign.
  const value = (fields: Record<string, unknown>) =>
    JSON.stringify({ engine: 'postgres', dbname: 'orders', username: 'app', password: 'pw', ...fields });
  const parse = (text: string) =>
    parseDatabaseSecret(text, POSTGRES, moved, 'V', { arn: ARN('orders/Moved') });
  expect(parse(value({ host: 'old.db.internal', port: 5432 })).formerEndpoint).toEqual(moved.formerly?.[0]);
  expect(parse(value({ host: 'new.db.internal', port: 6432 })).formerEndpoint).toBeUndefined();
  expect(() => parse(value({ host: 'old.db.internal', port: 5433 }))).toThrow(
    'declare `movedFrom: [{ host: "old.db.internal", port: 5433 }]` in the options of secret',
  );
});

test('the contract refuses the same password rules on both sides (all four classes excluded, with a space)', () => {
  const rules = {
    excludePunctuation: true,
    excludeNumbers: true,
    excludeUppercase: true,
    excludeLowercase: true,
    includeSpace: true,
  };
  expect(() =>
    synth((vault) => vault.addSecret('S', { content: SecretContent.generatedString(rules) })),
  ).toThrow(
    // The construct names the props the user set (its wording is SecretContent's); the rule is the contract's.
    /SecretContent\.generatedString: invalid .*; allowed: leave at least one of punctuation, numbers, upper or lower case/,
  );
  expect(() =>
    withEnv(
      {
        VAULT_SECRET_NAME_PREFIX: 'orders/',
        ROTATION_PROFILES: JSON.stringify({ p: { kind: 'generated', password: rules } }),
      },
      () => loadConfig(),
    ),
  ).toThrow(
    'ROTATION_PROFILES["p"].password: invalid exclude*; allowed: leave at least one of punctuation, numbers, upper or lower case',
  );
});

test('alternating users refuse any TLS mode but verified at synth', () => {
  expect(() =>
    synth((vault) => {
      const admin = vault.addDatabaseSecret('Admin', {
        engine: DatabaseEngine.POSTGRES,
        host: 'db',
        username: 'postgres',
      });
      vault.addDatabaseSecret('App', {
        engine: DatabaseEngine.POSTGRES,
        host: 'db',
        username: 'app',
        tls: DatabaseTls.UNVERIFIED_INSECURE,
        userRotation: DatabaseUserRotation.alternatingUsers(admin),
      });
    }),
  ).toThrow(
    'invalid `tls`: received "unverified"; alternating users log in with the admin secret, which travels over verified TLS only',
  );
});

test('a function target naming an admin with unverified TLS is refused when the environment is read', () => {
  expect(() =>
    withEnv(
      {
        VAULT_SECRET_NAME_PREFIX: 'orders/',
        ROTATION_PROFILES: JSON.stringify({ p: { kind: 'postgres-alternating' } }),
        ROTATION_TARGETS: JSON.stringify({
          t0: { engine: 'postgres', host: 'db', port: 5432, tls: 'plaintext', admin: ARN('admin') },
        }),
        ROTATION_BINDINGS: JSON.stringify({ 'p@t0': secretNameKey('orders/App') }),
      },
      () => loadConfig(),
    ),
  ).toThrow('names an admin secret with tls "plaintext": admin credentials travel over verified TLS only');
});

test('a secret the deployment left unbound rotates with the default profile, and a tag can only agree with it', () => {
  const env = synth((vault) => {
    for (let i = 0; i < 3; i += 1) vault.addSecret(`ApiKey${i}`);
    vault.addSecret('Token', { content: SecretContent.generatedString({ length: 64 }) });
    vault.addDatabaseSecret('Db', { engine: DatabaseEngine.POSTGRES, host: 'db.internal', username: 'app' });
  });
  const config = withEnv(env, () => loadConfig());
  const profiles = JSON.parse(env.ROTATION_PROFILES) as Record<
    string,
    { kind: string; password: { length: number } }
  >;
  const idOf = (kind: string, length: number) =>
    Object.keys(profiles).find(
      (id) => profiles[id].kind === kind && profiles[id].password.length === length,
    )!;
  const [apiKeys, token, db] = [idOf('generated', 32), idOf('generated', 64), idOf('postgres-single', 32)];
  // The three API keys share the most common generated profile: it is the default, and they are not bound.
  expect(env.ROTATION_DEFAULT_PROFILE).toBe(apiKeys);
  expect(Object.keys(JSON.parse(env.ROTATION_BINDINGS)).sort()).toEqual([token, `${db}@t0`].sort());
  expect(env.ROTATION_BINDINGS).not.toContain(secretNameKey('orders/ApiKey0'));

  const resolve = (name: string, tag?: string) =>
    resolveBinding(
      {
        arn: ARN(name),
        name,
        rotationEnabled: true,
        versionIdsToStages: {},
        tags: tag === undefined ? {} : { [ROTATION_PROFILE_TAG]: tag },
      },
      config,
    );
  // As deployed (tagged with its own profile), untagged, or made elsewhere under the prefix: the default.
  expect(resolve('orders/ApiKey0', apiKeys)).toEqual({ profile: config.profiles.get(apiKeys) });
  expect(resolve('orders/ApiKey1')).toEqual({ profile: config.profiles.get(apiKeys) });
  expect(resolve('orders/MadeElsewhere')).toEqual({ profile: config.profiles.get(apiKeys) });
  // A writer who retags an unbound secret gets a failed step, not another profile.
  expect(() => resolve('orders/ApiKey2', token)).toThrow(
    `secret ${ARN('orders/ApiKey2')} carries ${ROTATION_PROFILE_TAG} tag "${token}", but this deployment did not bind it, so it rotates with the default profile "${apiKeys}" only`,
  );
  expect(() => resolve('orders/ApiKey2', db)).toThrow(
    `secret ${ARN('orders/ApiKey2')} is not bound to a database target by this deployment, so profile "${db}" (postgres-single) cannot rotate it`,
  );
  // And the bound ones keep their own profile: the default does not reach them through a tag.
  expect(resolve('orders/Token', token).profile).toBe(config.profiles.get(token));
  expect(() => resolve('orders/Token', apiKeys)).toThrow(
    `but this deployment bound it to profile "${token}"`,
  );
  expect(() => resolve('orders/Db', apiKeys)).toThrow(`but this deployment bound it to profile "${db}"`);
});

/** The function's environment as Lambda counts it: names and values. */
const envBytes = (env: Record<string, string>) =>
  Object.entries(env).reduce((sum, [k, v]) => sum + k.length + String(v).length, 0);

test('the environment does not grow with generated secrets: 1 and 150 take the same bytes (measured)', () => {
  const generated = (count: number) =>
    synth((vault) => {
      for (let i = 0; i < count; i += 1) vault.addSecret(`ApiKey${i}`);
    });
  const [one, many] = [generated(1), generated(150)];
  expect(many.ROTATION_BINDINGS).toBeUndefined();
  expect(envBytes(many)).toBe(envBytes(one));
  process.stdout.write(
    `environment at 1 generated secret: ${envBytes(one)} bytes; at 150: ${envBytes(many)} bytes\n`,
  );
});

test("150 database secrets on one endpoint fit Lambda's 4 KB environment (measured)", () => {
  const env = synth((vault) => {
    for (let i = 0; i < 150; i += 1) {
      vault.addDatabaseSecret(`Db${i}`, {
        engine: DatabaseEngine.POSTGRES,
        host: 'orders.cluster-abcdefghijkl.us-east-1.rds.amazonaws.com',
        dbname: 'orders',
        username: `app${i}`,
      });
    }
  });
  const bytes = envBytes(env);
  const bindings = env.ROTATION_BINDINGS.length;
  // 150 secrets cost 11 bytes each in ROTATION_BINDINGS; the endpoint is written once.
  expect(bindings).toBeLessThanOrEqual(150 * 11 + 40);
  expect(bytes).toBeLessThan(MAX_LAMBDA_ENVIRONMENT_BYTES);
  process.stdout.write(`environment at 150 database secrets: ${bytes} bytes (bindings ${bindings})\n`);
});
