import { ArnFormat, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct, IConstruct } from 'constructs';
import { isPrincipalOfAnotherAccount } from './private/accounts';
import { KEY_DECRYPT_ACTIONS } from './private/actions';
import { literalAliasOf } from './private/key-alias';
import { ManagedPolicyRole } from './private/managed-policy-role';
import { invalid, Owner, summary, validatePrincipal } from './private/validation';
import type { SecretsVault } from './secrets-vault';
import { VaultKey } from './vault-key';

/**
 * What Secrets Manager asks of whoever makes it encrypt a replica with a customer-managed key
 * (ReplicateSecretToRegions: "kms:GenerateDataKey and kms:Encrypt to the key").
 */
const REPLICA_ENCRYPT_ACTIONS = ['kms:GenerateDataKey', 'kms:Encrypt'];

/** EventBridge's detail type of the API calls CloudTrail records. */
const API_CALL_DETAIL_TYPE = 'AWS API Call via CloudTrail';
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;
const ALIAS_NAME = /^alias\/[A-Za-z0-9/_-]{1,250}$/;
const KMS_ARN = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):(\d{12}):(key\/[A-Za-z0-9-]+|alias\/[A-Za-z0-9/_-]+)$/;

/**
 * Where a vault's secrets replicate and which customer-managed key of that region encrypts the
 * replicas. Never the AWS-managed `aws/secretsmanager` key, which every principal of the account
 * with IAM rights may use.
 *
 * The key is named by an ARN that is known before anything is deployed (the vault's alias in that
 * region, or an ARN you give), so the primary region's stack refers to the replica region's key
 * without a cross-region reference.
 */
export class VaultReplicaRegion {
  /**
   * The vault's own key in `region`: a `VaultReplicaKey` in a stack of that region, which carries
   * the vault key's alias.
   *
   * @param aliasName the alias of the vault's key (`alias/<namePrefix>` for a SecretsVault's key)
   */
  public static vaultKey(region: string, aliasName: string): VaultReplicaRegion {
    const owner = 'VaultReplicaRegion.vaultKey';
    validateRegion(owner, region);
    if (Token.isUnresolved(aliasName) || !ALIAS_NAME.test(aliasName) || aliasName.startsWith('alias/aws/')) {
      invalid(
        owner,
        'aliasName',
        aliasName,
        'allowed: a literal `alias/` and a name of your own, not an AWS-managed `alias/aws/...`',
      );
    }
    return new VaultReplicaRegion(region, aliasName, undefined, true);
  }

  /**
   * A customer-managed key of your own, by its key ARN or alias ARN: the replica region is the
   * ARN's. Its policy must let Secrets Manager of that region use it on behalf of the account.
   */
  public static fromKeyArn(keyArn: string): VaultReplicaRegion {
    const owner = 'VaultReplicaRegion.fromKeyArn';
    const match = Token.isUnresolved(keyArn) ? null : KMS_ARN.exec(keyArn);
    if (!match) {
      invalid(
        owner,
        'keyArn',
        keyArn,
        'allowed: a literal key ARN (`arn:aws:kms:<region>:<account>:key/<id>`) or alias ARN ' +
          '(`...:alias/<name>`) of the replica region: the primary region cannot refer to a key of another region by token',
      );
    }
    const resource = match[3]!;
    if (resource.startsWith('alias/aws/')) {
      invalid(
        owner,
        'keyArn',
        keyArn,
        'an AWS-managed key (`alias/aws/...`) is usable by every principal of the account with IAM rights: use a customer-managed key',
      );
    }
    return resource.startsWith('alias/')
      ? new VaultReplicaRegion(match[1]!, resource, undefined, false)
      : new VaultReplicaRegion(match[1]!, undefined, keyArn, false);
  }

  private constructor(
    /** The replica region. */
    public readonly region: string,
    /** The alias that names the replica's key in `region`, when it is named by alias. */
    public readonly aliasName: string | undefined,
    /** The replica key's ARN, when it is named by key ARN. */
    public readonly keyArn: string | undefined,
    /** Whether the key is the vault's own VaultReplicaKey (rather than a key of yours). */
    public readonly isVaultKey: boolean,
  ) {}

