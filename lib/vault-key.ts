import { Annotations, Duration, Lazy, Names, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct, IConstruct } from 'constructs';
import {
  KEY_ADMIN_ACTIONS,
  KEY_CRYPTO_ACTIONS,
  KEY_DECRYPT_ACTIONS,
  KEY_ENCRYPT_ACTIONS,
  KEY_GRANT_ACTIONS,
  KEY_USE_VIA_SECRETS_MANAGER_ACTIONS,
  LOG_GROUP_KEY_ACTIONS,
} from './private/actions';
import {
  grantDecryptViaSecretsManager,
  grantEncryptViaSecretsManager,
  grantViaSecretsManager,
  secretsManagerService,
} from './private/grants';
import {
  BREAK_GLASS_RULES,
  deploymentRoleArn,
  distinct,
  KEY_ADMIN_RULES,
  nonEmpty,
  principalArnPatterns,
} from './private/principals';
import {
  invalid,
  Owner,
  ownerName,
  validateDays,
  validatePrincipal,
  validateText,
} from './private/validation';
import {
  allowsKeyUse,
  limitedToService,
  principalLimitedToService,
  refused,
  refusedImport,
  sameValue,
  StatementJson,
  statementsOf,
} from './private/inherited';

/**
 * KMS allows automatic rotation periods from 90 to 2560 days.
 *
 * @internal
 */
export const MIN_KEY_ROTATION_DAYS = 90;
/** @internal */
export const MAX_KEY_ROTATION_DAYS = 2560;
/** KMS waits 7 to 30 days before it deletes a key scheduled for deletion. */
const MIN_PENDING_WINDOW_DAYS = 7;
const MAX_PENDING_WINDOW_DAYS = 30;
/** KMS accepts key descriptions of at most 8,192 characters. */
const MAX_KEY_DESCRIPTION_LENGTH = 8192;

const ALIAS_NAME = /^alias\/[A-Za-z0-9/_-]{1,250}$/;

/**
 * Properties of a VaultKey.
 */
export interface VaultKeyProps {
  /**
   * The alias of the key, starting with `alias/`.
   *
   * @default - `alias/secrets-vault/<unique id of this construct>`
   */
  readonly alias?: string;

  /**
   * A description of the key.
   *
   * @default 'Encrypts secrets of cdk-secrets-vault; usable through Secrets Manager only'
   */
  readonly description?: string;

  /**
   * Whether KMS rotates the key material automatically. Turning it off is a deliberate loosening:
   * old key material then protects every secret version for the key's whole life.
   *
   * @default true
   */
  readonly enableKeyRotation?: boolean;

  /**
   * How often KMS rotates the key material, in whole days from 90 to 2560.
   *
   * @default Duration.days(90)
   */
  readonly rotationPeriod?: Duration;

  /**
   * What happens to the key when it leaves the stack. Destroying the key makes every secret
   * encrypted with it unreadable, so the default keeps it.
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
   * Who administers the key (changes its policy, disables it, schedules its deletion), besides the
   * deployment and the break-glass principal. Named by `aws:PrincipalArn`, so an IAM administrator who is
   * not listed cannot administer the key however broad its own policy. Roles, users, ARN principals
   * (wildcards allowed, e.g. an SSO permission set's roles) or accounts.
   *
   * @default - only the deployment (and `breakGlass`, when given)
   */
  readonly keyAdmins?: iam.IPrincipal[];

  /**
   * A principal kept for emergencies: it may administer the key, and (on a vault's secrets) replace or
   * delete the resource policy that guards them. Every call it makes is alarmed by a `SecretsAudit`.
   *
   * @default - none
   */
  readonly breakGlass?: iam.IPrincipal;

  /**
   * The role CloudFormation deploys the stack with. It always administers the key (the deployment must
   * be able to update and delete what it created).
   *
   * @default - the CloudFormation execution role of the stack's `DefaultStackSynthesizer`; other
   *   synthesizers must name it
   */
  readonly deploymentRole?: iam.IRole;
}

