import { createHash } from 'node:crypto';
import {
  Annotations,
  ArnFormat,
  Duration,
  Lazy,
  Names,
  RemovalPolicy,
  Stack,
  Tags,
  Token,
} from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { ArtifactMetadataEntryType } from 'aws-cdk-lib/cloud-assembly-schema';
import { Construct, IConstruct, IDependable } from 'constructs';
import {
  bindingKey,
  ROTATION_ENV,
  ROTATION_PROFILE_TAG as CONTRACT_PROFILE_TAG,
  secretNameKey,
} from './contract/rotation-contract';
import {
  LOG_GROUP_KEY_ACTIONS,
  RANDOM_PASSWORD_ACTIONS,
  ROTATION_KEY_ACTIONS,
  ROTATION_SECRET_ACTIONS,
} from './private/actions';
import { bundledAssetPath } from './private/assets';
import { grantViaSecretsManager } from './private/grants';
import { ManagedPolicyRole } from './private/managed-policy-role';
import { ownSchedule } from './private/schedules';
import {
  checkSameRegion,
  DATABASE_TIMEOUT_SECONDS,
  existingScheduleOf,
  SECRET_KEY_REGION,
  MAX_RESERVED_CONCURRENCY as RESERVED_CONCURRENCY_LIMIT,
  validateRotationFunctionProps,
} from './private/rotation-function-checks';
import { acknowledgeRotationFindings } from './private/rotation-function-findings';
import { deployedLength, MAX_LAMBDA_ENVIRONMENT_BYTES } from './private/size';
import { invalid, ownerName } from './private/validation';
import { SecretRotationSchedule } from './rotation-schedule';
import { RotationProfile, RotationStrategy } from './rotation-strategy';
import { VaultKey } from './vault-key';
import { VaultSecret } from './vault-secret';

/**
 * The tag that names a secret's rotation profile. The function checks it against the profile this
 * deployment bound the secret to (or, for a secret it did not bind, its default profile); the tag
 * never chooses one.
 */
export const ROTATION_PROFILE_TAG = CONTRACT_PROFILE_TAG;

/**
 * Lambda's reserved concurrency must leave the account's unreserved pool intact; we cap ours.
 *
 * @internal
 */
export const MAX_RESERVED_CONCURRENCY = RESERVED_CONCURRENCY_LIMIT;

/** The id of the warning that a function outside a VPC reaches only public databases (SecretsVault gives it too). */
const OUTSIDE_VPC_WARNING = 'cdk-secrets-vault:rotation-outside-vpc';
const SHORT_TIMEOUT_WARNING = 'cdk-secrets-vault:rotation-timeout-short';

/**
 * Properties of a RotationFunction.
 */
export interface RotationFunctionProps {
  /**
   * Serve every secret whose name starts with `<secretNamePrefix>/`: the role, the invoke
   * permission and the function's own allow list are scoped by the prefix, so they do not grow
   * with the number of secrets. Without it the function serves exactly the secrets added to it.
   * Give it without the trailing `/`.
   *
   * @default - only the secrets passed to `addSecret`
   */
  readonly secretNamePrefix?: string;

  /**
   * The keys that encrypt the secrets it rotates, of the function's region. Keys of secrets passed
   * to `addSecret` are added on their own.
   *
   * @default - the keys of the added secrets
   */
  readonly encryptionKeys?: kms.IKey[];

  /**
   * Reserved concurrency: the most rotations of these secrets that run at once, so that a burst of
   * rotations cannot take the account's whole Lambda concurrency (1 to 100). Accounts still at
   * Lambda's starting limit of 10 cannot reserve any: pass `0` there to reserve none.
   *
   * @default 2
   */
  readonly reservedConcurrentExecutions?: number;

  /**
   * How long the function's logs are kept.
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * How long one step may run, 5 seconds to 15 minutes. Database strategies wait for the target:
   * under 30 s a function that rotates a database secret warns; 30 s covers generated values.
   *
   * @default Duration.seconds(30)
   */
  readonly timeout?: Duration;

