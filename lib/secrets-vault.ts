import {
  Annotations,
  ArnFormat,
  CfnResource,
  Duration,
  RemovalPolicy,
  Stack,
  Tags,
  Token,
} from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import { Construct, IConstruct } from 'constructs';
import { isPrincipalOfAnotherAccount } from './private/accounts';
import { grantDecryptViaSecretsManager } from './private/grants';
import { acknowledgeWildcardResource } from './private/nag';
import { checkReservedConcurrency, checkSubnets } from './private/rotation-function-checks';
import { SECRET_READ_ACTIONS } from './private/actions';
import {
  BREAK_GLASS_RULES,
  deploymentRoleArn,
  KEY_ADMIN_RULES,
  nonEmpty,
  principalArnPatterns,
  READER_RULES,
} from './private/principals';
import {
  checkSecretNameIsFree,
  invalid,
  mayShareEnvironment,
  Owner,
  ownerName,
  SECRET_NAME_MAX_LENGTH,
  summary,
  validateDays,
  validateOrganizationId,
  validatePrincipal,
  validateSecretName,
  validateVersionStages,
} from './private/validation';
import { addDatabaseSecretTo, DatabaseSecretOptions } from './database-secret';
import { RotationFunction, RotationFunctionProps } from './rotation-function';
import { SecretRotationSchedule } from './rotation-schedule';
import { SecretContentKind } from './secret-content';
import { SecretReaderRole, SecretReaderRoleOptions } from './secret-reader-role';
import { DatabaseMasterOptions, RdsManagedMaster, VaultDatabaseMaster } from './vault-database';
import { KEY_DESTROYED_WARNING, MAX_KEY_ROTATION_DAYS, MIN_KEY_ROTATION_DAYS, VaultKey } from './vault-key';
import { VaultReplicaKey, VaultReplicaRegion } from './vault-replica-key';
import {
  DEFAULT_ROTATION_DAYS,
  SECRET_DESTROYED_WARNING,
  UNLISTED_READERS_WARNING,
  VaultSecret,
  VaultSecretOptions,
} from './vault-secret';

/** The tag every secret of a vault carries, with the vault's name prefix as its value. */
export const VAULT_TAG = 'secrets-vault:vault';

/**
 * Properties of a SecretsVault.
 */
export interface SecretsVaultProps {
  /**
   * The prefix of every secret name in the vault; secrets are named `<namePrefix>/<id>`. Policies
   * that cover the whole vault are scoped by it, so they do not grow with the number of secrets.
   * Letters, digits and `/ _ + = . @ -`, without a trailing `/` (and, for the key the vault creates,
   * whose alias is `alias/<namePrefix>`, without a leading `/` or a `//`).
   *
   * @default - `<stack name>/<vault id>`
   */
  readonly namePrefix?: string;

  /**
   * Bring your own key instead of the vault creating a VaultKey. Its policy must let Secrets
   * Manager use it on behalf of the account (a VaultKey's does).
   *
   * @default - a new VaultKey
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * How often the vault's own key rotates its material (90 to 2560 days). Only for the key the
   * vault creates.
   *
   * @default Duration.days(90)
   */
  readonly keyRotationPeriod?: Duration;

  /**
   * Principals allowed to read every secret of the vault through the secrets' resource policies
   * (the resource-based route), in this account or another.
   *
   * @default - none; readers use the identity-based route (`grantRead`, `addReaderRole`)
   */
  readonly readers?: iam.IPrincipal[];

  /**
   * An AWS Organizations id (`o-...`) whose accounts are not denied by the secrets' account boundary.
   *
   * @default - only this account and the accounts of listed readers
   */
  readonly allowedOrganizationId?: string;

  /**
   * What happens to the key and the secrets when they leave the stack.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Make every secret's allow list binding: `GetSecretValue` is denied to any principal this app did
   * not declare as a reader (see `VaultSecretOptions.denyUnlistedReaders`). Turning it off lets any
   * principal of the account whose IAM policy allows the read read the values.
   *
   * @default true
   */
  readonly denyUnlistedReaders?: boolean;

  /**
   * Who administers the vault's key besides the deployment and `breakGlass` (see
   * `VaultKeyProps.keyAdmins`). Only for the key the vault creates.
   *
   * @default - only the deployment (and `breakGlass`, when given)
   */
  readonly keyAdmins?: iam.IPrincipal[];

