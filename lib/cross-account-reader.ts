import { Annotations, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, IConstruct } from 'constructs';
import { accountOfPrincipal, isAccountId, isPrincipalOfAnotherAccount } from './private/accounts';
import { literalAliasOf } from './private/key-alias';
import { KEY_DECRYPT_ACTIONS, SECRET_READ_ACTIONS } from './private/actions';
import { acknowledgeWildcardResource } from './private/nag';
import {
  invalid,
  Owner,
  SECRET_NAME_MAX_LENGTH,
  validateSecretName,
  validateVersionStages,
} from './private/validation';
import type { SecretsVault } from './secrets-vault';

/** What Secrets Manager appends to a secret's name in its ARN: `-` and six random characters. */
const SECRET_ARN_SUFFIX = '-??????';
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;
const PARTITION = /^aws(-[a-z]+)*$/;
const ALIAS_NAME = /^alias\/[A-Za-z0-9/_-]{1,250}$/;
const KEY_ARN = /^arn:(aws[a-z-]*):kms:([a-z0-9-]+):(\d{12}):key\/[A-Za-z0-9-]+$/;

/**
 * Where a vault lives and what its secrets and key are called, in literal values only: what a stack
 * of another account needs to grant a read of the vault's secrets without any reference
 * CloudFormation would have to resolve across accounts.
 */
export interface VaultReferenceAttributes {
  /** The vault's account, 12 digits. */
  readonly account: string;

  /** The vault's region, e.g. `eu-west-1`. */
  readonly region: string;

  /** The vault's name prefix (`SecretsVault.namePrefix`): its secrets are named `<namePrefix>/<id>`. */
  readonly namePrefix: string;

  /**
   * The alias of the vault's key (a SecretsVault's key has `alias/<namePrefix>`). The reader's
   * policy names the key by this alias, so it needs neither the key's random id nor a reference to
   * it; give `keyArn` instead when you know the ARN.
   *
   * @default - `keyArn` names the key
   */
  readonly keyAlias?: string;

  /**
   * The ARN of the vault's key, when you know it: the reader's policy then names that key exactly.
   *
   * @default - `keyAlias` names the key
   */
  readonly keyArn?: string;

  /**
   * The vault's partition.
   *
   * @default - the partition of the stack that grants the read
   */
  readonly partition?: string;
}

/**
 * A vault as a stack of another account sees it: its account, region, name prefix and key, all
 * literal. `VaultReference.fromVault(vault)` reads them off a vault of the same app;
 * `VaultReference.fromAttributes(...)` takes them from a vault deployed by another app.
 */
export class VaultReference {
  /**
   * A vault of this app. Its stack must name its account and region (`env`), and its key must be
   * the one the vault created (a VaultKey, which always has an alias) or carry an alias.
   */
  public static fromVault(vault: SecretsVault): VaultReference {
    const owner = `VaultReference.fromVault(${vault.node.path})`;
    const stack = Stack.of(vault);
    if (Token.isUnresolved(stack.account) || Token.isUnresolved(stack.region)) {
      invalid(
        owner,
        'vault',
        `a vault in stack ${stack.stackName} without an explicit account and region`,
        "give the vault's stack `env: { account, region }`: a stack of another account can name the vault's " +
          'secrets and key only by literal ARNs',
      );
    }
    const keyAlias = literalAliasOf(vault.encryptionKey);
    if (keyAlias === undefined) {
      invalid(
        owner,
        'vault',
        `a vault whose key ${vault.encryptionKey.node.path} has no literal alias`,
        "use VaultReference.fromAttributes and name the key's ARN (`keyArn`) or alias (`keyAlias`)",
      );
    }
    return new VaultReference(
      owner,
      {
        account: stack.account,
        region: stack.region,
        namePrefix: vault.namePrefix,
        keyAlias,
      },
      vault,
    );
  }

  /** A vault deployed elsewhere, by literal attributes. */
  public static fromAttributes(attributes: VaultReferenceAttributes): VaultReference {
    return new VaultReference('VaultReference.fromAttributes', attributes);
  }