  /** The endpoint through which Secrets Manager of the replica region uses the key (`kms:ViaService`). */
  public get viaService(): string {
    return `secretsmanager.${this.region}.amazonaws.com`;
  }

  /**
   * The `KmsKeyId` of the replica: the key ARN, or the alias ARN in the replica region and the
   * scope's account. Both are known at synth, so no cross-region reference is needed.
   */
  public kmsKeyId(scope: IConstruct): string {
    if (this.keyArn !== undefined) return this.keyArn;
    return Stack.of(scope).formatArn({
      service: 'kms',
      region: this.region,
      resource: 'alias',
      resourceName: this.aliasName!.slice('alias/'.length),
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
  }

  /**
   * The replica key as a key imported into `scope` by the ARN above, for aws-cdk-lib's
   * `addReplicaRegion(region, key)`: it carries no reference to the stack that owns the key.
   */
  public importKey(scope: Construct): kms.IKey {
    const id = `ReplicaKey-${this.region}`;
    const existing = scope.node.tryFindChild(id) as kms.IKey | undefined;
    return existing ?? kms.Key.fromKeyArn(scope, id, this.kmsKeyId(scope));
  }

  /** The secret's `ReplicaRegions` entry. */
  public toReplicaRegionProperty(scope: IConstruct): secretsmanager.CfnSecret.ReplicaRegionProperty {
    return { region: this.region, kmsKeyId: this.kmsKeyId(scope) };
  }

  /**
   * The ARN pattern of the replicas, in this region, of every secret named `<namePrefix>/...` of the
   * scope's account (a replica's ARN differs from its primary's only by the region).
   */
  public secretArnPattern(scope: IConstruct, namePrefix: string): string {
    return Stack.of(scope).formatArn({
      service: 'secretsmanager',
      region: this.region,
      resource: 'secret',
      resourceName: `${namePrefix}/*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  }

  /**
   * Lets a principal of the scope's account decrypt replicas in this region, through Secrets Manager
   * of this region only: an identity-policy statement on the key by ARN, or, without the key's
   * random id, on every key of the region carrying the alias (`kms:ResourceAliases`).
   */
  public grantDecryptViaSecretsManager(scope: IConstruct, grantee: iam.IGrantable): iam.Grant {
    return this.grantViaSecretsManager(scope, grantee, KEY_DECRYPT_ACTIONS);
  }

  /**
   * Lets a principal of the scope's account make Secrets Manager encrypt replicas in this region
   * (`kms:GenerateDataKey` and `kms:Encrypt`), through Secrets Manager of this region only: what the
   * writer of a new value needs if Secrets Manager replicates it with the writer's own permissions.
   */
  public grantEncryptViaSecretsManager(scope: IConstruct, grantee: iam.IGrantable): iam.Grant {
    return this.grantViaSecretsManager(scope, grantee, REPLICA_ENCRYPT_ACTIONS);
  }

  /**
   * The IAM resource that names the replica key: its ARN, or, named by alias, every key of the
   * region (the grants narrow it to the alias with `kms:ResourceAliases`).
   */
  public keyResourceArn(scope: IConstruct): string {
    return (
      this.keyArn ??
      Stack.of(scope).formatArn({ service: 'kms', region: this.region, resource: 'key', resourceName: '*' })
    );
  }

  private grantViaSecretsManager(scope: IConstruct, grantee: iam.IGrantable, actions: string[]): iam.Grant {
    const via = { StringEquals: { 'kms:ViaService': this.viaService } };
    return iam.Grant.addToPrincipal({
      grantee,
      actions,
      resourceArns: [this.keyResourceArn(scope)],
      conditions:
        this.keyArn !== undefined
          ? via
          : // ForAnyValue: at least one alias of the key is this one; a key without aliases never matches.
            { ...via, 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': [this.aliasName!] } },
    });
  }
}

/**
 * Properties of a VaultReplicaKey.
 */
export interface VaultReplicaKeyProps {
  /**
   * The vault whose secrets replicate into this stack's region. Its stack must be of the same
   * account and another region, both named explicitly (`env`).
   */
  readonly vault: SecretsVault;

  /**
   * The alias of the key in this region, which the vault's secrets name as their replicas' key.
   *
   * @default - the alias of the vault's key (a SecretsVault's own key has `alias/<namePrefix>`)
   */
  readonly alias?: string;

  /**
   * Who administers the key besides this stack's deployment and `breakGlass`, named by ARN (a role of
   * the vault's stack must have an explicit `roleName`: this stack can name it only by its ARN).
   *
   * @default - the administrators of the vault's key (its `keyAdmins` and break-glass principal)
   *   when it is a VaultKey, none otherwise
   */
  readonly keyAdmins?: iam.IPrincipal[];

  /**
   * A principal kept for emergencies, which administers the key. It is also the only principal that
   * can promote a replica to a standalone secret while the primary region is down.
   *
   * @default - the vault's break-glass principal
   */
  readonly breakGlass?: iam.IPrincipal;

  /**
   * The role CloudFormation deploys this stack with.
   *
   * @default - the CloudFormation execution role of this stack's `DefaultStackSynthesizer`
   */
  readonly deploymentRole?: iam.IRole;

  /**
   * How often KMS rotates the key material, in whole days from 90 to 2560.
   *
   * @default Duration.days(90)
   */
  readonly rotationPeriod?: Duration;

  /**
   * What happens to the key when it leaves the stack. A replica promoted to a standalone secret
   * stays encrypted with this key, so the default keeps it.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * How long KMS waits before it deletes the key once deletion is scheduled, 7 to 30 days.
   *
   * @default Duration.days(30)
   */
  readonly pendingWindow?: Duration;

  /**
   * Principals of other accounts that read the replicas in this region (the vault names them in its
   * secrets' resource policies, which Secrets Manager replicates). Each may decrypt through Secrets
   * Manager of this region. Readers of the vault's own account are granted by the vault
   * (`vault.grantRead`), not here.
   *
   * @default - none
   */
  readonly readers?: iam.IPrincipal[];

  /**
   * Forward this key's management calls (every write call CloudTrail records on the key) and changes
   * of its alias to the default event bus of the vault's region, where the vault's audit can alarm on
   * them: EventBridge rules see only their own region's events, and the audit there does not know
   * this key's id. Needs a trail that records this region (a SecretsAudit's own trail is
   * multi-region).
   *
   * @default true
   */
  readonly forwardKeyEvents?: boolean;

  /**
   * Whether the vault's secrets replicate into this region. Turn it off once the replicas here were
   * promoted to standalone secrets (StopReplicationToReplica): they are encrypted with this key, which
   * they may name by its alias, so the key and the alias stay, while the vault stops naming the region
   * (and no longer waits for this stack).
   *
   * @default true
   */
  readonly replicate?: boolean;
}

/** The calls on an alias that change which key it names: with grants by alias, who may use which key. */
const ALIAS_CHANGE_EVENTS = ['CreateAlias', 'UpdateAlias', 'DeleteAlias'];

/**
 * The key of a vault's replica region: a VaultKey in a stack of that region, with the same key policy
 * as the vault's own key (usable only through Secrets Manager of this region, administered only by
 * this stack's deployment, the named administrators and the break-glass principal) and the same
 * alias, so that the vault's secrets name it by a deterministic alias ARN rather than by a
 * cross-region reference.
 *
 * It is an independent single-Region key, not a multi-Region replica: Secrets Manager decrypts a
 * secret with the primary region's key and encrypts the replica with this one, so the two keys need
 * no shared key material, and this stack needs nothing from the primary region's stack.
 *
 * The vault's stack is made to depend on this one, so `cdk deploy --all` creates this key before the
 * secrets that replicate into it.
 */
export class VaultReplicaKey extends VaultKey {
  /** The vault whose secrets replicate into this key's region. */
  public readonly vault: SecretsVault;

  /** This key's region. */
  public readonly region: string;

  /** The alias by which the vault's secrets name this key. */
  public readonly aliasName: string;

  /** The replica region as the vault's secrets declare it. */
  public readonly replicaRegion: VaultReplicaRegion;

  /** Whether the vault's secrets replicate into this key's region (`replicate`). */
  public readonly replicates: boolean;

  /**
   * The rules that forward the key's management calls and its alias's changes to the vault region's
   * default event bus, unless `forwardKeyEvents` is off.
   */
  public readonly forwarders: events.Rule[] = [];

  constructor(scope: Construct, id: string, props: VaultReplicaKeyProps) {
    const vaultKey = props.vault.encryptionKey instanceof VaultKey ? props.vault.encryptionKey : undefined;
    const alias = props.alias ?? literalAliasOf(props.vault.encryptionKey);
    super(scope, id, {
      alias,
      description: `Encrypts the ${Stack.of(scope).region} replicas of the secrets of vault ${props.vault.namePrefix}; usable through Secrets Manager only`,
      rotationPeriod: props.rotationPeriod,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      pendingWindow: props.pendingWindow,
      keyAdmins: props.keyAdmins ?? (vaultKey ? administratorsOf(vaultKey) : undefined),
      breakGlass: props.breakGlass ?? props.vault.breakGlass,
      deploymentRole: props.deploymentRole,
    });
    const { region, aliasName } = checkPlacement(this, props.vault, alias);
    this.vault = props.vault;
    this.region = region;
    this.aliasName = aliasName;
    this.replicaRegion = VaultReplicaRegion.vaultKey(region, aliasName);
    this.replicates = props.replicate ?? true;
    if (this.replicates) this.checkOnePerRegion();

    for (const reader of props.readers ?? []) this.addReader(reader);
    if (props.forwardKeyEvents ?? true) this.forwardKeyEvents();

    if (this.replicates) {
      props.vault.addReplica(this.replicaRegion);
      Stack.of(props.vault).addStackDependency(
        Stack.of(this),
        `the secrets of vault ${props.vault.namePrefix} replicate into ${region} encrypted with this key, which must exist first`,
      );
    }
  }

  /**
   * Lets a principal of another account decrypt the replicas in this region, through Secrets
   * Manager of this region only (a statement of the key policy naming it). A role of another stack
   * of the app is deployed first: KMS refuses a key policy that names a principal that does not exist.
   */
  public addReader(principal: iam.IPrincipal): void {
    validatePrincipal(this, 'readers', principal);
    if (!isPrincipalOfAnotherAccount(this, principal)) {
      invalid(
        this,
        'readers',
        principal.toString(),
        "a principal of another account: readers of the vault's own account are granted by `vault.grantRead`, " +
          'which covers the replica regions by alias',
      );
    }
    this.grantDecryptViaSecretsManager({ grantPrincipal: principal });
    if (Construct.isConstruct(principal) && Stack.of(principal) !== Stack.of(this)) {
      Stack.of(this).addStackDependency(
        Stack.of(principal),
        'the key policy names a reader of another account; KMS refuses a principal that does not exist yet',
      );
    }
  }

  /**
   * Two rules in this region whose target is the vault region's default event bus (a deterministic
   * ARN), through a role that may put events on that bus only.
   */
  private forwardKeyEvents() {
    const stack = Stack.of(this);
    const vaultRegion = Stack.of(this.vault).region;
    const bus = events.EventBus.fromEventBusArn(
      this,
      'VaultRegionBus',
      stack.formatArn({
        service: 'events',
        region: vaultRegion,
        resource: 'event-bus',
        resourceName: 'default',
      }),
    );
    const role = new ManagedPolicyRole(this, 'ForwarderRole', {
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com'),
      description: `Forwards management calls on the ${this.region} key of vault ${this.vault.namePrefix} to ${vaultRegion}`,
    });
    const target = new targets.EventBus(bus, { role });
    const calls = (detail: Record<string, unknown>, id: string, description: string) =>
      new events.Rule(this, id, {
        description,
        eventPattern: {
          source: ['aws.kms'],
          detailType: [API_CALL_DETAIL_TYPE],
          detail: { eventSource: ['kms.amazonaws.com'], readOnly: [false], ...detail },
        },
        targets: [target],
      });
    this.forwarders.push(
      calls(
        {
          // As the vault's audit matches its own key: management calls name the key by id or ARN
          // (both end with the id); alias calls may not name it, and KMS records its ARN in the response.
          $or: [
            { requestParameters: { keyId: [{ suffix: this.keyId }] } },
            { responseElements: { keyId: [{ suffix: this.keyId }] } },
          ],
        },
        'ForwardKeyCalls',
        `Every write call on the ${this.region} key of vault ${this.vault.namePrefix}, to the vault's region`,
      ),
      calls(
        { eventName: ALIAS_CHANGE_EVENTS, requestParameters: { aliasName: [this.aliasName] } },
        'ForwardAliasChanges',
        `Changes of the alias ${this.aliasName} in ${this.region}, to the vault's region`,
      ),
    );
  }

  /** A vault has one replica key per region: a second would claim the same alias there. */
  private checkOnePerRegion(): void {
    const twin = this.node.root.node
      .findAll()
      .find(
        (c): c is VaultReplicaKey =>
          c instanceof VaultReplicaKey &&
          c !== this &&
          c.vault === this.vault &&
          c.region === this.region &&
          c.replicates,
      );
    if (twin) {
      invalid(
        this,
        'vault',
        summary(
          `vault ${this.vault.node.path}, which has a key in ${this.region} already (${twin.node.path})`,
        ),
        `both would claim the alias ${this.aliasName} there: keep one key per vault and region`,
      );
    }
  }
}

/**
 * The replica key's region and alias, after checking that both stacks name their account and region,
 * that they share the account and differ in region, and that the alias is known.
 */
function checkPlacement(
  key: VaultReplicaKey,
  vault: SecretsVault,
  aliasName: string | undefined,
): { region: string; aliasName: string } {
  const here = Stack.of(key);
  const primary = Stack.of(vault);
  for (const [stack, what] of [
    [here, 'this stack'],
    [primary, "the vault's stack"],
  ] as const) {
    if (Token.isUnresolved(stack.account) || Token.isUnresolved(stack.region)) {
      invalid(
        key,
        'vault',
        `${what} (${stack.stackName}) without an explicit account and region`,
        'give both stacks `env: { account, region }`: the replica key is named by an alias ARN written out at synth',
      );
    }
  }
  if (here.account !== primary.account) {
    invalid(
      key,
      'vault',
      `a vault of account ${primary.account}, this stack being of account ${here.account}`,
      "a replica key in the vault's own account: Secrets Manager replicates a secret to other regions of its account",
    );
  }
  if (here.region === primary.region) {
    invalid(
      key,
      'vault',
      `a vault of this stack's own region ${here.region}`,
      "a stack of another region: the vault's own key already serves its region",
    );
  }
  validateRegion(key, here.region);
  if (aliasName === undefined) {
    return invalid(
      key,
      'alias',
      undefined,
      "the vault's key has no literal alias to reuse: name this key's alias",
    );
  }
  return { region: here.region, aliasName };
}

/**
 * The principals that administer a vault's key besides its deployment, rebuilt from the key's
 * `aws:PrincipalArn` patterns: an account's pattern (`arn:<partition>:iam::<account>:*`) becomes that
 * account, any other pattern the ARN it is. Undefined when there are none.
 */
function administratorsOf(key: VaultKey): iam.IPrincipal[] | undefined {
  const admins = key.administratorArns
    .filter((arn) => arn !== key.deploymentRoleArn)
    .map((arn) =>
      arn.endsWith(':*') ? new iam.AccountPrincipal(arn.split(':')[4]) : new iam.ArnPrincipal(arn),
    );
  return admins.length > 0 ? admins : undefined;
}

function validateRegion(owner: Owner, region: string) {
  if (Token.isUnresolved(region) || !REGION.test(region)) {
    invalid(owner, 'region', region, 'allowed: a literal region name such as "us-east-1"');
  }
}