  /**
   * A principal kept for emergencies: it administers the key and may replace or delete the secrets'
   * resource policies, undoing every guard. A `SecretsAudit` of the vault alarms on each of its calls.
   *
   * @default - none
   */
  readonly breakGlass?: iam.IPrincipal;

  /**
   * The role CloudFormation deploys the stack with; the key and secret policies let it through.
   *
   * @default - the CloudFormation execution role of the stack's `DefaultStackSynthesizer`; other
   *   synthesizers must name it
   */
  readonly deploymentRole?: iam.IRole;

  /**
   * When the vault's generated secrets rotate, unless a secret says otherwise. Supplied values do
   * not rotate unless their own `rotation` says so.
   *
   * @default SecretRotationSchedule.rate(Duration.days(30))
   */
  readonly rotation?: SecretRotationSchedule;

  /**
   * The VPC in which the rotation function runs, to reach databases of `addDatabaseSecret`. It
   * needs a route to the Secrets Manager API there (an interface endpoint or a NAT).
   *
   * @default - not in a VPC
   */
  readonly rotationVpc?: ec2.IVpc;

  /**
   * Subnets of `rotationVpc` for the rotation function.
   *
   * @default - the VPC's private subnets
   */
  readonly rotationVpcSubnets?: ec2.SubnetSelection;

  /**
   * Security groups of the rotation function in `rotationVpc`.
   *
   * @default - a new security group with all outbound traffic allowed
   */
  readonly rotationSecurityGroups?: ec2.ISecurityGroup[];

  /**
   * Reserved concurrency of the vault's rotation function (0 reserves none, for accounts at Lambda's
   * starting limit).
   *
   * @default 2
   */
  readonly rotationReservedConcurrentExecutions?: number;

  /**
   * Regions every secret of the vault replicates to, each with a customer-managed key of that region.
   * A `VaultReplicaKey` in a stack of the region adds its region itself; list here the keys of your
   * own (`VaultReplicaRegion.fromKeyArn`).
   *
   * @default - no replicas (or those of the vault's VaultReplicaKeys)
   */
  readonly replicas?: VaultReplicaRegion[];
}

/**
 * A vault of secrets: one customer-managed key usable through Secrets Manager only (and by CloudWatch
 * Logs for the rotation function's log group, which it encrypts), any number of hardened secrets named
 * under one prefix, and the two access routes (identity-based roles and grants, resource-based readers). Everything that covers all the secrets of the vault is scoped by
 * the name prefix, so its size does not grow with the number of secrets.
 */
export class SecretsVault extends Construct {
  /** The key that encrypts the vault's secrets. */
  public readonly encryptionKey: kms.IKey;

  /** The prefix of every secret name in the vault (no trailing slash). */
  public readonly namePrefix: string;

  /** An ARN pattern that matches every secret of the vault, for IAM policies. */
  public readonly secretArnPattern: string;

  /** The break-glass principal, when there is one: its every call is worth an alarm. */
  public readonly breakGlass?: iam.IPrincipal;

  /** The ARN of the role CloudFormation deploys the stack with. */
  public readonly deploymentRoleArn: string;

  private readonly deploymentRole?: iam.IRole;
  private readonly vaultReaders: iam.IPrincipal[] = [];
  private readonly vaultIdentityReaders: iam.IPrincipal[] = [];
  private readonly identityGrants: { grantee: iam.IGrantable; versionStages?: string[] }[] = [];
  private readonly crossAccountGrants: { grantee: iam.IGrantable; versionStages?: string[] }[] = [];
  private readonly replicaList: VaultReplicaRegion[] = [];
  private readonly denyUnlistedReaders: boolean;
  private readonly allowedOrganizationId?: string;
  private readonly removalPolicy: RemovalPolicy;
  private readonly vaultSecrets: VaultSecret[] = [];
  private readonly rotation: SecretRotationSchedule;
  private readonly rotationReservedConcurrentExecutions?: number;
  private rotator?: RotationFunction;
  private readonly rotationNetwork: Pick<RotationFunctionProps, 'vpc' | 'vpcSubnets' | 'securityGroups'>;
  /** The alias of the key the vault creates; undefined for a key of your own. */
  private readonly keyAlias?: string;