  /** The vault's account. */
  public readonly account: string;
  /** The vault's region. */
  public readonly region: string;
  /** The vault's name prefix. */
  public readonly namePrefix: string;
  /** The alias of the vault's key, when the key is named by alias. */
  public readonly keyAlias?: string;
  /** The ARN of the vault's key, when it is named by ARN. */
  public readonly keyArn?: string;
  /** The vault's partition, when given. */
  public readonly partition?: string;
  /** The vault construct, when the reference was made from one of this app. */
  public readonly vault?: SecretsVault;

  private constructor(owner: string, attributes: VaultReferenceAttributes, vault?: SecretsVault) {
    const literal = (prop: string, value: string | undefined) => {
      if (value !== undefined && Token.isUnresolved(value)) {
        invalid(
          owner,
          prop,
          value,
          'a literal value: a token would become a reference that CloudFormation cannot resolve in another account',
        );
      }
    };
    for (const [prop, value] of Object.entries(attributes)) literal(prop, value as string | undefined);
    if (!isAccountId(attributes.account)) {
      invalid(owner, 'account', attributes.account, 'allowed: an account id of 12 digits');
    }
    if (!REGION.test(attributes.region)) {
      invalid(owner, 'region', attributes.region, 'allowed: a region name such as "eu-west-1"');
    }
    if (attributes.partition !== undefined && !PARTITION.test(attributes.partition)) {
      invalid(owner, 'partition', attributes.partition, 'allowed: "aws", "aws-cn", "aws-us-gov", ...');
    }
    validateSecretName(owner, 'namePrefix', attributes.namePrefix);
    // validateSecretName has refused `*` already.
    if (attributes.namePrefix.endsWith('/')) {
      invalid(owner, 'namePrefix', attributes.namePrefix, 'allowed: a prefix without a trailing `/`');
    }
    if ((attributes.keyAlias === undefined) === (attributes.keyArn === undefined)) {
      invalid(
        owner,
        attributes.keyAlias === undefined ? 'keyAlias' : 'keyArn',
        attributes.keyAlias === undefined ? undefined : 'both keyAlias and keyArn',
        "name the vault's key once: by `keyAlias` (no random id needed) or by `keyArn`",
      );
    }
    if (attributes.keyAlias !== undefined) {
      if (!ALIAS_NAME.test(attributes.keyAlias) || attributes.keyAlias.startsWith('alias/aws/')) {
        invalid(
          owner,
          'keyAlias',
          attributes.keyAlias,
          'allowed: `alias/` and a name of your own (an `alias/aws/...` key is AWS-managed and cannot be shared across accounts)',
        );
      }
    }
    if (attributes.keyArn !== undefined) {
      const match = KEY_ARN.exec(attributes.keyArn);
      if (!match || match[2] !== attributes.region || match[3] !== attributes.account) {
        invalid(
          owner,
          'keyArn',
          attributes.keyArn,
          `allowed: the ARN of a key (\`arn:<partition>:kms:${attributes.region}:${attributes.account}:key/<id>\`) ` +
            "in the vault's account and region",
        );
      }
    }
    this.account = attributes.account;
    this.region = attributes.region;
    this.namePrefix = attributes.namePrefix;
    this.keyAlias = attributes.keyAlias;
    this.keyArn = attributes.keyArn;
    this.partition = attributes.partition;
    this.vault = vault;
  }

  /** The endpoint through which Secrets Manager of the vault's region uses the key (`kms:ViaService`). */
  public get viaService(): string {
    return `secretsmanager.${this.region}.amazonaws.com`;
  }

  /**
   * The ARN pattern of one secret of the vault, by its full name (`<namePrefix>/<id>`), or of every
   * secret of the vault when no name is given. Secrets Manager appends `-` and six random
   * characters to a name in the ARN: `-??????` matches exactly those.
   */
  public secretArnPattern(scope: IConstruct, secretName?: string): string {
    const resource = secretName === undefined ? `${this.namePrefix}/*` : `${secretName}${SECRET_ARN_SUFFIX}`;
    return `arn:${this.partitionIn(scope)}:secretsmanager:${this.region}:${this.account}:secret:${resource}`;
  }

