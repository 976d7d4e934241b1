import { Annotations as CoreAnnotations, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import {
  DatabaseEngine,
  RotationFunction,
  RotationFunctionProps,
  RotationStrategy,
  SecretRotationSchedule,
  SecretsVault,
  VaultKey,
  VaultSecret,
} from '../lib';
import { newStack, onlyResource, resourcesOf } from './support/stack';

const monthly = SecretRotationSchedule.rate(Duration.days(30));
const postgres = RotationStrategy.singleUser({ engine: DatabaseEngine.POSTGRES, host: 'db.example.com' });
const OUTSIDE_VPC = Match.stringLikeRegexp('not in a VPC');
const SHORT_TIMEOUT = Match.stringLikeRegexp('`timeout` is');

const isolatedVpc = (stack: Stack) =>
  new ec2.Vpc(stack, 'Vpc', {
    natGateways: 0,
    subnetConfiguration: [{ name: 'data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
  });

/** A function made with `props` that rotates the given strategies, one secret each. */
function rotating(props: (stack: Stack) => RotationFunctionProps, ...strategies: RotationStrategy[]) {
  const { stack } = newStack();
  const fn = new RotationFunction(stack, 'Rotation', props(stack));
  strategies.forEach((strategy, i) =>
    fn.addSecret(new secretsmanager.Secret(stack, `Secret${i}`), { schedule: monthly, strategy }),
  );
  return { stack, fn };
}

/**
 * A function in a VPC creates network interfaces: its role needs AWSLambdaVPCAccessExecutionRole.
 * aws-cdk-lib attaches that policy only to a role it makes itself, and a RotationFunction passes its
 * own: without the policy, Lambda refuses to create the function at deploy.
 */
test('in a VPC, the rotation role carries AWSLambdaVPCAccessExecutionRole; outside one it does not', () => {
  const { stack } = newStack();
  const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0 });
  const key = new VaultKey(stack, 'Key');
  const inVpc = new RotationFunction(stack, 'InVpc', { vpc });
  const outside = new RotationFunction(stack, 'Outside');
  new VaultSecret(stack, 'A', { encryptionKey: key, rotationFunction: inVpc });
  new VaultSecret(stack, 'B', { encryptionKey: key, rotationFunction: outside });
  const managed = (role: { roleName: string }) => {
    const id = stack.getLogicalId((role as any).node.defaultChild);
    return JSON.stringify(resourcesOf(stack, 'AWS::IAM::Role')[id].Properties.ManagedPolicyArns ?? []);
  };
  expect(managed(inVpc.role)).toContain(':iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole');
  expect(managed(outside.role)).not.toContain('AWSLambdaVPCAccessExecutionRole');
});

test('in a VPC, the subnets and security groups given are the function’s', () => {
  const { stack } = newStack();
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    natGateways: 0,
    subnetConfiguration: [
      { name: 'data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      { name: 'rotation', subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    ],
  });
  const group = new ec2.SecurityGroup(stack, 'Group', { vpc });
  new RotationFunction(stack, 'Rotation', {
    secretNamePrefix: 'orders',
    vpc,
    vpcSubnets: { subnetGroupName: 'rotation' },
    securityGroups: [group],
  });
  const config = onlyResource(stack, 'AWS::Lambda::Function').Properties.VpcConfig;
  expect(config.SecurityGroupIds).toEqual([{ 'Fn::GetAtt': [expect.stringMatching(/^Group/), 'GroupId'] }]);
  expect(config.SubnetIds).toEqual(
    stack.resolve(vpc.selectSubnets({ subnetGroupName: 'rotation' }).subnetIds),
  );
  expect(JSON.stringify(config.SubnetIds)).not.toContain('Vpcdata');
});

describe('what a database strategy needs of the function', () => {
  test('outside a VPC it warns once, however many database secrets it rotates', () => {
    const { stack } = rotating(() => ({}), postgres, postgres);
    expect(Annotations.fromStack(stack).findWarning('/Test/Rotation', OUTSIDE_VPC)).toHaveLength(1);
  });

  test('a vault’s database secret is warned about at the vault only, not again at its function', () => {
    const { stack } = newStack();
    const vault = new SecretsVault(stack, 'Vault');
    vault.addDatabaseSecret('Db', { engine: DatabaseEngine.POSTGRES, host: 'db.internal', username: 'app' });
    Annotations.fromStack(stack).hasWarning('/Test/Vault', OUTSIDE_VPC);
    Annotations.fromStack(stack).hasNoWarning('/Test/Vault/Rotation', OUTSIDE_VPC);
  });

  test('in a VPC with the default timeout it does not warn', () => {
    const { stack } = rotating((s) => ({ vpc: isolatedVpc(s) }), postgres);
    Annotations.fromStack(stack).hasNoWarning('/Test/Rotation', Match.anyValue());
  });

  test('generated values need neither a VPC nor 30 seconds: a short timeout outside a VPC does not warn', () => {
    const { stack } = rotating(() => ({ timeout: Duration.seconds(10) }), RotationStrategy.generatedString());
    Annotations.fromStack(stack).hasNoWarning('/Test/Rotation', OUTSIDE_VPC);
    Annotations.fromStack(stack).hasNoWarning('/Test/Rotation', SHORT_TIMEOUT);
  });

  test('the outside-VPC warning is acknowledged by its id', () => {
    const { stack, fn } = rotating(() => ({}), postgres);
    CoreAnnotations.of(fn).acknowledgeWarning(
      'cdk-secrets-vault:rotation-outside-vpc',
      'a public test database',
    );
    Annotations.fromStack(stack).hasNoWarning('/Test/Rotation', OUTSIDE_VPC);
  });
});