  constructor(scope: Construct, id: string, props: SecretsVaultProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);

    this.namePrefix = props.namePrefix ?? `${stack.stackName}/${id}`;
    this.keyAlias = props.encryptionKey ? undefined : `alias/${aliasSafe(this.namePrefix)}`;
    this.checkNamePrefix(props.namePrefix !== undefined, id);
    this.checkProps(props);

    this.removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.rotation = props.rotation ?? SecretRotationSchedule.rate(Duration.days(DEFAULT_ROTATION_DAYS));
    this.rotationReservedConcurrentExecutions = props.rotationReservedConcurrentExecutions;
    this.rotationNetwork = {
      vpc: props.rotationVpc,
      vpcSubnets: props.rotationVpcSubnets,
      securityGroups: props.rotationSecurityGroups,
    };
    this.allowedOrganizationId = props.allowedOrganizationId;
    this.denyUnlistedReaders = props.denyUnlistedReaders ?? true;
    this.breakGlass = props.breakGlass;
    this.deploymentRole = props.deploymentRole;
    this.deploymentRoleArn = deploymentRoleArn(this, this, props.deploymentRole);
    this.warnAboutLoosening();
    this.encryptionKey =
      props.encryptionKey ??
      new VaultKey(this, 'Key', {
        alias: this.keyAlias,
        rotationPeriod: props.keyRotationPeriod,
        removalPolicy: this.removalPolicy,
        keyAdmins: props.keyAdmins,
        breakGlass: props.breakGlass,
        deploymentRole: props.deploymentRole,
      });
    this.secretArnPattern = stack.formatArn({
      service: 'secretsmanager',
      resource: 'secret',
      resourceName: `${this.namePrefix}/*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });

    for (const reader of nonEmpty(this, 'readers', props.readers)) {
      this.addReader(reader);
    }
    for (const replica of nonEmpty(this, 'replicas', props.replicas)) {
      this.addReplica(replica);
    }
    this.node.addValidation({ validate: () => this.checkReplicaKeys() });
    this.node.addValidation({ validate: () => this.checkStackLimits() });
    // Only a vault that was made holds its prefix and alias.
    vaultsByApp.set(this.node.root, [...(vaultsByApp.get(this.node.root) ?? []), this]);
  }

  /** The secrets added to the vault so far. */
  public get secrets(): VaultSecret[] {
    return [...this.vaultSecrets];
  }

  /**
   * The one function that rotates every secret of the vault, created with the first rotating
   * secret. Its role, invoke permission and allow list are scoped by the vault's name prefix. Its
   * logs are encrypted with the vault's key, unless that key is imported.
   */
  public get rotationFunction(): RotationFunction {
    this.rotator ??= new RotationFunction(this, 'Rotation', {
      secretNamePrefix: this.namePrefix,
      encryptionKeys: [this.encryptionKey],
      reservedConcurrentExecutions: this.rotationReservedConcurrentExecutions,
      ...this.rotationNetwork,
      logRemovalPolicy: this.removalPolicy,
      // An imported key's policy is its owner's: this vault cannot let CloudWatch Logs use it.
      logEncryptionKey: this.encryptionKey instanceof kms.Key ? this.encryptionKey : undefined,
    });
    for (const replica of this.replicaList) this.grantReplication(replica);
    return this.rotator;
  }

  /** The vault's rotation function if a rotating secret created it; reading this never creates one. */
  public get existingRotationFunction(): RotationFunction | undefined {
    return this.rotator;
  }

  /**
   * Adds a secret named `<namePrefix>/<id>` (or `options.secretName`, which must start with
   * `<namePrefix>/`), encrypted with the vault's key and carrying the vault's readers.
   */
  public addSecret(id: string, options: VaultSecretOptions = {}): VaultSecret {
    const secretName = options.secretName ?? `${this.namePrefix}/${id}`;
    if (!Token.isUnresolved(secretName) && !Token.isUnresolved(this.namePrefix)) {
      if (!secretName.startsWith(`${this.namePrefix}/`)) {
        invalid(
          this,
          'secretName',
          secretName,
          `a secret of this vault must be named under "${this.namePrefix}/" so that vault-wide policies cover it`,
        );
      }
      if (secretName.length > SECRET_NAME_MAX_LENGTH) {
        invalid(this, 'secretName', secretName, `allowed: at most ${SECRET_NAME_MAX_LENGTH} characters`);
      }
    }
    checkSecretNameIsFree(this, options.secretName === undefined ? 'id' : 'secretName', this, secretName);
    const supplied = options.content?.kind === SecretContentKind.SUPPLIED;
    const rotation = options.rotation ?? (supplied ? SecretRotationSchedule.never() : this.rotation);
    const secret = new VaultSecret(this, id, {
      removalPolicy: this.removalPolicy,
      allowedOrganizationId: this.allowedOrganizationId,
      denyUnlistedReaders: this.denyUnlistedReaders,
      breakGlass: this.breakGlass,
      deploymentRole: this.deploymentRole,
      ...options,
      rotation,
      rotationFunction: rotation.enabled ? this.rotationFunction : undefined,
      secretName,
      encryptionKey: this.encryptionKey,
    });
    Tags.of(secret).add(VAULT_TAG, this.namePrefix);
    for (const reader of this.vaultReaders) {
      secret.addReader(reader);
    }
    for (const reader of this.vaultIdentityReaders) {
      secret.registerReader(reader);
    }
    for (const { grantee, versionStages } of this.crossAccountGrants) {
      secret.grantRead(grantee, versionStages);
    }
    for (const replica of this.replicaList) {
      secret.addReplica(replica);
    }
    this.vaultSecrets.push(secret);
    return secret;
  }

  /**
   * Adds a database credential: a JSON secret whose password the vault's rotation function rotates
   * on the database itself. The function is pinned to the `engine`, `host`, `port`, `dbname` and
   * `tls` given here (verified TLS by default) and, for alternating users, to the admin secret:
   * whatever the secret's value later says, it sends the credentials nowhere else. The value starts
   * as `username` and a generated `password`; each rotation writes the pinned connection fields
   * (`engine`, `host`, `port`, `dbname`, `ssl`, and `masterarn` for alternating users, as RDS writes
   * them) into the new version. They stay out of the generated part, so that moving the database
   * never replaces the password (CloudFormation would, aws-cdk#19985).
   */
  public addDatabaseSecret(id: string, options: DatabaseSecretOptions): VaultSecret {
    return addDatabaseSecretTo(this, id, options, {
      rotates: (options.rotation ?? this.rotation).enabled,
      rotationInVpc: this.rotationNetwork.vpc !== undefined,
    });
  }

  /**
   * Names a principal in the resource policy of every secret of the vault, present and future
   * (the resource-based route), and lets it decrypt through Secrets Manager.
   */
  public addReader(principal: iam.IPrincipal): void {
    validatePrincipal(this, 'readers', principal, READER_RULES);
    this.vaultReaders.push(principal);
    for (const secret of this.vaultSecrets) {
      secret.addReader(principal);
    }
  }

  /**
   * Lets the grantee read every secret of the vault, present and future, through its identity
   * policy: one statement scoped by the vault's name prefix, and decrypt through Secrets Manager.
   * A principal of another account cannot be given an identity policy from here: name it with
   * `addReader` instead.
   *
   * @param versionStages limit reads to these version stages (e.g. `['AWSCURRENT']`); a request
   *   must then name its stage.
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
    if (isPrincipalOfAnotherAccount(this, grantee.grantPrincipal)) {
      return this.grantReadAcrossAccounts(grantee, versionStages);
    }
    const allow = (actions: string[], conditions?: Record<string, Record<string, unknown>>) =>
      iam.Grant.addToPrincipal({ grantee, actions, resourceArns: [this.secretArnPattern], conditions });
    const grant = versionStages
      ? // A request's version stage is one value (StringEquals matches any listed stage), and
        // DescribeSecret carries none: a stage condition on it would always deny it.
        allow(['secretsmanager:GetSecretValue'], {
          StringEquals: { 'secretsmanager:VersionStage': versionStages },
        }).combine(allow(['secretsmanager:DescribeSecret']))
      : allow(SECRET_READ_ACTIONS);
    if (!grant.success) {
      invalid(
        this,
        'grantRead',
        grantee.grantPrincipal.toString(),
        'it has no identity policy in this account; use `addReader` for principals of other accounts or services',
      );
    }
    const principal = grantee.grantPrincipal;
    if (grant.principalStatements.length > 0 && Construct.isConstruct(principal)) {
      acknowledgeWildcardResource(
        principal,
        this.secretArnPattern,
        'Every secret of the vault, present and future, by the vault’s own name prefix: the policy does not grow with the number of secrets.',
      );
    }
    this.vaultIdentityReaders.push(principal);
    for (const secret of this.vaultSecrets) {
      secret.registerReader(principal);
    }
    this.identityGrants.push({ grantee, versionStages });
    let all = grant.combine(grantDecryptViaSecretsManager(this.encryptionKey, grantee));
    for (const replica of this.replicaList) {
      all = all.combine(this.grantReplicaRead(replica, grantee, versionStages));
    }
    return all;
  }

  /** The regions the vault's secrets replicate to. */
  public get replicas(): VaultReplicaRegion[] {
    return [...this.replicaList];
  }

  /**
   * Replicates every secret of the vault, present and future, to another region, encrypted there
   * with the customer-managed key the replica region names. Readers granted with `grantRead`
   * (before or after) read the replicas too, and the rotation function may encrypt them.
   */
  public addReplica(replica: VaultReplicaRegion): void {
    const region = Stack.of(this).region;
    if (!Token.isUnresolved(region) && replica.region === region) {
      invalid(this, 'replicas', replica.region, "allowed: a region other than the vault's own");
    }
    if (this.replicaList.some((r) => r.region === replica.region)) {
      invalid(this, 'replicas', replica.region, 'allowed: each region once');
    }
    this.replicaList.push(replica);
    for (const secret of this.vaultSecrets) secret.addReplica(replica);
    for (const { grantee, versionStages } of this.identityGrants) {
      this.grantReplicaRead(replica, grantee, versionStages);
    }
    if (this.rotator) this.grantReplication(replica);
    if (!this.breakGlass) {
      Annotations.of(this).addWarningV2(
        'cdk-secrets-vault:replica-without-break-glass',
        "The secrets deny StopReplicationToReplica to all but this region's deployment and a break-glass principal, " +
          `and there is none: nobody can promote the ${replica.region} replicas to standalone secrets while this ` +
          'region is down. Give the vault a `breakGlass` principal.',
      );
    }
  }

  /** Reads of the replicas in one region: by name prefix there, and decrypt through Secrets Manager there. */
  private grantReplicaRead(
    replica: VaultReplicaRegion,
    grantee: iam.IGrantable,
    versionStages?: string[],
  ): iam.Grant {
    const resourceArns = [replica.secretArnPattern(this, this.namePrefix)];
    const allow = (actions: string[], conditions?: Record<string, Record<string, unknown>>) =>
      iam.Grant.addToPrincipal({ grantee, actions, resourceArns, conditions });
    const read = versionStages
      ? allow(['secretsmanager:GetSecretValue'], {
          StringEquals: { 'secretsmanager:VersionStage': versionStages },
        }).combine(allow(['secretsmanager:DescribeSecret']))
      : allow(SECRET_READ_ACTIONS);
    const principal = grantee.grantPrincipal;
    if (read.principalStatements.length > 0 && Construct.isConstruct(principal)) {
      acknowledgeWildcardResource(
        principal,
        resourceArns[0]!,
        `Every ${replica.region} replica of the vault's secrets, by the vault's own name prefix.`,
      );
      if (replica.keyArn === undefined) {
        acknowledgeWildcardResource(
          principal,
          replica.keyResourceArn(this),
          `The ${replica.region} replica key, named without its random id: only a key carrying the alias ` +
            `${replica.aliasName} matches (kms:ResourceAliases), and only through Secrets Manager of ${replica.region}.`,
        );
      }
    }
    return read.combine(replica.grantDecryptViaSecretsManager(this, grantee));
  }

  /**
   * Secrets Manager re-encrypts each new value of a primary for every replica; should it do so with
   * the permissions of whoever wrote the value (as cross-account replication does through forward
   * access sessions), the rotation function must be allowed to encrypt with the replica keys.
   */
  private grantReplication(replica: VaultReplicaRegion): void {
    const role = this.rotator!.role;
    replica.grantEncryptViaSecretsManager(this, role);
    if (replica.keyArn === undefined) {
      acknowledgeWildcardResource(
        role,
        replica.keyResourceArn(this),
        `The ${replica.region} replica key, named without its random id: only a key carrying the alias ` +
          `${replica.aliasName} matches (kms:ResourceAliases), and only through Secrets Manager of ${replica.region}.`,
      );
    }
  }

  /**
   * A principal of another account gets no identity policy from here: every secret (present and
   * future) names it in its resource policy, and the key policy lets it decrypt through Secrets
   * Manager. Its own account must allow the read too (`CrossAccountSecretReader`).
   */
  private grantReadAcrossAccounts(grantee: iam.IGrantable, versionStages?: string[]): iam.Grant {
    this.crossAccountGrants.push({ grantee, versionStages });
    let grant = grantDecryptViaSecretsManager(this.encryptionKey, grantee);
    for (const secret of this.vaultSecrets) grant = grant.combine(secret.grantRead(grantee, versionStages));
    return grant;
  }

  /** Each replica region named by the vault's own alias needs the vault's VaultReplicaKey there. */
  private checkReplicaKeys(): string[] {
    const keys = this.node.root.node
      .findAll()
      .filter((c): c is VaultReplicaKey => c instanceof VaultReplicaKey && c.vault === this);
    return this.replicaList
      .filter((r) => r.isVaultKey && !keys.some((k) => k.region === r.region))
      .map(
        (r) =>
          `${ownerName(this)}: its secrets replicate to ${r.region} under ${r.aliasName}, but no ` +
          `VaultReplicaKey of this vault is in a stack of ${r.region}: add \`new VaultReplicaKey(stack, id, { vault })\` ` +
          `to a stack of ${r.region}, or name a key of your own with VaultReplicaRegion.fromKeyArn.`,
      );
  }