  /**
   * The IAM resource and conditions that name the vault's key for a decrypt through Secrets
   * Manager of the vault's region: its ARN, or every key of the vault's account and region that
   * carries the vault's alias (`kms:ResourceAliases`, which KMS evaluates in IAM policies only).
   */
  public keyPermission(scope: IConstruct): {
    resources: string[];
    conditions: Record<string, Record<string, unknown>>;
  } {
    const via = { StringEquals: { 'kms:ViaService': this.viaService } };
    if (this.keyArn !== undefined) return { resources: [this.keyArn], conditions: via };
    return {
      resources: [`arn:${this.partitionIn(scope)}:kms:${this.region}:${this.account}:key/*`],
      // ForAnyValue: at least one alias of the key is the vault's; a key without aliases never matches.
      conditions: { ...via, 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': [this.keyAlias] } },
    };
  }

  private partitionIn(scope: IConstruct): string {
    return this.partition ?? Stack.of(scope).partition;
  }
}

/**
 * Properties of a CrossAccountSecretReader.
 */
export interface CrossAccountSecretReaderProps {
  /** The vault whose secrets the role reads: `VaultReference.fromVault(vault)` or `.fromAttributes(...)`. */
  readonly vault: VaultReference;

  /**
   * The role that reads, of this stack's account. The vault must name it too (`vault.addReader(role)`
   * or `secret.addReader(role)` in the vault's stack): a role of this app needs an explicit
   * `roleName` for that, so that the vault's stack can name it by a literal ARN.
   */
  readonly role: iam.IRole;

  /**
   * The full names of the secrets the role reads, each under the vault's prefix (`<namePrefix>/<id>`).
   *
   * @default - every secret of the vault, present and future (`<namePrefix>/*`)
   */
  readonly secretNames?: string[];

  /**
   * Limit reads to these version stages (e.g. `['AWSCURRENT']`). A request must then name its
   * stage, or this account's IAM denies it.
   *
   * @default - every stage
   */
  readonly versionStages?: string[];
}

/**
 * The consumer account's half of a cross-account read: a customer-managed policy, attached to a role
 * of this stack's account, that allows `GetSecretValue` and `DescribeSecret` on secrets of a vault in
 * another account, and `kms:Decrypt` on the vault's key only through Secrets Manager of the vault's
 * region. The vault's half (its secrets' resource policy and its key policy naming the role) is
 * `vault.addReader(role)` in the vault's stack.
 *
 * Every ARN is written out from literal names: the secrets by `<name>-??????`, the key by its ARN
 * or, without its random id, by the vault's alias (`kms:ResourceAliases`). Nothing refers to the
 * vault's stack, so the two stacks can live in two accounts. When the vault is of the same app, the
 * vault's stack is made to deploy after this one: Secrets Manager and KMS refuse a policy that names
 * a role that does not exist yet.
 */
export class CrossAccountSecretReader extends Construct {
  /** The policy that holds the read, attached to the role. */
  public readonly policy: iam.ManagedPolicy;

  /** The ARNs (patterns) of the secrets the role may read. */
  public readonly secretArns: string[];