/**
 * A customer-managed symmetric KMS key for secrets.
 *
 * Its key policy lets only the deployment, the named `keyAdmins` and the `breakGlass` principal
 * administer the key, and lets principals of the account use it for encryption and decryption only
 * through Secrets Manager in this account and region (`kms:ViaService` and `kms:CallerAccount`). Use
 * outside Secrets Manager, and grants that are not for an AWS resource, are denied to everyone, so an
 * IAM administrator with `kms:*` can neither decrypt directly nor change the policy. Automatic
 * key-material rotation is on.
 *
 * One narrow exception, once a vault rotates: CloudWatch Logs of this region may use the key for the
 * rotation function's log group, and for nothing else (`allowLogGroup`).
 */
export class VaultKey extends kms.Key {
  /**
   * The service endpoint through which this key may be used, for the `kms:ViaService` condition.
   */
  public readonly viaService: string;

  /** The ARN of the role CloudFormation deploys the stack with; it always administers the key. */
  public readonly deploymentRoleArn: string;

  /** The `aws:PrincipalArn` patterns that may administer the key: deployment, key admins, break-glass. */
  public readonly administratorArns: string[];

  /** The deny of every use outside Secrets Manager; `allowLogGroup` exempts its log groups from it. */
  private readonly denyOutsideSecretsManager: iam.PolicyStatement;
  /** The log groups CloudWatch Logs may encrypt with the key, and the statement that lets it. */
  private readonly logGroupArns: string[] = [];
  private logGroupStatement?: iam.PolicyStatement;

