import { Aws, DefaultStackSynthesizer, Fn, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { invalid } from './validation';

/**
 * The ARN of the role CloudFormation deploys this stack with: the one identity that the guards of our
 * key and secret policies always let through (a deployment must create, update and delete what it owns,
 * and resolve dynamic references to secrets). With CDK's default synthesizer it is the bootstrap's
 * CloudFormation execution role; the policies name it by ARN, so `cdk bootstrap` recreating a deleted
 * role restores access.
 */
export function deploymentRoleArn(scope: Construct, owner: string, role?: iam.IRole): string {
  if (role) return role.roleArn;
  const synthesizer = Stack.of(scope).synthesizer;
  if (synthesizer instanceof DefaultStackSynthesizer) {
    // The synthesizer's ARN carries CloudFormation placeholders such as ${AWS::AccountId}.
    return Fn.sub(synthesizer.cloudFormationExecutionRoleArn);
  }
  return invalid(
    owner,
    'deploymentRole',
    undefined,
    `stack ${Stack.of(scope).stackName} does not use DefaultStackSynthesizer, so there is no CloudFormation ` +
      'execution role to exempt from the policies’ guards: pass `deploymentRole`, the role your deployments run as',
  );
}

/**
 * The `aws:PrincipalArn` patterns that stand for a principal. A role's sessions carry the role's ARN;
 * an account principal delegates to every identity of that account; a service acts as itself and is
 * exempt from our denies through `aws:PrincipalIsAWSService`, so it needs no pattern.
 */
export function principalArnPatterns(owner: string, prop: string, principal: iam.IPrincipal): string[] {
  if (principal instanceof iam.ServicePrincipal) return [];
  const role = principal as Partial<iam.IRole>;
  if (typeof role.roleArn === 'string') return [role.roleArn];
  const user = principal as Partial<iam.IUser>;
  if (typeof user.userArn === 'string') return [user.userArn];
  if (principal instanceof iam.AccountPrincipal) {
    return [`arn:${Aws.PARTITION}:iam::${principal.accountId}:*`];
  }
  if (principal instanceof iam.ArnPrincipal) return [principal.arn];
  return invalid(
    owner,
    prop,
    principal.toString(),
    'allowed: a role, a user, an ArnPrincipal, an account or a service principal, so that a policy condition can name it',
  );
}

/** Distinct patterns; tokens are compared by their string form, which is stable within one app. */
export function distinct(patterns: string[]): string[] {
  return [...new Set(patterns)];
}