  /**
   * The VPC to run in, for strategies that reach a database in it. The function also needs a route
   * to the Secrets Manager API from there: an interface VPC endpoint (`secretsmanager`) or a NAT.
   *
   * @default - not in a VPC (enough for generated values and publicly reachable databases)
   */
  readonly vpc?: ec2.IVpc;

  /**
   * Where in the VPC to run: private subnets (a function in a public subnet has no route out).
   * Only with `vpc`.
   *
   * @default - the VPC's private subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * Security groups of the function in the VPC. Let the database's group accept its port from them
   * (`db.connections.allowDefaultPortFrom(rotationFunction)`). Only with `vpc`.
   *
   * @default - a new security group with all outbound traffic allowed
   */
  readonly securityGroups?: ec2.ISecurityGroup[];

  /**
   * What happens to the function's log group when it leaves the stack (a log group has no
   * snapshot: not `RemovalPolicy.SNAPSHOT`).
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly logRemovalPolicy?: RemovalPolicy;

  /**
   * The key that encrypts the function's log group, of the function's region. Its key policy gets a statement that lets
   * CloudWatch Logs of this region use it for this log group only (a `VaultKey` also exempts exactly
   * that use from its Secrets-Manager-only deny: `VaultKey.allowLogGroup`); an imported key's policy
   * must allow it already. A SecretsVault passes its own key.
   *
   * @default - CloudWatch Logs' own encryption
   */
  readonly logEncryptionKey?: kms.IKey;
}

/**
 * Options of `RotationFunction.addSecret`.
 */
export interface AddRotatedSecretOptions {
  /** When the secret rotates. */
  readonly schedule: SecretRotationSchedule;

  /** How the function makes the new value. */
  readonly strategy: RotationStrategy;
}

/**
 * The bundled rotation Lambda (TypeScript, Node.js 24, ARM64): the four-step Secrets Manager
 * rotation protocol with one strategy per kind of secret. One function serves every secret of a
 * vault; it can also rotate secrets made elsewhere.
 */
export class RotationFunction extends Construct implements ec2.IConnectable {
  /** The Lambda function. */
  public readonly function: lambda.Function;

  /** The function's execution role. */
  public readonly role: ManagedPolicyRole;

  /** The function's log group, `/secrets-vault/rotation/<unique id of this construct>`. */
  public readonly logGroup: logs.LogGroup;

  /** The ARN of the function's log group, known at synth (its name is physical). */
  public readonly logGroupArn: string;

  private readonly inVpc: boolean;
  private readonly timeout: Duration;
  private readonly secretNamePrefix?: string;
  private readonly adminSecrets = new Set<secretsmanager.ISecret>();
  private readonly profiles = new Map<string, RotationProfile>();
  /** Pinned database targets by id; `targetIds` finds one by its rendered content. */
  private readonly targets = new Map<string, unknown>();
  private readonly targetIds = new Map<string, string>();
  /** Binding key (`<profile>[@<target>]`) -> its profile, target and secrets (name keys or full ARNs). */
  private readonly bindings = new Map<string, Binding>();
  /** Each bound secret's name key or full ARN -> the secret, to refuse a second binding of one secret. */
  private readonly boundSecrets = new Map<string, secretsmanager.ISecret>();
  private readonly secretArns: string[] = [];
  private readonly keys = new Set<kms.IKey>();
  private readonly invokePermissions: IDependable[] = [];

  constructor(scope: Construct, id: string, props: RotationFunctionProps = {}) {
    super(scope, id);
    validateRotationFunctionProps(this, props);
    this.secretNamePrefix = props.secretNamePrefix;
    this.timeout = props.timeout ?? Duration.seconds(30);
    this.inVpc = props.vpc !== undefined;
    const reserved = props.reservedConcurrentExecutions ?? 2;
    const prefixArn = props.secretNamePrefix ? prefixPattern(this, props.secretNamePrefix) : undefined;

    // A physical name: a key policy names the group's ARN, and the group's GetAtt there would be a cycle.
    const logGroupName = `/secrets-vault/rotation/${Names.uniqueResourceName(this, { maxLength: 200, separator: '-' })}`;
    this.logGroupArn = logGroupArnOf(this, logGroupName);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName,
      encryptionKey: props.logEncryptionKey,
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    if (props.logEncryptionKey) allowLogsToUse(props.logEncryptionKey, this.logGroupArn);

    this.role = new ManagedPolicyRole(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Rotation function of cdk-secrets-vault',
    });
    this.logGroup.grantWrite(this.role);
    this.grantRotation(prefixArn);