  constructor(scope: Construct, id: string, props: VaultKeyProps = {}) {
    // kms.Key's constructor refuses these two itself, in words of its own ("'36 hours' cannot be
    // converted into a whole number of days"), so they are checked before super(): the one place that
    // names the key by hand, as ownerName(this) would (a subclass, VaultReplicaKey, by its own name).
    const owner = `${new.target.name} ${scope.node.path}/${id}`;
    validateDays(owner, 'rotationPeriod', props.rotationPeriod, MIN_KEY_ROTATION_DAYS, MAX_KEY_ROTATION_DAYS);
    validateDays(
      owner,
      'pendingWindow',
      props.pendingWindow,
      MIN_PENDING_WINDOW_DAYS,
      MAX_PENDING_WINDOW_DAYS,
    );

    const enableKeyRotation = props.enableKeyRotation ?? true;
    const policy = new iam.PolicyDocument();
    super(scope, id, {
      description:
        props.description ?? 'Encrypts secrets of cdk-secrets-vault; usable through Secrets Manager only',
      enableKeyRotation,
      rotationPeriod: enableKeyRotation
        ? (props.rotationPeriod ?? Duration.days(MIN_KEY_ROTATION_DAYS))
        : undefined,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      pendingWindow: props.pendingWindow ?? Duration.days(MAX_PENDING_WINDOW_DAYS),
      // Passing our own document keeps aws-cdk-lib from adding its default `kms:*` for the account.
      policy,
    });
    validateText(this, 'description', props.description, MAX_KEY_DESCRIPTION_LENGTH);
    if (props.enableKeyRotation === false && props.rotationPeriod !== undefined) {
      invalid(
        this,
        'rotationPeriod',
        props.rotationPeriod,
        'a rotation period needs `enableKeyRotation` left on; remove one of the two',
      );
    }
    validateAliasName(this, 'alias', props.alias);
    if (this.policy !== policy) {
      refused(
        this,
        'the `policy` prop',
        "a PropertyInjector for aws-cdk-lib's kms.Key supplied a key policy of its own, and a VaultKey's policy is what keeps it usable through Secrets Manager only",
        'Make the PropertyInjector skip VaultKey (its `inject` gets the scope and id of each key), or remove it',
      );
    }
    this.node.addValidation({ validate: () => this.checkUseThroughSecretsManagerOnly() });

    const stack = Stack.of(this);
    this.viaService = secretsManagerService(this);
    this.deploymentRoleArn = deploymentRoleArn(this, this, props.deploymentRole);
    this.administratorArns = distinct([
      this.deploymentRoleArn,
      ...nonEmpty(this, 'keyAdmins', props.keyAdmins).flatMap((p) =>
        principalArnPatterns(this, 'keyAdmins', p, KEY_ADMIN_RULES),
      ),
      ...(props.breakGlass
        ? principalArnPatterns(this, 'breakGlass', props.breakGlass, BREAK_GLASS_RULES)
        : []),
    ]);
    this.warnAboutLoosening(enableKeyRotation, props.removalPolicy);
    const account = new iam.AccountRootPrincipal();
    const viaSecretsManager = {
      StringEquals: { 'kms:ViaService': this.viaService, 'kms:CallerAccount': stack.account },
    };

    this.addOwnStatement(
      new iam.PolicyStatement({
        sid: 'KeyAdministration',
        principals: [account],
        actions: KEY_ADMIN_ACTIONS,
        resources: ['*'],
        // By ARN rather than by naming the roles: KMS would refuse a policy naming a role that does not
        // exist yet, and a deleted role recreated with the same name gets the key back.
        conditions: { ArnLike: { 'aws:PrincipalArn': this.administratorArns } },
      }),
    );
    this.addOwnStatement(
      new iam.PolicyStatement({
        sid: 'UseThroughSecretsManagerOnly',
        principals: [account],
        actions: KEY_USE_VIA_SECRETS_MANAGER_ACTIONS,
        resources: ['*'],
        conditions: viaSecretsManager,
      }),
    );
    this.addOwnStatement(
      new iam.PolicyStatement({
        sid: 'SecretsManagerCreatesGrantsForItsResourcesOnly',
        principals: [account],
        actions: KEY_GRANT_ACTIONS,
        resources: ['*'],
        conditions: { ...viaSecretsManager, Bool: { 'kms:GrantIsForAWSResource': 'true' } },
      }),
    );
    this.addOwnStatement(
      new iam.PolicyStatement({
        sid: 'DenyGrantsNotForAwsResources',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: KEY_GRANT_ACTIONS,
        resources: ['*'],
        // A grant lets its holder decrypt outside Secrets Manager; absent counts as false. The service
        // exemption is the shape Control Tower's CT.KMS.PR.3 requires, and opens nothing: no statement of
        // this key lets an AWS service principal create grants, and an added Allow must carry kms:ViaService.
        conditions: {
          BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' },
        },
      }),
    );
    this.denyOutsideSecretsManager = new iam.PolicyStatement({
      sid: 'DenyUseOutsideSecretsManager',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: KEY_CRYPTO_ACTIONS,
      resources: ['*'],
      // Binds every statement added later too: none can open direct use of the key.
      conditions: { StringNotEquals: { 'kms:ViaService': this.viaService } },
    });
    this.addOwnStatement(this.denyOutsideSecretsManager);

    this.addAlias(props.alias ?? `alias/secrets-vault/${Names.uniqueResourceName(this, { maxLength: 200 })}`);
  }

