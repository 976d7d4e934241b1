import { Stack, Token, TokenComparison } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';

const ACCOUNT_ID = /^\d{12}$/;

/**
 * The account a principal belongs to, when it can be told: its `principalAccount`, or the account
 * field of an ArnPrincipal's ARN (aws-cdk-lib leaves `principalAccount` unset for those).
 */
export function accountOfPrincipal(principal: iam.IPrincipal): string | undefined {
  if (principal.principalAccount !== undefined) return principal.principalAccount;
  if (principal instanceof iam.ArnPrincipal && !Token.isUnresolved(principal.arn)) {
    const account = principal.arn.split(':')[4];
    return account ? account : undefined;
  }
  return undefined;
}

/**
 * Whether a grant to this principal must go through the resource's policy rather than the
 * principal's identity policy: its account is known and differs from the scope's, or one of the two
 * is a literal and the other unresolved (an environment-agnostic stack naming a role of another
 * account by its ARN).
 *
 * In that second case aws-cdk-lib's `Role.fromRoleArn` returns a mutable role, and an identity grant
 * writes an `AWS::IAM::Policy` with `Roles: [<name>]` into the scope's stack: at deploy it attaches to
 * a role of that name in the deploying account, if one exists, not to the role the ARN names. The
 * resource route is right whichever account the principal turns out to be in.
 */
export function isPrincipalOfAnotherAccount(scope: IConstruct, principal: iam.IPrincipal): boolean {
  const account = accountOfPrincipal(principal);
  if (account === undefined) return false;
  const comparison = Token.compareStrings(Stack.of(scope).account, account);
  return comparison === TokenComparison.DIFFERENT || comparison === TokenComparison.ONE_UNRESOLVED;
}

/** A literal 12-digit account id. */
export function isAccountId(value: string): boolean {
  return !Token.isUnresolved(value) && ACCOUNT_ID.test(value);
}