  /** The props that need no state of the vault: each names the vault and the prop. */
  private checkProps(props: SecretsVaultProps): void {
    if (props.encryptionKey && props.keyRotationPeriod) {
      invalid(
        this,
        'keyRotationPeriod',
        props.keyRotationPeriod,
        'it applies only to the key the vault creates; set the rotation on your own `encryptionKey` instead',
      );
    }
    validateDays(
      this,
      'keyRotationPeriod',
      props.keyRotationPeriod,
      MIN_KEY_ROTATION_DAYS,
      MAX_KEY_ROTATION_DAYS,
    );
    checkReservedConcurrency(
      this,
      'rotationReservedConcurrentExecutions',
      props.rotationReservedConcurrentExecutions,
    );
    validateOrganizationId(this, 'allowedOrganizationId', props.allowedOrganizationId);
    checkRotationNetwork(this, props);
    if (props.encryptionKey && props.keyAdmins) {
      invalid(
        this,
        'keyAdmins',
        props.keyAdmins,
        'it applies only to the key the vault creates; name the administrators in your own `encryptionKey`’s policy instead',
      );
    }
    // Checked here too, so that the message names the vault and its prop rather than its key's.
    for (const admin of nonEmpty(this, 'keyAdmins', props.keyAdmins)) {
      principalArnPatterns(this, 'keyAdmins', admin, KEY_ADMIN_RULES);
    }
    if (props.breakGlass) principalArnPatterns(this, 'breakGlass', props.breakGlass, BREAK_GLASS_RULES);
  }