  /**
   * Lets CloudWatch Logs of this region encrypt one log group with the key: a vault's rotation function
   * logs there, and a SecretsVault calls this for its own. The key policy gets an Allow for the
   * CloudWatch Logs service scoped to the group's encryption context (`kms:EncryptionContext:aws:logs:arn`),
   * and `DenyUseOutsideSecretsManager` exempts that context only. No IAM principal gains any use: the
   * Allow names the service alone, the account's statements still require Secrets Manager, and a secret's
   * ciphertext is bound to its own encryption context, so no call under a log group's context decrypts it.
   * Readers of the group's logs need logs permissions only, as for any encrypted group.
   *
   * @param logGroupArn the group's ARN, known at synth (a physical name): the group references the key,
   *   so its `GetAtt` here would be a cycle
   */
  public allowLogGroup(logGroupArn: string): void {
    if (this.logGroupArns.some((arn) => sameValue(this, arn, logGroupArn))) return;
    this.logGroupArns.push(logGroupArn);
    if (this.logGroupStatement) return;
    const arns = Lazy.list({ produce: () => this.logGroupArns });
    this.logGroupStatement = new iam.PolicyStatement({
      sid: 'CloudWatchLogsEncryptsTheseLogGroups',
      principals: [new iam.ServicePrincipal(`logs.${Stack.of(this).region}.amazonaws.com`)],
      actions: LOG_GROUP_KEY_ACTIONS,
      resources: ['*'],
      conditions: { ArnEquals: { 'kms:EncryptionContext:aws:logs:arn': arns } },
    });
    this.addOwnStatement(this.logGroupStatement);
    // A request is denied when it is neither through Secrets Manager nor for one of these groups.
    this.denyOutsideSecretsManager.addCondition('ArnNotEquals', {
      'kms:EncryptionContext:aws:logs:arn': arns,
    });
  }

  /** Adds an alias; the name is checked as KMS would (`alias/` and a name of your own). */
  public override addAlias(aliasName: string): kms.Alias {
    validateAliasName(this, 'alias', aliasName);
    return super.addAlias(aliasName);
  }

  /**
   * Lets the grantee decrypt with this key through Secrets Manager only. For a principal of
   * another account this adds a key-policy statement naming it; in this account it adds an
   * identity-policy statement to the grantee.
   */
  public grantDecryptViaSecretsManager(grantee: iam.IGrantable): iam.Grant {
    return grantDecryptViaSecretsManager(this, grantee);
  }

  /**
   * Lets the grantee encrypt new secret versions with this key, through Secrets Manager only.
   */
  public grantEncryptViaSecretsManager(grantee: iam.IGrantable): iam.Grant {
    return grantEncryptViaSecretsManager(this, grantee);
  }

  /**
   * Lets the grantee decrypt with this key through Secrets Manager only, like
   * `grantDecryptViaSecretsManager`: the grantee can read secrets encrypted with the key, and use the
   * key for nothing else. (aws-cdk-lib's `kms.Key` would allow `kms:Decrypt` from anywhere.)
   */
  public override grantDecrypt(grantee: iam.IGrantable): iam.Grant {
    return grantViaSecretsManager(this, grantee, KEY_DECRYPT_ACTIONS);
  }

  /**
   * Lets the grantee encrypt with this key through Secrets Manager only, like
   * `grantEncryptViaSecretsManager`.
   */
  public override grantEncrypt(grantee: iam.IGrantable): iam.Grant {
    return grantViaSecretsManager(this, grantee, KEY_ENCRYPT_ACTIONS);
  }

  /** Lets the grantee decrypt and encrypt with this key through Secrets Manager only. */
  public override grantEncryptDecrypt(grantee: iam.IGrantable): iam.Grant {
    return grantViaSecretsManager(this, grantee, [...KEY_DECRYPT_ACTIONS, ...KEY_ENCRYPT_ACTIONS]);
  }

  /**
   * Grants `actions` on this key when the grantee is already limited to Secrets Manager of this
   * region (`new kms.ViaServicePrincipal('secretsmanager.<region>.amazonaws.com', principal)`, as
   * aws-cdk-lib's Secret and RotationSchedule pass it). Any other grant is refused: this is the path
   * every other service takes to its encryption key (an S3 bucket's, SQS queue's or SNS topic's grants
   * call it), and a vault key serves Secrets Manager only.
   */
  public override grant(grantee: iam.IGrantable, ...actions: string[]): iam.Grant {
    return this.grantIfThroughSecretsManager('grant', grantee, actions);
  }

