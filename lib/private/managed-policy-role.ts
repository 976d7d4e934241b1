import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/**
 * A role whose every granted statement lands in one customer-managed policy, `Policy`, instead of
 * an inline default policy: one document to review, and no inline policy for NIST 800-53's
 * IAMNoInlinePolicy check to flag.
 */
export class ManagedPolicyRole extends iam.Role {
  /** The customer-managed policy that holds every permission granted to the role. */
  public readonly policy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: iam.RoleProps) {
    super(scope, id, props);
    this.policy = new iam.ManagedPolicy(this, 'Policy', { roles: [this] });
  }

  public addToPrincipalPolicy(statement: iam.PolicyStatement): iam.AddToPrincipalPolicyResult {
    if (!this.policy) {
      // Only reached while iam.Role's own constructor runs, before the policy exists.
      return super.addToPrincipalPolicy(statement);
    }
    this.policy.addStatements(statement);
    this.onStatementAdded(statement);
    return { statementAdded: true, policyDependable: this.policy };
  }

  /** Called for every statement granted to the role. */
  protected onStatementAdded(_statement: iam.PolicyStatement): void {}
}
