/**
 * RotationFunction's rows of the misuse table (test/misuse.test.ts runs them): its props, and what
 * addSecret, addKey and connections refuse or warn about.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import {
  DatabaseEngine,
  RotationFunction,
  RotationFunctionProps,
  RotationStrategy,
  SecretRotationSchedule,
} from '../../lib';
import type { MemberRefusal, Refusal, Warned } from '../support/misuse';
import { ACCOUNT, REGION, newStack } from '../support/stack';

const FN = 'RotationFunction Test/Rotation';
const monthly = SecretRotationSchedule.rate(Duration.days(30));
const generated = RotationStrategy.generatedString();
const postgres = RotationStrategy.singleUser({ engine: DatabaseEngine.POSTGRES, host: 'db.example.com' });
const ELSEWHERE = 'us-east-1';
const KEY_ELSEWHERE = `arn:aws:kms:${ELSEWHERE}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const secretArn = (name: string, region = REGION) =>
  `arn:aws:secretsmanager:${region}:${ACCOUNT}:secret:${name}-AbCdEf`;

/** A function made with `props` (built in the function's stack when they need its constructs). */
function made(props: RotationFunctionProps | ((stack: Stack) => RotationFunctionProps)) {
  return () => {
    const { stack } = newStack();
    return new RotationFunction(stack, 'Rotation', typeof props === 'function' ? props(stack) : props);
  };
}

/** A function (without a prefix unless `props` gives one) to which `use` adds something. */
function using(use: (fn: RotationFunction, stack: Stack) => unknown, props: RotationFunctionProps = {}) {
  return () => {
    const { stack } = newStack();
    return use(new RotationFunction(stack, 'Rotation', props), stack);
  };
}