  /** Refused: a vault key is a symmetric encryption key, used by Secrets Manager only. */
  public override grantSign(grantee: iam.IGrantable): iam.Grant {
    return this.refuseKeyUse('grantSign', grantee);
  }

  /** Refused: a vault key is a symmetric encryption key, used by Secrets Manager only. */
  public override grantVerify(grantee: iam.IGrantable): iam.Grant {
    return this.refuseKeyUse('grantVerify', grantee);
  }

  /** Refused: a vault key is a symmetric encryption key, used by Secrets Manager only. */
  public override grantSignVerify(grantee: iam.IGrantable): iam.Grant {
    return this.refuseKeyUse('grantSignVerify', grantee);
  }

  /** Refused: a vault key is a symmetric encryption key, used by Secrets Manager only. */
  public override grantGenerateMac(grantee: iam.IGrantable): iam.Grant {
    return this.refuseKeyUse('grantGenerateMac', grantee);
  }

  /** Refused: a vault key is a symmetric encryption key, used by Secrets Manager only. */
  public override grantVerifyMac(grantee: iam.IGrantable): iam.Grant {
    return this.refuseKeyUse('grantVerifyMac', grantee);
  }

  /**
   * Refused: the key's administrators are named in `keyAdmins` (matched by `aws:PrincipalArn` in the
   * key policy), and aws-cdk-lib's admin actions include `kms:Create*`, hence `kms:CreateGrant`.
   */
  public override grantAdmin(grantee: iam.IGrantable): iam.Grant {
    return refused(
      this,
      `grantAdmin(${grantee.grantPrincipal})`,
      "a vault key's administrators are named by ARN in its key policy, and aws-cdk-lib's admin actions include kms:Create* (kms:CreateGrant, which opens the key outside Secrets Manager)",
      'Name the principal in the `keyAdmins` prop (of the VaultKey or the SecretsVault)',
    );
  }

  /**
   * Adds a statement to the key policy. A Deny is always accepted (it only narrows); an Allow must
   * carry `StringEquals` `kms:ViaService` = Secrets Manager of this region, or it is refused: it would
   * open the key to some use outside Secrets Manager (an SNS subscription's statement for
   * `sns.amazonaws.com` is one).
   */
  public override addToResourcePolicy(
    statement: iam.PolicyStatement,
    allowNoOp?: boolean,
  ): iam.AddToResourcePolicyResult {
    const service = secretsManagerService(this);
    if (statement.effect === iam.Effect.ALLOW) {
      // Even through Secrets Manager only, a public principal would let every AWS account use the key.
      for (const principal of statement.principals) {
        validatePrincipal(this, 'addToResourcePolicy', principal, {
          allowService: true,
          allowOrganization: true,
        });
      }
    }
    if (statement.effect === iam.Effect.ALLOW && !limitedToService(this, statement.conditions, service)) {
      refused(
        this,
        `addToResourcePolicy(${describeStatement(statement)})`,
        `an Allow statement on a vault key must carry the condition StringEquals kms:ViaService = ${service}, so that the key stays usable through Secrets Manager only`,
        'Add that condition (kms.ViaServicePrincipal adds it), or give the other service a kms.Key of its own; a Deny statement is always accepted',
      );
    }
    return super.addToResourcePolicy(statement, allowNoOp);
  }

  /** Refused: see `refusedKeyImport`. */
  public static override fromKeyArn(scope: Construct, id: string, _keyArn: string): kms.IKey {
    return refusedKeyImport(scope, id, 'fromKeyArn');
  }

  /** Refused: see `refusedKeyImport`. */
  public static override fromCfnKey(cfnKey: kms.CfnKey): kms.IKey {
    return refusedKeyImport(cfnKey, undefined, 'fromCfnKey');
  }

  /** Refused: see `refusedKeyImport`. */
  public static override fromLookup(scope: Construct, id: string, _options: kms.KeyLookupOptions): kms.IKey {
    return refusedKeyImport(scope, id, 'fromLookup');
  }