  /**
   * The name prefix: a valid secret name without a trailing `/` or a `*`; short enough for the key's
   * alias, and without an empty segment in it (a leading `/` or a `//`) when the vault makes the key;
   * and apart from the prefix and key alias of every other vault of the app that may share this
   * one's account and region. Vault-wide policies are scoped by the prefix: two vaults whose prefixes
   * are equal or nested would grant each other's readers, rotation function and audit the other's
   * secrets; and KMS aliases are unique in an account and region. Checked when the vault is made, so
   * the message points at the second vault.
   */
  private checkNamePrefix(given: boolean, id: string): void {
    const prefix = this.namePrefix;
    validateSecretName(this, 'namePrefix', prefix);
    if (Token.isUnresolved(prefix)) {
      Annotations.of(this).addWarningV2(
        'cdk-secrets-vault:token-name-prefix',
        `${ownerName(this)}: \`namePrefix\` is a token, so synth cannot check that it stays apart from other vaults' prefixes, and the key's alias is alias/secrets-vault, which a second such vault in the account and region cannot have. Give a literal namePrefix.`,
      );
      return;
    }
    if (prefix.endsWith('/')) {
      invalid(
        this,
        'namePrefix',
        prefix,
        'allowed: a prefix without a trailing `/` (secrets are named `<namePrefix>/<id>`)',
      );
    }
    if (this.keyAlias !== undefined && (prefix.startsWith('/') || prefix.includes('//'))) {
      invalid(
        this,
        'namePrefix',
        prefix,
        `allowed: a prefix that neither starts with \`/\` nor holds \`//\`, since the vault's key is named \`alias/<namePrefix>\` and would be "${this.keyAlias}"`,
      );
    }
    if (this.keyAlias !== undefined && this.keyAlias.length > MAX_ALIAS_LENGTH) {
      invalid(
        this,
        'namePrefix',
        summary(`a prefix of ${prefix.length} characters`),
        `allowed: at most ${MAX_ALIAS_LENGTH - 'alias/'.length} characters, since the vault's key is named \`alias/<namePrefix>\` and KMS allows ${MAX_ALIAS_LENGTH}`,
      );
    }
    const [prop, received, fix] = given
      ? ['namePrefix', prefix, 'give each vault its own namePrefix']
      : [
          'id',
          id,
          `give this vault another id, or a \`namePrefix\` of its own (the default is "${prefix}", the stack name and the id)`,
        ];
    const others = vaultsByApp.get(this.node.root) ?? [];
    for (const other of others) {
      if (Token.isUnresolved(other.namePrefix) || !mayShareEnvironment(this, other)) continue;
      const theirs = other.namePrefix;
      if (theirs === prefix || prefix.startsWith(`${theirs}/`) || theirs.startsWith(`${prefix}/`)) {
        const relation =
          theirs === prefix
            ? 'the same prefix'
            : prefix.startsWith(`${theirs}/`)
              ? 'a prefix this one is inside'
              : 'a prefix inside this one';
        invalid(
          this,
          prop,
          received,
          `vault ${other.node.path} has namePrefix "${theirs}", ${relation}, so each vault's grants, rotation function and audit would reach the other's secrets: ${fix}, neither inside the other`,
        );
      }
      if (this.keyAlias !== undefined && this.keyAlias === other.keyAlias) {
        invalid(
          this,
          prop,
          received,
          `its key's alias would be ${this.keyAlias}, as vault ${other.node.path}'s ("${theirs}") is: KMS aliases keep only letters, digits and / _ -, and are unique in an account and region; ${fix}, one that differs in those characters`,
        );
      }
    }
  }