    this.function = new lambda.Function(this, 'Function', {
      description: 'Rotates secrets of cdk-secrets-vault (four-step Secrets Manager protocol)',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(bundledAssetPath('rotation')),
      memorySize: 256,
      timeout: this.timeout,
      role: this.role,
      logGroup: this.logGroup,
      // A few segments per rotation, inside X-Ray's free tier; Lambda sends its own segments itself.
      tracing: lambda.Tracing.ACTIVE,
      reservedConcurrentExecutions: reserved === 0 ? undefined : reserved,
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      securityGroups: props.securityGroups,
      environment: this.renderEnvironment(),
    });
    this.node.addValidation({ validate: () => this.checkEnvironmentSize() });
    this.node.addValidation({ validate: () => this.checkServesSecrets() });
    if (props.vpc) this.allowNetworkInterfaces();
    const prefixPermission = prefixArn
      ? this.allowInvokeFrom('InvokedBySecretsManager', prefixArn)
      : undefined;
    for (const key of props.encryptionKeys ?? []) this.addKey(key);

    acknowledgeRotationFindings(this, {
      inVpc: this.inVpc,
      logsEncrypted: props.logEncryptionKey !== undefined,
      reservesNone: reserved === 0,
      prefixArn,
      prefixPermission,
    });
  }

  /** The function's network connections; it has them only in a VPC. */
  public get connections(): ec2.Connections {
    if (!this.inVpc) {
      invalid(
        this,
        'vpc',
        undefined,
        'the function has network connections only in a VPC: set `vpc` (in a SecretsVault, `rotationVpc`)',
      );
    }
    return this.function.connections;
  }

  /**
   * Rotates `secret` on `schedule` with `strategy`. The secret gets a rotation schedule (one
   * resource) and a tag that picks the strategy's profile. In prefix mode the secret's name must be
   * under the prefix, and nothing else grows; otherwise its ARN joins the function's allow list, its
   * role policy and an invoke permission of its own. A secret is added once, and only if it has no
   * rotation schedule yet.
   */
  public addSecret(
    secret: secretsmanager.ISecret,
    options: AddRotatedSecretOptions,
  ): secretsmanager.CfnRotationSchedule {
    this.checkSecret(secret, options);
    const profile = options.strategy.renderProfile(`${ownerName(this)}: secret ${secret.node.path}`);
    const profileId = profileIdOf(profile);
    this.profiles.set(profileId, profile);
    Tags.of(secret).add(ROTATION_PROFILE_TAG, profileId);
    const targetId = this.targetIdOf(options.strategy);
    this.bind(secret, profileId, targetId);
    if (targetId !== undefined) this.warnAboutDatabaseSteps();

    if (!this.secretNamePrefix) {
      // Checked in checkSecret: without a prefix, every secret has its complete ARN.
      const arn = secret.secretFullArn as string;
      this.secretArns.push(arn);
      this.allowInvokeFrom(`InvokedBySecretsManager${this.secretArns.length}`, arn);
    }
    if (secret.encryptionKey) this.useKey(secret.encryptionKey, 'secret');
    const admin = options.strategy.adminSecret;
    if (admin && !this.adminSecrets.has(admin)) {
      this.adminSecrets.add(admin);
      this.readAdminSecret(admin);
    }

    const schedule = ownSchedule(
      new secretsmanager.CfnRotationSchedule(secret, 'RotationSchedule', {
        secretId: secret.secretArn,
        rotationLambdaArn: this.function.functionArn,
        rotationRules: { scheduleExpression: options.schedule.expression, duration: options.schedule.window },
        rotateImmediatelyOnUpdate: options.schedule.rotateImmediately,
      }),
    );
    // Secrets Manager checks that it may invoke the function, and the function that it may use the
    // secret, when the schedule is created: both must exist first.
    schedule.node.addDependency(...this.invokePermissions, this.role);
    return schedule;
  }

  /** Lets the function use `key` for the secrets it rotates, through Secrets Manager only. */
  public addKey(key: kms.IKey): void {
    this.useKey(key, 'key');
  }

  /**
   * What addSecret refuses before it changes anything: no schedule, a secret that already rotates (or
   * is added twice), one (or a key) of another region, one outside the prefix, one without the ARN the
   * function needs, and a strategy whose admin secret is the secret itself.
   */
  private checkSecret(secret: secretsmanager.ISecret, options: AddRotatedSecretOptions): void {
    if (!options.schedule.enabled) {
      invalid(
        this,
        'schedule',
        'SecretRotationSchedule.never()',
        'a secret added to a rotation function needs a schedule',
      );
    }
    const existing = existingScheduleOf(secret);
    if (existing) {
      invalid(
        this,
        'secret',
        secret.node.path,
        `it already has a rotation schedule (${existing.node.path}), and Secrets Manager rotates a secret on one schedule: add each secret once, and change the schedule it has rather than adding another`,
      );
    }
    checkSameRegion(
      this,
      'secret',
      secret,
      'Secrets Manager invokes a rotation function of the secret’s own region',
    );
    const name = literalNameOf(secret);
    if (this.secretNamePrefix) {
      if (name !== undefined && !name.startsWith(`${this.secretNamePrefix}/`)) {
        invalid(
          this,
          'secret',
          name,
          `this function serves only secrets named under "${this.secretNamePrefix}/"`,
        );
      }
    } else if (secret.secretFullArn === undefined) {
      invalid(
        this,
        'secret',
        secret.secretArn,
        'the function needs the complete ARN (with its 6-character suffix): import it with Secret.fromSecretCompleteArn',
      );
    }
    const entry = bindingEntryOf(secret);
    const twin = entry === undefined ? undefined : this.boundSecrets.get(entry);
    if (twin) {
      invalid(
        this,
        'secret',
        secret.node.path,
        `this function already rotates the secret of this ${name !== undefined ? `name ("${name}")` : 'ARN'} as ${twin.node.path}: add each secret once`,
      );
    }
    if (secret.encryptionKey) checkSameRegion(this, 'secret', secret.encryptionKey, SECRET_KEY_REGION);
    const admin = options.strategy.adminSecret;
    if (admin?.encryptionKey) {
      checkSameRegion(this, 'strategy.adminSecret', admin.encryptionKey, SECRET_KEY_REGION);
    }
    if (admin === secret) {
      invalid(
        this,
        'strategy.adminSecret',
        secret.node.path,
        'the admin secret must be another secret than the one it rotates',
      );
    }
  }

  /**
   * Warns, once, what a database strategy needs of the function: a network that reaches the database
   * (a SecretsVault already says so for its database secrets) and the time to wait for it.
   */
  private warnAboutDatabaseSteps(): void {
    if (!this.inVpc && !warnedAbove(this, OUTSIDE_VPC_WARNING)) {
      Annotations.of(this).addWarningV2(
        OUTSIDE_VPC_WARNING,
        `${ownerName(this)}: it rotates database secrets but is not in a VPC, so it can reach only a publicly accessible database. Set \`vpc\` (in a SecretsVault, \`rotationVpc\`).`,
      );
    }
    if (!this.timeout.isUnresolved() && this.timeout.toSeconds() < DATABASE_TIMEOUT_SECONDS) {
      Annotations.of(this).addWarningV2(
        SHORT_TIMEOUT_WARNING,
        `${ownerName(this)}: \`timeout\` is ${this.timeout.toHumanString()} and it rotates database secrets: each database step waits for the target (DNS, the TLS handshake, the login), and a step cut short fails the rotation. Give it at least ${DATABASE_TIMEOUT_SECONDS} seconds.`,
      );
    }
  }

  /** The function's configuration (lib/contract/rotation-contract.ts), rendered once every secret is added. */
  private renderEnvironment(): Record<string, string> {
    return {
      ...(this.secretNamePrefix ? { [ROTATION_ENV.namePrefix]: `${this.secretNamePrefix}/` } : {}),
      [ROTATION_ENV.secretArns]: Lazy.string({
        produce: () => (this.secretArns.length ? this.secretArns.join(',') : undefined),
      }),
      [ROTATION_ENV.profiles]: Lazy.string({
        produce: () => JSON.stringify(Object.fromEntries(this.profiles)),
      }),
      // Every secret ROTATION_BINDINGS leaves out rotates with it; never a database kind.
      [ROTATION_ENV.defaultProfile]: Lazy.string({ produce: () => this.defaultBinding()?.profileId }),
      // Where each database secret's credentials may go, pinned here and not in the secret.
      [ROTATION_ENV.targets]: Lazy.string({
        produce: () =>
          this.targets.size ? Stack.of(this).toJsonString(Object.fromEntries(this.targets)) : undefined,
      }),
      [ROTATION_ENV.bindings]: Lazy.string({
        produce: () => {
          const bound = this.renderedBindings();
          return bound.length
            ? Stack.of(this).toJsonString(
                Object.fromEntries(bound.map(([key, binding]) => [key, binding.secrets.join(',')])),
              )
            : undefined;
        },
      }),
      // Database strategies verify the server's certificate: Lambda's Node.js runtimes trust the RDS
      // certificate authorities only through this bundle.
      NODE_EXTRA_CA_CERTS: Lazy.string({
        produce: () =>
          [...this.profiles.values()].some((p) => p.kind !== 'generated')
            ? '/var/runtime/ca-cert.pem'
            : undefined,
      }),
      POWERTOOLS_SERVICE_NAME: 'secrets-vault-rotation',
      POWERTOOLS_METRICS_NAMESPACE: 'SecretsVault',
      POWERTOOLS_LOG_LEVEL: 'INFO',
    };
  }

  /**
   * The role's own statements: the rotation actions on the prefix (or on the added secrets' ARNs,
   * filled in at synth), and GetRandomPassword.
   */
  private grantRotation(prefixArn: string | undefined): void {
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'RotateTheseSecrets',
        actions: ROTATION_SECRET_ACTIONS,
        resources: prefixArn ? [prefixArn] : Lazy.list({ produce: () => this.secretArns }),
      }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'GenerateRandomPasswords',
        actions: RANDOM_PASSWORD_ACTIONS,
        // GetRandomPassword acts on no resource: IAM accepts only "*" for it.
        resources: ['*'],
      }),
    );
  }

  /**
   * The function's network interfaces need this; aws-cdk-lib attaches it only to a role it creates
   * itself, and ours is passed in: without it Lambda refuses to create the function in the VPC.
   */
  private allowNetworkInterfaces(): void {
    this.role.addManagedPolicy(
      iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaVPCAccessExecutionRole'),
    );
  }

  /** A function that serves nothing is a mistake: say so at synth. */
  private checkServesSecrets(): string[] {
    return this.secretNamePrefix || this.secretArns.length > 0
      ? []
      : [`${ownerName(this)} serves no secret: pass \`secretNamePrefix\` or call addSecret(secret, ...).`];
  }

  /**
   * The binding left out of ROTATION_BINDINGS: the generated profile (no target) with the most secrets,
   * the first added among equals. Its secrets rotate with ROTATION_DEFAULT_PROFILE instead, so the
   * environment does not grow with them.
   */
  private defaultBinding(): Binding | undefined {
    let best: Binding | undefined;
    for (const binding of this.bindings.values()) {
      if (binding.targetId !== undefined || this.profiles.get(binding.profileId)?.kind !== 'generated')
        continue;
      if (best === undefined || binding.secrets.length > best.secrets.length) best = binding;
    }
    return best;
  }

  /** The bindings ROTATION_BINDINGS lists: every one but the default's. */
  private renderedBindings(): Array<[string, Binding]> {
    const skipped = this.defaultBinding();
    return [...this.bindings].filter(([, binding]) => binding !== skipped);
  }

  /** An environment over Lambda's limit fails at deploy; say so at synth, with what grew. */
  private checkEnvironmentSize(): string[] {
    const cfn = this.function.node.defaultChild as lambda.CfnFunction;
    const variables = Stack.of(this).resolve(cfn.environment)?.variables ?? {};
    const bytes = Object.entries(variables).reduce(
      (sum: number, [key, value]) => sum + key.length + deployedLength(value),
      0,
    );
    if (bytes <= MAX_LAMBDA_ENVIRONMENT_BYTES) return [];
    const bound = this.renderedBindings().reduce((n, [, binding]) => n + binding.secrets.length, 0);
    return [
      `${ownerName(this)}: its environment would take about ${bytes} bytes, over Lambda's ` +
        `${MAX_LAMBDA_ENVIRONMENT_BYTES}. It holds ${this.profiles.size} rotation profiles (one per distinct ` +
        `strategy and PasswordOptions), ${this.targets.size} database targets (one per distinct endpoint, TLS mode ` +
        `and admin secret), ${bound} secret bindings (11 bytes each by name; the secrets of the most common ` +
        `generated profile need none) and ${this.secretArns.length} secret ARNs. Give secrets the same ` +
        'PasswordOptions, serve them by name prefix (secretNamePrefix, as a SecretsVault does) rather than ARN by ARN, ' +
        'or split them over several functions.',
    ];
  }

  /**
   * Lets the function read the admin secret's AWSCURRENT, and nothing else of it. Written here rather
   * than with `admin.grantRead(role, ['AWSCURRENT'])`: aws-cdk-lib adds that stage condition after the
   * statement is granted, which the role's managed policy has already taken (so an imported or
   * RDS-managed admin secret lost it), and puts it on DescribeSecret too, which has no stage.
   */
  private readAdminSecret(admin: secretsmanager.ISecret): void {
    // A secret known by a partial ARN matches with the six characters Secrets Manager appends.
    const arn = admin.secretFullArn ?? `${admin.secretArn}-??????`;
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [arn],
        conditions: { StringEquals: { 'secretsmanager:VersionStage': ['AWSCURRENT'] } },
      }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['secretsmanager:DescribeSecret'], resources: [arn] }),
    );
    // A vault secret's resource policy denies reads to principals it was not told about.
    if (admin instanceof VaultSecret) admin.registerReader(this.role);
    if (admin.encryptionKey) this.useKey(admin.encryptionKey, 'strategy.adminSecret');
  }

  /** The id of the strategy's pinned target (added on first use), or undefined for a generated value. */
  private targetIdOf(strategy: RotationStrategy): string | undefined {
    const target = strategy.renderTarget();
    if (target === undefined) return undefined;
    // Secrets on one endpoint (with one TLS mode and admin) share a target: the environment grows
    // by one short key per secret, not by one endpoint.
    // Tokens stringify to stable placeholders: the same RDS attribute gives the same key.
    const content = JSON.stringify(target);
    let id = this.targetIds.get(content);
    if (id === undefined) {
      id = `t${this.targets.size}`;
      this.targetIds.set(content, id);
      this.targets.set(id, target);
    }
    return id;
  }

  /**
   * Binds the secret to its profile and target in the function's environment: by a short hash of its
   * name when synth knows the name (as in a vault), else by its full ARN. The secrets of the default
   * binding are left out when the environment is rendered (`defaultBinding`).
   */
  private bind(secret: secretsmanager.ISecret, profileId: string, targetId: string | undefined): void {
    const entry = bindingEntryOf(secret);
    if (entry === undefined) {
      invalid(
        this,
        'secret',
        secret.secretArn,
        'the function binds each secret by its name or complete ARN: give it a literal name, or import it with Secret.fromSecretCompleteArn',
      );
    }
    const key = bindingKey(profileId, targetId);
    const binding = this.bindings.get(key) ?? { profileId, targetId, secrets: [] };
    binding.secrets.push(entry);
    this.bindings.set(key, binding);
    this.boundSecrets.set(entry, secret);
  }

  /**
   * Lets the function use `key` through Secrets Manager only; `prop` names what brought the key, for
   * the refusal of a key of another region.
   */
  private useKey(key: kms.IKey, prop: string): void {
    if (this.keys.has(key)) return;
    checkSameRegion(this, prop, key, SECRET_KEY_REGION);
    this.keys.add(key);
    grantViaSecretsManager(key, this.role, ROTATION_KEY_ACTIONS);
  }

  /** Lets Secrets Manager of this account invoke the function for `sourceArn`; every schedule waits for it. */
  private allowInvokeFrom(id: string, sourceArn: string): lambda.CfnPermission {
    // aws:SourceAccount as well as the source ARN: the confused-deputy guard AWS recommends and
    // Control Tower's CT.LAMBDA.PR.2 checks for (locally it accepts only a literal account or a
    // reference to a resource: see acknowledgeRotationFindings).
    const permission = new lambda.CfnPermission(this, id, {
      action: 'lambda:InvokeFunction',
      functionName: this.function.functionArn,
      principal: 'secretsmanager.amazonaws.com',
      sourceAccount: Stack.of(this).account,
      sourceArn,
    });
    this.invokePermissions.push(permission);
    return permission;
  }
}