const isolatedVpc = (stack: Stack) =>
  new ec2.Vpc(stack, 'Vpc', {
    natGateways: 0,
    subnetConfiguration: [
      { name: 'public', subnetType: ec2.SubnetType.PUBLIC },
      { name: 'data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    ],
  });

const WHOLE_RESERVED = 'allowed: a whole number from 0 (reserve none) to 100';
const TIMEOUT = 'allowed: 5 seconds to 15 minutes, in whole seconds';

export const refusals: Refusal[] = [
  // secretNamePrefix
  {
    input: 'RotationFunction secretNamePrefix: "orders/" (trailing slash)',
    act: made({ secretNamePrefix: 'orders/' }),
    where: FN,
    prop: 'secretNamePrefix',
    received: '"orders/"',
    allowed: 'so this one would serve "orders//…": leave the trailing "/" out',
  },
  {
    input: 'RotationFunction secretNamePrefix: "orders reports" (a space)',
    act: made({ secretNamePrefix: 'orders reports' }),
    where: FN,
    prop: 'secretNamePrefix',
    received: '"orders reports"',
    allowed: 'allowed characters: letters, digits and / _ + = . @ -',
  },
  {
    input: 'RotationFunction secretNamePrefix: ""',
    act: made({ secretNamePrefix: '' }),
    where: FN,
    prop: 'secretNamePrefix',
    received: '""',
    allowed: 'allowed: 1 to 512 characters',
  },
  // encryptionKeys
  {
    input: 'RotationFunction encryptionKeys: []',
    act: made({ encryptionKeys: [] }),
    where: FN,
    prop: 'encryptionKeys',
    received: 'an empty list',
    allowed: 'name at least one key, or leave it out',
  },
  {
    input: 'RotationFunction encryptionKeys: [a key of another region]',
    act: made((stack) => ({ encryptionKeys: [kms.Key.fromKeyArn(stack, 'Elsewhere', KEY_ELSEWHERE)] })),
    where: FN,
    prop: 'encryptionKeys',
    received: `Test/Elsewhere (${ELSEWHERE})`,
    allowed: `the function runs in ${REGION}, and Secrets Manager encrypts a secret with a key of its own region`,
  },
  // reservedConcurrentExecutions
  ...[101, -1, 1.5].map((reservedConcurrentExecutions): Refusal => ({
    input: `RotationFunction reservedConcurrentExecutions: ${reservedConcurrentExecutions}`,
    act: made({ reservedConcurrentExecutions, secretNamePrefix: 'orders' }),
    where: FN,
    prop: 'reservedConcurrentExecutions',
    received: String(reservedConcurrentExecutions),
    allowed: WHOLE_RESERVED,
  })),
  // logRetention, logRemovalPolicy, logEncryptionKey
  {
    input: 'RotationFunction logRetention: 366 as RetentionDays (CloudWatch Logs refuses it)',
    act: made({ logRetention: 366 as logs.RetentionDays }),
    where: FN,
    prop: 'logRetention',
    received: '366 days',
    allowed:
      'allowed: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653 days or INFINITE',
  },
  {
    input: 'RotationFunction logRemovalPolicy: SNAPSHOT (a log group has none)',
    act: made({ logRemovalPolicy: RemovalPolicy.SNAPSHOT }),
    where: FN,
    prop: 'logRemovalPolicy',
    received: '"snapshot"',
    allowed: 'allowed: RemovalPolicy.RETAIN, DESTROY or RETAIN_ON_UPDATE_OR_DELETE',
  },
  {
    input: 'RotationFunction logEncryptionKey: a key of another region',
    act: made((stack) => ({ logEncryptionKey: kms.Key.fromKeyArn(stack, 'Elsewhere', KEY_ELSEWHERE) })),
    where: FN,
    prop: 'logEncryptionKey',
    received: `Test/Elsewhere (${ELSEWHERE})`,
    allowed: 'CloudWatch Logs encrypts a log group only with a key of its own region',
  },
  // timeout
  ...(
    [
      [Duration.seconds(4), '4 seconds'],
      [Duration.minutes(16), '16 minutes'],
      [Duration.millis(5500), '5 seconds 500 millis'],
    ] as const
  ).map(([timeout, shown]): Refusal => ({
    input: `RotationFunction timeout: ${shown}`,
    act: made({ timeout, secretNamePrefix: 'orders' }),
    where: FN,
    prop: 'timeout',
    received: shown,
    allowed: TIMEOUT,
  })),
  // vpc, vpcSubnets, securityGroups
  {
    input: 'RotationFunction vpcSubnets without vpc (it would be ignored)',
    act: made({ vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } }),
    where: FN,
    prop: 'vpcSubnets',
    received: 'a subnet selection without `vpc`',
    allowed: 'subnets apply only to a function in a VPC: set `vpc` as well, or leave `vpcSubnets` out',
  },
  {
    input: 'RotationFunction securityGroups without vpc (they would be ignored)',
    act: made((stack) => ({
      securityGroups: [ec2.SecurityGroup.fromSecurityGroupId(stack, 'Group', 'sg-12345678')],
    })),
    where: FN,
    prop: 'securityGroups',
    received: 'a list of 1',
    allowed: 'security groups apply only to a function in a VPC: set `vpc` as well',
  },
  {
    input: 'RotationFunction securityGroups: [] in a VPC',
    act: made((stack) => ({ vpc: isolatedVpc(stack), securityGroups: [] })),
    where: FN,
    prop: 'securityGroups',
    received: 'an empty list',
    allowed: 'name at least one security group, or leave it out for a new one',
  },
  {
    input: 'RotationFunction vpcSubnets: public subnets',
    act: made((stack) => ({ vpc: isolatedVpc(stack), vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC } })),
    where: FN,
    prop: 'vpcSubnets',
    received: 'public subnets',
    allowed:
      'a Lambda function in a public subnet has no public address, so no route to the Secrets Manager API',
  },
  {
    input: 'RotationFunction vpc: a VPC with public subnets only',
    act: made((stack) => ({
      vpc: new ec2.Vpc(stack, 'Vpc', {
        subnetConfiguration: [{ name: 'public', subnetType: ec2.SubnetType.PUBLIC }],
      }),
    })),
    where: FN,
    prop: 'vpc',
    received: 'a VPC without private subnets (Test/Vpc)',
    allowed: 'the function runs in private subnets',
  },
  // connections
  {
    input: 'RotationFunction connections without vpc',
    act: using((fn) => fn.connections),
    where: FN,
    prop: 'vpc',
    received: 'undefined',
    allowed: 'the function has network connections only in a VPC: set `vpc`',
  },
  // addSecret
  {
    input: 'RotationFunction addSecret(the same secret twice)',
    act: using((fn, stack) => {
      const secret = new secretsmanager.Secret(stack, 'Secret');
      fn.addSecret(secret, { schedule: monthly, strategy: generated });
      fn.addSecret(secret, { schedule: monthly, strategy: generated });
    }),
    where: FN,
    prop: 'secret',
    received: '"Test/Secret"',
    allowed:
      'it already has a rotation schedule (Test/Secret/RotationSchedule), and Secrets Manager rotates a secret on one schedule',
  },
  {
    input: 'RotationFunction addSecret(a secret that already has a rotation schedule of aws-cdk-lib)',
    act: using((fn, stack) => {
      const secret = new secretsmanager.Secret(stack, 'Secret');
      secret.addRotationSchedule('Hosted', {
        hostedRotation: secretsmanager.HostedRotation.postgreSqlSingleUser(),
      });
      fn.addSecret(secret, { schedule: monthly, strategy: generated });
    }),
    where: FN,
    prop: 'secret',
    received: '"Test/Secret"',
    allowed: 'it already has a rotation schedule (Test/Secret/Hosted)',
  },
  {
    input: 'RotationFunction addSecret(two imports of one secret)',
    act: using((fn, stack) => {
      for (const id of ['First', 'Second']) {
        const secret = secretsmanager.Secret.fromSecretCompleteArn(stack, id, secretArn('orders/db'));
        fn.addSecret(secret, { schedule: monthly, strategy: generated });
      }
    }),
    where: FN,
    prop: 'secret',
    received: '"Test/Second"',
    allowed:
      'this function already rotates the secret of this name ("orders/db") as Test/First: add each secret once',
  },
  {
    input: 'RotationFunction addSecret(schedule: never())',
    act: using((fn, stack) =>
      fn.addSecret(new secretsmanager.Secret(stack, 'Secret'), {
        schedule: SecretRotationSchedule.never(),
        strategy: generated,
      }),
    ),
    where: FN,
    prop: 'schedule',
    received: '"SecretRotationSchedule.never()"',
    allowed: 'a secret added to a rotation function needs a schedule',
  },
  {
    input: 'RotationFunction addSecret(an imported secret without its complete ARN)',
    act: using((fn, stack) =>
      fn.addSecret(
        secretsmanager.Secret.fromSecretPartialArn(
          stack,
          'Imported',
          `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:legacy`,
        ),
        { schedule: monthly, strategy: generated },
      ),
    ),
    where: FN,
    prop: 'secret',
    received: `"arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:legacy"`,
    allowed:
      'the function needs the complete ARN (with its 6-character suffix): import it with Secret.fromSecretCompleteArn',
  },
  {
    input: 'RotationFunction addSecret(a secret outside secretNamePrefix)',
    act: using(
      (fn, stack) =>
        fn.addSecret(new secretsmanager.Secret(stack, 'Stray', { secretName: 'billing/key' }), {
          schedule: monthly,
          strategy: generated,
        }),
      { secretNamePrefix: 'orders' },
    ),
    where: FN,
    prop: 'secret',
    received: '"billing/key"',
    allowed: 'this function serves only secrets named under "orders/"',
  },
  {
    input: 'RotationFunction addSecret(a secret of another region)',
    act: using((fn, stack) =>
      fn.addSecret(
        secretsmanager.Secret.fromSecretCompleteArn(stack, 'Far', secretArn('orders/db', ELSEWHERE)),
        { schedule: monthly, strategy: generated },
      ),
    ),
    where: FN,
    prop: 'secret',
    received: `Test/Far (${ELSEWHERE})`,
    allowed: `the function runs in ${REGION}, and Secrets Manager invokes a rotation function of the secret’s own region`,
  },
  {
    input: 'RotationFunction addSecret(a secret encrypted with a key of another region)',
    act: using((fn, stack) =>
      fn.addSecret(
        secretsmanager.Secret.fromSecretAttributes(stack, 'Imported', {
          secretCompleteArn: secretArn('orders/db'),
          encryptionKey: kms.Key.fromKeyArn(stack, 'Elsewhere', KEY_ELSEWHERE),
        }),
        { schedule: monthly, strategy: generated },
      ),
    ),
    where: FN,
    prop: 'secret',
    received: `Test/Elsewhere (${ELSEWHERE})`,
    allowed: `the function runs in ${REGION}, and Secrets Manager encrypts a secret with a key of its own region`,
  },
  {
    input:
      'RotationFunction addSecret(a strategy whose admin secret is encrypted with a key of another region)',
    act: using((fn, stack) => {
      const admin = secretsmanager.Secret.fromSecretAttributes(stack, 'Admin', {
        secretCompleteArn: secretArn('orders/admin'),
        encryptionKey: kms.Key.fromKeyArn(stack, 'Elsewhere', KEY_ELSEWHERE),
      });
      fn.addSecret(new secretsmanager.Secret(stack, 'Secret'), {
        schedule: monthly,
        strategy: RotationStrategy.alternatingUsers(
          { engine: DatabaseEngine.POSTGRES, host: 'db.example.com' },
          admin,
        ),
      });
    }),
    where: FN,
    prop: 'strategy.adminSecret',
    received: `Test/Elsewhere (${ELSEWHERE})`,
    allowed: `the function runs in ${REGION}, and Secrets Manager encrypts a secret with a key of its own region`,
  },
  {
    input: 'RotationFunction addSecret(a strategy whose adminSecret is the secret itself)',
    act: using((fn, stack) => {
      const secret = new secretsmanager.Secret(stack, 'Secret');
      fn.addSecret(secret, {
        schedule: monthly,
        strategy: RotationStrategy.alternatingUsers(
          { engine: DatabaseEngine.POSTGRES, host: 'db.example.com' },
          secret,
        ),
      });
    }),
    where: FN,
    prop: 'strategy.adminSecret',
    received: '"Test/Secret"',
    allowed: 'the admin secret must be another secret than the one it rotates',
  },
  // addKey
  {
    input: 'RotationFunction addKey(a key of another region)',
    act: using((fn, stack) => fn.addKey(kms.Key.fromKeyArn(stack, 'Elsewhere', KEY_ELSEWHERE))),
    where: FN,
    prop: 'key',
    received: `Test/Elsewhere (${ELSEWHERE})`,
    allowed: `the function runs in ${REGION}, and Secrets Manager encrypts a secret with a key of its own region: use one of ${REGION}`,
  },
];

export const memberRefusals: MemberRefusal[] = [];

/** A stack whose function (made with `props`) rotates one database secret. */
function rotatingDatabase(props: RotationFunctionProps) {
  return () => {
    const { stack } = newStack();
    new RotationFunction(stack, 'Rotation', props).addSecret(new secretsmanager.Secret(stack, 'Db'), {
      schedule: monthly,
      strategy: postgres,
    });
    return stack;
  };
}

export const warnings: Warned[] = [
  {
    input: 'RotationFunction addSecret(a database strategy) on a function without vpc',
    act: rotatingDatabase({}),
    path: '/Test/Rotation',
    says: [
      FN,
      'it rotates database secrets but is not in a VPC',
      'only a publicly accessible database',
      'Set `vpc`',
    ],
  },
  {
    input: 'RotationFunction timeout: under 30 seconds with a database strategy',
    act: rotatingDatabase({ timeout: Duration.seconds(10) }),
    path: '/Test/Rotation',
    says: [FN, '`timeout` is 10 seconds and it rotates database secrets', 'Give it at least 30 seconds'],
  },
];