  /**
   * Destroying the vault and letting unlisted principals read are allowed, and each deserves a second
   * look: said once here, for the key and every secret of the vault, which then stay quiet about it.
   */
  private warnAboutLoosening(): void {
    const owner = ownerName(this);
    if (this.removalPolicy === RemovalPolicy.DESTROY) {
      Annotations.of(this).acknowledgeWarning(KEY_DESTROYED_WARNING, 'The vault warns once for its key.');
      Annotations.of(this).acknowledgeWarning(
        SECRET_DESTROYED_WARNING,
        'The vault warns once for its secrets.',
      );
      Annotations.of(this).addWarningV2(
        'cdk-secrets-vault:vault-destroyed-with-stack',
        `${owner}: \`removalPolicy\` is DESTROY: when the vault leaves the stack its secrets are deleted and its key scheduled for deletion, after which nothing encrypted with it can be read again. Use RETAIN outside throwaway environments.`,
      );
    }
    if (!this.denyUnlistedReaders) {
      Annotations.of(this).acknowledgeWarning(
        UNLISTED_READERS_WARNING,
        'The vault warns once for its secrets.',
      );
      Annotations.of(this).addWarningV2(
        'cdk-secrets-vault:vault-unlisted-readers-not-denied',
        `${owner}: \`denyUnlistedReaders\` is false: any principal of the account whose IAM policy allows GetSecretValue (an administrator with secretsmanager:*) reads every secret of the vault. Leave it on and declare readers with grantRead, addReader or addReaderRole.`,
      );
    }
  }

