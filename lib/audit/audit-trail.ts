import { Duration } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';

/**
 * Trail log files and access logs are kept at most ten years.
 *
 * @internal
 */
export const MAX_OBJECT_EXPIRATION_DAYS = 3650;

/**
 * Options of the trail an audit creates.
 */
export interface AuditTrailOptions {
  /**
   * How long the trail's CloudWatch Logs group keeps events (what metric filters and Logs Insights
   * queries see).
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * How long the trail's log files stay in the S3 bucket before they expire (1 to 3650 whole days).
   * A version that is replaced or deleted is kept 90 days more.
   *
   * @default Duration.days(365)
   */
  readonly objectExpiration?: Duration;

  /**
   * How long the access logs of the trail bucket are kept (1 to 3650 whole days).
   *
   * @default Duration.days(365)
   */
  readonly accessLogExpiration?: Duration;

  /**
   * The default retention of the trail bucket's S3 Object Lock: every log file version is write-once
   * for this retention (1 to 3650 whole days, at most `objectExpiration`), in governance mode (a
   * principal allowed `s3:BypassGovernanceRetention` can still delete; the bucket policy denies it to
   * all but the deployment) or compliance mode (nobody, the root user included, until the retention
   * ends).
   *
   * Object Lock itself is always on for the trail bucket (it costs nothing without a retention, and
   * lets a retention be set later without a new bucket); the retention is off by default because it
   * cannot be shortened for the versions it locked: every such version is stored (and billed) until
   * its retention ends, and in compliance mode the bucket cannot be emptied or deleted before then.
   * The access-log bucket never has Object Lock: S3 delivers no access logs to such a bucket.
   *
   * @default - no default retention: versions are not locked
   */
  readonly objectLockRetention?: s3.ObjectLockRetention;
}

/**
 * Where an audit reads CloudTrail records from: a trail of its own, or the CloudWatch Logs group
 * of a trail that already exists (an organization trail).
 */
export class AuditTrail {
  /**
   * A new multi-region trail with log file validation, encrypted with the audit's key, delivered to
   * a hardened, versioned S3 bucket and to an encrypted CloudWatch Logs group.
   */
  public static create(options: AuditTrailOptions = {}): AuditTrail {
    return new AuditTrail(options, undefined);
  }

  /**
   * The CloudWatch Logs group an existing trail (for example the organization trail of a Control
   * Tower landing zone) delivers to, in this account and region. The audit creates no trail; the
   * group must receive this account's management events, read ones included (GetSecretValue is a
   * read event).
   */
  public static fromLogGroup(logGroup: logs.ILogGroup): AuditTrail {
    return new AuditTrail(undefined, logGroup);
  }

  private constructor(
    /** The options of a trail to create; undefined when an existing log group is used. */
    public readonly createOptions: AuditTrailOptions | undefined,
    /** The existing log group; undefined when the audit creates its trail. */
    public readonly existingLogGroup: logs.ILogGroup | undefined,
  ) {}
}
