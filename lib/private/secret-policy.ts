import { Fn, Lazy, Stack, Token, TokenComparison } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { SECRET_MANAGEMENT_ACTIONS, SECRET_WRITE_ACTIONS } from './actions';
import { BREAK_GLASS_RULES, distinct, principalArnPatterns } from './principals';
import { PrincipalRules } from './validation';

/** Who may be given `grantWrite`: a role or user, an account; a service only through a role. */
export const WRITER_RULES: PrincipalRules = {
  serviceHint: 'a service writes through a role of this account given grantWrite',
};

/** Who the guards let through besides the principals declared on the policy. */
export interface SecretGuardsOptions {
  /** Deny `GetSecretValue` to every principal not declared as a reader. */
  readonly denyUnlistedReaders: boolean;

  /** The role CloudFormation deploys the stack with: exempt from every guard. */
  readonly deploymentRoleArn: string;

  /**
   * The principal kept for emergencies: exempt from the management and write guards.
   *
   * @default - none
   */
  readonly breakGlass?: iam.IPrincipal;

  /**
   * The role of the function that rotates the secret: exempt from the read and write guards.
   *
   * @default - none (the roles in `rotationRoles` still are)
   */
  readonly rotationRole?: iam.IRole;
}

/**
 * A VaultSecret's resource policy: the document, the `AWS::SecretsManager::ResourcePolicy` that holds
 * it (the secret's child `Policy`, with Block Public Policy on), and the principals declared to it.
 * It starts with a deny of requests without TLS and a deny of principals outside the trusted accounts
 * (this one, those of the principals its Allow statements name, and an optional organization);
 * `addGuards` adds the denies of undeclared reads, of management and of writes. Every list a statement
 * holds is read at synth, so that readers and writers declared after the guards are exempt too.
 */
export class SecretResourcePolicy {
  /** The policy document; statements are added in the order they appear in the template. */
  public readonly document = new iam.PolicyDocument();

  /** The resource that attaches the document to the secret. */
  public readonly resource: secretsmanager.CfnResourcePolicy;

  /**
   * Roles of functions that rotate the secret besides the guards' `rotationRole` (those given to
   * `addRotationSchedule`): exempt from the read and write guards.
   */
  public readonly rotationRoles: iam.IRole[] = [];

  private readonly allowStatements: iam.PolicyStatement[] = [];
  private readonly identityReaders: iam.IPrincipal[] = [];
  private readonly writers: iam.IPrincipal[] = [];