  /** A vault adds three resources per secret: a stack that outgrows CloudFormation's limit fails here, not at deploy. */
  private checkStackLimits(): string[] {
    const stack = Stack.of(this);
    const resources = stack.node.findAll().filter(CfnResource.isCfnResource).length;
    if (resources <= MAX_RESOURCES_PER_STACK) return [];
    return [
      `${ownerName(this)}: stack ${stack.stackName} has ${resources} resources, over CloudFormation's limit ` +
        `of ${MAX_RESOURCES_PER_STACK} (this vault holds ${this.vaultSecrets.length} secrets at 3 resources each). ` +
        'Split the secrets across stacks, one SecretsVault per stack with its own namePrefix ' +
        '(e.g. "orders/part1" and "orders/part2").',
    ];
  }

  /**
   * A database's master credential, kept in the vault: pass `credentials` to an `rds.DatabaseInstance`
   * or `rds.DatabaseCluster`. The database attaches itself to the secret (engine, host, port and
   * identifier filled by `AWS::SecretsManager::SecretTargetAttachment`), the vault's rotation function
   * rotates it pinned to that database's endpoint over verified TLS, and the database lets the function
   * in on its port. `addUser(id, ...)` adds application users rotated with alternating users.
   */
  public addDatabaseMaster(id: string, options: DatabaseMasterOptions): VaultDatabaseMaster {
    return new VaultDatabaseMaster(this, id, options);
  }

