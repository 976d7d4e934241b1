import {
  Annotations,
  ArnFormat,
  Duration,
  Fn,
  Lazy,
  RemovalPolicy,
  Stack,
  Token,
  TokenComparison,
} from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { SECRET_MANAGEMENT_ACTIONS, SECRET_READ_ACTIONS, SECRET_WRITE_ACTIONS } from './private/actions';
import { grantDecryptViaSecretsManager, grantEncryptViaSecretsManager } from './private/grants';
import {
  BREAK_GLASS_RULES,
  deploymentRoleArn,
  distinct,
  nonEmpty,
  principalArnPatterns,
  READER_RULES,
} from './private/principals';
import { isPrincipalOfAnotherAccount } from './private/accounts';
import {
  checkSecretNameIsFree,
  coversAnyAction,
  invalid,
  knownToDiffer,
  registerSecretName,
  PrincipalRules,
  summary,
  validateOrganizationId,
  validatePrincipal,
  validateSecretName,
  validateText,
  validateVersionStages,
} from './private/validation';
import { RotationFunction } from './rotation-function';
import { RotationStrategy } from './rotation-strategy';
import { refused, refusedImport, sameValue } from './private/inherited';
import { SecretRotationSchedule } from './rotation-schedule';
import {
  ResolvedPasswordOptions,
  SecretContent,
  SecretContentKind,
  resolvePasswordOptions,
} from './secret-content';
import { VaultReplicaRegion } from './vault-replica-key';

/** Secrets Manager accepts descriptions of at most 2,048 characters. */
export const MAX_DESCRIPTION_LENGTH = 2048;

/** How often a secret rotates when nobody says otherwise. */
export const DEFAULT_ROTATION_DAYS = 30;