  constructor(
    private readonly secret: secretsmanager.ISecret,
    allowedOrganizationId?: string,
  ) {
    this.document.addStatements(
      new iam.PolicyStatement({
        sid: 'DenyRequestsWithoutTls',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['secretsmanager:*'],
        resources: ['*'],
        conditions: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
      new iam.PolicyStatement({
        sid: 'DenyPrincipalsOutsideTrustedAccounts',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['secretsmanager:*'],
        resources: ['*'],
        conditions: {
          StringNotEquals: {
            'aws:PrincipalAccount': Lazy.list({ produce: () => this.trustedAccounts() }),
            ...(allowedOrganizationId ? { 'aws:PrincipalOrgID': allowedOrganizationId } : {}),
          },
          // AWS services acting with their own service principal carry no account of ours.
          BoolIfExists: { 'aws:PrincipalIsAWSService': 'false' },
        },
      }),
    );
    this.resource = new secretsmanager.CfnResourcePolicy(secret, 'Policy', {
      secretId: secret.secretArn,
      resourcePolicy: this.document,
      blockPublicPolicy: true,
    });
    secret.node.addValidation({ validate: () => this.document.validateForResourcePolicy() });
  }

  /** How many Allow statements the policy has. */
  public get allowCount(): number {
    return this.allowStatements.length;
  }

  /**
   * Adds a statement (already validated by the secret). The principals of an Allow statement are
   * exempt from the account boundary and, when it allows reading the value, from the read guard.
   */
  public addStatement(statement: iam.PolicyStatement): void {
    if (statement.effect === iam.Effect.ALLOW) this.allowStatements.push(statement);
    this.document.addStatements(statement);
  }

  /** Declares a principal that reads the secret through its own identity policy. */
  public addIdentityReader(principal: iam.IPrincipal): void {
    this.identityReaders.push(principal);
  }

  /** Declares a principal given `grantWrite`. */
  public addWriter(principal: iam.IPrincipal): void {
    this.writers.push(principal);
  }

  /**
   * Adds the guards. Each Deny names who it lets through by `aws:PrincipalArn`, filled in at synth so
   * that readers and writers declared later are exempt too; AWS services acting as themselves are not
   * denied. The break-glass principal is checked at once.
   */
  public addGuards(options: SecretGuardsOptions): void {
    const patterns = (prop: string, principals: iam.IPrincipal[], rules: PrincipalRules = {}) =>
      principals.flatMap((p) => principalArnPatterns(this.secret, prop, p, rules));
    const breakGlass = options.breakGlass ? [options.breakGlass] : [];
    patterns('breakGlass', breakGlass, BREAK_GLASS_RULES);
    const rotation = () => [
      ...(options.rotationRole ? [options.rotationRole.roleArn] : []),
      ...this.rotationRoles.map((role) => role.roleArn),
    ];
    const managers = () => [
      options.deploymentRoleArn,
      ...patterns('breakGlass', breakGlass, BREAK_GLASS_RULES),
    ];

    if (options.denyUnlistedReaders) {
      this.document.addStatements(
        guard('DenyReadsByUndeclaredPrincipals', ['secretsmanager:GetSecretValue'], () => [
          ...patterns('readers', [...this.resourceReaders(), ...this.identityReaders], {
            allowService: true,
          }),
          ...rotation(),
          options.deploymentRoleArn,
        ]),
      );
    }
    this.document.addStatements(
      guard('DenyManagementExceptDeployment', SECRET_MANAGEMENT_ACTIONS, managers),
      guard('DenyWritesExceptRotationAndWriters', SECRET_WRITE_ACTIONS, () => [
        ...managers(),
        ...rotation(),
        ...patterns('grantWrite', this.writers, WRITER_RULES),
      ]),
    );
  }

  /** The principals an Allow statement lets read the value. */
  private resourceReaders(): iam.IPrincipal[] {
    return this.allowStatements
      .filter((s) => s.actions.some((a) => a === 'secretsmanager:GetSecretValue' || a === 'secretsmanager:*'))
      .flatMap((s) => s.principals);
  }

  /** This account, and the account of every principal an Allow statement names. */
  private trustedAccounts(): string[] {
    const accounts: string[] = [Stack.of(this.secret).account];
    for (const statement of this.allowStatements) {
      for (const principal of statement.principals) {
        const account = accountOf(principal);
        if (account === undefined) continue;
        if (accounts.some((a) => Token.compareStrings(a, account) === TokenComparison.SAME)) continue;
        accounts.push(account);
      }
    }
    return accounts;
  }
}

/** A Deny of `actions` to every principal but those `exempt` returns at synth, and AWS services. */
function guard(sid: string, actions: string[], exempt: () => string[]): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid,
    effect: iam.Effect.DENY,
    principals: [new iam.AnyPrincipal()],
    actions,
    resources: ['*'],
    conditions: {
      ArnNotLike: { 'aws:PrincipalArn': Lazy.list({ produce: () => distinct(exempt()) }) },
      BoolIfExists: { 'aws:PrincipalIsAWSService': 'false' },
    },
  });
}

function accountOf(principal: iam.IPrincipal): string | undefined {
  if (principal.principalAccount !== undefined) return principal.principalAccount;
  if (principal instanceof iam.ArnPrincipal) return Fn.select(4, Fn.split(':', principal.arn));
  return undefined;
}
