import { Annotations, ArnFormat, Duration, Names, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeCompliance, COMPLIANCE_RULES } from '../private/compliance';
import { ManagedPolicyRole } from '../private/managed-policy-role';
import { acknowledgeWildcardResource } from '../private/nag';
import { invalid, ownerName, validateDays, validateLogRetention } from '../private/validation';
import { AuditKey } from './audit-key';
import { AuditTrailOptions, MAX_OBJECT_EXPIRATION_DAYS } from './audit-trail';

/** How long a replaced or deleted object version is kept. */
const NONCURRENT_VERSION_DAYS = 90;

/** The prefix under which the trail bucket's access logs land in the access-log bucket. */
const TRAIL_BUCKET_ACCESS_LOG_PREFIX = 'trail-bucket/';

/** The trail's log files expire after this many days unless `objectExpiration` says otherwise. */
const DEFAULT_OBJECT_EXPIRATION_DAYS = 365;

/**
 * What only the deployment may do to the audit's buckets: delete them or their objects, and change
 * whatever decides how long objects live or who may act on them. Written out one by one, so that a
 * reviewer sees exactly what the guard covers.
 *
 * @internal
 */
export const GUARDED_BUCKET_ACTIONS = [
  's3:DeleteBucket',
  's3:DeleteBucketPolicy',
  's3:PutBucketPolicy',
  's3:PutBucketAcl',
  's3:PutBucketOwnershipControls',
  's3:PutBucketPublicAccessBlock',
  's3:PutBucketVersioning',
  's3:PutLifecycleConfiguration',
  's3:PutBucketLogging',
  's3:PutEncryptionConfiguration',
  's3:PutReplicationConfiguration',
  's3:PutBucketObjectLockConfiguration',
  's3:DeleteObject',
  's3:DeleteObjectVersion',
  's3:PutObjectRetention',
  's3:PutObjectLegalHold',
  's3:BypassGovernanceRetention',
];

/**
 * Properties of an AuditCloudTrail.
 */
export interface AuditCloudTrailProps extends AuditTrailOptions {
  /** The key that encrypts the log files, the log group and the bucket. */
  readonly encryptionKey: AuditKey;

  /**
   * What happens to the buckets and the log group when they leave the stack.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * The ARN of the role CloudFormation deploys the stack with: the only principal the buckets'
   * policies let delete them, delete objects or change their policy, versioning, lifecycle or lock.
   */
  readonly deploymentRoleArn: string;
}

/**
 * A multi-region CloudTrail trail of all management events (reads included), with log file
 * validation, encrypted with the audit's key, delivered to a versioned, KMS-encrypted S3 bucket
 * (whose access is logged to a second hardened bucket) and to an encrypted CloudWatch Logs group.
 * Both buckets deny deleting them or their objects, and loosening them, to everyone but the
 * deployment. The trail bucket has S3 Object Lock on (a default retention when asked), and both
 * send their object events to EventBridge.
 */
export class AuditCloudTrail extends Construct {
  /** The trail. */
  public readonly trail: cloudtrail.CfnTrail;

  /** The trail's name. */
  public readonly trailName: string;

  /** The trail's ARN. */
  public readonly trailArn: string;

  /** The bucket that receives the trail's log files. */
  public readonly bucket: s3.Bucket;

  /** The bucket that receives the trail bucket's server access logs. */
  public readonly accessLogBucket: s3.Bucket;

  /** The CloudWatch Logs group the trail delivers to. */
  public readonly logGroup: logs.LogGroup;

  /** The role CloudTrail assumes to write to the log group. */
  public readonly logsRole: ManagedPolicyRole;