/** Warning ids, so that a vault can say it once for its secrets and a user can acknowledge them. */
export const SECRET_DESTROYED_WARNING = 'cdk-secrets-vault:secret-destroyed-with-stack';
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

  private readonly policyResource: secretsmanager.CfnResourcePolicy;
  private readonly allowStatements: iam.PolicyStatement[] = [];
  private readerStatement?: iam.PolicyStatement;
  private readonly identityReaders: iam.IPrincipal[] = [];
  private readonly writers: iam.IPrincipal[] = [];
  private readonly replicaList: VaultReplicaRegion[] = [];
  private literalName?: string;
  /** Roles of functions given with `addRotationSchedule`: exempt from the read and write guards. */
  private readonly rotationRoles: iam.IRole[] = [];
  private readonly owner: string;

  /** The ARN of the role CloudFormation deploys the stack with, exempt from the policy's guards. */
  public readonly deploymentRoleArn: string;

  /** The break-glass principal, when there is one. */
  public readonly breakGlass?: iam.IPrincipal;

  constructor(scope: Construct, id: string, props: VaultSecretProps) {
    const owner = `VaultSecret ${scope.node.path}/${id}`;
    validateSecretName(owner, 'secretName', props.secretName);
    validateText(owner, 'description', props.description, MAX_DESCRIPTION_LENGTH);
    const aliasName = (props.encryptionKey as Partial<kms.IAlias>).aliasName;
    if (
      typeof aliasName === 'string' &&
      !Token.isUnresolved(aliasName) &&
      aliasName.startsWith('alias/aws/')
    ) {
      invalid(
        owner,
        'encryptionKey',
        aliasName,
        'an AWS-managed key lets any principal of the account with IAM rights decrypt, and cannot serve readers of another account: use a customer-managed key (a VaultKey)',
      );
    }
    const keyRegion = props.encryptionKey.env.region;
    if (knownToDiffer(keyRegion, Stack.of(scope).region)) {
      invalid(
        owner,
        'encryptionKey',
        summary(`a key of region ${keyRegion}`),
        `Secrets Manager encrypts a secret with a key of the secret's own region (${Stack.of(scope).region}): use a key of that region, and \`replicas\` for other regions`,
      );
    }
    validateOrganizationId(owner, 'allowedOrganizationId', props.allowedOrganizationId);
    if (props.secretName !== undefined) checkSecretNameIsFree(owner, 'secretName', scope, props.secretName);
    refuseSecretProps(owner, props);
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
    this.node.addValidation({ validate: () => this.checkResourcesOfThisSecret() });

    for (const reader of nonEmpty(owner, 'readers', props.readers)) {
      this.addReader(reader);
    }
    this.literalName =
      props.secretName !== undefined && !Token.isUnresolved(props.secretName) ? props.secretName : undefined;
    for (const replica of nonEmpty(owner, 'replicas', props.replicas)) {
      this.addReplica(replica);
    }

    this.owner = owner;
    this.deploymentRoleArn = deploymentRoleArn(this, owner, props.deploymentRole);
    this.breakGlass = props.breakGlass;
    if (props.breakGlass) principalArnPatterns(owner, 'breakGlass', props.breakGlass, BREAK_GLASS_RULES);
    this.addGuards(props.denyUnlistedReaders ?? true, props.rotationFunction);
    this.warnAboutLoosening(props);

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
      const strategy = props.rotationStrategy ?? defaultStrategy(content);
      checkStrategyFitsContent(owner, content, strategy, props.rotationStrategy !== undefined);
      this.rotationSchedule = props.rotationFunction.addSecret(this, { schedule, strategy });
    } else {
      if (props.rotationFunction !== undefined) {
        invalid(
          owner,
          'rotationFunction',
          summary(`function ${props.rotationFunction.node.path}`),
          'the secret does not rotate (`rotation: SecretRotationSchedule.never()`), so the function would never run for it (and its role would be exempt from the guards for nothing): leave `rotationFunction` out, or give the secret a schedule',
        );
      }
      if (props.rotationStrategy !== undefined) {
        invalid(
          owner,
          'rotationStrategy',
          props.rotationStrategy.kind,
          'the secret does not rotate (no `rotation` schedule or `rotationFunction`), so the strategy would be ignored: give it a schedule, or leave the strategy out',
        );
      }
      Annotations.of(this).addWarningV2(
        'cdk-secrets-vault:secret-not-rotated',
        'This secret is not rotated: its value lives until someone changes it by hand.',
      );
    }
    // Only a secret that was made holds its name.
    if (this.literalName !== undefined) registerSecretName(this, this.literalName);
  }

  /**
   * Names a principal in the resource policy's allow list (GetSecretValue and DescribeSecret), and
   * lets it decrypt through Secrets Manager. A principal of another account is exempt from the
   * account-boundary deny and gets a key-policy statement.
   */
  public addReader(principal: iam.IPrincipal): void {
    validatePrincipal(`VaultSecret ${this.node.path}`, 'readers', principal, READER_RULES);
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
    validatePrincipal(this.owner, 'grantRead', grantee.grantPrincipal, {
      serviceHint:
        'a service reads for any of its customers unless bound to this account: use addReader, which adds aws:SourceAccount',
    });
    for (const label of validateVersionStages(this.owner, 'versionStages', versionStages)) {
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
    const owner = `VaultSecret ${this.node.path}`;
    const region = Stack.of(this).region;
    if (!Token.isUnresolved(region) && replica.region === region) {
      invalid(owner, 'replicas', replica.region, "allowed: a region other than the secret's own");
    }
    if (this.replicaList.some((r) => r.region === replica.region)) {
      invalid(owner, 'replicas', replica.region, 'allowed: each region once');
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
   */
  public registerReader(principal: iam.IPrincipal): void {
    validatePrincipal(this.owner, 'registerReader', principal, { allowService: true });
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
    if (statement.effect === iam.Effect.DENY) this.warnIfDenyBlocksRotation(statement);
    if (statement.effect === iam.Effect.ALLOW) {
      for (const principal of statement.principals) {
        validatePrincipal(`VaultSecret ${this.node.path}`, 'addToResourcePolicy', principal, READER_RULES);
        if (principal instanceof iam.ServicePrincipal && !hasSourceCondition(statement)) {
          invalid(
            `VaultSecret ${this.node.path}`,
            'addToResourcePolicy',
            principal,
            'an Allow to a service principal needs an aws:SourceAccount or aws:SourceArn condition, or the service would act for any of its customers (a confused deputy): add one, or list the service with addReader, which adds aws:SourceAccount',
          );
        }
      }
      this.allowStatements.push(statement);
    }
    this.resourcePolicy.addStatements(statement);
    return { statementAdded: true, policyDependable: this.policyResource };
  }

  /**
   * Rotates the secret with `options.rotationLambda`, a function of this app whose role is then exempt
   * from the read and write guards. Refused when the secret already rotates (a secret has one
   * schedule: a second would overwrite the first), for a hosted rotation, and for a function whose role
   * this app does not know (an imported function, or the serverless application that rds's
   * `addRotationSingleUser` deploys): the guards could not name who rotates.
   */
  public override addRotationSchedule(
    id: string,
    options: secretsmanager.RotationScheduleOptions,
  ): secretsmanager.RotationSchedule {
    const member = `addRotationSchedule('${id}')`;
    const useInstead =
      'Rotate vault secrets with a RotationFunction: the `rotation` and `rotationFunction` props, or SecretsVault.addSecret / addDatabaseSecret for a database credential';
    if (this.rotationSchedule || this.rotationRoles.length > 0) {
      refused(
        this.owner,
        member,
        'the secret already rotates, and a secret has one rotation schedule (a second would overwrite it)',
        `Change the secret's \`rotation\` instead. ${useInstead}`,
      );
    }
    if (options.hostedRotation) {
      refused(
        this.owner,
        member,
        "a hosted rotation function runs as a role that CloudFormation creates at deploy, which the secret's read and write guards cannot name",
        useInstead,
      );
    }
    const role = options.rotationLambda?.role;
    if (!role) {
      refused(
        this.owner,
        member,
        `function ${options.rotationLambda?.node.path} has no role this app knows (an imported function, or the serverless application rds's addRotationSingleUser deploys), so the secret's read and write guards cannot exempt it`,
        `${useInstead}; or import your function with lambda.Function.fromFunctionAttributes({ functionArn, role })`,
      );
    }
    this.rotationRoles.push(role);
    return super.addRotationSchedule(id, options);
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
        `VaultSecret ${this.node.path}`,
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
        this.owner,
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
        `${this.owner}: \`removalPolicy\` is DESTROY: when the secret leaves the stack its value is deleted (after Secrets Manager's recovery window) and cannot be read again. Use RETAIN outside throwaway environments.`,
      );
    }
    if (props.denyUnlistedReaders === false) {
      Annotations.of(this).addWarningV2(
        UNLISTED_READERS_WARNING,
        `${this.owner}: \`denyUnlistedReaders\` is false: any principal of the account whose IAM policy allows GetSecretValue (an administrator with secretsmanager:*) reads the value. Leave it on and declare readers with grantRead or addReader.`,
      );
    }
    if (this.literalName !== undefined && ARN_SUFFIX_LOOKALIKE.test(this.literalName)) {
      Annotations.of(this).addWarningV2(
        'cdk-secrets-vault:secret-name-like-arn-suffix',
        `${this.owner}: \`secretName\` "${this.literalName}" ends with a hyphen and six characters, like the suffix Secrets Manager appends in ARNs: a lookup by partial ARN may then find the wrong secret, or none. Change the end of the name.`,
      );
    }
  }

  /**
   * A Deny that covers what the rotation function does (read, put, move stages) and names no principal
   * it exempts would deny the function too: the next rotation fails. Conditions on TLS alone never
   * touch the function, which always uses TLS.
   */
  private warnIfDenyBlocksRotation(statement: iam.PolicyStatement): void {
    if (!this.rotationSchedule && this.rotationRoles.length === 0) return;
    const actions = statement.notActions.length > 0 ? ['*'] : statement.actions;
    if (!coversAnyAction(actions, ROTATION_ACTIONS)) return;
    const keys = Object.values(statement.conditions ?? {}).flatMap((c) =>
      Object.keys(c as object).map((k) => k.toLowerCase()),
    );
    const exemptsSomeone = keys.some(
      (k) => k === 'aws:principalarn' || k === 'aws:userid' || k.startsWith('aws:principaltag/'),
    );
    const tlsOnly = keys.length > 0 && keys.every((k) => k === 'aws:securetransport');
    if (exemptsSomeone || tlsOnly) return;
    Annotations.of(this).addWarningV2(
      'cdk-secrets-vault:deny-blocks-rotation',
      `${this.owner}: addToResourcePolicy adds a Deny${statement.sid ? ` "${statement.sid}"` : ''} of ${actions.join(' ')} that exempts no principal (no aws:PrincipalArn condition), so it denies the rotation function too and the next rotation fails. Exempt the function's role (ArnNotEquals aws:PrincipalArn), or narrow the Deny.`,
    );
  }

  /**
   * What no member can be made to keep, checked on the finished tree: one resource policy and at most
   * one rotation schedule for this secret (a `secretsmanager.ResourcePolicy` or `RotationSchedule`
   * made directly, or through an attachment, would overwrite ours at deploy), the vault key on the
   * secret's resource and on every replica (a mixin or escape hatch could change them).
   */
  private checkResourcesOfThisSecret(): string[] {
    const cfnSecret = this.node.defaultChild as secretsmanager.CfnSecret;
    const inStack = Stack.of(this).node.findAll();
    const ids = [
      this.secretArn,
      ...inStack
        .filter(
          (c): c is secretsmanager.CfnSecretTargetAttachment =>
            c instanceof secretsmanager.CfnSecretTargetAttachment,
        )
        .filter((a) => sameValue(this, a.secretId, this.secretArn))
        .map((a) => a.ref),
    ];
    const forThisSecret = <T extends { secretId: string }>(type: new (...args: never[]) => T) =>
      inStack.filter(
        (c): c is T & Construct =>
          c instanceof type && ids.some((id) => sameValue(this, (c as T).secretId, id)),
      );
    const errors: string[] = [];
    const policies = forThisSecret(secretsmanager.CfnResourcePolicy);
    if (policies.length > 1) {
      errors.push(
        `${this.owner}: ${policies.length} resource policies name this secret (${policies.map((p) => p.node.path).join(', ')}); a secret has one, and each would overwrite the other at deploy. Add statements with addToResourcePolicy instead of making a secretsmanager.ResourcePolicy.`,
      );
    }
    const schedules = forThisSecret(secretsmanager.CfnRotationSchedule);
    if (schedules.length > 1) {
      errors.push(
        `${this.owner}: ${schedules.length} rotation schedules name this secret (${schedules.map((p) => p.node.path).join(', ')}); a secret has one rotation, and each would overwrite the other at deploy. Change the secret's \`rotation\` instead of making a secretsmanager.RotationSchedule.`,
      );
    }
    if (!sameValue(this, cfnSecret.kmsKeyId, this.encryptionKey.keyArn)) {
      errors.push(
        `${this.owner}: the secret's KmsKeyId is not its encryptionKey (a mixin, aspect or escape hatch changed it); the vault's guards hold only under its encryptionKey. Remove what changes it.`,
      );
    }
    const replicas = (Stack.of(this).resolve(cfnSecret.replicaRegions) ?? []) as Array<{
      kmsKeyId?: unknown;
      KmsKeyId?: unknown;
      region?: string;
      Region?: string;
    }>;
    for (const replica of replicas) {
      if ((replica.kmsKeyId ?? replica.KmsKeyId) === undefined) {
        errors.push(
          `${this.owner}: the replica in ${replica.region ?? replica.Region} has no key, so it is encrypted with the AWS-managed key aws/secretsmanager. Pass a customer-managed key of that region: addReplicaRegion(region, key).`,
        );
      }
    }
    return errors;
  }

  /**
   * The resource policy's guards. Each Deny names who it lets through by `aws:PrincipalArn`, filled in
   * at synth so that readers and writers declared after the secret are exempt too. AWS services acting
   * as themselves are not denied.
   */
  private addGuards(denyUnlistedReaders: boolean, rotationFunction?: RotationFunction) {
    const patterns = (prop: string, principals: iam.IPrincipal[], rules: PrincipalRules = {}) =>
      principals.flatMap((p) => principalArnPatterns(this.owner, prop, p, rules));
    const rotation = () => [
      ...(rotationFunction ? [rotationFunction.role.roleArn] : []),
      ...this.rotationRoles.map((role) => role.roleArn),
    ];
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
          ...rotation(),
          this.deploymentRoleArn,
        ]),
      );
    }
    this.resourcePolicy.addStatements(
      guard('DenyManagementExceptDeployment', SECRET_MANAGEMENT_ACTIONS, managers),
      guard('DenyWritesExceptRotationAndWriters', SECRET_WRITE_ACTIONS, () => [
        ...managers(),
        ...rotation(),
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

/** What a rotation function does to the secret it rotates. */
const ROTATION_ACTIONS = [
  'secretsmanager:GetSecretValue',
  'secretsmanager:DescribeSecret',
  'secretsmanager:PutSecretValue',
  'secretsmanager:UpdateSecretVersionStage',
];
const WRITER_RULES: PrincipalRules = {
  serviceHint: 'a service writes through a role of this account given grantWrite',
};

/** Statement conditions that bind a service to a source: the confused-deputy guard. */
function hasSourceCondition(statement: iam.PolicyStatement): boolean {
  const keys = Object.values(statement.conditions ?? {}).flatMap((c) => Object.keys(c as object));
  return keys.some((k) =>
    ['aws:sourceaccount', 'aws:sourcearn', 'aws:sourceowner'].includes(k.toLowerCase()),
  );
}

/**
 * A strategy that does not match the content would rotate the wrong thing: a JSON field the content
 * does not generate (the generated field would never change), a JSON field of a string, a whole new
 * string over a JSON value or a supplied value (the other fields, or the supplied value, would be lost).
 */
function checkStrategyFitsContent(
  owner: string,
  content: SecretContent,
  strategy: RotationStrategy,
  given: boolean,
) {
  const prop = given ? 'rotationStrategy' : 'content';
  if (strategy.kind !== 'generated') {
    if (content.kind !== SecretContentKind.GENERATED_JSON) {
      invalid(
        owner,
        prop,
        strategy.kind,
        'a database strategy rotates the database JSON: use SecretsVault.addDatabaseSecret',
      );
    }
    return;
  }
  if (strategy.jsonField !== undefined) {
    if (content.kind !== SecretContentKind.GENERATED_JSON) {
      invalid(
        owner,
        'rotationStrategy',
        `generatedJsonField("${strategy.jsonField}")`,
        'a JSON-field strategy needs JSON content (SecretContent.generatedJson); this secret holds a string',
      );
    }
    if (strategy.jsonField !== content.generateField) {
      invalid(
        owner,
        'rotationStrategy',
        `generatedJsonField("${strategy.jsonField}")`,
        `it rotates field "${strategy.jsonField}", but the content generates "${content.generateField}": rotate that field`,
      );
    }
    return;
  }
  if (content.kind === SecretContentKind.GENERATED_JSON) {
    invalid(
      owner,
      'rotationStrategy',
      'generatedString()',
      `it would replace the whole JSON value with a random string: use RotationStrategy.generatedJsonField("${content.generateField}")`,
    );
  }
  if (content.kind === SecretContentKind.SUPPLIED && !given) {
    invalid(
      owner,
      'rotation',
      'a schedule for a supplied value',
      'rotating with the default strategy would replace the supplied value with a random string: pass a `rotationStrategy` that fits the value, or `rotation: SecretRotationSchedule.never()`',
    );
  }
}

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

/** aws-cdk-lib SecretProps that a VaultSecret does not take, and what to use instead. */
const SECRET_PROPS_NOT_TAKEN: Record<string, string> = {
  secretStringValue: 'Give the value as `content: SecretContent.fromSecretValue(value)`',
  secretObjectValue:
    'Give the value as `content: SecretContent.fromSecretValue(value)` (a JSON string), or generate it with SecretContent.generatedJson(template, field)',
  secretStringBeta1: 'Give the value as `content: SecretContent.fromSecretValue(value)`',
  generateSecretString:
    'Use `content: SecretContent.generatedString(options)` or SecretContent.generatedJson(template, field, options)',
  replicaRegions: 'Call addReplicaRegion(region, key) with a customer-managed key of that region',
};

/**
 * `{ ...secretProps, encryptionKey }` type-checks (TypeScript does not check spread properties for
 * excess), and aws-cdk-lib's props would be dropped in silence: a supplied value replaced by a
 * generated one. The message names the prop, never its value.
 */
function refuseSecretProps(owner: string, props: VaultSecretProps) {
  const given = props as unknown as Record<string, unknown>;
  for (const [prop, instead] of Object.entries(SECRET_PROPS_NOT_TAKEN)) {
    if (given[prop] !== undefined) {
      refused(
        owner,
        `the prop \`${prop}\``,
        "it is aws-cdk-lib's SecretProps, which a VaultSecret does not take (it would be dropped in silence)",
        instead,
      );
    }
  }
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
