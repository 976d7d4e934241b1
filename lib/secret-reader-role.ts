import { Annotations, Duration, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ManagedPolicyRole } from './private/managed-policy-role';
import {
  invalid,
  PrincipalScope,
  validateExternalIds,
  validatePrincipal,
  validateText,
  validateVersionStages,
} from './private/validation';

/** IAM allows a role's maximum session from 1 to 12 hours. */
export const MIN_SESSION_HOURS = 1;
export const MAX_SESSION_HOURS = 12;

/** IAM's limits on a role's name and description. */
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
const MAX_ROLE_DESCRIPTION_LENGTH = 1000;

/**
 * Options of a SecretReaderRole, as `SecretsVault.addReaderRole` takes them.
 */
export interface SecretReaderRoleOptions {
  /**
   * Who may assume the role: a service (`new iam.ServicePrincipal('lambda.amazonaws.com')`,
   * `ecs-tasks.amazonaws.com`), an account (12 digits), or another role. A public principal
   * (`AnyPrincipal`, `StarPrincipal`, `*`) is refused; an organization principal is accepted with a
   * warning (every principal of the organization could read the secrets).
   */
  readonly assumedBy: iam.IPrincipal;

  /**
   * The longest session a principal may get when it assumes the role (1 to 12 hours). Short
   * sessions keep the credentials temporary.
   *
   * @default Duration.hours(1)
   */
  readonly maxSessionDuration?: Duration;

  /**
   * External ids a principal of another account must present to assume the role (2 to 1224
   * characters each). Not with a service principal: a service presents no external id.
   *
   * @default - none
   */
  readonly externalIds?: string[];

  /**
   * A name for the role (1 to 64 letters, digits and `+ = , . @ _ -`).
   *
   * @default - a name CloudFormation generates
   */
  readonly roleName?: string;

  /**
   * A description of the role (1 to 1000 characters).
   *
   * @default 'Reads secrets of cdk-secrets-vault with short-lived credentials'
   */
  readonly description?: string;
}

/**
 * Properties of a SecretReaderRole.
 */
export interface SecretReaderRoleProps extends SecretReaderRoleOptions {
  /**
   * The secrets the role reads. More can be granted later (`secret.grantRead(role)`,
   * `vault.grantRead(role)`); a role that reads nothing fails synth.
   *
   * @default - none here; grant them afterwards
   */
  readonly secrets?: secretsmanager.ISecret[];

  /**
   * Limit reads of `secrets` to these version stages (e.g. `['AWSCURRENT']`). A request must then
   * name its stage, or Secrets Manager denies it. A misspelt AWS stage is refused; a label of your
   * own is accepted with a warning (no version carries it until someone labels one).
   *
   * @default - every stage
   */
  readonly versionStages?: string[];
}

/**
 * The identity-based route: an IAM role that applications and services assume (short-lived STS
 * credentials) to read and decrypt specific secrets. Every permission the role gets goes into one
 * customer-managed policy, `Policy`, so it can be reviewed in one place.
 */
export class SecretReaderRole extends ManagedPolicyRole {
  private readsSecrets = false;

  constructor(scope: Construct, id: string, props: SecretReaderRoleProps) {
    const owner = `SecretReaderRole ${scope.node.path}/${id}`;
    const maxSessionDuration = props.maxSessionDuration ?? Duration.hours(MIN_SESSION_HOURS);
    const { assumedBy, customStages } = validateProps(owner, props, maxSessionDuration);

    super(scope, id, {
      assumedBy: props.assumedBy,
      maxSessionDuration,
      externalIds: props.externalIds,
      roleName: props.roleName,
      description: props.description ?? 'Reads secrets of cdk-secrets-vault with short-lived credentials',
    });
    for (const secret of props.secrets ?? []) {
      secret.grantRead(this, props.versionStages);
    }
    this.warnOfLoosenings(owner, assumedBy, customStages);

    this.node.addValidation({
      validate: () =>
        this.readsSecrets
          ? []
          : [
              `${owner} reads no secret: pass \`secrets\`, or grant some with vault.grantRead(role) or secret.grantRead(role).`,
            ],
    });
  }