/** One entry of ROTATION_BINDINGS: a profile (and target) and the secrets bound to it. */
interface Binding {
  readonly profileId: string;
  readonly targetId?: string;
  /** Name keys (`secretNameKey`) or full ARNs. */
  readonly secrets: string[];
}

/**
 * Lets CloudWatch Logs of the key's region use `key` for one log group, scoped to the group's
 * encryption context. A VaultKey also exempts that use from its Secrets-Manager-only deny; on an
 * imported key this adds nothing (its policy is its owner's).
 */
function allowLogsToUse(key: kms.IKey, logGroupArn: string): void {
  if (key instanceof VaultKey) {
    key.allowLogGroup(logGroupArn);
    return;
  }
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal(`logs.${Stack.of(key).region}.amazonaws.com`)],
      actions: LOG_GROUP_KEY_ACTIONS,
      resources: ['*'],
      conditions: { ArnEquals: { 'kms:EncryptionContext:aws:logs:arn': logGroupArn } },
    }),
  );
}

/** The secret's name when synth knows it: aws-cdk-lib gives owned secrets a token name. */
function literalNameOf(secret: secretsmanager.ISecret): string | undefined {
  if (!Token.isUnresolved(secret.secretName)) return secret.secretName;
  const resource = secret.node.defaultChild;
  if (resource instanceof secretsmanager.CfnSecret && resource.name && !Token.isUnresolved(resource.name)) {
    return resource.name;
  }
  return undefined;
}