  constructor(scope: Construct, id: string, props: AuditCloudTrailProps) {
    super(scope, id);
    validateDays(this, 'objectExpiration', props.objectExpiration, 1, MAX_OBJECT_EXPIRATION_DAYS);
    validateDays(this, 'accessLogExpiration', props.accessLogExpiration, 1, MAX_OBJECT_EXPIRATION_DAYS);
    validateObjectLock(this, props);
    validateLogRetention(this, 'logRetention', props.logRetention);
    warnIfBucketForgetsFirst(this, props);
    const stack = Stack.of(this);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const key = props.encryptionKey;

    // Physical names known at synth let the key policy and the role name the trail and the group
    // without a reference cycle between them.
    this.trailName = Names.uniqueResourceName(this, { maxLength: 128, separator: '-' });
    this.trailArn = stack.formatArn({
      service: 'cloudtrail',
      resource: 'trail',
      resourceName: this.trailName,
    });
    const logGroupName = `/secrets-audit/${Names.uniqueResourceName(this, { maxLength: 200, separator: '-' })}`;
    const logGroupArn = stack.formatArn({
      service: 'logs',
      resource: 'log-group',
      resourceName: logGroupName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    key.allowTrail(this.trailArn);
    key.allowLogGroup(logGroupArn);

    this.accessLogBucket = new s3.Bucket(this, 'AccessLogs', {
      // S3 server access logging delivers only to buckets encrypted with S3-managed keys.
      encryption: s3.BucketEncryption.S3_MANAGED,
      ...hardened(removalPolicy),
      lifecycleRules: [expire(props.accessLogExpiration)],
    });
    acknowledgeAccessLogDestination(this.accessLogBucket);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: key,
      bucketKeyEnabled: true,
      ...hardened(removalPolicy),
      lifecycleRules: [expire(props.objectExpiration)],
      // On without a default retention, which stays opt-in (`objectLockRetention`): the bucket can be
      // locked later without replacing it, and lifecycle expiry still removes unlocked versions.
      objectLockEnabled: true,
      objectLockDefaultRetention: props.objectLockRetention,
    });
    for (const bucket of [this.bucket, this.accessLogBucket]) {
      guardAgainstDeletion(bucket, props.deploymentRoleArn);
      notifyEventBridge(bucket);
      acknowledgeCompliance(
        bucket,
        COMPLIANCE_RULES.s3Replication,
        'Replication needs a destination bucket in another region or account that this stack does not own; ' +
          'objects are versioned and log files integrity-validated. Replicate to your log-archive account there.',
      );
    }
    // Set on the resource rather than through `serverAccessLogsBucket`, which would grant delivery
    // with an ACL unless a feature flag is set; a bucket policy works the same with every flag.
    (this.bucket.node.defaultChild as s3.CfnBucket).loggingConfiguration = {
      destinationBucketName: this.accessLogBucket.bucketName,
      logFilePrefix: TRAIL_BUCKET_ACCESS_LOG_PREFIX,
    };
    this.accessLogBucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'S3DeliversTrailBucketAccessLogs',
        principals: [new iam.ServicePrincipal('logging.s3.amazonaws.com')],
        actions: ['s3:PutObject'],
        resources: [this.accessLogBucket.arnForObjects(`${TRAIL_BUCKET_ACCESS_LOG_PREFIX}*`)],
        conditions: {
          ArnLike: { 'aws:SourceArn': this.bucket.bucketArn },
          StringEquals: { 'aws:SourceAccount': stack.account },
        },
      }),
    );

    const cloudTrailPrincipal = new iam.ServicePrincipal('cloudtrail.amazonaws.com');
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudTrailChecksBucketAcl',
        principals: [cloudTrailPrincipal],
        actions: ['s3:GetBucketAcl'],
        resources: [this.bucket.bucketArn],
        conditions: { StringEquals: { 'aws:SourceArn': this.trailArn } },
      }),
    );
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudTrailWritesLogFiles',
        principals: [cloudTrailPrincipal],
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects(`AWSLogs/${stack.account}/*`)],
        conditions: {
          StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control', 'aws:SourceArn': this.trailArn },
        },
      }),
    );

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName,
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      encryptionKey: key,
      removalPolicy,
    });

    this.logsRole = new ManagedPolicyRole(this, 'LogsRole', {
      assumedBy: new iam.PrincipalWithConditions(cloudTrailPrincipal, {
        StringEquals: { 'aws:SourceArn': this.trailArn },
      }),
      description: 'CloudTrail delivers the secrets audit trail to its CloudWatch Logs group',
    });
    // A multi-region trail writes one stream per region, named `<account>_CloudTrail_<region>`.
    const streams = `${logGroupArn}:log-stream:${stack.account}_CloudTrail_*`;
    this.logsRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'DeliverTrailEvents',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [streams],
      }),
    );
    acknowledgeWildcardResource(
      this.logsRole,
      streams,
      'CloudTrail creates one stream per region in the trail’s own log group; the wildcard is the region.',
    );

    this.trail = new cloudtrail.CfnTrail(this, 'Resource', {
      trailName: this.trailName,
      isLogging: true,
      isMultiRegionTrail: true,
      includeGlobalServiceEvents: true,
      enableLogFileValidation: true,
      kmsKeyId: key.keyArn,
      s3BucketName: this.bucket.bucketName,
      cloudWatchLogsLogGroupArn: this.logGroup.logGroupArn,
      cloudWatchLogsRoleArn: this.logsRole.roleArn,
      // GetSecretValue is a read-only management event: reads must be recorded.
      eventSelectors: [{ includeManagementEvents: true, readWriteType: 'All' }],
    });
    // CloudTrail checks the bucket policy and the role's permissions when the trail is created (the
    // key policy is part of the key, which the trail references already).
    this.trail.node.addDependency(this.bucket.policy!, this.logsRole.policy);
  }
}

/**
 * Denies deleting the bucket or its objects, and changing its policy, versioning, lifecycle,
 * logging, encryption or lock, to everyone but the deployment, an account administrator included.
 * Ways back: a stack update (the deployment may change the policy), and the account's root user,
 * whom S3 always lets get, put and delete a bucket policy, whatever the policy says.
 */
