import {
  Annotations,
  ArnFormat,
  CfnResource,
  Duration,
  RemovalPolicy,
  Stack,
  Tags,
  Token,
  TokenComparison,
} from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { grantDecryptViaSecretsManager } from './private/grants';
import { acknowledgeWildcardResource } from './private/nag';
import { SECRET_READ_ACTIONS } from './private/actions';
import { deploymentRoleArn, nonEmpty } from './private/principals';
import { invalid, SECRET_NAME_MAX_LENGTH, validateSecretName } from './private/validation';
import { databaseSecretSetup, DatabaseSecretOptions } from './database-secret';
import { RotationFunction, RotationFunctionProps } from './rotation-function';
import { SecretRotationSchedule } from './rotation-schedule';
import { SecretContentKind } from './secret-content';
import { SecretReaderRole, SecretReaderRoleOptions } from './secret-reader-role';
import { VaultKey } from './vault-key';
import { DEFAULT_ROTATION_DAYS, VaultSecret, VaultSecretOptions } from './vault-secret';

/** The tag every secret of a vault carries, with the vault's name prefix as its value. */
export const VAULT_TAG = 'secrets-vault:vault';

/**
 * Properties of a SecretsVault.
 */
export interface SecretsVaultProps {
  /**
   * The prefix of every secret name in the vault; secrets are named `<namePrefix>/<id>`. Policies
   * that cover the whole vault are scoped by it, so they do not grow with the number of secrets.
   * Letters, digits and `/ _ + = . @ -`, without a trailing `/`.
   *
   * @default `<stack name>/<vault id>`
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
}

/**
 * A vault of secrets: one customer-managed key usable through Secrets Manager only, any number of
 * hardened secrets named under one prefix, and the two access routes (identity-based roles and
 * grants, resource-based readers). Everything that covers all the secrets of the vault is scoped by
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
  private readonly denyUnlistedReaders: boolean;
  private readonly allowedOrganizationId?: string;
  private readonly removalPolicy: RemovalPolicy;
  private readonly vaultSecrets: VaultSecret[] = [];
  private readonly rotation: SecretRotationSchedule;
  private readonly rotationReservedConcurrentExecutions?: number;
  private rotator?: RotationFunction;
  private readonly rotationNetwork: Pick<RotationFunctionProps, 'vpc' | 'vpcSubnets' | 'securityGroups'>;

  constructor(scope: Construct, id: string, props: SecretsVaultProps = {}) {
    super(scope, id);
    const owner = `SecretsVault ${this.node.path}`;
    const stack = Stack.of(this);

    this.namePrefix = props.namePrefix ?? `${stack.stackName}/${id}`;
    validateSecretName(owner, 'namePrefix', this.namePrefix);
    if (
      !Token.isUnresolved(this.namePrefix) &&
      (this.namePrefix.endsWith('/') || this.namePrefix.includes('*'))
    ) {
      invalid(owner, 'namePrefix', this.namePrefix, 'allowed: a prefix without a trailing `/`');
    }
    if (props.encryptionKey && props.keyRotationPeriod) {
      invalid(
        owner,
        'keyRotationPeriod',
        props.keyRotationPeriod,
        'it applies only to the key the vault creates; set the rotation on your own `encryptionKey` instead',
      );
    }

    this.removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.rotation = props.rotation ?? SecretRotationSchedule.rate(Duration.days(DEFAULT_ROTATION_DAYS));
    this.rotationReservedConcurrentExecutions = props.rotationReservedConcurrentExecutions;
    this.rotationNetwork = {
      vpc: props.rotationVpc,
      vpcSubnets: props.rotationVpcSubnets,
      securityGroups: props.rotationSecurityGroups,
    };
    if (!props.rotationVpc && (props.rotationVpcSubnets || props.rotationSecurityGroups)) {
      invalid(
        owner,
        props.rotationVpcSubnets ? 'rotationVpcSubnets' : 'rotationSecurityGroups',
        'a value without rotationVpc',
        'set `rotationVpc` as well, or leave both out',
      );
    }
    if (props.encryptionKey && props.keyAdmins) {
      invalid(
        owner,
        'keyAdmins',
        props.keyAdmins,
        'it applies only to the key the vault creates; name the administrators in your own `encryptionKey`’s policy instead',
      );
    }
    this.allowedOrganizationId = props.allowedOrganizationId;
    this.denyUnlistedReaders = props.denyUnlistedReaders ?? true;
    this.breakGlass = props.breakGlass;
    this.deploymentRole = props.deploymentRole;
    this.deploymentRoleArn = deploymentRoleArn(this, owner, props.deploymentRole);
    this.encryptionKey =
      props.encryptionKey ??
      new VaultKey(this, 'Key', {
        alias: `alias/${aliasSafe(this.namePrefix)}`,
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

    for (const reader of nonEmpty(owner, 'readers', props.readers)) {
      this.addReader(reader);
    }

    this.node.addValidation({ validate: () => this.checkStackLimits() });
    this.node.addValidation({ validate: () => this.checkPrefixOverlap() });
  }

  /** The secrets added to the vault so far. */
  public get secrets(): VaultSecret[] {
    return [...this.vaultSecrets];
  }

