import { Token, TokenComparison } from 'aws-cdk-lib';

/** CloudWatch Logs refuses a metric filter pattern longer than this. */
export const MAX_FILTER_PATTERN_LENGTH = 1024;

/**
 * What a token stands for when a pattern's length is checked at synth: the longest value the
 * patterns put in one (a KMS key id, `mrk-` + 32 hex digits or a 36-character UUID).
 */
export const TOKEN_LENGTH_ESTIMATE = 36;

/** The names of the metrics the audit's metric filters publish, in the audit's namespace. */
export const AUDIT_METRICS = {
  /** GetSecretValue calls that succeeded, with the `SecretId` dimension. */
  secretRead: 'SecretRead',
  /** Requests on the watched secrets or keys refused with AccessDenied. */
  accessDenied: 'AccessDenied',
  /** Rotations Secrets Manager finished. */
  rotationSucceeded: 'RotationSucceeded',
  /** Rotations that failed (the function threw, or Secrets Manager could not invoke it). */
  rotationFailed: 'RotationFailed',
  /** Rotations Secrets Manager gave up on after its retries. */
  rotationAbandoned: 'RotationAbandoned',
  /** Key material rotations (automatic or on demand) of the watched keys. */
  keyRotated: 'KeyMaterialRotated',
  /** DisableKey, DisableKeyRotation, ScheduleKeyDeletion and PutKeyPolicy on the watched keys. */
  keyChanged: 'KeyStateChanged',
  /** PutResourcePolicy, DeleteResourcePolicy, DeleteSecret and CancelRotateSecret on the watched secrets. */
  secretChanged: 'SecretPolicyOrLifecycleChanged',
} as const;

/** The dimension of the secret-read metric: the secret as the caller named it (name or ARN). */
export const SECRET_ID_DIMENSION = 'SecretId';

/** Key calls that weaken or destroy a key. */
export const KEY_CHANGE_EVENTS = ['DisableKey', 'DisableKeyRotation', 'ScheduleKeyDeletion', 'PutKeyPolicy'];

/** Secret calls that change who may read a secret, or end it, or stop its rotation. */
export const SECRET_CHANGE_EVENTS = [
  'PutResourcePolicy',
  'DeleteResourcePolicy',
  'DeleteSecret',
  'CancelRotateSecret',
];

/** Rotation outcomes Secrets Manager records as service events. */
export const ROTATION_FAILURE_EVENTS = ['RotationFailed', 'RotationAbandoned'];

const SECRETS_MANAGER = 'secretsmanager.amazonaws.com';
const KMS = 'kms.amazonaws.com';

/**
 * The secrets and keys an audit watches: name prefixes of the watched vaults and ids of their keys.
 * Every pattern is rendered from this, so a vault adds one clause to a pattern whatever its number
 * of secrets, and a shared key is listed once.
 */
export class AuditScope {
  private readonly prefixList: string[] = [];
  private readonly keyIdList: string[] = [];

  /** The watched name prefixes (no trailing slash). */
  public get prefixes(): readonly string[] {
    return this.prefixList;
  }

  /** The watched key ids. */
  public get keyIds(): readonly string[] {
    return this.keyIdList;
  }

  public get isEmpty(): boolean {
    return this.prefixList.length === 0;
  }

  /** Adds a name prefix; returns false when it is already watched. */
  public addPrefix(prefix: string): boolean {
    if (this.prefixList.some((p) => Token.compareStrings(p, prefix) === TokenComparison.SAME)) return false;
    this.prefixList.push(prefix);
    return true;
  }

  /** Adds a key id; returns false when it is already watched. */
  public addKeyId(keyId: string): boolean {
    if (this.keyIdList.some((k) => Token.compareStrings(k, keyId) === TokenComparison.SAME)) return false;
    this.keyIdList.push(keyId);
    return true;
  }

  /** Metric filter patterns (CloudWatch Logs JSON filter syntax), one per signal. */
  public filterPatterns(): Record<keyof typeof AUDIT_METRICS, string> {
    const sm = `$.eventSource = "${SECRETS_MANAGER}"`;
    const kms = `$.eventSource = "${KMS}"`;
    const ok = '$.errorCode NOT EXISTS';
    const denied = '$.errorCode = "AccessDenied*"';
    const requested = this.requestedSecrets();
    const rotated = this.rotatedSecrets();
    const keyResources = this.keyResources();
    return {
      secretRead: json(sm, '$.eventName = "GetSecretValue"', ok, requested),
      accessDenied: `{ (${sm} && ${denied} && ${requested}) || (${kms} && ${denied} && ${keyResources}) }`,
      rotationSucceeded: json(sm, '$.eventName = "RotationSucceeded"', rotated),
      rotationFailed: json(sm, '$.eventName = "RotationFailed"', rotated),
      rotationAbandoned: json(sm, '$.eventName = "RotationAbandoned"', rotated),
      keyRotated: json(kms, '$.eventName = "RotateKey"', keyResources),
      keyChanged: json(kms, anyOf('$.eventName', KEY_CHANGE_EVENTS), ok, this.requestedKeys()),
      secretChanged: json(sm, anyOf('$.eventName', SECRET_CHANGE_EVENTS), ok, requested),
    };
  }

  /**
   * A Logs Insights condition on a field holding a secret name or ARN: true for the watched
   * vaults' secrets.
   */
  public insightsSecretCondition(field: string): string {
    const alternatives = this.prefixList.map((p) => (Token.isUnresolved(p) ? p : regexEscape(p))).join('|');
    return `${field} like /(^|:secret:)(${alternatives})\\//`;
  }

  /** A Logs Insights condition on a field holding a key ARN or id: true for the watched keys. */
  public insightsKeyCondition(field: string): string {
    return `${field} like /(${this.keyIdList.join('|')})$/`;
  }

  /** secretId as the caller gave it: a name (`prefix/x`) or an ARN (`...:secret:prefix/x-AbCdEf`). */
  private requestedSecrets(): string {
    return group(
      this.prefixList.map(
        (p) =>
          `($.requestParameters.secretId = "${p}/*" || $.requestParameters.secretId = "*:secret:${p}/*")`,
      ),
    );
  }

  /** Rotation service events carry the secret's ARN in additionalEventData.SecretId. */
  private rotatedSecrets(): string {
    return group(this.prefixList.map((p) => `$.additionalEventData.SecretId = "*:secret:${p}/*"`));
  }

  /** The key's ARN in the record's resources; a key id is unique, so a suffix match is exact. */
  private keyResources(): string {
    return group(this.keyIdList.map((k) => `$.resources[0].ARN = "*${k}"`));
  }

  /** Key management calls accept the key id or ARN (not an alias): both end with the id. */
  private requestedKeys(): string {
    return group(this.keyIdList.map((k) => `$.requestParameters.keyId = "*${k}"`));
  }
}

/**
 * The length CloudWatch Logs will see, with every unresolved token counted as
 * TOKEN_LENGTH_ESTIMATE characters.
 */
export function estimatedLength(pattern: string): number {
  return pattern.replace(/\$\{Token\[[^\]]*\]\}/g, 'x'.repeat(TOKEN_LENGTH_ESTIMATE)).length;
}

function json(...conditions: string[]): string {
  return `{ ${conditions.join(' && ')} }`;
}

function anyOf(field: string, values: string[]): string {
  return group(values.map((v) => `${field} = "${v}"`));
}

function group(alternatives: string[]): string {
  // An empty scope must match nothing; the audit refuses to synthesize one, this is a backstop.
  if (alternatives.length === 0) return '($.eventSource = "none")';
  return `(${alternatives.join(' || ')})`;
}

function regexEscape(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
