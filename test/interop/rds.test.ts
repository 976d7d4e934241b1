/**
 * A vault secret as an RDS credential, combined with aws-cdk-lib's rds constructs the way their
 * documentation shows. The instance wraps the secret in a SecretTargetAttachment (`secret.attach(this)`)
 * and everything the user then does through `db.secret` acts on that attachment.
 */
import { App, DefaultStackSynthesizer, Fn, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import {
  ACCOUNT,
  REGION,
  databaseCredential,
  expectKeyUsableOnlyThroughSecretsManager,
  expectRefusal,
  exemptFromDeny,
  isolatedVpc,
  newStack,
  postgresInstance,
  readerRole,
  resourcesForSecret,
  theResourcePolicy,
} from './support';

function instanceWithVaultCredential() {
  const { app, stack } = newStack();
  const secret = databaseCredential(stack);
  const vpc = isolatedVpc(stack);
  const db = postgresInstance(stack, vpc, secret);
  return { app, stack, secret, vpc, db };
}

describe('rds.DatabaseInstance with rds.Credentials.fromSecret(vaultSecret)', () => {
  test('the secret keeps exactly one resource policy', () => {
    const { stack, secret } = instanceWithVaultCredential();
    theResourcePolicy(stack, secret);
  });

  test('the master password is resolved at deploy from the vault secret, and the read deny lets the deployment resolve it', () => {
    const { stack, secret, db } = instanceWithVaultCredential();
    const password = JSON.stringify(
      stack.resolve((db.node.defaultChild as rds.CfnDBInstance).masterUserPassword),
    );
    expect(password).toContain('{{resolve:secretsmanager:');
    expect(password).toContain(JSON.stringify(stack.resolve(secret.secretArn)).slice(1, -1));
    const deployment = stack.resolve(
      Fn.sub((stack.synthesizer as DefaultStackSynthesizer).cloudFormationExecutionRoleArn),
    );
    expect(exemptFromDeny(stack, secret, 'secretsmanager:GetSecretValue')).toContainEqual(deployment);
  });

  test("db.addRotationSingleUser() is refused: its serverless rotation function's role cannot be named by the read guard", () => {
    const { app, db } = instanceWithVaultCredential();
    expectRefusal(app, () => db.addRotationSingleUser(), {
      path: 'Test/Secret',
      member: 'addRotationSchedule',
      instead: /RotationFunction|addDatabaseSecret/,
    });
  });

  test("with cdk init's feature flag that forwards an attachment's statements, db.addRotationSingleUser() is still refused", () => {
    // The flag removes the second resource policy, not the rotation function's unknown role.
    const app = new App({
      builtinCloudFormationValidation: false,
      context: {
        '@aws-cdk/aws-secretsmanager:useAttachedSecretResourcePolicyForSecretTargetAttachments': true,
      },
    });
    const stack = new Stack(app, 'Test', { env: { account: ACCOUNT, region: REGION } });
    const secret = databaseCredential(stack);
    const db = postgresInstance(stack, isolatedVpc(stack), secret);
    expectRefusal(app, () => db.addRotationSingleUser(), {
      path: 'Test/Secret',
      member: 'addRotationSchedule',
      instead: /RotationFunction|addDatabaseSecret/,
    });
  });

  test("a statement added through db.secret lands in the vault secret's one resource policy", () => {
    const { stack, secret, db } = instanceWithVaultCredential();
    // What SecretRotation does to the instance's secret (RotationSchedule -> denyAccountRootDelete).
    db.secret!.denyAccountRootDelete();
    const statements = theResourcePolicy(stack, secret);
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Action: 'secretsmanager:DeleteSecret' }),
    );
  });

  test('db.secret.grantRead(role) registers the role as a reader and decrypts through Secrets Manager only', () => {
    const { stack, secret, db } = instanceWithVaultCredential();
    const role = readerRole(stack);
    db.secret!.grantRead(role);
    expect(exemptFromDeny(stack, secret, 'secretsmanager:GetSecretValue')).toContainEqual(
      stack.resolve(role.roleArn),
    );
    expectKeyUsableOnlyThroughSecretsManager(stack, secret.encryptionKey);
  });

  test('db.secret.grantWrite(role) exempts the writer from the write guard and encrypts through Secrets Manager only', () => {
    const { stack, secret, db } = instanceWithVaultCredential();
    const role = readerRole(stack, 'Writer');
    db.secret!.grantWrite(role);
    expect(exemptFromDeny(stack, secret, 'secretsmanager:PutSecretValue')).toContainEqual(
      stack.resolve(role.roleArn),
    );
    expectKeyUsableOnlyThroughSecretsManager(stack, secret.encryptionKey);
  });

  test("db.addRotationMultiUser(id, { secret }) keeps the vault master secret's one resource policy", () => {
    const { stack, secret, db } = instanceWithVaultCredential();
    const user = new secretsmanager.Secret(stack, 'UserSecret', {
      generateSecretString: { secretStringTemplate: '{"username":"user"}', generateStringKey: 'password' },
    });
    // SecretRotation calls masterSecret.denyAccountRootDelete() on the instance's attachment.
    db.addRotationMultiUser('User', { secret: user });
    theResourcePolicy(stack, secret);
  });

  test('a DatabaseProxy given db.secret registers its role as a reader of the vault secret', () => {
    const { stack, secret, vpc, db } = instanceWithVaultCredential();
    const proxy = new rds.DatabaseProxy(stack, 'Proxy', {
      proxyTarget: rds.ProxyTarget.fromInstance(db),
      secrets: [db.secret!],
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    });
    const proxyRole = proxy.node.findChild('IAMRole') as iam.Role;
    expect(exemptFromDeny(stack, secret, 'secretsmanager:GetSecretValue')).toContainEqual(
      stack.resolve(proxyRole.roleArn),
    );
    expectKeyUsableOnlyThroughSecretsManager(stack, secret.encryptionKey);
  });
});