  /** Choices that are legitimate but widen who reads, or deny every read until someone acts. */
  private warnOfLoosenings(owner: string, assumedBy: PrincipalScope[], customStages: string[]): void {
    if (assumedBy.includes(PrincipalScope.ORGANIZATION)) {
      Annotations.of(this).addWarningV2(
        'cdk-secrets-vault:organization-assumes-reader-role',
        `${owner}: \`assumedBy\` is an organization principal: every principal of every account of the organization may assume this role and read its secrets. Name the roles or accounts that need them instead.`,
      );
    }
    if (customStages.length > 0) {
      Annotations.of(this).addWarningV2(
        'cdk-secrets-vault:custom-version-stage',
        `${owner}: \`versionStages\` names ${customStages.map((s) => `"${s}"`).join(', ')}, which Secrets Manager never sets: reads are denied until someone labels a version with it. Use AWSCURRENT (or AWSPREVIOUS) unless you label versions yourself.`,
      );
    }
  }

  protected onStatementAdded(statement: iam.PolicyStatement): void {
    this.readsSecrets ||= statement.actions.includes('secretsmanager:GetSecretValue');
  }
}

/** Every prop's check, in the order of the props; returns what the warnings need. */
function validateProps(
  owner: string,
  props: SecretReaderRoleProps,
  maxSessionDuration: Duration,
): { assumedBy: PrincipalScope[]; customStages: string[] } {
  const assumedBy = validateAssumedBy(owner, props);
  validateSessionDuration(owner, maxSessionDuration);
  validateExternalIds(owner, 'externalIds', props.externalIds);
  if (
    props.roleName !== undefined &&
    !Token.isUnresolved(props.roleName) &&
    !ROLE_NAME.test(props.roleName)
  ) {
    invalid(owner, 'roleName', props.roleName, 'allowed: 1 to 64 letters, digits and + = , . @ _ -');
  }
  validateText(owner, 'description', props.description, MAX_ROLE_DESCRIPTION_LENGTH);
  if (props.secrets !== undefined && props.secrets.length === 0) {
    invalid(
      owner,
      'secrets',
      props.secrets,
      'name at least one secret, or leave it out and grant secrets afterwards',
    );
  }
  const customStages = validateVersionStages(owner, 'versionStages', props.versionStages);
  if (props.versionStages !== undefined && props.secrets === undefined) {
    invalid(owner, 'versionStages', props.versionStages, 'it limits `secrets`, which is not set');
  }
  return { assumedBy, customStages };
}

/**
 * The principal that assumes the role must be named: never public. A service assumes roles for
 * resources of this account (Lambda, ECS), but it presents no external id.
 */
function validateAssumedBy(owner: string, props: SecretReaderRoleOptions): PrincipalScope[] {
  const scopes = validatePrincipal(owner, 'assumedBy', props.assumedBy, {
    allowService: true,
    allowAccount: true,
    allowOrganization: true,
  });
  if (props.externalIds !== undefined && scopes.includes(PrincipalScope.SERVICE)) {
    invalid(
      owner,
      'externalIds',
      props.externalIds,
      `a service principal (${props.assumedBy}) presents no external id, so it could never assume the role: leave \`externalIds\` out, and narrow the service with conditions instead (iam.PrincipalWithConditions with aws:SourceAccount or aws:SourceArn)`,
    );
  }
  return scopes;
}

function validateSessionDuration(owner: string, maxSessionDuration: Duration): void {
  if (maxSessionDuration.isUnresolved()) return;
  const seconds = maxSessionDuration.toSeconds();
  if (seconds < MIN_SESSION_HOURS * 3600 || seconds > MAX_SESSION_HOURS * 3600) {
    invalid(
      owner,
      'maxSessionDuration',
      maxSessionDuration,
      `allowed: ${MIN_SESSION_HOURS} to ${MAX_SESSION_HOURS} hours`,
    );
  }
}
