import { Annotations, Duration, Fn, Lazy, RemovalPolicy, Stack, Token, TokenComparison } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { SECRET_MANAGEMENT_ACTIONS, SECRET_READ_ACTIONS, SECRET_WRITE_ACTIONS } from './private/actions';
import { grantDecryptViaSecretsManager, grantEncryptViaSecretsManager } from './private/grants';
import {
  BREAK_GLASS_SERVICE_HINT,
  deploymentRoleArn,
  distinct,
  nonEmpty,
  principalArnPatterns,
} from './private/principals';
import { invalid, PrincipalRules, validatePrincipal, validateSecretName } from './private/validation';
import { RotationFunction } from './rotation-function';
import { RotationStrategy } from './rotation-strategy';
import { SecretRotationSchedule } from './rotation-schedule';
import {
  ResolvedPasswordOptions,
  SecretContent,
  SecretContentKind,
  resolvePasswordOptions,
} from './secret-content';

/** How often a secret rotates when nobody says otherwise. */
export const DEFAULT_ROTATION_DAYS = 30;

const ORGANIZATION_ID = /^o-[a-z0-9]{10,32}$/;

/**
 * Options for a secret, as `SecretsVault.addSecret` takes them.
 */
export interface VaultSecretOptions {
  /**
   * The secret's name. In a vault it must start with the vault's name prefix.
   *
   * @default - in a vault, `<namePrefix>/<id>`; alone, a name CloudFormation generates
   */
  readonly secretName?: string;

  /**
   * A description of the secret (not secret itself: it is visible to anyone who can describe it).
   *
   * @default - no description
   */
  readonly description?: string;

  /**
   * What the secret holds.
   *
   * @default SecretContent.generatedString()
   */
  readonly content?: SecretContent;

  /**
   * Principals allowed to read the secret through its resource policy (the resource-based route),
   * in this account or another. A principal of another account also gets decrypt access in the key
   * policy (through Secrets Manager only) and is exempt from the secret's account-boundary deny.
   *
   * @default - nobody is named in the resource policy; readers use the identity-based route
   */
  readonly readers?: iam.IPrincipal[];

  /**
   * An AWS Organizations id (`o-...`). Principals of accounts in this organization are not
   * denied by the account boundary (they still need an allow from somewhere).
   *
   * @default - only this account and the accounts of listed readers
   */
  readonly allowedOrganizationId?: string;

  /**
   * What happens to the secret when it leaves the stack.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Make the allow list binding: deny `GetSecretValue` to every principal that this app did not
   * declare as a reader of the secret — through `readers`/`addReader`, `grantRead` (including a
   * vault's `grantRead` and `SecretReaderRole`), or as its rotation function — however broad its own
   * IAM policy (an administrator with `secretsmanager:*` included). The deployment role stays exempt,
   * so CloudFormation dynamic references keep resolving; AWS services acting as themselves are not
   * denied. Turning it off lets any principal of the account whose IAM policy allows the read read
   * the value.
   *
   * @default true
   */
  readonly denyUnlistedReaders?: boolean;

  /**
   * A principal kept for emergencies. The secret's resource policy denies its management actions
   * (changing or deleting the policy, the key, rotation, tags, replication, deletion) and writes to
   * everyone but the deployment and this principal, which can therefore undo every guard. A
   * `SecretsAudit` alarms on each of its calls.
   *
   * @default - none: only the deployment manages the secret
   */
  readonly breakGlass?: iam.IPrincipal;

  /**
   * The role CloudFormation deploys the stack with: the guards of the resource policy let it through.
   *
   * @default - the CloudFormation execution role of the stack's `DefaultStackSynthesizer`; other
   *   synthesizers must name it
   */
  readonly deploymentRole?: iam.IRole;

