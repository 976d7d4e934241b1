import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { deployedLength, MAX_MANAGED_POLICY_CHARACTERS } from './size';

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
    this.node.addValidation({ validate: () => this.checkPolicySize() });
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

  /** A policy over IAM's limit fails at deploy; say so at synth, with what to do. */
  private checkPolicySize(): string[] {
    const length = deployedLength(Stack.of(this).resolve(this.policy.document));
    if (length <= MAX_MANAGED_POLICY_CHARACTERS) return [];
    return [
      `${this.node.path}: its managed policy would take about ${length} characters, over IAM's limit of ` +
        `${MAX_MANAGED_POLICY_CHARACTERS}. Grant whole vaults (vault.grantRead(role), vault.addReaderRole) ` +
        'rather than secret by secret: one statement then covers every secret of a vault. Or split the grants over several roles.',
    ];
  }

  /** Called for every statement granted to the role. */
  protected onStatementAdded(_statement: iam.PolicyStatement): void {}
}
