import { RemovalPolicy, Stack, StackProps, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { SecretContent, SecretReaderRole, SecretsAudit, SecretsVault } from '../lib';
import { bundledAssetPath } from '../lib/private/assets';

export interface ExampleStackProps extends StackProps {
  /**
   * A role of a partner account that reads the database credential through the secret's resource
   * policy (the resource-based route).
   */
  readonly partnerReaderArn: string;
}

/**
 * The example app: a vault with an API key and a database credential, an application Lambda that
 * reads the API key through a SecretReaderRole (identity-based route), and a partner account's role
 * named in the database credential's resource policy (resource-based route).
 */
export class ExampleStack extends Stack {
  public readonly vault: SecretsVault;
  public readonly app: lambda.Function;
  public readonly audit: SecretsAudit;

  constructor(scope: Construct, id: string, props: ExampleStackProps) {
    super(scope, id, props);

    this.vault = new SecretsVault(this, 'Vault', { namePrefix: 'example/orders' });
    const apiKey = this.vault.addSecret('PaymentsApiKey', {
      description: 'API key the orders service uses to call the payments provider',
      content: SecretContent.generatedString({ length: 40, excludePunctuation: true }),
    });
    const db = this.vault.addSecret('OrdersDb', {
      description: 'Credential of the orders database application user',
      content: SecretContent.generatedJson(
        {
          engine: 'postgres',
          host: 'orders.db.internal',
          port: 5432,
          dbname: 'orders',
          username: 'orders_app',
        },
        'password',
        { excludeCharacters: '/@"\'\\:' },
      ),
    });

    // Audit: a trail of its own, metric filters, alarms on an encrypted topic and a dashboard.
    this.audit = new SecretsAudit(this, 'Audit', {
      vaults: [this.vault],
      alarmEmail: this.node.tryGetContext('auditEmail'),
    });

    // Resource-based route: the partner's role is named in the secret's resource policy, exempt from
    // its account boundary, and allowed to decrypt through Secrets Manager in the key policy.
    db.addReader(new iam.ArnPrincipal(props.partnerReaderArn));

    // Identity-based route: the function runs with a role that reads only the API key's current value.
    const role = new SecretReaderRole(this, 'AppRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      secrets: [apiKey],
      versionStages: ['AWSCURRENT'],
      description: 'Orders service: reads the payments API key',
    });
    const logGroup = new logs.LogGroup(this, 'AppLogs', {
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    logGroup.grantWrite(role);

    this.app = new lambda.Function(this, 'App', {
      description: 'Example application: reads its API key with GetSecretValue',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(bundledAssetPath('example-reader')),
      role,
      logGroup,
      environment: { SECRET_ARN: apiKey.secretArn, SECRET_CACHE_TTL_SECONDS: '60' },
    });

    Validations.of(logGroup).acknowledge({
      id: 'NIST.800.53.R5-CloudWatchLogGroupEncrypted',
      reason:
        'The function never logs secret values; CloudWatch Logs encrypts these logs at rest with its own keys.',
    });
    for (const [rule, reason] of [
      [
        'NIST.800.53.R5-LambdaConcurrency',
        'Example function invoked on demand; reserving concurrency would take it from the account pool of every deployer.',
      ],
      [
        'NIST.800.53.R5-LambdaDLQ',
        'Invoked synchronously only; the caller sees every failure, so there is no asynchronous event to dead-letter.',
      ],
      [
        'NIST.800.53.R5-LambdaInsideVPC',
        'It calls only the Secrets Manager API over TLS and reaches no private resource; a VPC would add NAT or endpoint cost to the example.',
      ],
    ] as const) {
      Validations.of(this.app).acknowledge({ id: rule, reason });
    }
  }
}
