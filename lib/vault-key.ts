import { Duration, Names, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import {
  KEY_ADMIN_ACTIONS,
  KEY_CRYPTO_ACTIONS,
  KEY_GRANT_ACTIONS,
  KEY_USE_VIA_SECRETS_MANAGER_ACTIONS,
} from './private/actions';
import {
  grantDecryptViaSecretsManager,
  grantEncryptViaSecretsManager,
  secretsManagerService,
} from './private/grants';
import {
  BREAK_GLASS_SERVICE_HINT,
  deploymentRoleArn,
  distinct,
  KEY_ADMIN_SERVICE_HINT,
  nonEmpty,
  principalArnPatterns,
} from './private/principals';
import { invalid, validateDays } from './private/validation';

/** KMS allows automatic rotation periods from 90 to 2560 days. */
export const MIN_KEY_ROTATION_DAYS = 90;
export const MAX_KEY_ROTATION_DAYS = 2560;
/** KMS waits 7 to 30 days before it deletes a key scheduled for deletion. */
export const MIN_PENDING_WINDOW_DAYS = 7;
export const MAX_PENDING_WINDOW_DAYS = 30;

const ALIAS_NAME = /^alias\/[A-Za-z0-9/_-]{1,250}$/;

/**
 * Properties of a VaultKey.
 */
export interface VaultKeyProps {
  /**
   * The alias of the key, starting with `alias/`.
   *
   * @default `alias/secrets-vault/<unique id of this construct>`
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

  constructor(scope: Construct, id: string, props: VaultKeyProps = {}) {
    const owner = `VaultKey ${scope.node.path}/${id}`;
    validateDays(owner, 'rotationPeriod', props.rotationPeriod, MIN_KEY_ROTATION_DAYS, MAX_KEY_ROTATION_DAYS);
    validateDays(
      owner,
      'pendingWindow',
      props.pendingWindow,
      MIN_PENDING_WINDOW_DAYS,
      MAX_PENDING_WINDOW_DAYS,
    );
    if (props.enableKeyRotation === false && props.rotationPeriod !== undefined) {
      invalid(
        owner,
        'rotationPeriod',
        props.rotationPeriod,
        'a rotation period needs `enableKeyRotation` left on; remove one of the two',
      );
    }
    if (props.alias !== undefined && !Token.isUnresolved(props.alias)) {
      if (!ALIAS_NAME.test(props.alias) || props.alias.startsWith('alias/aws/')) {
        invalid(
          owner,
          'alias',
          props.alias,
          'allowed: `alias/` followed by 1 to 250 letters, digits, / _ -, not starting with `alias/aws/`',
        );
      }
    }

    const enableKeyRotation = props.enableKeyRotation ?? true;
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
      policy: new iam.PolicyDocument(),
    });

    const stack = Stack.of(this);
    this.viaService = secretsManagerService(this);
    this.deploymentRoleArn = deploymentRoleArn(this, owner, props.deploymentRole);
    this.administratorArns = distinct([
      this.deploymentRoleArn,
      ...nonEmpty(owner, 'keyAdmins', props.keyAdmins).flatMap((p) =>
        principalArnPatterns(owner, 'keyAdmins', p, { serviceHint: KEY_ADMIN_SERVICE_HINT }),
      ),
      ...(props.breakGlass
        ? principalArnPatterns(owner, 'breakGlass', props.breakGlass, {
            allowAccount: false,
            serviceHint: BREAK_GLASS_SERVICE_HINT,
          })
        : []),
    ]);
    const account = new iam.AccountRootPrincipal();
    const viaSecretsManager = {
      StringEquals: { 'kms:ViaService': this.viaService, 'kms:CallerAccount': stack.account },
    };

    this.addToResourcePolicy(
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
    this.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'UseThroughSecretsManagerOnly',
        principals: [account],
        actions: KEY_USE_VIA_SECRETS_MANAGER_ACTIONS,
        resources: ['*'],
        conditions: viaSecretsManager,
      }),
    );
    this.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'SecretsManagerCreatesGrantsForItsResourcesOnly',
        principals: [account],
        actions: KEY_GRANT_ACTIONS,
        resources: ['*'],
        conditions: { ...viaSecretsManager, Bool: { 'kms:GrantIsForAWSResource': 'true' } },
      }),
    );
    this.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyGrantsNotForAwsResources',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: KEY_GRANT_ACTIONS,
        resources: ['*'],
        // A grant lets its holder decrypt outside Secrets Manager; absent counts as false.
        conditions: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false' } },
      }),
    );
    this.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyUseOutsideSecretsManager',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: KEY_CRYPTO_ACTIONS,
        resources: ['*'],
        // Binds every statement added later too: none can open direct use of the key.
        conditions: { StringNotEquals: { 'kms:ViaService': this.viaService } },
      }),
    );

    this.addAlias(props.alias ?? `alias/secrets-vault/${Names.uniqueResourceName(this, { maxLength: 200 })}`);
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
}