  /**
   * Governs the master secret RDS manages for `database` (`manageMasterUserPassword`, encrypted with
   * this vault's key): RDS rotates it; `addUser(id, ...)` adds application users with it as admin.
   */
  public useRdsManagedMaster(
    database: rds.DatabaseInstance | rds.DatabaseCluster,
    options: { readonly secretsManagerEndpoint?: boolean } = {},
  ): RdsManagedMaster {
    return new RdsManagedMaster(this, database, options);
  }

  /**
   * Creates a SecretReaderRole that reads every secret of the vault (the identity-based route).
   */
  public addReaderRole(id: string, options: SecretReaderRoleOptions): SecretReaderRole {
    const role = new SecretReaderRole(this, id, options);
    this.grantRead(role);
    return role;
  }
}

/** What alternating users append to the username for the second user, as AWS's templates do. */
export { CLONE_SUFFIX } from './contract/rotation-contract';

/** CloudFormation's limit on the resources of one stack. */
const MAX_RESOURCES_PER_STACK = 500;

/** KMS allows alias names of at most 256 characters, `alias/` included. */
const MAX_ALIAS_LENGTH = 256;

/** The vaults of each app (by its root), to keep their prefixes and key aliases apart. */
const vaultsByApp = new WeakMap<IConstruct, SecretsVault[]>();

/**
 * Where the rotation function runs: subnets and security groups only with a VPC, not an empty list of
 * groups, and never public subnets, where a Lambda function gets no public address and so no route
 * to the Secrets Manager API.
 */
function checkRotationNetwork(owner: Owner, props: SecretsVaultProps): void {
  const vpc = props.rotationVpc;
  if (!vpc) {
    if (props.rotationVpcSubnets || props.rotationSecurityGroups) {
      invalid(
        owner,
        props.rotationVpcSubnets ? 'rotationVpcSubnets' : 'rotationSecurityGroups',
        'a value without rotationVpc',
        'set `rotationVpc` as well, or leave both out',
      );
    }
    return;
  }
  nonEmpty(owner, 'rotationSecurityGroups', props.rotationSecurityGroups);
  checkSubnets(owner, vpc, props.rotationVpcSubnets, {
    vpc: 'rotationVpc',
    vpcSubnets: 'rotationVpcSubnets',
    fn: 'the rotation function',
  });
}

/** KMS aliases allow letters, digits and `/ _ -`: other secret-name characters become `-`. */
function aliasSafe(prefix: string): string {
  if (Token.isUnresolved(prefix)) return 'secrets-vault';
  return prefix.replace(/[^A-Za-z0-9/_-]/g, '-');
}
