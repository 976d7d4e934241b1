import { Annotations, Duration, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ManagedPolicyRole } from './private/managed-policy-role';
import {
  invalid,
  knownToDiffer,
  Owner,
  ownerName,
  PrincipalScope,
  summary,
  validateExternalIds,
  validatePrincipal,
  validateText,
  validateVersionStages,
} from './private/validation';

/** IAM allows a role's maximum session from 1 to 12 hours. */
const MIN_SESSION_HOURS = 1;
const MAX_SESSION_HOURS = 12;

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
    const maxSessionDuration = props.maxSessionDuration ?? Duration.hours(MIN_SESSION_HOURS);
    super(scope, id, {
      assumedBy: props.assumedBy,
      externalIds: props.externalIds,
      ...checkedByRole(props, maxSessionDuration),
    });
    const { assumedBy, customStages } = validateProps(this, props, maxSessionDuration);

    for (const secret of props.secrets ?? []) {
      secret.grantRead(this, props.versionStages);
    }
    this.warnOfLoosenings(assumedBy, customStages);
    this.node.addValidation({
      validate: () =>
        this.readsSecrets
          ? []
          : [
              `${ownerName(this)} reads no secret: pass \`secrets\`, or grant some with vault.grantRead(role) or secret.grantRead(role).`,
            ],
    });
  }

  /** Choices that are legitimate but widen who reads, or deny every read until someone acts. */
  private warnOfLoosenings(assumedBy: PrincipalScope[], customStages: string[]): void {
    if (assumedBy.includes(PrincipalScope.ORGANIZATION)) {
      Annotations.of(this).addWarningV2(
        'cdk-secrets-vault:organization-assumes-reader-role',
        `${ownerName(this)}: \`assumedBy\` is an organization principal: every principal of every account of the organization may assume this role and read its secrets. Name the roles or accounts that need them instead.`,
      );
    }
    if (customStages.length > 0) {
      Annotations.of(this).addWarningV2(
        'cdk-secrets-vault:custom-version-stage',
        `${ownerName(this)}: \`versionStages\` names ${customStages.map((s) => `"${s}"`).join(', ')}, which Secrets Manager never sets: reads are denied until someone labels a version with it. Use AWSCURRENT (or AWSPREVIOUS) unless you label versions yourself.`,
      );
    }
  }

  protected onStatementAdded(statement: iam.PolicyStatement): void {
    this.readsSecrets ||= statement.actions.includes('secretsmanager:GetSecretValue');
  }
}

/**
 * What iam.Role gets of the props it checks itself. It refuses a role name, a session duration or a
 * description beyond IAM's limits with a message that names neither the construct nor the value: such
 * a value is held back here, and validateProps refuses it right after, with a message that does.
 */
function checkedByRole(
  props: SecretReaderRoleProps,
  maxSessionDuration: Duration,
): Pick<iam.RoleProps, 'roleName' | 'maxSessionDuration' | 'description'> {
  const { roleName, description } = props;
  return {
    roleName: roleName === undefined || isRoleName(roleName) ? roleName : undefined,
    maxSessionDuration:
      sessionDurationProblem(maxSessionDuration) === undefined ? maxSessionDuration : undefined,
    description:
      description !== undefined &&
      !Token.isUnresolved(description) &&
      description.length > MAX_ROLE_DESCRIPTION_LENGTH
        ? undefined
        : (description ?? 'Reads secrets of cdk-secrets-vault with short-lived credentials'),
  };
}

/** Every prop's check, in the order of the props; returns what the warnings need. */
function validateProps(
  role: SecretReaderRole,
  props: SecretReaderRoleProps,
  maxSessionDuration: Duration,
): { assumedBy: PrincipalScope[]; customStages: string[] } {
  const assumedBy = validateAssumedBy(role, props);
  const sessionProblem = sessionDurationProblem(maxSessionDuration);
  if (sessionProblem !== undefined) {
    invalid(role, 'maxSessionDuration', sessionProblem.received, sessionProblem.allowed);
  }
  validateExternalIds(role, 'externalIds', props.externalIds);
  if (props.roleName !== undefined && !isRoleName(props.roleName)) {
    invalid(role, 'roleName', props.roleName, 'allowed: 1 to 64 letters, digits and + = , . @ _ -');
  }
  validateText(role, 'description', props.description, MAX_ROLE_DESCRIPTION_LENGTH);
  validateSecrets(role, props.secrets);
  const customStages = validateVersionStages(role, 'versionStages', props.versionStages);
  if (props.versionStages !== undefined && props.secrets === undefined) {
    invalid(role, 'versionStages', props.versionStages, 'it limits `secrets`, which is not set');
  }
  return { assumedBy, customStages };
}

function isRoleName(name: string): boolean {
  return Token.isUnresolved(name) || ROLE_NAME.test(name);
}

/**
 * Secrets to grant: at least one when the prop is given, and each of the role's own region. A role's
 * grants are made in its stack: it cannot reference a secret that another region's stack defines, and
 * aws-cdk-lib's grant on an imported secret names Secrets Manager of the importing stack's region
 * (`kms:ViaService`).
 */
function validateSecrets(role: SecretReaderRole, secrets: secretsmanager.ISecret[] | undefined): void {
  if (secrets === undefined) return;
  if (secrets.length === 0) {
    invalid(
      role,
      'secrets',
      secrets,
      'name at least one secret, or leave it out and grant secrets afterwards',
    );
  }
  const region = Stack.of(role).region;
  for (const secret of secrets) {
    const secretRegion = secret.env.region;
    if (knownToDiffer(secretRegion, region)) {
      invalid(
        role,
        'secrets',
        summary(`secret ${secret.node.path} of region ${secretRegion}`),
        `a reader role reads the secrets of its own stack's region (${region}): a secret defined in another region's stack cannot be referenced from this one, and the KMS grant for an imported one would name Secrets Manager in ${region}, not ${secretRegion}. Create the reader role in a stack of ${secretRegion}, or replicate the secret to ${region} and read the replica there`,
      );
    }
  }
}

/**
 * The principal that assumes the role must be named: never public. A service assumes roles for
 * resources of this account (Lambda, ECS), but it presents no external id.
 */
function validateAssumedBy(owner: Owner, props: SecretReaderRoleOptions): PrincipalScope[] {
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

/** Why IAM would refuse a maximum session: outside 1 to 12 hours, or a token (iam.Role needs a literal). */
function sessionDurationProblem(duration: Duration): { received: unknown; allowed: string } | undefined {
  const allowed = `allowed: ${MIN_SESSION_HOURS} to ${MAX_SESSION_HOURS} hours`;
  if (duration.isUnresolved()) {
    return {
      received: summary('a token'),
      allowed: `${allowed}, as a literal duration (iam.Role checks it at synth)`,
    };
  }
  const seconds = duration.toSeconds();
  if (seconds < MIN_SESSION_HOURS * 3600 || seconds > MAX_SESSION_HOURS * 3600) {
    return { received: duration, allowed };
  }
  return undefined;
}