  /**
   * The key's rule on the finished tree, whatever route a statement took: aws-cdk-lib's L1 grants
   * (`s3.BucketGrants.fromBucket(cfnBucket)` and the other services' traits call
   * `kms.KeyGrants.fromKey(cfnKey)`, which no member of this class sees), `key.grants`, escape
   * hatches. Every Allow that uses the key, in its key policy or in an IAM policy of this stack naming
   * it (a role's, a user's or a group's, inline or managed), must carry `kms:ViaService` = Secrets
   * Manager of this region; the only exception is the CloudWatch Logs statement `allowLogGroup`
   * writes, as it wrote it.
   */
  private checkUseThroughSecretsManagerOnly(): string[] {
    const stack = Stack.of(this);
    const service = secretsManagerService(this);
    const keyArn = JSON.stringify(stack.resolve(this.keyArn));
    const errors: string[] = [];
    const check = (where: string, document: unknown, onThisKey: (resource: unknown) => boolean) => {
      for (const statement of statementsOf(stack.resolve(document))) {
        if (statement.Effect !== 'Allow' || !allowsKeyUse(statement)) continue;
        if (this.isLogGroupStatement(statement)) continue;
        if (![statement.Resource].flat().some(onThisKey)) continue;
        if (limitedToService(this, statement.Condition, service)) continue;
        errors.push(
          `${ownerName(this)}: ${where} allows ${[statement.Action ?? 'NotAction'].flat().join(' ')} on this key without kms:ViaService = ${service}. ` +
            'Something granted the key outside Secrets Manager (an L1 grant such as s3.BucketGrants.fromBucket(cfnBucket) on a resource encrypted with this key, key.grants, or an escape hatch); ' +
            "give that resource a kms.Key of its own, and let principals read secrets with grantRead or this key's grantDecrypt.",
        );
      }
    };
    check('its key policy', (this.node.defaultChild as kms.CfnKey).keyPolicy, () => true);
    const identity = (resource: unknown) => JSON.stringify(resource) === keyArn;
    for (const c of stack.node.findAll()) {
      if (c instanceof iam.CfnPolicy || c instanceof iam.CfnManagedPolicy || c instanceof iam.CfnRolePolicy) {
        check(c.node.path, c.policyDocument, identity);
      } else if (c instanceof iam.CfnRole || c instanceof iam.CfnUser || c instanceof iam.CfnGroup) {
        for (const inline of (stack.resolve(c.policies) ?? []) as Array<{
          policyDocument?: unknown;
          PolicyDocument?: unknown;
        }>) {
          check(c.node.path, inline.policyDocument ?? inline.PolicyDocument, identity);
        }
      }
    }
    return errors;
  }

  /**
   * Whether a rendered statement is the CloudWatch Logs Allow of `allowLogGroup`: the same principal,
   * resource and condition, and no action but those it allows (policy minimization may sort them).
   */
  private isLogGroupStatement(statement: StatementJson & { readonly Principal?: unknown }): boolean {
    if (!this.logGroupStatement || statement.NotAction !== undefined) return false;
    const own = Stack.of(this).resolve(this.logGroupStatement.toStatementJson()) as typeof statement;
    const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
    return (
      same(statement.Principal, own.Principal) &&
      same(statement.Resource, own.Resource) &&
      same(statement.Condition, own.Condition) &&
      [statement.Action ?? []].flat().every((action) => LOG_GROUP_KEY_ACTIONS.includes(action))
    );
  }

