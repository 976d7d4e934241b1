import { App, Fn, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { AwsSolutionsChecks, NIST80053R5Checks } from 'cdk-nag';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import {
  DatabaseEngine,
  DatabaseSecretOptions,
  DatabaseTls,
  DatabaseUserRotation,
  RotationStrategy,
  SecretRotationSchedule,
  SecretsVault,
  SecretsVaultProps,
} from '../lib';
import { ACCOUNT, REGION, newStack, onlyResource, resourcesOf, template } from './support/stack';

function profileOf(stack: Stack, kind: string) {
  const profiles = JSON.parse(
    onlyResource(stack, 'AWS::Lambda::Function').Properties.Environment.Variables.ROTATION_PROFILES,
  );
  return Object.values(profiles).find((p: any) => p.kind === kind) as any;
}

/**
 * A new stack with a vault (name prefix `orders`, then `vaultProps`) and its database secret `Db`: the
 * PostgreSQL user `app` at db.internal, then `options`.
 */
function withDatabaseSecret(
  options: Partial<DatabaseSecretOptions> = {},
  vaultProps: SecretsVaultProps = {},
) {
  const { stack } = newStack();
  const vault = new SecretsVault(stack, 'Vault', { namePrefix: 'orders', ...vaultProps });
  const secret = vault.addDatabaseSecret('Db', {
    engine: DatabaseEngine.POSTGRES,
    host: 'db.internal',
    username: 'app',
    ...options,
  });
  return { stack, vault, secret };
}

describe('SecretsVault.addDatabaseSecret', () => {
  test('a PostgreSQL single-user secret: username and generated password, the connection pinned in the function, no colon in passwords', () => {
    const { stack } = withDatabaseSecret({ dbname: 'orders' });
    const generator = onlyResource(stack, 'AWS::SecretsManager::Secret').Properties.GenerateSecretString;
    // The connection fields stay out of the generated part (aws-cdk#19985): the function writes them.
    expect(JSON.parse(generator.SecretStringTemplate)).toEqual({ username: 'app' });
    expect(generator.GenerateStringKey).toBe('password');
    const env = onlyResource(stack, 'AWS::Lambda::Function').Properties.Environment.Variables;
    expect(JSON.parse(env.ROTATION_TARGETS)).toEqual({
      t0: { engine: 'postgres', host: 'db.internal', port: 5432, dbname: 'orders', tls: 'verified' },
    });
    expect(generator.ExcludeCharacters).toBe('/@"\'\\:');
    expect(profileOf(stack, 'postgres-single')).toEqual({
      kind: 'postgres-single',
      password: expect.objectContaining({ length: 32, excludeCharacters: '/@"\'\\:' }),
    });
  });

  test('a MySQL alternating-users secret: its admin secret is pinned with the target, and the function may read it; verified TLS', () => {
    const { stack } = newStack();
    const vault = new SecretsVault(stack, 'Vault', { namePrefix: 'orders' });
    const admin = vault.addDatabaseSecret('Admin', {
      engine: DatabaseEngine.MYSQL,
      host: 'db.internal',
      username: 'admin',
    });
    vault.addDatabaseSecret('App', {
      engine: DatabaseEngine.MYSQL,
      host: 'db.internal',
      username: 'app',
      userRotation: DatabaseUserRotation.alternatingUsers(admin),
    });
    const templates = Object.values(resourcesOf(stack, 'AWS::SecretsManager::Secret')).map(
      (s) => s.Properties.GenerateSecretString.SecretStringTemplate,
    );
    // No `masterarn` in the generated part: the function writes the pinned admin into each version.
    expect(templates.sort()).toEqual(['{"username":"admin"}', '{"username":"app"}']);
    const adminId = stack.getLogicalId(admin.node.defaultChild as any);
    const env = onlyResource(stack, 'AWS::Lambda::Function').Properties.Environment.Variables;
    expect(env.ROTATION_TARGETS).toEqual({
      'Fn::Join': [
        '',
        [
          '{"t0":{"engine":"mysql","host":"db.internal","port":3306,"tls":"verified"},' +
            '"t1":{"engine":"mysql","host":"db.internal","port":3306,"tls":"verified","admin":"',
          { Ref: adminId },
          '"}}',
        ],
      ],
    });
    expect(profileOf(stack, 'mysql-alternating').password.excludeCharacters).toBe('/@"\'\\');
    const statements = Object.values(resourcesOf(stack, 'AWS::IAM::ManagedPolicy'))[0].Properties
      .PolicyDocument.Statement;
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: 'secretsmanager:GetSecretValue',
      Resource: { Ref: adminId },
      Condition: { StringEquals: { 'secretsmanager:VersionStage': ['AWSCURRENT'] } },
    });
  });

  test('warns that a rotation function outside a VPC reaches only public databases', () => {
    const { stack } = newStack();
    const vault = new SecretsVault(stack, 'Vault');
    vault.addDatabaseSecret('Db', { engine: DatabaseEngine.POSTGRES, host: 'db.internal', username: 'app' });
    Annotations.fromStack(stack).hasWarning('/Test/Vault', Match.stringLikeRegexp('not in a VPC'));
  });

  test('runs the rotation function in the database VPC, reachable through its security group', () => {
    const { stack } = newStack();
    const vpc = new ec2.Vpc(stack, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'db', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
    });
    const dbGroup = new ec2.SecurityGroup(stack, 'DbGroup', { vpc });
    const vault = new SecretsVault(stack, 'Vault', { rotationVpc: vpc });
    vault.addDatabaseSecret('Db', { engine: DatabaseEngine.POSTGRES, host: 'db.internal', username: 'app' });
    dbGroup.connections.allowFrom(vault.rotationFunction, ec2.Port.tcp(5432));
    template(stack).hasResourceProperties('AWS::Lambda::Function', {
      VpcConfig: {
        SubnetIds: Match.anyValue(),
        SecurityGroupIds: [
          { 'Fn::GetAtt': [Match.stringLikeRegexp('^VaultRotationFunctionSecurityGroup'), 'GroupId'] },
        ],
      },
    });
    template(stack).hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: 5432,
      SourceSecurityGroupId: {
        'Fn::GetAtt': [Match.stringLikeRegexp('^VaultRotationFunctionSecurityGroup'), 'GroupId'],
      },
    });
    Annotations.fromStack(stack).hasNoWarning('/Test/Vault', Match.stringLikeRegexp('not in a VPC'));
  });

  test('a vault rotating a database in a VPC passes AwsSolutions and NIST 800-53 rev 5', () => {
    const app = new App({ builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'Nag', { env: { account: ACCOUNT, region: REGION } });
    // An existing VPC: its own findings (flow logs, default group) are its owner's, not this library's.
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
      vpcId: 'vpc-0123456789abcdef0',
      availabilityZones: ['eu-west-1a', 'eu-west-1b'],
      privateSubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'],
    });
    const vault = new SecretsVault(stack, 'Vault', { rotationVpc: vpc });
    const admin = vault.addDatabaseSecret('Admin', {
      engine: DatabaseEngine.POSTGRES,
      host: 'db.internal',
      username: 'postgres',
    });
    vault.addDatabaseSecret('App', {
      engine: DatabaseEngine.POSTGRES,
      host: 'db.internal',
      username: 'app',
      userRotation: DatabaseUserRotation.alternatingUsers(admin),
    });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new NIST80053R5Checks(app));
    expect(() => app.synth()).not.toThrow();
  });

  test.each([
    [{ port: 0 }, 'invalid `port`: received 0; allowed: a whole number from 1 to 65535'],
    [{ port: 70000 }, 'invalid `port`: received 70000; allowed: a whole number from 1 to 65535'],
    [{ host: ' ' }, 'invalid `host`: received " "; allowed: the database host name, without spaces'],
    [{ host: 'db ' }, 'invalid `host`: received "db "; allowed: the database host name, without spaces'],
    [{ username: '' }, 'invalid `username`: received ""; allowed: 1 to 63 characters for postgres'],
    [
      { username: 'u'.repeat(64) },
      `invalid \`username\`: received "${'u'.repeat(64)}"; allowed: 1 to 63 characters for postgres`,
    ],
  ])('rejects %j', (override, message) => {
    const { stack } = newStack();
    const vault = new SecretsVault(stack, 'Vault');
    expect(() =>
      vault.addDatabaseSecret('Db', {
        engine: DatabaseEngine.POSTGRES,
        host: 'db',
        username: 'app',
        ...override,
      }),
    ).toThrow(`SecretsVault Test/Vault: ${message}.`);
  });

  test.each([
    [DatabaseTls.UNVERIFIED_INSECURE, 'unverified'],
    [DatabaseTls.PLAINTEXT_INSECURE, 'plaintext'],
  ])(
    'tls %p: the function is pinned to that mode; the generated part has no `ssl` (the function writes it)',
    (tls, mode) => {
      const { stack } = withDatabaseSecret({ tls });
      const generator = onlyResource(stack, 'AWS::SecretsManager::Secret').Properties.GenerateSecretString;
      expect(JSON.parse(generator.SecretStringTemplate)).toEqual({ username: 'app' });
      const env = onlyResource(stack, 'AWS::Lambda::Function').Properties.Environment.Variables;
      expect(JSON.parse(env.ROTATION_TARGETS)).toEqual({
        t0: { engine: 'postgres', host: 'db.internal', port: 5432, tls: mode },
      });
    },
  );

  test('without tls, the function is pinned to verified TLS', () => {
    const { stack } = withDatabaseSecret({ engine: DatabaseEngine.MYSQL, port: 3307 });
    const env = onlyResource(stack, 'AWS::Lambda::Function').Properties.Environment.Variables;
    expect(JSON.parse(env.ROTATION_TARGETS)).toEqual({
      t0: { engine: 'mysql', host: 'db.internal', port: 3307, tls: 'verified' },
    });
  });

  test('movedFrom pins the former endpoints with the target (port and dbname resolved), in a target of their own', () => {
    const { stack } = newStack();
    const vault = new SecretsVault(stack, 'Vault', { namePrefix: 'orders' });
    const common = { engine: DatabaseEngine.POSTGRES, host: 'new.internal', dbname: 'orders' };
    vault.addDatabaseSecret('Moved', {
      ...common,
      username: 'app',
      movedFrom: [{ host: 'old.internal' }, { host: 'older.internal', port: 6432, dbname: 'legacy' }],
    });
    // A secret on the same endpoint that never lived elsewhere keeps the plain target.
    vault.addDatabaseSecret('Fresh', { ...common, username: 'reports' });
    const env = onlyResource(stack, 'AWS::Lambda::Function').Properties.Environment.Variables;
    const pin = { engine: 'postgres', host: 'new.internal', port: 5432, dbname: 'orders', tls: 'verified' };
    expect(JSON.parse(env.ROTATION_TARGETS)).toEqual({
      t0: {
        ...pin,
        formerly: [
          { host: 'old.internal', port: 5432, dbname: 'orders' },
          { host: 'older.internal', port: 6432, dbname: 'legacy' },
        ],
      },
      t1: pin,
    });
    const generators = Object.values(resourcesOf(stack, 'AWS::SecretsManager::Secret')).map(
      (secret) => secret.Properties.GenerateSecretString.SecretStringTemplate,
    );
    expect(generators.sort()).toEqual(['{"username":"app"}', '{"username":"reports"}']);
  });

  test('RotationStrategy.singleUser takes former endpoints as `formerly`, checked and named as such', () => {
    const target = { engine: DatabaseEngine.MYSQL, host: 'new.internal' };
    const strategy = RotationStrategy.singleUser({
      ...target,
      formerly: [{ host: 'old.internal', port: 3307 }],
    });
    expect(strategy.renderTarget()).toEqual({
      engine: 'mysql',
      host: 'new.internal',
      port: 3306,
      tls: 'verified',
      formerly: [{ host: 'old.internal', port: 3307 }],
    });
    expect(() => RotationStrategy.singleUser({ ...target, formerly: [{ host: 'NEW.internal' }] })).toThrow(
      'RotationStrategy.singleUser: invalid `formerly[0]`: received { host: "NEW.internal", port: 3306 }; that is the database\'s current endpoint',
    );
    expect(() => RotationStrategy.singleUser({ ...target, formerly: [{ host: 'old', port: 0 }] })).toThrow(
      'RotationStrategy.singleUser: invalid `formerly[0].port`: received 0; allowed: a whole number from 1 to 65535.',
    );
  });

  test.each([DatabaseTls.UNVERIFIED_INSECURE, DatabaseTls.PLAINTEXT_INSECURE])(
    'refuses alternating users with tls %p: the admin credential travels over verified TLS only',
    (tls) => {
      const { stack } = newStack();
      const vault = new SecretsVault(stack, 'Vault');
      const admin = vault.addDatabaseSecret('Admin', {
        engine: DatabaseEngine.POSTGRES,
        host: 'db',
        username: 'root',
      });
      expect(() =>
        vault.addDatabaseSecret('Db', {
          engine: DatabaseEngine.POSTGRES,
          host: 'db',
          username: 'app',
          tls,
          userRotation: DatabaseUserRotation.alternatingUsers(admin),
        }),
      ).toThrow(
        `SecretsVault Test/Vault: invalid \`tls\`: received "${tls.mode}"; alternating users log in with the admin secret, which travels over verified TLS only: use DatabaseTls.VERIFIED.`,
      );
    },
  );

  describe('verified TLS to MySQL needs a DNS name: an IP address is refused at synth', () => {
    const allowed =
      "verified TLS checks the certificate against a host name, and the MySQL driver cannot check an IP address: use the database's DNS name (such as the RDS endpoint address), or a TLS mode other than DatabaseTls.VERIFIED.";

    test.each(['10.0.0.5', '127.0.0.1', '::1', '[fd00::5]', '2001:db8::1'])('refuses host %s', (host) => {
      const { stack } = newStack();
      const vault = new SecretsVault(stack, 'Vault');
      expect(() =>
        vault.addDatabaseSecret('Db', { engine: DatabaseEngine.MYSQL, host, username: 'app' }),
      ).toThrow(`SecretsVault Test/Vault: invalid \`host\`: received "${host}"; ${allowed}`);
    });

    test('RotationStrategy.singleUser and .alternatingUsers refuse it too', () => {
      const { stack } = newStack();
      const admin = new secretsmanager.Secret(stack, 'Admin');
      const target = { engine: DatabaseEngine.MYSQL, host: '10.0.0.5' };
      expect(() => RotationStrategy.singleUser(target)).toThrow(
        `RotationStrategy.singleUser: invalid \`host\`: received "10.0.0.5"; ${allowed}`,
      );
      expect(() => RotationStrategy.alternatingUsers(target, admin)).toThrow(
        `RotationStrategy.alternatingUsers: invalid \`host\`: received "10.0.0.5"; ${allowed}`,
      );
    });

    test.each([
      ['a DNS name with verified TLS', DatabaseEngine.MYSQL, 'db.internal', undefined],
      ['a name that merely starts with digits', DatabaseEngine.MYSQL, '10.0.0.5.nip.example', undefined],
      [
        'an IP address with unverified TLS',
        DatabaseEngine.MYSQL,
        '10.0.0.5',
        DatabaseTls.UNVERIFIED_INSECURE,
      ],
      ['an IP address without TLS', DatabaseEngine.MYSQL, '10.0.0.5', DatabaseTls.PLAINTEXT_INSECURE],
      ['an IP address for PostgreSQL (pg checks it)', DatabaseEngine.POSTGRES, '10.0.0.5', undefined],
    ])('accepts %s', (_name, engine, host, tls) => {
      const { stack } = withDatabaseSecret({ engine, host, tls });
      const env = onlyResource(stack, 'AWS::Lambda::Function').Properties.Environment.Variables;
      expect(JSON.parse(env.ROTATION_TARGETS).t0.host).toBe(host);
    });

    test('a host that is a token (an RDS endpoint address) is left to the function', () => {
      const { stack } = withDatabaseSecret({
        engine: DatabaseEngine.MYSQL,
        host: Fn.importValue('DbAddress'),
      });
      const env = onlyResource(stack, 'AWS::Lambda::Function').Properties.Environment.Variables;
      expect(JSON.stringify(env.ROTATION_TARGETS)).toContain('DbAddress');
    });
  });

  test('rejects a MySQL username too long for its _clone', () => {
    const { stack } = newStack();
    const vault = new SecretsVault(stack, 'Vault');
    const admin = vault.addDatabaseSecret('Admin', {
      engine: DatabaseEngine.MYSQL,
      host: 'db',
      username: 'root',
    });
    const username = 'u'.repeat(27);
    expect(() =>
      vault.addDatabaseSecret('Db', {
        engine: DatabaseEngine.MYSQL,
        host: 'db',
        username,
        userRotation: DatabaseUserRotation.alternatingUsers(admin),
      }),
    ).toThrow(
      `invalid \`username\`: received "${username}"; allowed: 1 to 26 characters for mysql (alternating users add "_clone").`,
    );
  });

  test.each([
    ['its own rotation', { rotation: SecretRotationSchedule.never() }, {}],
    ["the vault's rotation", {}, { rotation: SecretRotationSchedule.never() }],
  ])(
    'a database secret whose %s is off gets no strategy or function, and no message about a strategy it was not given',
    (_what, options, vaultProps) => {
      const { stack, vault, secret } = withDatabaseSecret(
        { tls: DatabaseTls.PLAINTEXT_INSECURE, ...options },
        vaultProps,
      );
      expect(secret.rotationSchedule).toBeUndefined();
      expect(vault.existingRotationFunction).toBeUndefined();
      const generator = onlyResource(stack, 'AWS::SecretsManager::Secret').Properties.GenerateSecretString;
      expect(JSON.parse(generator.SecretStringTemplate)).toEqual({ username: 'app' });
      // The function never connects: no word about its TLS or its VPC; VaultSecret says it does not rotate.
      const warnings = Annotations.fromStack(stack).findWarning('*', Match.anyValue());
      expect(warnings.map((w) => String(w.entry.data))).toEqual([
        expect.stringContaining('This secret is not rotated'),
      ]);
    },
  );

  test.each([
    [DatabaseEngine.POSTGRES, 'orders_app2'],
    [DatabaseEngine.POSTGRES, '_app'],
    [DatabaseEngine.MYSQL, 'OrdersApp'],
    [DatabaseEngine.MYSQL, 'app_1'],
  ])('accepts the %p username %p, which the engine takes without quotes', (engine, username) => {
    const { stack } = withDatabaseSecret({ engine, username });
    const generator = onlyResource(stack, 'AWS::SecretsManager::Secret').Properties.GenerateSecretString;
    expect(JSON.parse(generator.SecretStringTemplate)).toEqual({ username });
  });

  test.each([
    ['the default exclusions', undefined],
    ['exclusions that keep : / @ out', { excludeCharacters: ':/@"' }],
    ['no punctuation at all', { excludeCharacters: '', excludePunctuation: true }],
  ])('PostgreSQL passwords with %s: no warning about connection URIs', (_what, passwordOptions) => {
    const { stack } = withDatabaseSecret({ passwordOptions });
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('connection URIs'));
  });

  test('MySQL passwords may hold ":" (its default lets it in): no warning about connection URIs', () => {
    const { stack } = withDatabaseSecret({
      engine: DatabaseEngine.MYSQL,
      passwordOptions: { excludeCharacters: '/@' },
    });
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('connection URIs'));
  });

  test('verified TLS (the default) gives no TLS warning', () => {
    const { stack } = withDatabaseSecret();
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('INSECURE'));
  });

  test('rejects VPC subnets or security groups without a VPC', () => {
    const { stack } = newStack();
    expect(
      () =>
        new SecretsVault(stack, 'Vault', {
          rotationVpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
        }),
    ).toThrow(
      'SecretsVault Test/Vault: invalid `rotationVpcSubnets`: received "a value without rotationVpc"; set `rotationVpc` as well, or leave both out.',
    );
  });
});

test('a rotation function outside a VPC has no connections to allow', () => {
  const { stack } = newStack();
  const vault = new SecretsVault(stack, 'Vault');
  expect(() => vault.rotationFunction.connections).toThrow(
    'RotationFunction Test/Vault/Rotation: invalid `vpc`: received undefined; the function has network connections only in a VPC: set `vpc` (in a SecretsVault, `rotationVpc`).',
  );
});

test('a function rotating database secrets trusts the RDS certificate authorities; one with generated values does not load them', () => {
  const withDb = newStack();
  new SecretsVault(withDb.stack, 'Vault').addDatabaseSecret('Db', {
    engine: DatabaseEngine.MYSQL,
    host: 'db',
    username: 'app',
  });
  expect(
    onlyResource(withDb.stack, 'AWS::Lambda::Function').Properties.Environment.Variables.NODE_EXTRA_CA_CERTS,
  ).toBe('/var/runtime/ca-cert.pem');
  const generated = newStack();
  new SecretsVault(generated.stack, 'Vault').addSecret('ApiKey');
  expect(
    onlyResource(generated.stack, 'AWS::Lambda::Function').Properties.Environment.Variables
      .NODE_EXTRA_CA_CERTS,
  ).toBeUndefined();
});