/** The ARN pattern of every secret named `<prefix>/…` in the scope's account and region. */
/** The ARN of the log group of that name in the scope's account and region. */
function logGroupArnOf(scope: IConstruct, logGroupName: string): string {
  return Stack.of(scope).formatArn({
    service: 'logs',
    resource: 'log-group',
    resourceName: logGroupName,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/** How ROTATION_BINDINGS names the secret: its name key when synth knows its name, else its full ARN. */
function bindingEntryOf(secret: secretsmanager.ISecret): string | undefined {
  const name = literalNameOf(secret);
  return name !== undefined ? secretNameKey(name) : secret.secretFullArn;
}

/**
 * Whether a construct above `scope` gave the warning `id` already (SecretsVault.addDatabaseSecret
 * gives the outside-VPC one for its own function): the function does not say it a second time.
 */
function warnedAbove(scope: IConstruct, id: string): boolean {
  const tag = `[ack: ${id}]`;
  return scope.node.scopes
    .slice(0, -1)
    .some((above) =>
      above.node.metadata.some(
        (entry) => entry.type === ArtifactMetadataEntryType.WARN && String(entry.data).includes(tag),
      ),
    );
}

function prefixPattern(scope: IConstruct, prefix: string): string {
  return Stack.of(scope).formatArn({
    service: 'secretsmanager',
    resource: 'secret',
    resourceName: `${prefix}/*`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/** A short id that depends only on the profile's content, so equal strategies share one profile. */
function profileIdOf(profile: RotationProfile): string {
  return 'p' + createHash('sha256').update(JSON.stringify(profile)).digest('hex').slice(0, 10);
}