  /**
   * When the secret rotates. `SecretRotationSchedule.never()` turns rotation off (an explicit
   * loosening).
   *
   * @default - in a vault: the vault's schedule for generated content, never for supplied content;
   *   alone: every 30 days when a `rotationFunction` is given, otherwise never
   */
  readonly rotation?: SecretRotationSchedule;

  /**
   * How the rotation function makes the new value.
   *
   * @default - from the content: a new generated string, or a new value of the generated JSON field,
   *   with the content's generation options; a new generated string for supplied content
   */
  readonly rotationStrategy?: RotationStrategy;
}

/**
 * Properties of a VaultSecret.
 */
export interface VaultSecretProps extends VaultSecretOptions {
  /**
   * The key that encrypts the secret: a VaultKey, or any customer-managed key whose policy lets
   * Secrets Manager use it.
   */
  readonly encryptionKey: kms.IKey;

  /**
   * The function that rotates the secret.
   *
   * @default - the secret is not rotated
   */
  readonly rotationFunction?: RotationFunction;
}

/**
 * A Secrets Manager secret encrypted with a customer-managed key, with a resource policy that is
 * always present: an explicit allow list of readers, a deny of any request without TLS, a deny of
 * principals outside this account (and outside an optional organization) unless they are listed, a
 * deny of reads by undeclared principals, a deny of management actions and writes to all but the
 * deployment (and the break-glass principal, the rotation function and declared writers for writes),
 * and `BlockPublicPolicy` on.
 */
export class VaultSecret extends secretsmanager.Secret {
  /** The key that encrypts this secret. */
  declare public readonly encryptionKey: kms.IKey;

  /** What the secret holds. */
  public readonly content: SecretContent;

  /** The generation options with defaults applied, for generated content. */
  public readonly passwordOptions?: ResolvedPasswordOptions;

  /** The secret's resource policy document; `addToResourcePolicy` adds to it. */
  public readonly resourcePolicy: iam.PolicyDocument;

  /** The secret's rotation schedule, when it rotates. */
  public readonly rotationSchedule?: secretsmanager.CfnRotationSchedule;

  private readonly policyResource: secretsmanager.CfnResourcePolicy;
  private readonly allowStatements: iam.PolicyStatement[] = [];
  private readerStatement?: iam.PolicyStatement;
  private readonly identityReaders: iam.IPrincipal[] = [];
  private readonly writers: iam.IPrincipal[] = [];
  private readonly owner: string;

  /** The ARN of the role CloudFormation deploys the stack with, exempt from the policy's guards. */
  public readonly deploymentRoleArn: string;

  /** The break-glass principal, when there is one. */
  public readonly breakGlass?: iam.IPrincipal;

