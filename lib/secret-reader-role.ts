import { Duration, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ManagedPolicyRole } from './private/managed-policy-role';
import { invalid } from './private/validation';

/** IAM allows a role's maximum session from 1 to 12 hours. */
export const MIN_SESSION_HOURS = 1;
export const MAX_SESSION_HOURS = 12;

/**
 * Options of a SecretReaderRole, as `SecretsVault.addReaderRole` takes them.
 */
export interface SecretReaderRoleOptions {
  /**
   * Who may assume the role: a service (`new iam.ServicePrincipal('lambda.amazonaws.com')`,
   * `ecs-tasks.amazonaws.com`), an account, or another role.
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
   * External ids a principal of another account must present to assume the role.
   *
   * @default - none
   */
  readonly externalIds?: string[];

  /**
   * A name for the role.
   *
   * @default - a name CloudFormation generates
   */
  readonly roleName?: string;

  /**
   * A description of the role.
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
   * name its stage, or Secrets Manager denies it.
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
    if (!Token.isUnresolved(maxSessionDuration.toSeconds())) {
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
    if (props.secrets !== undefined && props.secrets.length === 0) {
      invalid(
        owner,
        'secrets',
        props.secrets,
        'name at least one secret, or leave it out and grant secrets afterwards',
      );
    }
    if (props.versionStages !== undefined && props.versionStages.length === 0) {
      invalid(
        owner,
        'versionStages',
        props.versionStages,
        'name at least one stage, or leave it out for every stage',
      );
    }
    if (props.versionStages !== undefined && props.secrets === undefined) {
      invalid(owner, 'versionStages', props.versionStages, 'it limits `secrets`, which is not set');
    }

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

    this.node.addValidation({
      validate: () =>
        this.readsSecrets
          ? []
          : [
              `${owner} reads no secret: pass \`secrets\`, or grant some with vault.grantRead(role) or secret.grantRead(role).`,
            ],
    });
  }

  protected onStatementAdded(statement: iam.PolicyStatement): void {
    this.readsSecrets ||= statement.actions.includes('secretsmanager:GetSecretValue');
  }
}
