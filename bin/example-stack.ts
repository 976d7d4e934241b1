import { Duration, RemovalPolicy, Stack, StackProps, Token, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';
import {
  DatabaseEngine,
  SecretContent,
  SecretReaderRole,
  SecretsAudit,
  SecretsVault,
  VaultDatabaseMaster,
} from '../lib';
import { bundledAssetPath } from '../lib/private/assets';
import {
  acknowledgeCompliance,
  acknowledgeRoleDependency,
  COMPLIANCE_RULES,
} from '../lib/private/compliance';

export interface ExampleStackProps extends StackProps {
  /**
   * A role of a partner account that reads the application's database credential through the secret's
   * resource policy (the resource-based route).
   */
  readonly partnerReaderArn: string;
}

/**
 * The example app: a PostgreSQL instance in isolated subnets whose master credential is a vault secret
 * (rotated by the vault, single user), one application user rotated with alternating users, an
 * application Lambda that reads that user's credential through a SecretReaderRole (identity-based
 * route), an API key, and a partner account's role named in the application credential's resource
 * policy (resource-based route).
 */
export class ExampleStack extends Stack {
  public readonly vault: SecretsVault;
  public readonly app: lambda.Function;
  public readonly audit: SecretsAudit;
  public readonly database: rds.DatabaseInstance;

  /**
   * Named rather than looked up: in a known environment aws-cdk-lib would ask AWS for the zones, and
   * `npx cdk synth` of the example needs no AWS credentials.
   */
  public override get availabilityZones(): string[] {
    return Token.isUnresolved(this.region) ? super.availabilityZones : [`${this.region}a`, `${this.region}b`];
  }

  constructor(scope: Construct, id: string, props: ExampleStackProps) {
    super(scope, id, props);

    // Isolated subnets are enough: the rotation function reaches Secrets Manager through an interface
    // endpoint, and nothing here needs the internet.
    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }],
      // Set either way: cdk.json's feature flag would otherwise add a custom resource under `cdk synth`
      // only. The default group has no member here.
      restrictDefaultSecurityGroup: false,
    });

    this.vault = new SecretsVault(this, 'Vault', {
      namePrefix: 'example/orders',
      rotationVpc: vpc,
      // A role kept for emergencies: it may administer the key and replace the secrets' policies (or
      // promote a replica while this region is down); the audit alarms on each of its calls.
      breakGlass: iam.Role.fromRoleName(this, 'BreakGlass', 'secrets-break-glass'),
    });
    this.vault.addSecret('PaymentsApiKey', {
      description: 'API key the orders service uses to call the payments provider',
      content: SecretContent.generatedString({ length: 40, excludePunctuation: true }),
    });

    // The database's master credential is a vault secret: RDS resolves the password from it, attaches
    // its endpoint to it, and the vault's function rotates it there.
    const master = new VaultDatabaseMaster(this.vault, 'OrdersDbMaster', {
      engine: DatabaseEngine.POSTGRES,
      // Not the engine's default name, which is the first one an attacker tries (Control Tower's CT.RDS.PR.22).
      username: 'orders_admin',
      description: 'Master credential of the orders database',
      secretsManagerEndpoint: true,
    });
    // The database's storage has a key of its own: the vault's key serves Secrets Manager only.
    const storageKey = new kms.Key(this, 'OrdersDbKey', {
      description: 'Encrypts the storage of the orders database',
      enableKeyRotation: true,
    });
    // Control Tower's CT.KMS.PR.3: grants only for AWS resources (RDS's own) or by AWS services.
    storageKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyGrantsNotForAwsResources',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['kms:CreateGrant'],
        resources: ['*'],
        conditions: {
          BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' },
        },
      }),
    );
    this.database = new rds.DatabaseInstance(this, 'OrdersDb', {
      engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17_6 }),
      instanceType: ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MICRO),
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      credentials: master.credentials,
      databaseName: 'orders',
      port: 5433,
      storageEncrypted: true,
      storageEncryptionKey: storageKey,
      allocatedStorage: 20,
      backupRetention: Duration.days(7),
      deletionProtection: true,
      cloudwatchLogsExports: ['postgresql', 'upgrade'],
      autoMinorVersionUpgrade: true,
      multiAz: true,
      monitoringInterval: Duration.seconds(60),
      iamAuthentication: true,
      removalPolicy: RemovalPolicy.SNAPSHOT,
    });
    // The application's own user: two users take turns, so its credential keeps working through rotations.
    const db = master.addUser('OrdersApp', {
      username: 'orders_app',
      dbname: 'orders',
      description: 'Credential of the orders database application user',
    });

    // Audit: a trail of its own, metric filters, alarms on an encrypted topic and a dashboard.
    this.audit = new SecretsAudit(this, 'Audit', {
      vaults: [this.vault],
      alarmEmail: this.node.tryGetContext('auditEmail'),
    });

    // Resource-based route: the partner's role is named in the secret's resource policy, exempt from
    // its account boundary, and allowed to decrypt through Secrets Manager in the key policy.
    db.addReader(new iam.ArnPrincipal(props.partnerReaderArn));

    // Identity-based route: the function runs with a role that reads only its database credential's
    // current value.
    const role = new SecretReaderRole(this, 'AppRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      secrets: [db],
      versionStages: ['AWSCURRENT'],
      description: 'Orders service: reads its database credential',
    });
    const logGroup = new logs.LogGroup(this, 'AppLogs', {
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    logGroup.grantWrite(role);

    this.app = new lambda.Function(this, 'App', {
      description: 'Example application: reads its database credential with GetSecretValue',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(bundledAssetPath('example-reader')),
      role,
      logGroup,
      memorySize: 256,
      timeout: Duration.seconds(10),
      tracing: lambda.Tracing.ACTIVE,
      environment: { SECRET_ARN: db.secretArn, SECRET_CACHE_TTL_SECONDS: '60' },
    });
    acknowledgeRoleDependency(this.app);
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray’s PutTraceSegments and PutTelemetryRecords act on no resource; IAM accepts only "*" for them.',
    });

    // Each reason holds for every pack that raises the rule: one acknowledgement per pack's id.
    const acknowledge = (scope: Construct, ids: string[], reason: string) =>
      Validations.of(scope).acknowledge(...ids.map((id) => ({ id, reason })));
    const flowLogs =
      'The example VPC carries only the database and its rotation; flow logs (and what they cost) belong to the account’s network baseline, not to a secrets example.';
    acknowledge(
      vpc,
      [
        'AwsSolutions-VPC7',
        'NIST.800.53.R5-VPCFlowLogsEnabled',
        'HIPAA.Security-VPCFlowLogsEnabled',
        'PCI.DSS.321-VPCFlowLogsEnabled',
      ],
      flowLogs,
    );
    acknowledge(
      vpc,
      [
        'NIST.800.53.R5-VPCDefaultSecurityGroupClosed',
        'HIPAA.Security-VPCDefaultSecurityGroupClosed',
        'PCI.DSS.321-VPCDefaultSecurityGroupClosed',
      ],
      'Nothing is placed in the default security group: the database, the rotation function and the endpoint each have their own.',
    );
    acknowledge(
      this.database,
      ['NIST.800.53.R5-RDSInBackupPlan', 'HIPAA.Security-RDSInBackupPlan'],
      'Automated backups are kept 7 days and deletion leaves a snapshot; an AWS Backup plan is the account’s backup policy, outside this example.',
    );
    Validations.of(this.database).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]',
      reason:
        'Enhanced monitoring needs the AWS-managed AmazonRDSEnhancedMonitoringRole policy on the role RDS assumes to publish OS metrics.',
    });

    acknowledgeCompliance(
      logGroup,
      COMPLIANCE_RULES.logGroupEncrypted,
      'The function never logs secret values; CloudWatch Logs encrypts these logs at rest with its own keys.',
    );
    acknowledgeCompliance(
      this.app,
      COMPLIANCE_RULES.lambdaConcurrency,
      'Example function invoked on demand; reserving concurrency would take it from the account pool of every deployer.',
    );
    acknowledgeCompliance(
      this.app,
      COMPLIANCE_RULES.lambdaDeadLetterQueue,
      'Invoked synchronously only; the caller sees every failure, so there is no asynchronous event to dead-letter.',
    );
    acknowledgeCompliance(
      this.app,
      COMPLIANCE_RULES.lambdaInsideVpc,
      'It only reads its credential from the Secrets Manager API over TLS and never connects to the database; an application that does runs in the VPC.',
    );
  }
}