  constructor(scope: Construct, id: string, props: VaultSecretProps) {
    const owner = `VaultSecret ${scope.node.path}/${id}`;
    validateSecretName(owner, 'secretName', props.secretName);
    if (props.allowedOrganizationId !== undefined && !Token.isUnresolved(props.allowedOrganizationId)) {
      if (!ORGANIZATION_ID.test(props.allowedOrganizationId)) {
        invalid(
          owner,
          'allowedOrganizationId',
          props.allowedOrganizationId,
          'allowed: an id like `o-a1b2c3d4e5`',
        );
      }
    }
    const content = props.content ?? SecretContent.generatedString();
    const passwordOptions =
      content.kind === SecretContentKind.SUPPLIED
        ? undefined
        : resolvePasswordOptions(owner, content.passwordOptions);
    if (content.kind === SecretContentKind.GENERATED_JSON) {
      validateJsonTemplate(owner, content.template ?? {}, content.generateField ?? '');
    }

    super(scope, id, {
      secretName: props.secretName,
      description: props.description,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      generateSecretString: passwordOptions
        ? generateSecretString(scope, content, passwordOptions)
        : undefined,
      secretStringValue: content.value,
      // The key is set on the resource below rather than passed here: aws-cdk-lib would otherwise add
      // a second, looser "account may use the key via Secrets Manager" statement to the key policy for
      // every secret, next to the one the VaultKey already has.
    });
    this.encryptionKey = props.encryptionKey;
    (this.node.defaultChild as secretsmanager.CfnSecret).kmsKeyId = props.encryptionKey.keyArn;
    this.content = content;
    this.passwordOptions = passwordOptions;

    if (
      content.kind === SecretContentKind.SUPPLIED &&
      content.value &&
      isPlaintext(this, content.value.unsafeUnwrap())
    ) {
      Annotations.of(this).addWarningV2(
        'cdk-secrets-vault:plaintext-secret-value',
        'This secret is given a plaintext value: it is written into the synthesized template and cdk.out. ' +
          'Use a generated content (SecretContent.generatedString / generatedJson) or a reference ' +
          '(SecretValue.ssmSecure, SecretValue.cfnParameter with noEcho) instead.',
      );
    }

    this.resourcePolicy = new iam.PolicyDocument();
    this.resourcePolicy.addStatements(
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
            ...(props.allowedOrganizationId ? { 'aws:PrincipalOrgID': props.allowedOrganizationId } : {}),
          },
          // AWS services acting with their own service principal carry no account of ours.
          BoolIfExists: { 'aws:PrincipalIsAWSService': 'false' },
        },
      }),
    );
    this.policyResource = new secretsmanager.CfnResourcePolicy(this, 'Policy', {
      secretId: this.secretArn,
      resourcePolicy: this.resourcePolicy,
      blockPublicPolicy: true,
    });
    this.node.addValidation({ validate: () => this.resourcePolicy.validateForResourcePolicy() });

    for (const reader of nonEmpty(owner, 'readers', props.readers)) {
      this.addReader(reader);
    }

    this.owner = owner;
    this.deploymentRoleArn = deploymentRoleArn(this, owner, props.deploymentRole);
    this.breakGlass = props.breakGlass;
    if (props.breakGlass) principalArnPatterns(owner, 'breakGlass', props.breakGlass, BREAK_GLASS_RULES);
    this.addGuards(props.denyUnlistedReaders ?? true, props.rotationFunction);

    const schedule =
      props.rotation ??
      (props.rotationFunction
        ? SecretRotationSchedule.rate(Duration.days(DEFAULT_ROTATION_DAYS))
        : SecretRotationSchedule.never());
    if (schedule.enabled) {
      if (!props.rotationFunction) {
        invalid(
          owner,
          'rotation',
          schedule.expression,
          'a rotation schedule needs a `rotationFunction` (a SecretsVault provides one)',
        );
      }
      this.rotationSchedule = props.rotationFunction.addSecret(this, {
        schedule,
        strategy: props.rotationStrategy ?? defaultStrategy(content),
      });
    } else {
      Annotations.of(this).addWarningV2(
        'cdk-secrets-vault:secret-not-rotated',
        'This secret is not rotated: its value lives until someone changes it by hand.',
      );
    }
  }

  /**
   * Names a principal in the resource policy's allow list (GetSecretValue and DescribeSecret), and
   * lets it decrypt through Secrets Manager. A principal of another account is exempt from the
   * account-boundary deny and gets a key-policy statement.
   */
  public addReader(principal: iam.IPrincipal): void {
    validatePrincipal(`VaultSecret ${this.node.path}`, 'readers', principal, { allowService: true });
    if (principal instanceof iam.ServicePrincipal) {
      // A service reads on behalf of some resource: only one of this account may make it read here,
      // or any customer of the service could (the confused deputy).
      this.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: `AllowListedService${this.allowStatements.length}`,
          principals: [principal],
          actions: SECRET_READ_ACTIONS,
          resources: ['*'],
          conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
        }),
      );
      return;
    }
    if (!this.readerStatement) {
      this.readerStatement = new iam.PolicyStatement({
        sid: 'AllowListedReaders',
        actions: SECRET_READ_ACTIONS,
        resources: ['*'],
      });
      this.addToResourcePolicy(this.readerStatement);
    }
    this.readerStatement.addPrincipals(principal);
    grantDecryptViaSecretsManager(this.encryptionKey, { grantPrincipal: principal });
  }

  /**
   * Lets the grantee read the secret (GetSecretValue, DescribeSecret), optionally only some version
   * stages, and decrypt it through Secrets Manager only. A principal of this account gets an
   * identity-policy statement; one of another account is named in the resource policy (and the key
   * policy) and lifted over the account boundary.
   */
  public grantRead(grantee: iam.IGrantable, versionStages?: string[]): iam.Grant {
    const grant = (actions: string[], conditions?: Record<string, Record<string, unknown>>) =>
      iam.Grant.addToPrincipalOrResource({
        grantee,
        actions,
        resourceArns: [this.arnForPolicies],
        resource: this,
        conditions,
      });
    const read = versionStages
      ? // A request's version stage is one value (StringEquals matches any listed stage), and
        // DescribeSecret carries none: a stage condition on it would always deny it.
        grant(['secretsmanager:GetSecretValue'], {
          StringEquals: { 'secretsmanager:VersionStage': versionStages },
        }).combine(grant(['secretsmanager:DescribeSecret']))
      : grant(SECRET_READ_ACTIONS);
    if (read.principalStatements.length > 0) this.registerReader(grantee.grantPrincipal);
    return read.combine(grantDecryptViaSecretsManager(this.encryptionKey, grantee));
  }

  /**
   * Records a principal that reads this secret through its own identity policy (`grantRead` does it
   * for you), so that the deny of reads by undeclared principals exempts it.
   */
  public registerReader(principal: iam.IPrincipal): void {
    this.identityReaders.push(principal);
  }

  /**
   * Lets the grantee put new values and move version stages, and encrypt through Secrets Manager only.
   * It is exempt from the resource policy's deny of writes; it cannot read the value.
   */
  public grantWrite(grantee: iam.IGrantable): iam.Grant {
    principalArnPatterns(this.owner, 'grantWrite', grantee.grantPrincipal, WRITER_RULES);
    const grant = iam.Grant.addToPrincipalOrResource({
      grantee,
      actions: SECRET_WRITE_ACTIONS,
      resourceArns: [this.arnForPolicies],
      resource: this,
    });
    this.writers.push(grantee.grantPrincipal);
    return grant.combine(grantEncryptViaSecretsManager(this.encryptionKey, grantee));
  }

  /**
   * Adds a statement to the secret's resource policy. Principals of an Allow statement are exempt
   * from the account-boundary deny.
   */
  public addToResourcePolicy(statement: iam.PolicyStatement): iam.AddToResourcePolicyResult {
    if (statement.effect === iam.Effect.ALLOW) {
      for (const principal of statement.principals) {
        validatePrincipal(`VaultSecret ${this.node.path}`, 'readers', principal, { allowService: true });
      }
      this.allowStatements.push(statement);
    }
    this.resourcePolicy.addStatements(statement);
    return { statementAdded: true, policyDependable: this.policyResource };
  }

  /**
   * The resource policy's guards. Each Deny names who it lets through by `aws:PrincipalArn`, filled in
   * at synth so that readers and writers declared after the secret are exempt too. AWS services acting
   * as themselves are not denied.
   */
  private addGuards(denyUnlistedReaders: boolean, rotationFunction?: RotationFunction) {
    const patterns = (prop: string, principals: iam.IPrincipal[], rules: PrincipalRules = {}) =>
      principals.flatMap((p) => principalArnPatterns(this.owner, prop, p, rules));
    const rotation = rotationFunction ? [rotationFunction.role.roleArn] : [];
    const managers = () => [
      this.deploymentRoleArn,
      ...patterns('breakGlass', this.breakGlass ? [this.breakGlass] : [], BREAK_GLASS_RULES),
    ];
    const guard = (sid: string, actions: string[], exempt: () => string[]) =>
      new iam.PolicyStatement({
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

    if (denyUnlistedReaders) {
      this.resourcePolicy.addStatements(
        guard('DenyReadsByUndeclaredPrincipals', ['secretsmanager:GetSecretValue'], () => [
          ...patterns('readers', [...this.resourceReaders(), ...this.identityReaders], {
            allowService: true,
          }),
          ...rotation,
          this.deploymentRoleArn,
        ]),
      );
    }
    this.resourcePolicy.addStatements(
      guard('DenyManagementExceptDeployment', SECRET_MANAGEMENT_ACTIONS, managers),
      guard('DenyWritesExceptRotationAndWriters', SECRET_WRITE_ACTIONS, () => [
        ...managers(),
        ...rotation,
        ...patterns('grantWrite', this.writers, WRITER_RULES),
      ]),
    );
  }

  /** The principals an Allow statement of the resource policy lets read the value. */
  private resourceReaders(): iam.IPrincipal[] {
    return this.allowStatements
      .filter((s) => s.actions.some((a) => a === 'secretsmanager:GetSecretValue' || a === 'secretsmanager:*'))
      .flatMap((s) => s.principals);
  }

  /** This account, and the account of every principal an Allow statement names. */
  private trustedAccounts(): string[] {
    const stack = Stack.of(this);
    const accounts: string[] = [stack.account];
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

const BREAK_GLASS_RULES: PrincipalRules = { allowAccount: false, serviceHint: BREAK_GLASS_SERVICE_HINT };
const WRITER_RULES: PrincipalRules = {
  serviceHint: 'a service writes through a role of this account given grantWrite',
};

function defaultStrategy(content: SecretContent): RotationStrategy {
  return content.kind === SecretContentKind.GENERATED_JSON
    ? RotationStrategy.generatedJsonField(content.generateField!, content.passwordOptions)
    : RotationStrategy.generatedString(content.passwordOptions);
}

function generateSecretString(
  scope: Construct,
  content: SecretContent,
  options: ResolvedPasswordOptions,
): secretsmanager.SecretStringGenerator {
  return {
    passwordLength: options.length,
    excludeCharacters: options.excludeCharacters,
    excludePunctuation: options.excludePunctuation,
    excludeNumbers: options.excludeNumbers,
    excludeUppercase: options.excludeUppercase,
    excludeLowercase: options.excludeLowercase,
    includeSpace: options.includeSpace,
    requireEachIncludedType: options.requireEachIncludedType,
    ...(content.kind === SecretContentKind.GENERATED_JSON
      ? {
          // toJsonString keeps the JSON valid when a field is a token (a database endpoint, say).
          secretStringTemplate: Stack.of(scope).toJsonString(content.template),
          generateStringKey: content.generateField,
        }
      : {}),
  };
}

function validateJsonTemplate(owner: string, template: Record<string, unknown>, field: string) {
  if (field.length === 0) {
    invalid(
      owner,
      'content.generateField',
      field,
      'allowed: the name of the JSON field to generate, e.g. "password"',
    );
  }
  if (Object.prototype.hasOwnProperty.call(template, field)) {
    invalid(
      owner,
      'content.template',
      `a template with field "${field}"`,
      'the generated field must not be in the template (its value would land in the template)',
    );
  }
}

/** A supplied value is plaintext unless it resolves to a dynamic reference or a parameter. */
function isPlaintext(scope: Construct, unwrapped: string): boolean {
  const resolved = Stack.of(scope).resolve(unwrapped);
  return typeof resolved === 'string' && !resolved.startsWith('{{resolve:');
}

function accountOf(principal: iam.IPrincipal): string | undefined {
  if (principal.principalAccount !== undefined) return principal.principalAccount;
  if (principal instanceof iam.ArnPrincipal) return Fn.select(4, Fn.split(':', principal.arn));
  return undefined;
}
