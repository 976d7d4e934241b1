import { RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { SecretsVault } from '../../lib';
import { bundledAssetPath } from '../../lib/private/assets';

export interface VaultStackProps extends StackProps {
  /** How many secrets the vault holds; each rotates (the vault's default schedule). */
  readonly secrets: number;

  /** A role of another account named in every secret's resource policy. */
  readonly partnerReaderArn: string;

  /**
   * Watch the vault with a SecretsAudit (when lib/secrets-audit exists).
   *
   * @default false
   */
  readonly audit?: boolean;
}

/** The part of SecretsAudit the benchmark uses; loaded at run time because it may not exist yet. */
type SecretsAuditClass = new (scope: Construct, id: string, props: { vaults: SecretsVault[] }) => Construct;

/** SecretsAudit from lib/secrets-audit, or undefined while that module does not exist. */
export function loadSecretsAudit(): SecretsAuditClass | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('../../lib/secrets-audit').SecretsAudit as SecretsAuditClass;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') return undefined;
    throw error;
  }
}

/**
 * Our library doing the baseline's job at N secrets: one SecretsVault (key, N rotating secrets,
 * one rotation function), the partner named in every secret's resource policy, a reader role used
 * by an application function, and optionally a SecretsAudit.
 */
export class VaultStack extends Stack {
  constructor(scope: Construct, id: string, props: VaultStackProps) {
    super(scope, id, props);
    const vault = new SecretsVault(this, 'Vault', { namePrefix: 'bench/orders' });
    vault.addReader(new iam.ArnPrincipal(props.partnerReaderArn));
    const secrets = Array.from({ length: props.secrets }, (_, i) => vault.addSecret(`Secret${i}`));

    const role = vault.addReaderRole('AppRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    const logGroup = new logs.LogGroup(this, 'AppLogs', {
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    logGroup.grantWrite(role);
    new lambda.Function(this, 'App', {
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(bundledAssetPath('example-reader')),
      role,
      logGroup,
      environment: {
        SECRET_ARN: secrets.length > 0 ? secrets[0].secretArn : '',
        SECRET_CACHE_TTL_SECONDS: '60',
      },
    });

    if (props.audit) {
      const SecretsAudit = loadSecretsAudit();
      if (!SecretsAudit) throw new Error('lib/secrets-audit does not exist yet');
      new SecretsAudit(this, 'Audit', { vaults: [vault] });
    }
  }
}