  /**
   * Turning rotation off and destroying the key are allowed, and each deserves a second look. A
   * SecretsVault that chose them for its key warns once itself, and acknowledges this one.
   */
  private warnAboutLoosening(enableKeyRotation: boolean, removalPolicy?: RemovalPolicy): void {
    const owner = ownerName(this);
    if (!enableKeyRotation) {
      Annotations.of(this).addWarningV2(
        KEY_ROTATION_OFF_WARNING,
        `${owner}: \`enableKeyRotation\` is false: the same key material protects every secret version for the key's whole life. Leave rotation on unless a rule of yours forbids it.`,
      );
    }
    if (removalPolicy === RemovalPolicy.DESTROY) {
      Annotations.of(this).addWarningV2(
        KEY_DESTROYED_WARNING,
        `${owner}: \`removalPolicy\` is DESTROY: when the key leaves the stack KMS deletes it after its pending window, and every secret version encrypted with it becomes unreadable. Use RETAIN outside throwaway environments.`,
      );
    }
  }

  /** The key's own statements: written by this class, so exempt from the rule for added statements. */
  private addOwnStatement(statement: iam.PolicyStatement): void {
    super.addToResourcePolicy(statement);
  }

  private grantIfThroughSecretsManager(
    member: string,
    grantee: iam.IGrantable,
    actions: string[],
  ): iam.Grant {
    if (!principalLimitedToService(this, grantee.grantPrincipal, secretsManagerService(this))) {
      refused(
        this,
        `${member}(${grantee.grantPrincipal}, ${actions.join(' ')})`,
        `a vault key is usable through Secrets Manager only, and this grant is not limited to it (kms:ViaService = ${secretsManagerService(this)})`,
        "Let principals read or write secrets with VaultSecret.grantRead/grantWrite or SecretsVault.grantRead, or with this key's grantDecrypt, grantEncrypt, grantDecryptViaSecretsManager or grantEncryptViaSecretsManager; give other services (S3, SQS, SNS, Lambda, CloudWatch Logs) a kms.Key of their own",
      );
    }
    return super.grant(grantee, ...actions);
  }

  private refuseKeyUse(member: string, grantee: iam.IGrantable): never {
    return refused(
      this,
      `${member}(${grantee.grantPrincipal})`,
      'a vault key is a symmetric encryption key that only Secrets Manager uses: it cannot sign, verify or compute MACs',
      'Use a kms.Key with the key spec and usage you need',
    );
  }
}

/**
 * Refuses VaultKey's inherited imports: they return a plain `kms.IKey` whose grants have none of the
 * vault rules (`grantDecrypt` on it allows `kms:Decrypt` without `kms:ViaService`).
 */
function refusedKeyImport(scope: IConstruct, id: string | undefined, member: string): never {
  return refusedImport(
    scope,
    id,
    `VaultKey.${member}`,
    "it would return a plain kms.IKey whose grants have none of a VaultKey's rules (grantDecrypt on it allows kms:Decrypt from anywhere)",
    `Let readers read through the VaultSecret or SecretsVault that owns the key (grantRead); import the key with kms.Key.${member} only for what needs its ARN`,
  );
}

/**
 * Warning ids, so that a vault can say it once for its key (a user acknowledges them by the id the
 * warning shows).
 *
 * @internal
 */
export const KEY_ROTATION_OFF_WARNING = 'cdk-secrets-vault:key-rotation-off';
/** @internal */
export const KEY_DESTROYED_WARNING = 'cdk-secrets-vault:key-destroyed-with-stack';

/** Validates a KMS alias name: `alias/` and 1 to 250 of letters, digits, `/ _ -`, not `alias/aws/...`. */
function validateAliasName(owner: Owner, prop: string, aliasName: string | undefined): void {
  if (aliasName === undefined || Token.isUnresolved(aliasName)) return;
  if (!ALIAS_NAME.test(aliasName) || aliasName.startsWith('alias/aws/')) {
    invalid(
      owner,
      prop,
      aliasName,
      'allowed: `alias/` followed by 1 to 250 letters, digits, / _ -, not starting with `alias/aws/`',
    );
  }
}

/** A statement's Sid and actions, for a message: never its principals' values or conditions. */
function describeStatement(statement: iam.PolicyStatement): string {
  return `${statement.sid ? `"${statement.sid}" ` : ''}allowing ${statement.actions.join(' ') || 'NotAction'}`;
}