describe('vaultSecret.attach(target) and addTargetAttachment', () => {
  function instanceWithPasswordFromVault() {
    const { app, stack } = newStack();
    const secret = databaseCredential(stack);
    const vpc = isolatedVpc(stack);
    const db = new rds.DatabaseInstance(stack, 'Db', {
      engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_16 }),
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      credentials: rds.Credentials.fromPassword('app', secret.secretValueFromJson('password')),
    });
    return { app, stack, secret, db };
  }

  test('vaultSecret.attach(db).grantRead(role) registers the role as a reader and decrypts through Secrets Manager only', () => {
    const { stack, secret, db } = instanceWithPasswordFromVault();
    const role = readerRole(stack);
    secret.attach(db).grantRead(role);
    expect(exemptFromDeny(stack, secret, 'secretsmanager:GetSecretValue')).toContainEqual(
      stack.resolve(role.roleArn),
    );
    expectKeyUsableOnlyThroughSecretsManager(stack, secret.encryptionKey);
  });

  test("vaultSecret.attach(db).addToResourcePolicy(statement) lands in the vault secret's one resource policy", () => {
    const { stack, secret, db } = instanceWithPasswordFromVault();
    secret.attach(db).addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'ViaAttachment',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['secretsmanager:DeleteSecret'],
        resources: ['*'],
      }),
    );
    expect(theResourcePolicy(stack, secret).map((s) => s.Sid)).toContain('ViaAttachment');
  });

  test('addTargetAttachment(id, { target }).grantRead(role) registers the role as a reader', () => {
    const { stack, secret, db } = instanceWithPasswordFromVault();
    const role = readerRole(stack);
    // addTargetAttachment is gone from aws-cdk-lib's typings but still on Secret's prototype.
    const attachment = (
      secret as unknown as {
        addTargetAttachment(id: string, options: { target: rds.DatabaseInstance }): secretsmanager.ISecret;
      }
    ).addTargetAttachment('DbAttachment', { target: db });
    attachment.grantRead(role);
    expect(exemptFromDeny(stack, secret, 'secretsmanager:GetSecretValue')).toContainEqual(
      stack.resolve(role.roleArn),
    );
    expect(
      Object.keys(resourcesForSecret(stack, secret, 'AWS::SecretsManager::ResourcePolicy')),
    ).toHaveLength(1);
  });
});

describe('rds.DatabaseCluster with rds.Credentials.fromSecret(vaultSecret)', () => {
  function clusterWithVaultCredential() {
    const { app, stack } = newStack();
    const secret = databaseCredential(stack);
    const vpc = isolatedVpc(stack);
    const cluster = new rds.DatabaseCluster(stack, 'Cluster', {
      engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_16_4 }),
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      writer: rds.ClusterInstance.serverlessV2('Writer'),
      credentials: rds.Credentials.fromSecret(secret),
    });
    return { app, stack, secret, cluster };
  }

  test('the secret keeps exactly one resource policy', () => {
    const { stack, secret } = clusterWithVaultCredential();
    theResourcePolicy(stack, secret);
  });

  test("cluster.addRotationSingleUser() is refused, pointing at the vault's database rotation", () => {
    const { app, cluster } = clusterWithVaultCredential();
    expectRefusal(app, () => cluster.addRotationSingleUser(), {
      path: 'Test/Secret',
      member: 'addRotationSchedule',
      instead: /RotationFunction|addDatabaseSecret/,
    });
  });

  test('cluster.secret.grantRead(role) registers the role as a reader', () => {
    const { stack, secret, cluster } = clusterWithVaultCredential();
    const role = readerRole(stack);
    cluster.secret!.grantRead(role);
    expect(exemptFromDeny(stack, secret, 'secretsmanager:GetSecretValue')).toContainEqual(
      stack.resolve(role.roleArn),
    );
    expectKeyUsableOnlyThroughSecretsManager(stack, secret.encryptionKey);
  });
});