  /**
   * The one function that rotates every secret of the vault, created with the first rotating
   * secret. Its role, invoke permission and allow list are scoped by the vault's name prefix.
   */
  public get rotationFunction(): RotationFunction {
    this.rotator ??= new RotationFunction(this, 'Rotation', {
      secretNamePrefix: this.namePrefix,
      encryptionKeys: [this.encryptionKey],
      reservedConcurrentExecutions: this.rotationReservedConcurrentExecutions,
      ...this.rotationNetwork,
      logRemovalPolicy: this.removalPolicy,
    });
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
    const owner = `SecretsVault ${this.node.path}`;
    const secretName = options.secretName ?? `${this.namePrefix}/${id}`;
    if (!Token.isUnresolved(secretName) && !Token.isUnresolved(this.namePrefix)) {
      if (!secretName.startsWith(`${this.namePrefix}/`)) {
        invalid(
          owner,
          'secretName',
          secretName,
          `a secret of this vault must be named under "${this.namePrefix}/" so that vault-wide policies cover it`,
        );
      }
      if (secretName.length > SECRET_NAME_MAX_LENGTH) {
        invalid(owner, 'secretName', secretName, `allowed: at most ${SECRET_NAME_MAX_LENGTH} characters`);
      }
    }
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
    this.vaultSecrets.push(secret);
    return secret;
  }

  /**
   * Adds a database credential: a JSON secret (`engine`, `host`, `port`, `username`, `password`,
   * `dbname`, `ssl`, and `masterarn` for alternating users) whose password the vault's rotation
   * function rotates on the database itself.
   */
  public addDatabaseSecret(id: string, options: DatabaseSecretOptions): VaultSecret {
    if (!this.rotationNetwork.vpc) {
      Annotations.of(this).addWarningV2(
        'cdk-secrets-vault:rotation-outside-vpc',
        `Database secret ${id}: the vault's rotation function is not in a VPC, so it can reach only a publicly accessible database. Set \`rotationVpc\`.`,
      );
    }
    return this.addSecret(id, databaseSecretSetup(`SecretsVault ${this.node.path}`, options).secretOptions);
  }

  /**
   * Names a principal in the resource policy of every secret of the vault, present and future
   * (the resource-based route), and lets it decrypt through Secrets Manager.
   */
  public addReader(principal: iam.IPrincipal): void {
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
        `SecretsVault ${this.node.path}`,
        'grantee',
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
    return grant.combine(grantDecryptViaSecretsManager(this.encryptionKey, grantee));
  }

  /**
   * Vault-wide policies are scoped by the name prefix: two vaults of one app whose prefixes are equal
   * or nested would grant each other's readers, rotation function and audit the other's secrets.
   */
  private checkPrefixOverlap(): string[] {
    if (Token.isUnresolved(this.namePrefix)) return [];
    const mine = this.namePrefix;
    const others = this.node.root.node
      .findAll()
      .filter(
        (c): c is SecretsVault =>
          c instanceof SecretsVault && c !== this && !Token.isUnresolved(c.namePrefix),
      )
      .filter((other) => mayShareEnvironment(Stack.of(this), Stack.of(other)));
    return others
      .filter((other) => other.namePrefix === mine || other.namePrefix.startsWith(`${mine}/`))
      .map(
        (other) =>
          `SecretsVault ${this.node.path}: its namePrefix "${mine}" also covers vault ${other.node.path} ("${other.namePrefix}"), ` +
          "so this vault's grants, rotation function and audit would reach that vault's secrets. Give each vault its own namePrefix, neither inside the other.",
      );
  }

  /** A vault adds three resources per secret: a stack that outgrows CloudFormation's limit fails here, not at deploy. */
  private checkStackLimits(): string[] {
    const stack = Stack.of(this);
    const resources = stack.node.findAll().filter(CfnResource.isCfnResource).length;
    if (resources <= MAX_RESOURCES_PER_STACK) return [];
    return [
      `SecretsVault ${this.node.path}: stack ${stack.stackName} has ${resources} resources, over CloudFormation's limit ` +
        `of ${MAX_RESOURCES_PER_STACK} (this vault holds ${this.vaultSecrets.length} secrets at 3 resources each). ` +
        'Split the secrets across stacks, one SecretsVault per stack with its own namePrefix ' +
        '(e.g. "orders/part1" and "orders/part2").',
    ];
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
export const CLONE_SUFFIX = '_clone';

/** CloudFormation's limit on the resources of one stack. */
export const MAX_RESOURCES_PER_STACK = 500;

/** Secret ARNs name the account and region: vaults of two known, different environments never overlap. */
function mayShareEnvironment(a: Stack, b: Stack): boolean {
  const differs = (x: string, y: string) => Token.compareStrings(x, y) === TokenComparison.DIFFERENT;
  return !differs(a.account, b.account) && !differs(a.region, b.region);
}

/** KMS aliases allow letters, digits and `/ _ -`: other secret-name characters become `-`. */
function aliasSafe(prefix: string): string {
  if (Token.isUnresolved(prefix)) return 'secrets-vault';
  return prefix.replace(/[^A-Za-z0-9/_-]/g, '-');
}
