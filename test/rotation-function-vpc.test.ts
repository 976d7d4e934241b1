import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { RotationFunction, VaultKey, VaultSecret } from '../lib';
import { newStack, resourcesOf } from './support/stack';

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