function guardAgainstDeletion(bucket: s3.Bucket, deploymentRoleArn: string): void {
  bucket.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'DenyDeletionAndGuardChangesExceptDeployment',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: GUARDED_BUCKET_ACTIONS,
      resources: [bucket.bucketArn, bucket.arnForObjects('*')],
      conditions: { ArnNotEquals: { 'aws:PrincipalArn': deploymentRoleArn } },
    }),
  );
}

/**
 * The bucket holds the integrity-validated log files; when they expire before the log group forgets
 * the same events, the evidence behind what the dashboard and queries show is gone first.
 */
function warnIfBucketForgetsFirst(trail: AuditCloudTrail, props: AuditCloudTrailProps): void {
  const retention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;
  const expiration = props.objectExpiration ?? Duration.days(DEFAULT_OBJECT_EXPIRATION_DAYS);
  if (Token.isUnresolved(retention) || Token.isUnresolved(expiration.toSeconds())) return;
  const retentionDays = retention === logs.RetentionDays.INFINITE ? Infinity : retention;
  if (expiration.toDays({ integral: false }) < retentionDays) {
    Annotations.of(trail).addWarningV2(
      'cdk-secrets-vault:trail-bucket-expires-first',
      `${ownerName(trail)}: \`objectExpiration\` (${expiration.toHumanString()}) is shorter than \`logRetention\` (${retention === logs.RetentionDays.INFINITE ? 'never expires' : `${retention} days`}): the bucket's integrity-validated log files expire while the log group still shows their events. Keep the log files at least as long.`,
    );
  }
}

function validateObjectLock(owner: AuditCloudTrail, props: AuditCloudTrailProps): void {
  const retention = props.objectLockRetention;
  if (retention === undefined) return;
  validateDays(owner, 'objectLockRetention', retention.duration, 1, MAX_OBJECT_EXPIRATION_DAYS);
  const expiration = props.objectExpiration ?? Duration.days(DEFAULT_OBJECT_EXPIRATION_DAYS);
  if (Token.isUnresolved(retention.duration.toSeconds()) || Token.isUnresolved(expiration.toSeconds()))
    return;
  if (retention.duration.toSeconds() > expiration.toSeconds()) {
    invalid(
      owner,
      'objectLockRetention',
      retention.duration,
      `allowed: at most \`objectExpiration\` (${expiration.toHumanString()}); a log file would expire while still ` +
        'locked and be kept, and billed, until its lock ends. Raise `objectExpiration` or shorten the retention',
    );
  }
}

/**
 * Object-level events of the bucket (a log file deleted, a version replaced) reach the account's
 * default event bus, where a rule can act on them; delivery to the default bus is free. Set on the
 * resource: aws-cdk-lib's `eventBridgeEnabled` prop would add its bucket-notifications custom
 * resource, a Lambda function with a role, to every stack with an audit.
 */
function notifyEventBridge(bucket: s3.Bucket): void {
  (bucket.node.defaultChild as s3.CfnBucket).notificationConfiguration = {
    eventBridgeConfiguration: { eventBridgeEnabled: true },
  };
}

/**
 * What S3 requires of a server access log destination, and so what the Control Tower and cdk-nag
 * packs flag on the access-log bucket, with one reason per requirement for every pack that checks it.
 */
function acknowledgeAccessLogDestination(bucket: s3.Bucket): void {
  acknowledgeCompliance(
    bucket,
    COMPLIANCE_RULES.s3DefaultEncryptionKms,
    'S3 server access logging delivers only to buckets encrypted with S3-managed keys (SSE-S3), not SSE-KMS.',
  );
  acknowledgeCompliance(
    bucket,
    COMPLIANCE_RULES.s3AccessLogDestination,
    'This bucket receives the trail bucket’s server access logs; logging it too would need another log bucket, and so on without end.',
  );
  acknowledgeCompliance(
    bucket,
    COMPLIANCE_RULES.s3ObjectLock,
    'S3 cannot deliver server access logs to a bucket with Object Lock; versioning and the bucket policy’s deny keep them.',
  );
}

function hardened(removalPolicy: RemovalPolicy): s3.BucketProps {
  return {
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    versioned: true,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    removalPolicy,
  };
}

function expire(after: Duration | undefined): s3.LifecycleRule {
  return {
    id: 'Expire',
    expiration: after ?? Duration.days(DEFAULT_OBJECT_EXPIRATION_DAYS),
    // A replaced or deleted log file is what an investigation looks for: keep it a quarter more.
    noncurrentVersionExpiration: Duration.days(NONCURRENT_VERSION_DAYS),
    abortIncompleteMultipartUploadAfter: Duration.days(1),
  };
}
