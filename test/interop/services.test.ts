/**
 * Vault keys and secrets handed to the aws-cdk-lib services users combine them with. A vault secret
 * read by a Lambda function or an ECS task keeps every invariant; a vault key given to another
 * service as its encryption key is refused at the first grant or key-policy statement, since the
 * key is usable through Secrets Manager only.
 */
import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { VaultKey } from '../../lib';
import {
  databaseCredential,
  expectKeyUsableOnlyThroughSecretsManager,
  expectRefusal,
  exemptFromDeny,
  newStack,
  readerRole,
  vaultSecret,
} from './support';

const REFUSED_KEY_USE = /Secrets Manager/;

describe('a VaultKey given to another service', () => {
  test('s3: bucket.grantRead(role) on a bucket encrypted with a VaultKey is refused', () => {
    const { app, stack } = newStack();
    const key = new VaultKey(stack, 'Key');
    const bucket = new s3.Bucket(stack, 'Bucket', { encryptionKey: key });
    expectRefusal(app, () => bucket.grantRead(readerRole(stack)), {
      path: 'Test/Key',
      member: 'grant',
      instead: REFUSED_KEY_USE,
    });
  });

  test('sqs: queue.grantSendMessages(role) on a queue encrypted with a VaultKey is refused', () => {
    const { app, stack } = newStack();
    const key = new VaultKey(stack, 'Key');
    const queue = new sqs.Queue(stack, 'Queue', { encryptionMasterKey: key });
    expectRefusal(app, () => queue.grantSendMessages(readerRole(stack)), {
      path: 'Test/Key',
      member: 'grant',
      instead: REFUSED_KEY_USE,
    });
  });

  test('sns: an SQS subscription to a queue encrypted with a VaultKey is refused (it would let SNS decrypt outside Secrets Manager)', () => {
    const { app, stack } = newStack();
    const key = new VaultKey(stack, 'Key');
    const queue = new sqs.Queue(stack, 'Queue', { encryptionMasterKey: key });
    const topic = new sns.Topic(stack, 'Topic');
    expectRefusal(app, () => topic.addSubscription(new subscriptions.SqsSubscription(queue)), {
      path: 'Test/Key',
      member: 'addToResourcePolicy',
      instead: 'kms:ViaService',
    });
  });

  test('sns: topic.grantPublish(role) on a topic encrypted with a VaultKey is refused', () => {
    const { app, stack } = newStack();
    const key = new VaultKey(stack, 'Key');
    const topic = new sns.Topic(stack, 'Topic', { masterKey: key });
    expectRefusal(app, () => topic.grantPublish(readerRole(stack)), {
      path: 'Test/Key',
      member: 'grant',
      instead: REFUSED_KEY_USE,
    });
  });

  test('s3 L1: BucketGrants.fromBucket(cfnBucket).read(role) on a CfnBucket encrypted with a VaultKey fails synth', () => {
    // aws-cdk-lib's L1 grants reach the key through kms.KeyGrants.fromKey(cfnKey), past every member of VaultKey.
    const { app, stack } = newStack();
    const key = new VaultKey(stack, 'Key');
    const bucket = new s3.CfnBucket(stack, 'Bucket', {
      bucketEncryption: {
        serverSideEncryptionConfiguration: [
          { serverSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: key.keyArn } },
        ],
      },
    });
    expectRefusal(app, () => s3.BucketGrants.fromBucket(bucket).read(readerRole(stack)), {
      path: 'Test/Key',
      member: 'Test/Reader',
      instead: /kms:ViaService/,
    });
  });

  test('a plain aws-cdk-lib Secret encrypted with a VaultKey adds only statements through Secrets Manager', () => {
    const { stack } = newStack();
    const key = new VaultKey(stack, 'Key');
    const plain = new secretsmanager.Secret(stack, 'Plain', { encryptionKey: key });
    plain.grantRead(readerRole(stack));
    plain.grantWrite(readerRole(stack, 'Writer'));
    expectKeyUsableOnlyThroughSecretsManager(stack, key);
  });
});

describe('a vault secret read by a Lambda function', () => {
  function fn(stack: Stack) {
    return new lambda.Function(stack, 'Fn', {
      runtime: lambda.Runtime.NODEJS_20_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => {};'),
    });
  }

  test("secret.grantRead(fn) with the ARN in the function's environment registers the function's role as a reader", () => {
    const { stack } = newStack();
    const secret = vaultSecret(stack);
    const reader = fn(stack);
    reader.addEnvironment('SECRET_ARN', secret.secretArn);
    secret.grantRead(reader);
    expect(exemptFromDeny(stack, secret, 'secretsmanager:GetSecretValue')).toContainEqual(
      stack.resolve(reader.role!.roleArn),
    );
    expectKeyUsableOnlyThroughSecretsManager(stack, secret.encryptionKey);
  });
});

describe('a vault secret in an ECS task definition', () => {
  function taskDefinition(stack: Stack) {
    return new ecs.FargateTaskDefinition(stack, 'Task');
  }

  test('ecs.Secret.fromSecretsManager(vaultSecret) registers the execution role as a reader', () => {
    const { stack } = newStack();
    const secret = vaultSecret(stack);
    const task = taskDefinition(stack);
    task.addContainer('App', {
      image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:latest'),
      secrets: { TOKEN: ecs.Secret.fromSecretsManager(secret) },
    });
    expect(exemptFromDeny(stack, secret, 'secretsmanager:GetSecretValue')).toContainEqual(
      stack.resolve(task.executionRole!.roleArn),
    );
    expectKeyUsableOnlyThroughSecretsManager(stack, secret.encryptionKey);
  });

  test("ecs.Secret.fromSecretsManager(db.secret, 'password') registers the execution role as a reader of the vault secret", () => {
    const { stack } = newStack();
    const secret = databaseCredential(stack);
    const vpc = new ec2.Vpc(stack, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'db', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
    });
    const db = new rds.DatabaseInstance(stack, 'Db', {
      engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_16 }),
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      credentials: rds.Credentials.fromSecret(secret),
    });
    const task = taskDefinition(stack);
    task.addContainer('App', {
      image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:latest'),
      secrets: { DB_PASSWORD: ecs.Secret.fromSecretsManager(db.secret!, 'password') },
    });
    expect(exemptFromDeny(stack, secret, 'secretsmanager:GetSecretValue')).toContainEqual(
      stack.resolve(task.executionRole!.roleArn),
    );
    expectKeyUsableOnlyThroughSecretsManager(stack, secret.encryptionKey);
  });

  test('ecs.Secret.fromSecretsManager(vaultSecret) in a task role policy keeps the key usable through Secrets Manager only', () => {
    const { stack } = newStack();
    const secret = vaultSecret(stack);
    const task = taskDefinition(stack);
    ecs.Secret.fromSecretsManager(secret).grantRead(task.taskRole);
    expect(exemptFromDeny(stack, secret, 'secretsmanager:GetSecretValue')).toContainEqual(
      stack.resolve((task.taskRole as iam.Role).roleArn),
    );
    expectKeyUsableOnlyThroughSecretsManager(stack, secret.encryptionKey);
  });
});