  constructor(scope: Construct, id: string, props: CrossAccountSecretReaderProps) {
    super(scope, id);
    const vault = props.vault;
    const stack = Stack.of(this);
    if (!Token.isUnresolved(stack.account) && stack.account === vault.account) {
      invalid(
        this,
        'vault',
        `a vault of this stack's own account ${vault.account}`,
        "within one account, grant the read on the vault's side: `vault.grantRead(role)` or a SecretReaderRole",
      );
    }
    if (isPrincipalOfAnotherAccount(this, props.role)) {
      invalid(
        this,
        'role',
        `${props.role} of account ${accountOfPrincipal(props.role)}`,
        "a role of this stack's account: a policy of this stack attaches to a role of this account by name, " +
          'whatever account the ARN names',
      );
    }
    if (props.secretNames !== undefined) {
      if (props.secretNames.length === 0) {
        invalid(
          this,
          'secretNames',
          props.secretNames,
          'name at least one secret, or leave it out for the whole vault',
        );
      }
      for (const name of props.secretNames) validateNameInVault(this, vault, name);
    }
    const customStages = validateVersionStages(this, 'versionStages', props.versionStages);
    if (customStages.length > 0) {
      Annotations.of(this).addWarningV2(
        'cdk-secrets-vault:custom-version-stage',
        `versionStages names ${customStages.join(', ')}: no version carries such a label unless someone puts it there.`,
      );
    }

    this.secretArns = props.secretNames?.map((name) => vault.secretArnPattern(this, name)) ?? [
      vault.secretArnPattern(this),
    ];
    const key = vault.keyPermission(this);
    this.policy = new iam.ManagedPolicy(this, 'Policy', {
      description: `Reads secrets of vault ${vault.namePrefix} in account ${vault.account}, ${vault.region}`,
      roles: [props.role],
      statements: [
        ...readStatements(this.secretArns, props.versionStages),
        new iam.PolicyStatement({
          sid: 'DecryptThroughSecretsManager',
          actions: KEY_DECRYPT_ACTIONS,
          resources: key.resources,
          conditions: key.conditions,
        }),
      ],
    });
    this.acknowledgeWildcards(vault, props.secretNames === undefined, key.resources);

    if (vault.vault) {
      Stack.of(vault.vault).addStackDependency(
        stack,
        'the vault names the reader of another account in its policies; KMS and Secrets Manager refuse a principal that does not exist yet',
      );
    }
  }

  private acknowledgeWildcards(vault: VaultReference, wholeVault: boolean, keyResources: string[]) {
    if (wholeVault) {
      acknowledgeWildcardResource(
        this.policy,
        this.secretArns[0]!,
        "Every secret of the vault, present and future, by the vault's own name prefix (no `secretNames` given).",
      );
    }
    if (vault.keyArn === undefined) {
      acknowledgeWildcardResource(
        this.policy,
        keyResources[0]!,
        "Names the vault's key without its random id: only a key carrying the vault's alias matches " +
          "(kms:ResourceAliases), and only through Secrets Manager of the vault's region (kms:ViaService).",
      );
    }
  }
}

/** GetSecretValue (limited to stages when given) and DescribeSecret on the secrets. */
function readStatements(secretArns: string[], versionStages?: string[]): iam.PolicyStatement[] {
  if (!versionStages) {
    return [
      new iam.PolicyStatement({
        sid: 'ReadVaultSecrets',
        actions: SECRET_READ_ACTIONS,
        resources: secretArns,
      }),
    ];
  }
  return [
    new iam.PolicyStatement({
      sid: 'ReadVaultSecretsAtStages',
      actions: ['secretsmanager:GetSecretValue'],
      resources: secretArns,
      conditions: { StringEquals: { 'secretsmanager:VersionStage': versionStages } },
    }),
    // A request's version stage is one value, and DescribeSecret carries none: a stage condition on
    // it would always deny it.
    new iam.PolicyStatement({
      sid: 'DescribeVaultSecrets',
      actions: ['secretsmanager:DescribeSecret'],
      resources: secretArns,
    }),
  ];
}

function validateNameInVault(owner: Owner, vault: VaultReference, name: string) {
  if (Token.isUnresolved(name)) {
    invalid(
      owner,
      'secretNames',
      name,
      `a literal name such as "${vault.namePrefix}/<id>" (a secret's \`secretName\` attribute is a token, which would be a reference across accounts)`,
    );
  }
  validateSecretName(owner, 'secretNames', name);
  if (!name.startsWith(`${vault.namePrefix}/`) || name.length > SECRET_NAME_MAX_LENGTH) {
    invalid(owner, 'secretNames', name, `allowed: a name under the vault's prefix "${vault.namePrefix}/"`);
  }
}
