import { Aws, DefaultStackSynthesizer, Fn, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { invalid, knownToDiffer, Owner, PrincipalRules, summary, validatePrincipal } from './validation';

/**
 * The ARN of the role CloudFormation deploys this stack with: the one identity that the guards of our
 * key and secret policies always let through (a deployment must create, update and delete what it owns,
 * and resolve dynamic references to secrets). With CDK's default synthesizer it is the bootstrap's
 * CloudFormation execution role; the policies name it by ARN, so `cdk bootstrap` recreating a deleted
 * role restores access.
 */
export function deploymentRoleArn(scope: Construct, owner: Owner, role?: iam.IRole): string {
  if (role) {
    const account = Stack.of(scope).account;
    if (knownToDiffer(role.env.account, account)) {
      invalid(
        owner,
        'deploymentRole',
        summary(`a role of account ${role.env.account}`),
        `CloudFormation deploys stack ${Stack.of(scope).stackName} with a role of its own account (${account}): name that role`,
      );
    }
    return role.roleArn;
  }
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

/** An IAM role or user ARN pattern with wildcards only in its name, as `aws:PrincipalArn` takes it. */
const ARN_PATTERN = /^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)\/[A-Za-z0-9+=,.@_/*?-]+$/;

/**
 * The `aws:PrincipalArn` patterns that stand for a principal in a condition. A role's sessions carry
 * the role's ARN; an account principal delegates to every identity of that account; a service acts as
 * itself and is exempt from our denies through `aws:PrincipalIsAWSService`, so it needs no pattern.
 * The principal is validated first (public, malformed and, unless `rules` allows them, service
 * principals are refused); an ARN principal may carry wildcards in the role or user name (an SSO
 * permission set's roles), since a condition, unlike a policy's Principal, accepts them.
 */
export function principalArnPatterns(
  owner: Owner,
  prop: string,
  principal: iam.IPrincipal,
  rules: PrincipalRules = {},
): string[] {
  const wildcardArn =
    principal instanceof iam.ArnPrincipal &&
    !Token.isUnresolved(principal.arn) &&
    principal.arn.includes('*') &&
    principal.arn !== '*';
  if (wildcardArn) {
    if (!ARN_PATTERN.test(principal.arn)) {
      invalid(
        owner,
        prop,
        principal.arn,
        'allowed: an IAM role or user ARN with wildcards only in its name, e.g. "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_*"',
      );
    }
    return [principal.arn];
  }
  validatePrincipal(owner, prop, principal, rules);
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

/** What to say when a service principal is named where a person or a role must be. */
export const KEY_ADMIN_SERVICE_HINT =
  'a key administrator is a role or user that people assume; services use the key through Secrets Manager';
export const BREAK_GLASS_SERVICE_HINT = 'the break-glass principal is a role people assume in an emergency';

/** Who may administer a key: named identities or accounts, never a service. */
export const KEY_ADMIN_RULES: PrincipalRules = { serviceHint: KEY_ADMIN_SERVICE_HINT };

/**
 * Who may read through a resource policy: named identities, accounts, a service (bound to this
 * account by the caller), never a whole organization.
 */
export const READER_RULES: PrincipalRules = {
  allowService: true,
  organizationHint:
    'name the roles or accounts that read; `allowedOrganizationId` lets the accounts of the organization past the account boundary without letting them read',
};

/** Who may break glass: one role or user, never a whole account or a service. */
export const BREAK_GLASS_RULES: PrincipalRules = {
  allowAccount: false,
  serviceHint: BREAK_GLASS_SERVICE_HINT,
};

/** Refuses an empty list: a prop given as `[]` is a mistake, not a way to say "none". */
export function nonEmpty<T>(owner: Owner, prop: string, list: T[] | undefined): T[] {
  if (list !== undefined && list.length === 0) {
    invalid(owner, prop, list, 'name at least one, or leave it out');
  }
  return list ?? [];
}

/** Distinct patterns; tokens are compared by their string form, which is stable within one app. */
export function distinct(patterns: string[]): string[] {
  return [...new Set(patterns)];
}
