import { Annotations, ArnFormat, Duration, Fn, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { isPrincipalOfAnotherAccount } from './private/accounts';
import { SECRET_READ_ACTIONS, SECRET_WRITE_ACTIONS } from './private/actions';
import { grantDecryptViaSecretsManager, grantEncryptViaSecretsManager } from './private/grants';
import { refused, refusedImport } from './private/inherited';
import { ownSchedule } from './private/schedules';
import { deploymentRoleArn, nonEmpty, principalArnPatterns, READER_RULES } from './private/principals';
import {
  checkStrategyFitsContent,
  defaultStrategy,
  denyBlocksRotation,
  generationOptionsOf,
  hasSourceCondition,
  isPlaintext,
  secretResourceProblems,
  validateVaultSecretProps,
} from './private/secret-checks';
import { SecretResourcePolicy, WRITER_RULES } from './private/secret-policy';
import {
  invalid,
  ownerName,
  registerSecretName,
  summary,
  validatePrincipal,
  validateVersionStages,
} from './private/validation';
import { RotationFunction } from './rotation-function';
import { SecretRotationSchedule } from './rotation-schedule';
import { RotationStrategy } from './rotation-strategy';
import {
  ResolvedPasswordOptions,
  SecretContent,
  SecretContentKind,
  warnOfShortGeneratedValue,
} from './secret-content';
import { VaultReplicaRegion } from './vault-replica-key';

/**
 * How often a secret rotates when nobody says otherwise.
 *
 * @internal
 */
export const DEFAULT_ROTATION_DAYS = 30;

/**
 * Warning ids, so that a vault can say it once for its secrets (a user acknowledges them by the id
 * the warning shows).
 *
 * @internal
 */
export const SECRET_DESTROYED_WARNING = 'cdk-secrets-vault:secret-destroyed-with-stack';
/** @internal */
export const UNLISTED_READERS_WARNING = 'cdk-secrets-vault:unlisted-readers-not-denied';

/**
 * Secrets Manager appends `-` and six random characters to a name in the secret's ARN; a name that
 * already ends that way makes partial-ARN lookups ambiguous (its documentation advises against it).
 */
const ARN_SUFFIX_LOOKALIKE = /-[A-Za-z0-9]{6}$/;

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
   * Regions the secret replicates to, each with a customer-managed key of that region:
   * `VaultReplicaRegion.vaultKey(region, alias)` for a VaultReplicaKey, `VaultReplicaRegion.fromKeyArn`
   * for a key of your own. Secrets Manager copies the value, tags and resource policy; rotation runs
   * in this region only and the replicas follow.
   *
   * @default - no replicas
   */
  readonly replicas?: VaultReplicaRegion[];

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

  /** The ARN of the role CloudFormation deploys the stack with, exempt from the policy's guards. */
  public readonly deploymentRoleArn: string;

  /** The break-glass principal, when there is one. */
  public readonly breakGlass?: iam.IPrincipal;

  private readonly vaultPolicy: SecretResourcePolicy;
  private readerStatement?: iam.PolicyStatement;
  private readonly replicaList: VaultReplicaRegion[] = [];
  private readonly literalName?: string;

  constructor(scope: Construct, id: string, props: VaultSecretProps) {
    const content = props.content ?? SecretContent.generatedString();
    // super() takes the generation options, so they are checked before the secret exists: the one
    // check that names the secret by hand.
    const passwordOptions = generationOptionsOf(`VaultSecret ${scope.node.path}/${id}`, content);
    super(scope, id, {
      secretName: props.secretName,
      description: props.description,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      generateSecretString: passwordOptions && generateSecretString(scope, content, passwordOptions),
      secretStringValue: content.value,
      // The key is set on the resource below rather than passed here: aws-cdk-lib would otherwise add
      // a second, looser "account may use the key via Secrets Manager" statement to the key policy for
      // every secret, next to the one the VaultKey already has.
    });
    validateVaultSecretProps(this, props);
    this.encryptionKey = props.encryptionKey;
    (this.node.defaultChild as secretsmanager.CfnSecret).kmsKeyId = props.encryptionKey.keyArn;
    this.content = content;
    this.passwordOptions = passwordOptions;
    this.literalName =
      props.secretName !== undefined && !Token.isUnresolved(props.secretName) ? props.secretName : undefined;
    if (passwordOptions) warnOfShortGeneratedValue(this, passwordOptions);
    this.warnIfPlaintext(content);

    this.vaultPolicy = new SecretResourcePolicy(this, props.allowedOrganizationId);
    this.resourcePolicy = this.vaultPolicy.document;
    this.node.addValidation({ validate: () => secretResourceProblems(this) });
    for (const reader of nonEmpty(this, 'readers', props.readers)) {
      this.addReader(reader);
    }
    for (const replica of nonEmpty(this, 'replicas', props.replicas)) {
      this.addReplica(replica);
    }
    this.deploymentRoleArn = deploymentRoleArn(this, this, props.deploymentRole);
    this.breakGlass = props.breakGlass;
    this.vaultPolicy.addGuards({
      denyUnlistedReaders: props.denyUnlistedReaders ?? true,
      deploymentRoleArn: this.deploymentRoleArn,
      breakGlass: props.breakGlass,
      rotationRole: props.rotationFunction?.role,
    });
    this.warnAboutLoosening(props);

    this.rotationSchedule = this.scheduleRotation(props);
    // Only a secret that was made holds its name.
    if (this.literalName !== undefined) registerSecretName(this, this.literalName);
  }

  /**
   * Names a principal in the resource policy's allow list (GetSecretValue and DescribeSecret), and
   * lets it decrypt through Secrets Manager. A principal of another account is exempt from the
   * account-boundary deny and gets a key-policy statement.
   */
  public addReader(principal: iam.IPrincipal): void {
    validatePrincipal(this, 'readers', principal, READER_RULES);
    if (principal instanceof iam.ServicePrincipal) {
      // A service reads on behalf of some resource: only one of this account may make it read here,
      // or any customer of the service could (the confused deputy).
      this.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: `AllowListedService${this.vaultPolicy.allowCount}`,
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
    validatePrincipal(this, 'grantRead', grantee.grantPrincipal, {
      serviceHint:
        'a service reads for any of its customers unless bound to this account: use addReader, which adds aws:SourceAccount',
    });
    for (const label of validateVersionStages(this, 'versionStages', versionStages)) {
      Annotations.of(this).addWarningV2(
        'cdk-secrets-vault:custom-version-stage',
        `grantRead limits reads to the version stage "${label}", a label of your own: rotation moves only AWSCURRENT, AWSPREVIOUS and AWSPENDING.`,
      );
    }
    // Grant.addToPrincipal "succeeds" on a role of another account (aws-cdk-lib drops the statement),
    // and in an environment-agnostic stack writes a policy onto a same-named role of the deploying
    // account: such a principal is named in the resource policy only.
    const resourceOnly = isPrincipalOfAnotherAccount(this, grantee.grantPrincipal);
    const grant = (actions: string[], conditions?: Record<string, Record<string, unknown>>) =>
      resourceOnly
        ? iam.Grant.addStatementToResourcePolicy({
            grantee,
            actions,
            resourceArns: [this.arnForPolicies],
            resource: this,
            statement: new iam.PolicyStatement({
              principals: [grantee.grantPrincipal],
              actions,
              resources: ['*'],
              conditions,
            }),
          })
        : iam.Grant.addToPrincipalOrResource({
            grantee,
            actions,
            resourceArns: [this.arnForPolicies, ...this.replicaArns()],
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
    let decrypt = grantDecryptViaSecretsManager(this.encryptionKey, grantee);
    if (!resourceOnly) {
      for (const replica of this.replicaList) {
        decrypt = decrypt.combine(replica.grantDecryptViaSecretsManager(this, grantee));
      }
    }
    return read.combine(decrypt);
  }

  /** The regions the secret replicates to (through `replicas` / `addReplica`). */
  public get replicas(): VaultReplicaRegion[] {
    return [...this.replicaList];
  }

  /**
   * Replicates the secret to another region, encrypted there with the customer-managed key the
   * replica region names (by an ARN known at synth, so no cross-region reference). `grantRead`
   * covers only the replicas declared before it: declare them first (a SecretsVault does it for you).
   */
  public addReplica(replica: VaultReplicaRegion): void {
    const region = Stack.of(this).region;
    if (!Token.isUnresolved(region) && replica.region === region) {
      invalid(this, 'replicas', replica.region, "allowed: a region other than the secret's own");
    }
    if (this.replicaList.some((r) => r.region === replica.region)) {
      invalid(this, 'replicas', replica.region, 'allowed: each region once');
    }
    this.replicaList.push(replica);
    this.addReplicaRegion(replica.region, replica.importKey(this));
  }

  /**
   * The replicas' ARNs: by name and the six characters Secrets Manager appends (the same in every
   * region), or the primary's ARN with its region swapped when the name is not literal.
   */
  private replicaArns(): string[] {
    const stack = Stack.of(this);
    return this.replicaList.map((replica) => {
      if (this.literalName !== undefined) {
        return stack.formatArn({
          service: 'secretsmanager',
          region: replica.region,
          resource: 'secret',
          resourceName: `${this.literalName}-??????`,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        });
      }
      const parts = Fn.split(':', this.secretArn, 7);
      return Fn.join(
        ':',
        [0, 1, 2, 3, 4, 5, 6].map((i) => (i === 3 ? replica.region : Fn.select(i, parts))),
      );
    });
  }

  /**
   * Records a principal that reads this secret through its own identity policy (`grantRead` does it
   * for you), so that the deny of reads by undeclared principals exempts it.
   *
   * @internal
   */
  public registerReader(principal: iam.IPrincipal): void {
    validatePrincipal(this, 'registerReader', principal, { allowService: true });
    this.vaultPolicy.addIdentityReader(principal);
  }

  /**
   * Lets the grantee put new values and move version stages, and encrypt through Secrets Manager only.
   * It is exempt from the resource policy's deny of writes; it cannot read the value.
   */
  public grantWrite(grantee: iam.IGrantable): iam.Grant {
    principalArnPatterns(this, 'grantWrite', grantee.grantPrincipal, WRITER_RULES);
    const grant = iam.Grant.addToPrincipalOrResource({
      grantee,
      actions: SECRET_WRITE_ACTIONS,
      resourceArns: [this.arnForPolicies],
      resource: this,
    });
    this.vaultPolicy.addWriter(grantee.grantPrincipal);
    return grant.combine(grantEncryptViaSecretsManager(this.encryptionKey, grantee));
  }

  /**
   * Adds a statement to the secret's resource policy. Principals of an Allow statement are exempt
   * from the account-boundary deny.
   */
  public addToResourcePolicy(statement: iam.PolicyStatement): iam.AddToResourcePolicyResult {
    if (statement.effect === iam.Effect.DENY) this.warnIfDenyBlocksRotation(statement);
    if (statement.effect === iam.Effect.ALLOW) {
      for (const principal of statement.principals) {
        validatePrincipal(this, 'addToResourcePolicy', principal, READER_RULES);
        if (principal instanceof iam.ServicePrincipal && !hasSourceCondition(statement)) {
          invalid(
            this,
            'addToResourcePolicy',
            principal,
            'an Allow to a service principal needs an aws:SourceAccount or aws:SourceArn condition, or the service would act for any of its customers (a confused deputy): add one, or list the service with addReader, which adds aws:SourceAccount',
          );
        }
      }
    }
    this.vaultPolicy.addStatement(statement);
    return { statementAdded: true, policyDependable: this.vaultPolicy.resource };
  }

  /**
   * Rotates the secret with `options.rotationLambda`, a function of this app whose role is then exempt
   * from the read and write guards. Refused when the secret already rotates (a secret has one
   * schedule: a second would overwrite the first), for a hosted rotation, and for a function whose role
   * this app does not know (an imported function, or the serverless application that rds's
   * `addRotationSingleUser` deploys): the guards could not name who rotates.
   *
   * The permission that lets Secrets Manager invoke the function has SourceAccount (the secret's
   * account) and SourceArn (this secret), unlike aws-cdk-lib's, which any account's Secrets Manager
   * could use. An imported function gets that permission too when it is of this stack's account;
   * one this app cannot give a permission to (another account, or an environment-agnostic stack
   * without `sameEnvironment`) is refused unless imported with `skipPermissions`.
   */
  public override addRotationSchedule(
    id: string,
    options: secretsmanager.RotationScheduleOptions,
  ): secretsmanager.RotationSchedule {
    const member = `addRotationSchedule('${id}')`;
    const useInstead =
      'Rotate vault secrets with a RotationFunction: the `rotation` and `rotationFunction` props, or SecretsVault.addSecret / addDatabaseSecret for a database credential';
    if (this.rotationSchedule || this.vaultPolicy.rotationRoles.length > 0) {
      refused(
        this,
        member,
        'the secret already rotates, and a secret has one rotation schedule (a second would overwrite it)',
        `Change the secret's \`rotation\` instead. ${useInstead}`,
      );
    }
    if (options.hostedRotation) {
      refused(
        this,
        member,
        "a hosted rotation function runs as a role that CloudFormation creates at deploy, which the secret's read and write guards cannot name",
        useInstead,
      );
    }
    const role = options.rotationLambda?.role;
    if (!role) {
      refused(
        this,
        member,
        `function ${options.rotationLambda?.node.path} has no role this app knows (an imported function, or the serverless application rds's addRotationSingleUser deploys), so the secret's read and write guards cannot exempt it`,
        `${useInstead}; or import your function with lambda.Function.fromFunctionAttributes({ functionArn, role })`,
      );
    }
    const rotationLambda = options.rotationLambda as lambda.IFunction;
    // aws-cdk-lib gives Secrets Manager an invoke permission only on a function this app defines.
    const grantedByRotationSchedule = rotationLambda.permissionsNode.defaultChild !== undefined;
    const importFlags = rotationLambda as unknown as ImportedFunctionFlags;
    if (
      !grantedByRotationSchedule &&
      !importFlags._skipPermissions &&
      importFlags.canCreatePermissions === false
    ) {
      refused(
        this,
        member,
        `function ${rotationLambda.node.path} is imported from another account, or from an account this stack cannot compare with its own (an environment-agnostic stack), so this app cannot give Secrets Manager a permission to invoke it limited to this secret (aws:SourceAccount and aws:SourceArn)`,
        "If the function is in this stack's account, import it with lambda.Function.fromFunctionAttributes({ functionArn, role, sameEnvironment: true }); otherwise give it, in its own account, a permission for secretsmanager.amazonaws.com with SourceAccount and SourceArn of this secret, and import it with skipPermissions: true",
      );
    }
    this.vaultPolicy.rotationRoles.push(role);

    const conditioned = invokedOnlyForSecret(rotationLambda, this);
    const schedule = super.addRotationSchedule(id, { ...options, rotationLambda: conditioned });
    ownSchedule(schedule.node.defaultChild as secretsmanager.CfnRotationSchedule);
    if (!grantedByRotationSchedule && !importFlags._skipPermissions) {
      // Secrets Manager checks that it may invoke the function when the schedule is created.
      conditioned.grantInvoke(new iam.ServicePrincipal(SECRETS_MANAGER_PRINCIPAL)).applyBefore(schedule);
    }
    return schedule;
  }

  /**
   * Replicates the secret to `region`, encrypted there with `encryptionKey`. Refused without a key:
   * the replica would be encrypted with the AWS-managed key `aws/secretsmanager`, whose policy lets
   * any principal of the account that may read the replica decrypt it.
   */
  public override addReplicaRegion(region: string, encryptionKey?: kms.IKeyRef): void {
    if (!encryptionKey) {
      // Also reached from aws-cdk-lib's constructor, before this class's fields are set.
      refused(
        this,
        `addReplicaRegion('${region}') (or \`replicaRegions\`, e.g. from a PropertyInjector for aws-cdk-lib's Secret)`,
        'without a key the replica is encrypted with the AWS-managed key aws/secretsmanager, which no vault key policy governs',
        'Pass a customer-managed key of that region: addReplicaRegion(region, key)',
      );
    }
    super.addReplicaRegion(region, encryptionKey);
  }

  /**
   * Attaches the secret to a database, cluster or proxy (`rds.Credentials.fromSecret` calls it). The
   * attachment is the same secret: its grants, resource-policy statements and rotation go to this
   * VaultSecret, so they keep its guards.
   */
  public override attach(target: secretsmanager.ISecretAttachmentTarget): secretsmanager.ISecret {
    if (this.node.tryFindChild('Attachment')) {
      refused(
        this,
        'attach',
        'the secret is already attached to a target',
        'A secret has one target attachment',
      );
    }
    return new VaultSecretAttachment(this, 'Attachment', {
      secret: this,
      target,
    });
  }

  /**
   * Like `attach`, with a construct id of your choice. (Gone from aws-cdk-lib's typings, still on its
   * prototype: JavaScript callers reach it.)
   */
  public addTargetAttachment(
    id: string,
    options: secretsmanager.AttachedSecretOptions,
  ): secretsmanager.SecretTargetAttachment {
    return new VaultSecretAttachment(this, id, { secret: this, ...options });
  }

  /** Refused: see `refusedSecretImport`. */
  public static override fromSecretCompleteArn(
    scope: Construct,
    id: string,
    _arn: string,
  ): secretsmanager.ISecret {
    return refusedSecretImport(scope, id, 'fromSecretCompleteArn');
  }

  /** Refused: see `refusedSecretImport`. */
  public static override fromSecretPartialArn(
    scope: Construct,
    id: string,
    _arn: string,
  ): secretsmanager.ISecret {
    return refusedSecretImport(scope, id, 'fromSecretPartialArn');
  }

  /** Refused: see `refusedSecretImport`. */
  public static override fromSecretNameV2(
    scope: Construct,
    id: string,
    _name: string,
  ): secretsmanager.ISecret {
    return refusedSecretImport(scope, id, 'fromSecretNameV2');
  }

  /** Refused: see `refusedSecretImport`. */
  public static override fromSecretAttributes(
    scope: Construct,
    id: string,
    _attrs: secretsmanager.SecretAttributes,
  ): secretsmanager.ISecret {
    return refusedSecretImport(scope, id, 'fromSecretAttributes');
  }

  /** Refused (deprecated in aws-cdk-lib and gone from its typings, still callable from JavaScript). */
  public static fromSecretArn(scope: Construct, id: string, _arn: string): secretsmanager.ISecret {
    return refusedSecretImport(scope, id, 'fromSecretArn');
  }

  /** Refused (deprecated in aws-cdk-lib and gone from its typings, still callable from JavaScript). */
  public static fromSecretName(scope: Construct, id: string, _name: string): secretsmanager.ISecret {
    return refusedSecretImport(scope, id, 'fromSecretName');
  }

  /**
   * Destroying the secret and letting unlisted principals read are allowed, and each deserves a
   * second look. A SecretsVault that chose them for all its secrets warns once itself.
   */
  private warnAboutLoosening(props: VaultSecretProps): void {
    if (props.removalPolicy === RemovalPolicy.DESTROY) {
      Annotations.of(this).addWarningV2(
        SECRET_DESTROYED_WARNING,
        `${ownerName(this)}: \`removalPolicy\` is DESTROY: when the secret leaves the stack its value is deleted (after Secrets Manager's recovery window) and cannot be read again. Use RETAIN outside throwaway environments.`,
      );
    }
    if (props.denyUnlistedReaders === false) {
      Annotations.of(this).addWarningV2(
        UNLISTED_READERS_WARNING,
        `${ownerName(this)}: \`denyUnlistedReaders\` is false: any principal of the account whose IAM policy allows GetSecretValue (an administrator with secretsmanager:*) reads the value. Leave it on and declare readers with grantRead or addReader.`,
      );
    }
    if (this.literalName !== undefined && ARN_SUFFIX_LOOKALIKE.test(this.literalName)) {
      Annotations.of(this).addWarningV2(
        'cdk-secrets-vault:secret-name-like-arn-suffix',
        `${ownerName(this)}: \`secretName\` "${this.literalName}" ends with a hyphen and six characters, like the suffix Secrets Manager appends in ARNs: a lookup by partial ARN may then find the wrong secret, or none. Change the end of the name.`,
      );
    }
  }

  /**
   * A Deny that covers what the rotation function does and exempts no principal would deny the
   * function too: the next rotation fails.
   */
  private warnIfDenyBlocksRotation(statement: iam.PolicyStatement): void {
    if (!this.rotationSchedule && this.vaultPolicy.rotationRoles.length === 0) return;
    if (!denyBlocksRotation(statement)) return;
    const actions = statement.notActions.length > 0 ? ['*'] : statement.actions;
    Annotations.of(this).addWarningV2(
      'cdk-secrets-vault:deny-blocks-rotation',
      `${ownerName(this)}: addToResourcePolicy adds a Deny${statement.sid ? ` "${statement.sid}"` : ''} of ${actions.join(' ')} that exempts no principal (no aws:PrincipalArn condition), so it denies the rotation function too and the next rotation fails. Exempt the function's role (ArnNotEquals aws:PrincipalArn), or narrow the Deny.`,
    );
  }

  /** Warns when a supplied value is plaintext: it lands in the template and the cloud assembly. */
  private warnIfPlaintext(content: SecretContent): void {
    if (content.kind !== SecretContentKind.SUPPLIED || !content.value) return;
    if (!isPlaintext(this, content.value.unsafeUnwrap())) return;
    Annotations.of(this).addWarningV2(
      'cdk-secrets-vault:plaintext-secret-value',
      'This secret is given a plaintext value: it is written into the synthesized template and cdk.out. ' +
        'Use a generated content (SecretContent.generatedString / generatedJson) or a reference ' +
        '(SecretValue.ssmSecure, SecretValue.cfnParameter with noEcho) instead.',
    );
  }

  /**
   * The rotation the props ask for: a schedule on the rotation function, or none (with a warning).
   * Refuses a schedule without a function, a function or a strategy for a secret that does not
   * rotate, and a strategy that does not fit the content.
   */
  private scheduleRotation(props: VaultSecretProps): secretsmanager.CfnRotationSchedule | undefined {
    const schedule =
      props.rotation ??
      (props.rotationFunction
        ? SecretRotationSchedule.rate(Duration.days(DEFAULT_ROTATION_DAYS))
        : SecretRotationSchedule.never());
    if (schedule.enabled) {
      if (!props.rotationFunction) {
        invalid(
          this,
          'rotation',
          schedule.expression,
          'a rotation schedule needs a `rotationFunction` (a SecretsVault provides one)',
        );
      }
      const strategy = props.rotationStrategy ?? defaultStrategy(this.content);
      checkStrategyFitsContent(this, this.content, strategy, props.rotationStrategy !== undefined);
      return props.rotationFunction.addSecret(this, { schedule, strategy });
    }
    if (props.rotationFunction !== undefined) {
      invalid(
        this,
        'rotationFunction',
        summary(`function ${props.rotationFunction.node.path}`),
        'the secret does not rotate (`rotation: SecretRotationSchedule.never()`), so the function would never run for it (and its role would be exempt from the guards for nothing): leave `rotationFunction` out, or give the secret a schedule',
      );
    }
    if (props.rotationStrategy !== undefined) {
      invalid(
        this,
        'rotationStrategy',
        props.rotationStrategy.kind,
        'the secret does not rotate (no `rotation` schedule or `rotationFunction`), so the strategy would be ignored: give it a schedule, or leave the strategy out',
      );
    }
    Annotations.of(this).addWarningV2(
      'cdk-secrets-vault:secret-not-rotated',
      'This secret is not rotated: its value lives until someone changes it by hand.',
    );
    return undefined;
  }
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

const SECRETS_MANAGER_PRINCIPAL = 'secretsmanager.amazonaws.com';

/** What aws-cdk-lib's imported functions say about adding permissions (not in the public typings). */
interface ImportedFunctionFlags {
  /** False for a function of another account, or of one the stack cannot compare with its own. */
  readonly canCreatePermissions?: boolean;
  /** `fromFunctionAttributes({ skipPermissions: true })`: the function's owner granted already. */
  readonly _skipPermissions?: boolean;
}

/**
 * `fn` as aws-cdk-lib's RotationSchedule sees it: its grantInvoke to Secrets Manager adds
 * aws:SourceAccount (the secret's account) and aws:SourceArn (the secret), which Lambda writes as the
 * permission's SourceAccount and SourceArn, so that Secrets Manager cannot invoke it for another
 * account or secret (a confused deputy). A Proxy, as for vault-database's listenForAttach: every other
 * member stays the function's own.
 */
function invokedOnlyForSecret(fn: lambda.IFunction, secret: VaultSecret): lambda.IFunction {
  const grantInvoke = (grantee: iam.IGrantable): iam.Grant => {
    const principal = grantee.grantPrincipal;
    if (!(principal instanceof iam.ServicePrincipal) || principal.service !== SECRETS_MANAGER_PRINCIPAL) {
      return fn.grantInvoke(grantee);
    }
    return fn.grantInvoke(
      principal.withConditions({
        StringEquals: { 'aws:SourceAccount': secret.stack.account },
        ArnLike: { 'aws:SourceArn': secret.secretArn },
      }),
    );
  };
  return new Proxy(fn, {
    get(target, property) {
      if (property === 'grantInvoke') return grantInvoke;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/**
 * Refuses VaultSecret's inherited imports: they return a plain `ISecret` that carries none of the
 * vault's guards, and whose `grantRead` the owning VaultSecret never hears of (its read deny then
 * denies that reader).
 */
function refusedSecretImport(scope: Construct, id: string, member: string): never {
  return refusedImport(
    scope,
    id,
    `VaultSecret.${member}`,
    "it would return a plain ISecret with none of a VaultSecret's guards, whose grantRead the VaultSecret that owns the secret never hears of",
    `Declare readers on the VaultSecret or SecretsVault that owns the secret (grantRead, addReader), and import it with secretsmanager.Secret.${member} only for what needs its ARN`,
  );
}

/**
 * The attachment a VaultSecret gives a database, cluster or proxy (`rds.Credentials.fromSecret`
 * attaches it, and `db.secret` is this). It is the same secret, so its grants, resource-policy
 * statements and rotation go to the VaultSecret. aws-cdk-lib's own attachment would grant without
 * telling the read guard, and (without the feature flag
 * `@aws-cdk/aws-secretsmanager:useAttachedSecretResourcePolicyForSecretTargetAttachments`) make a
 * second resource policy for the secret.
 */
class VaultSecretAttachment extends secretsmanager.SecretTargetAttachment {
  private readonly vaultSecret: VaultSecret;

  constructor(scope: VaultSecret, id: string, props: secretsmanager.SecretTargetAttachmentProps) {
    super(scope, id, props);
    this.vaultSecret = scope;
  }

  public override grantRead(grantee: iam.IGrantable, versionStages?: string[]): iam.Grant {
    return this.vaultSecret.grantRead(grantee, versionStages);
  }

  public override grantWrite(grantee: iam.IGrantable): iam.Grant {
    return this.vaultSecret.grantWrite(grantee);
  }

  public override addToResourcePolicy(statement: iam.PolicyStatement): iam.AddToResourcePolicyResult {
    return this.vaultSecret.addToResourcePolicy(statement);
  }

  public override addRotationSchedule(
    id: string,
    options: secretsmanager.RotationScheduleOptions,
  ): secretsmanager.RotationSchedule {
    const schedule = this.vaultSecret.addRotationSchedule(id, options);
    // The first rotation must see the fields the attachment writes (host, port, engine).
    schedule.node.addDependency(this);
    return schedule;
  }
}
