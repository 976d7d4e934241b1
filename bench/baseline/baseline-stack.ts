import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Duration, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

export interface BaselineStackProps extends StackProps {
  /** How many secrets the stack holds; each gets a resource policy and a rotation schedule. */
  readonly secrets: number;

  /** A role of another account named in every secret's resource policy. */
  readonly partnerReaderArn: string;

  /**
   * A CloudTrail trail with CloudWatch Logs, one metric filter and a dashboard.
   *
   * @default true
   */
  readonly audit?: boolean;
}

/**
 * The benchmark's baseline: the same job as the example app, written the obvious way with plain
 * aws-cdk-lib by someone who knows it. A rotating KMS key; secrets encrypted with it, each with a
 * TLS deny and a partner allow in its resource policy; `grantRead` to the role of an application
 * function; ONE shared NodejsFunction rotation handler (bundled by the local esbuild at synth) with
 * `addRotationSchedule` per secret; a trail to CloudWatch Logs, one metric filter and a dashboard.
 */
export class BaselineStack extends Stack {
  constructor(scope: Construct, id: string, props: BaselineStackProps) {
    super(scope, id, props);
    const root = packageRoot();
    const partner = new iam.ArnPrincipal(props.partnerReaderArn);

    const key = new kms.Key(this, 'Key', {
      alias: 'alias/baseline/orders',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    key.grantDecrypt(new kms.ViaServicePrincipal(`secretsmanager.${this.region}.amazonaws.com`, partner));

    const rotation = new nodejs.NodejsFunction(this, 'Rotation', {
      entry: join(root, 'bench', 'baseline', 'rotation-handler.ts'),
      depsLockFilePath: join(root, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: Duration.seconds(30),
      logGroup: new logs.LogGroup(this, 'RotationLogs', { retention: logs.RetentionDays.ONE_YEAR }),
      bundling: { forceDockerBundling: false, minify: true },
    });

    const appRole = new iam.Role(this, 'AppRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      maxSessionDuration: Duration.hours(1),
    });
    const appLogs = new logs.LogGroup(this, 'AppLogs', {
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    appLogs.grantWrite(appRole);

    const secrets: secretsmanager.Secret[] = [];
    for (let i = 0; i < props.secrets; i++) {
      const secret = new secretsmanager.Secret(this, `Secret${i}`, {
        secretName: `baseline/orders/secret-${i}`,
        encryptionKey: key,
        removalPolicy: RemovalPolicy.RETAIN,
        generateSecretString: { passwordLength: 32, excludeCharacters: '/@"\'\\' },
      });
      secret.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'DenyRequestsWithoutTls',
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: ['secretsmanager:*'],
          resources: ['*'],
          conditions: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      );
      secret.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'AllowPartnerReader',
          principals: [partner],
          actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
          resources: ['*'],
        }),
      );
      secret.grantRead(appRole);
      secret.addRotationSchedule('Rotation', {
        rotationLambda: rotation,
        automaticallyAfter: Duration.days(30),
      });
      secrets.push(secret);
    }

    new lambda.Function(this, 'App', {
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      // The example app's bundled reader, found as lib/private/assets.ts finds it (two levels up).
      code: lambda.Code.fromAsset(join(__dirname, '..', '..', 'assets', 'example-reader')),
      role: appRole,
      logGroup: appLogs,
      environment: {
        SECRET_ARN: secrets.length > 0 ? secrets[0].secretArn : '',
        SECRET_CACHE_TTL_SECONDS: '60',
      },
    });

    if (props.audit ?? true) {
      const trailLogs = new logs.LogGroup(this, 'TrailLogs', { retention: logs.RetentionDays.ONE_YEAR });
      new cloudtrail.Trail(this, 'Trail', {
        sendToCloudWatchLogs: true,
        cloudWatchLogGroup: trailLogs,
        enableFileValidation: true,
      });
      const rotationFailed = new logs.MetricFilter(this, 'RotationFailedFilter', {
        logGroup: trailLogs,
        filterPattern: logs.FilterPattern.literal(
          '{ ($.eventSource = "secretsmanager.amazonaws.com") && ($.eventName = "RotationFailed") }',
        ),
        metricNamespace: 'Baseline/Audit',
        metricName: 'RotationFailed',
        metricValue: '1',
      });
      new cloudwatch.Dashboard(this, 'Dashboard', {
        widgets: [
          [
            new cloudwatch.GraphWidget({
              title: 'Failed rotations',
              left: [rotationFailed.metric({ statistic: 'Sum', period: Duration.minutes(5) })],
            }),
            new cloudwatch.GraphWidget({
              title: 'Rotation function',
              left: [rotation.metricInvocations(), rotation.metricErrors()],
            }),
          ],
        ],
      });
    }
  }
}

/** The repository root, from the TypeScript sources or from their transpiled copy in bench/results. */
function packageRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package-lock.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`No package-lock.json above ${__dirname}`);
    dir = parent;
  }
  return dir;
}
