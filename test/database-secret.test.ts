import { App, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { AwsSolutionsChecks, NIST80053R5Checks } from 'cdk-nag';
import { DatabaseEngine, DatabaseUserRotation, SecretsVault } from '../lib';
import { ACCOUNT, REGION, newStack, onlyResource, resourcesOf, template } from './support/stack';

function profileOf(stack: Stack, kind: string) {
  const profiles = JSON.parse(
    onlyResource(stack, 'AWS::Lambda::Function').Properties.Environment.Variables.ROTATION_PROFILES,
  );
  return Object.values(profiles).find((p: any) => p.kind === kind) as any;
}

describe('SecretsVault.addDatabaseSecret', () => {
  test('a PostgreSQL single-user secret: the usual JSON, TLS on, no colon in passwords', () => {
    const { stack } = newStack();
    const vault = new SecretsVault(stack, 'Vault', { namePrefix: 'orders' });
    vault.addDatabaseSecret('Db', {
      engine: DatabaseEngine.POSTGRES,
      host: 'db.internal',
      username: 'app',
      dbname: 'orders',
    });
    const generator = onlyResource(stack, 'AWS::SecretsManager::Secret').Properties.GenerateSecretString;
    expect(JSON.parse(generator.SecretStringTemplate)).toEqual({
      engine: 'postgres',
      host: 'db.internal',
      port: 5432,
      username: 'app',
      dbname: 'orders',
      ssl: true,
    });
    expect(generator.GenerateStringKey).toBe('password');
    expect(generator.ExcludeCharacters).toBe('/@"\'\\:');
    expect(profileOf(stack, 'postgres-single')).toEqual({
      kind: 'postgres-single',
      password: expect.objectContaining({ length: 32, excludeCharacters: '/@"\'\\:' }),
    });
  });

  test('a MySQL alternating-users secret names its admin secret, which the function may read', () => {
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
      ssl: false,
      userRotation: DatabaseUserRotation.alternatingUsers(admin),
    });
    const app = Object.values(resourcesOf(stack, 'AWS::SecretsManager::Secret')).find((s) =>
      JSON.stringify(s.Properties.GenerateSecretString.SecretStringTemplate).includes('masterarn'),
    )!;
    const adminId = stack.getLogicalId(admin.node.defaultChild as any);
    expect(app.Properties.GenerateSecretString.SecretStringTemplate).toEqual({
      'Fn::Join': [
        '',
        [
          '{"engine":"mysql","host":"db.internal","port":3306,"username":"app","ssl":false,"masterarn":"',
          { Ref: adminId },
          '"}',
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
    [{ host: ' ' }, 'invalid `host`: received " "; allowed: the database host name'],
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
