import { Token, TokenComparison } from 'aws-cdk-lib';

/**
 * CloudWatch Logs refuses a metric filter pattern longer than this.
 *
 * @internal
 */
export const MAX_FILTER_PATTERN_LENGTH = 1024;

/**
 * What a token stands for when a pattern's length is checked at synth, unless the scope knows
 * better: the longest value the patterns put in one (a KMS key id, `mrk-` + 32 hex digits or a
 * 36-character UUID).
 *
 * @internal
 */
export const TOKEN_LENGTH_ESTIMATE = 36;

/**
 * A role's unique id (`AROA` + 17 characters, 21 in every observed case), with some slack.
 *
 * @internal
 */
export const ROLE_ID_LENGTH_ESTIMATE = 24;

/**
 * A principal's ARN: `arn:aws-us-gov:iam::123456789012:role/` and a 64-character name, with room for
 * a short path. A longer path makes the real pattern longer than the check assumed; CloudWatch Logs
 * then refuses it at deploy.
 *
 * @internal
 */
export const PRINCIPAL_ARN_LENGTH_ESTIMATE = 128;

/**
 * The name of a secret RDS manages: `rds!cluster-` (the longer of `rds!db-` and `rds!cluster-`) and a
 * 36-character UUID.
 *
 * @internal
 */
export const RDS_SECRET_NAME_LENGTH_ESTIMATE = 48;

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
  /** Every successful write call (CloudTrail `readOnly: false`) on a watched key or the audit's own key. */
  keyChanged: 'KeyManagementCall',
  /** Every successful write call on a watched secret except its value writes (see `secretValueWritten`). */
  secretChanged: 'SecretManagementCall',
  /** PutSecretValue and UpdateSecretVersionStage on a watched secret by anyone but a rotation function. */
  secretValueWritten: 'SecretValueWrittenOutsideRotation',
} as const;

/**
 * The metrics of the break-glass filters, which exist only while a watched vault names a break-glass
 * principal: its calls, and attempts to assume it (a role).
 */
export const BREAK_GLASS_METRICS = {
  /** Any call by a break-glass principal, read or write, refused or not, in any service and region. */
  calls: 'BreakGlassUsed',
  /** Any attempt to assume a break-glass role (STS AssumeRole*, granted or refused). */
  assumptions: 'BreakGlassRoleAssumed',
} as const;

/** One signal of the audit: the metric its filter publishes. */
export type AuditSignal = keyof typeof AUDIT_METRICS;

/** One signal of the break-glass filters. */
export type BreakGlassSignal = keyof typeof BREAK_GLASS_METRICS;

/** The dimension of the secret-read metric: the secret as the caller named it (name or ARN). */
export const SECRET_ID_DIMENSION = 'SecretId';

/**
 * The management calls on a key that the audit is known to count (each has a CloudTrail fixture).
 * The patterns count every write call on the key (`readOnly: false`), these and any other; the list
 * names them for the Logs Insights table and the documentation.
 *
 * @internal
 */
export const KEY_MANAGEMENT_EVENTS = [
  'PutKeyPolicy',
  'ScheduleKeyDeletion',
  'CancelKeyDeletion',
  'DisableKey',
  'EnableKey',
  'DisableKeyRotation',
  'EnableKeyRotation',
  'RotateKeyOnDemand',
  'CreateGrant',
  'RetireGrant',
  'RevokeGrant',
  'TagResource',
  'UntagResource',
  'CreateAlias',
  'UpdateAlias',
  'DeleteAlias',
  'UpdateKeyDescription',
  'ReplicateKey',
  'UpdatePrimaryRegion',
];

/**
 * The calls that write a secret's value or move its stages: routine when a rotation function makes them.
 *
 * @internal
 */
export const SECRET_VALUE_EVENTS = ['PutSecretValue', 'UpdateSecretVersionStage'];

/**
 * The management calls on a secret that the audit is known to count besides the value writes (each
 * has a CloudTrail fixture). As for keys, the patterns count every write call on the secret.
 *
 * @internal
 */
export const SECRET_MANAGEMENT_EVENTS = [
  'PutResourcePolicy',
  'DeleteResourcePolicy',
  'UpdateSecret',
  'RotateSecret',
  'CancelRotateSecret',
  'TagResource',
  'UntagResource',
  'ReplicateSecretToRegions',
  'RemoveRegionsFromReplication',
  'StopReplicationToReplica',
  'DeleteSecret',
  'RestoreSecret',
];

/**
 * Rotation outcomes Secrets Manager records as service events.
 *
 * @internal
 */
export const ROTATION_FAILURE_EVENTS = ['RotationFailed', 'RotationAbandoned'];

/**
 * How a break-glass principal shows in CloudTrail: a role's sessions name the role in
 * `userIdentity.sessionContext.sessionIssuer.arn` (and assuming it names it in
 * `requestParameters.roleArn`); a user, the account root or a session ARN is `userIdentity.arn`.
 * `unknown` (an ARN that is a token) is matched both ways.
 */
export type BreakGlassKind = 'role' | 'user' | 'unknown';

/** A break-glass principal as the audit matches it. */
export interface BreakGlassIdentity {
  /** The principal's ARN; it may hold `*` wildcards, which the patterns honour. */
  readonly arn: string;
  readonly kind: BreakGlassKind;
}

/**
 * A secret another service manages and the audit watches outside the vaults' name prefixes: the
 * master secret RDS keeps for a database (`manageMasterUserPassword`), encrypted with a vault's key.
 */
export interface ManagedSecret {
  /** Its complete ARN, as Secrets Manager names it in rotation events. */
  readonly arn: string;

  /** Its name (`rds!db-<uuid>`, `rds!cluster-<uuid>`), as a caller may pass it instead of the ARN. */
  readonly name: string;
}

const SECRETS_MANAGER = 'secretsmanager.amazonaws.com';
const KMS = 'kms.amazonaws.com';
const STS = 'sts.amazonaws.com';
const ISSUER = '$.userIdentity.sessionContext.sessionIssuer';

/**
 * The secrets and keys an audit watches: name prefixes of the watched vaults and ids of their keys
 * (and of the audit's own key), the roles of their rotation functions, their break-glass principals,
 * and the secrets RDS manages with their keys. Every pattern is rendered from this, so a vault adds
 * one clause to a pattern whatever its number of secrets, and a shared key or principal is listed once.
 */
export class AuditScope {
  private readonly prefixList: string[] = [];
  private readonly keyIdList: string[] = [];
  private readonly ownKeyIdList: string[] = [];
  private readonly breakGlassList: BreakGlassIdentity[] = [];

  /**
   * @param rotationRoleIds the unique ids of the watched vaults' rotation roles, read when the
   *   patterns are rendered (a vault creates its rotation function with its first rotating secret)
   * @param managedSecretList the secrets RDS manages with a watched vault's key, read when the patterns
   *   are rendered (a database may be added after the audit): their reads, refused requests and rotation
   *   outcomes are counted; their management calls and value writes are not (RDS makes them itself)
   */
  constructor(
    private readonly rotationRoleIds: () => string[] = () => [],
    private readonly managedSecretList: () => readonly ManagedSecret[] = () => [],
  ) {}

  /** The watched name prefixes (no trailing slash). */
  public get prefixes(): readonly string[] {
    return this.prefixList;
  }

  /** The watched vault key ids. */
  public get keyIds(): readonly string[] {
    return this.keyIdList;
  }

  /** The watched break-glass principals. */
  public get breakGlass(): readonly BreakGlassIdentity[] {
    return this.breakGlassList;
  }

  /** The managed secrets watched, as they are now. */
  public get managedSecrets(): readonly ManagedSecret[] {
    return this.managedSecretList();
  }

  public get isEmpty(): boolean {
    return this.prefixList.length === 0;
  }

  /** Adds a name prefix; returns false when it is already watched. */
  public addPrefix(prefix: string): boolean {
    return addDistinct(this.prefixList, prefix);
  }

  /** Adds a vault key id; returns false when it is already watched. */
  public addKeyId(keyId: string): boolean {
    return addDistinct(this.keyIdList, keyId);
  }

  /**
   * Adds a key whose management calls are watched but which protects no vault secret (the audit's
   * own key): it joins the key-management pattern only.
   */
  public addManagedKeyId(keyId: string): boolean {
    return addDistinct(this.ownKeyIdList, keyId);
  }

  /** Adds a break-glass principal; returns false when it is already watched. */
  public addBreakGlass(identity: BreakGlassIdentity): boolean {
    if (this.breakGlassList.some((b) => same(b.arn, identity.arn))) return false;
    this.breakGlassList.push(identity);
    return true;
  }

  /** Metric filter patterns (CloudWatch Logs JSON filter syntax), one per signal. */
  public filterPatterns(): Record<keyof typeof AUDIT_METRICS, string> {
    const sm = `$.eventSource = "${SECRETS_MANAGER}"`;
    const kms = `$.eventSource = "${KMS}"`;
    const ok = '$.errorCode NOT EXISTS';
    const denied = '$.errorCode = "AccessDenied*"';
    // Every write call counts, not a list of known ones: a management call added to an API later is
    // counted too. Reads and the cryptographic calls (Decrypt, GenerateDataKey, ReEncrypt) are readOnly.
    const write = '$.readOnly IS FALSE';
    const requested = this.requestedSecrets();
    const read = this.readSecrets();
    const rotated = this.rotatedSecrets();
    const keyResources = this.keyResources();
    const valueWrite = anyOf('$.eventName', SECRET_VALUE_EVENTS);
    const notValueWrite = SECRET_VALUE_EVENTS.map((e) => `$.eventName != "${e}"`).join(' && ');
    return {
      secretRead: json(sm, '$.eventName = "GetSecretValue"', ok, read),
      accessDenied: `{ (${sm} && ${denied} && ${read}) || (${kms} && ${denied} && ${keyResources}) }`,
      rotationSucceeded: json(sm, '$.eventName = "RotationSucceeded"', rotated),
      rotationFailed: json(sm, '$.eventName = "RotationFailed"', rotated),
      rotationAbandoned: json(sm, '$.eventName = "RotationAbandoned"', rotated),
      keyRotated: json(kms, '$.eventName = "RotateKey"', keyResources),
      keyChanged: json(kms, write, ok, this.managedKeys()),
      secretChanged: json(sm, write, ok, notValueWrite, requested),
      secretValueWritten: json(sm, valueWrite, ok, requested, ...this.notByRotation()),
    };
  }

  /**
   * The break-glass patterns, undefined while no break-glass principal is watched: any call by one
   * (read or write, refused or not, in any service and region), and any attempt to assume one that
   * is a role. Two patterns, so that each names a principal's ARN once and more principals fit.
   */
  public breakGlassPatterns(): Record<keyof typeof BREAK_GLASS_METRICS, string> | undefined {
    if (this.breakGlassList.length === 0) return undefined;
    const calls = this.breakGlassList.flatMap(({ arn, kind }) => {
      const asRole = `${ISSUER}.arn = "${arn}"`;
      const asUser = `$.userIdentity.arn = "${arn}"`;
      if (kind === 'role') return [asRole];
      if (kind === 'user') return [asUser];
      return [asRole, asUser];
    });
    const roles = this.breakGlassList
      .filter(({ kind }) => kind !== 'user')
      .map(({ arn }) => `$.requestParameters.roleArn = "${arn}"`);
    return {
      calls: `{ ${calls.join(' || ')} }`,
      assumptions: json(`$.eventSource = "${STS}"`, group(roles)),
    };
  }

  /**
   * The length CloudWatch Logs will see, with each unresolved token counted as what it stands for:
   * a rotation role id, a break-glass ARN, or TOKEN_LENGTH_ESTIMATE for anything else.
   */
  public estimatedLength(pattern: string): number {
    const estimates = new Map<string, number>();
    for (const id of this.rotationRoleIds()) estimates.set(id, ROLE_ID_LENGTH_ESTIMATE);
    for (const { name } of this.managedSecrets) {
      if (isSingleToken(name)) estimates.set(name, RDS_SECRET_NAME_LENGTH_ESTIMATE);
    }
    for (const { arn } of this.breakGlassList) {
      if (isSingleToken(arn)) estimates.set(arn, PRINCIPAL_ARN_LENGTH_ESTIMATE);
    }
    return estimatedLength(pattern, estimates);
  }

  /** The distinct rotation role ids, as the patterns list them. */
  public routineWriterIds(): string[] {
    const ids: string[] = [];
    for (const id of this.rotationRoleIds()) addDistinct(ids, id);
    return ids;
  }

  /**
   * A Logs Insights condition on a field holding a secret name or ARN: true for the watched
   * vaults' secrets and the managed secrets.
   */
  public insightsSecretCondition(field: string): string {
    const alternatives = this.prefixList.map((p) => (Token.isUnresolved(p) ? p : regexEscape(p))).join('|');
    const inVaults = `${field} like /(^|:secret:)(${alternatives})\\//`;
    const managed = this.managedSecrets.map(({ name }) =>
      Token.isUnresolved(name) ? name : regexEscape(name),
    );
    if (managed.length === 0) return inVaults;
    // A managed secret's name is exact: alone, or followed by its ARN's random suffix.
    return `(${inVaults} or ${field} like /(^|:secret:)(${managed.join('|')})(-|$)/)`;
  }

  /** A Logs Insights condition on a field holding a key ARN or id: true for the watched keys. */
  public insightsKeyCondition(field: string): string {
    return `${field} like /(${this.keyIdList.join('|')})$/`;
  }

  /**
   * The vaults' secrets in secretId as the caller gave it: a name (`prefix/x`) or an ARN
   * (`...:secret:prefix/x-AbCdEf`).
   */
  private requestedSecrets(): string {
    return group(this.vaultSecretIds());
  }

  /**
   * The vaults' secrets as in requestedSecrets, and the managed secrets by name, alone or in a partial
   * or complete ARN. One clause per managed secret, so that more fit: only a service can name a secret
   * with `!` (Secrets Manager refuses it in a name you choose), and RDS puts the database's UUID in
   * it, so nothing but that secret's name and ARNs contain its name.
   */
  private readSecrets(): string {
    return group([
      ...this.vaultSecretIds(),
      ...this.managedSecrets.map(({ name }) => `$.requestParameters.secretId = "*${name}*"`),
    ]);
  }

  private vaultSecretIds(): string[] {
    return this.prefixList.map(
      (p) => `($.requestParameters.secretId = "${p}/*" || $.requestParameters.secretId = "*:secret:${p}/*")`,
    );
  }

  /** Rotation service events carry the secret's complete ARN in additionalEventData.SecretId. */
  private rotatedSecrets(): string {
    return group([
      ...this.prefixList.map((p) => `$.additionalEventData.SecretId = "*:secret:${p}/*"`),
      ...this.managedSecrets.map(({ name }) => `$.additionalEventData.SecretId = "*:secret:${name}-*"`),
    ]);
  }

  /** The key's ARN in the record's resources; a key id is unique, so a suffix match is exact. */
  private keyResources(): string {
    return group(this.keyIdList.map((k) => `$.resources[0].ARN = "*${k}"`));
  }

  /**
   * Key management calls name the key by id or ARN (they take no alias); the alias calls name it in
   * `targetKeyId` or not at all, and KMS records the key's ARN in `responseElements.keyId` for them
   * (and for most other management calls, since December 2022). Both forms end with the key id.
   */
  private managedKeys(): string {
    return group(
      [...this.keyIdList, ...this.ownKeyIdList].map(
        (k) => `($.requestParameters.keyId = "*${k}" || $.responseElements.keyId = "*${k}")`,
      ),
    );
  }

  /**
   * A value write is routine when a session of a rotation role makes it. The role is named by its
   * unique id, not its ARN: a role deleted and re-created under the same name is not exempt. A caller
   * that is no role session (an IAM user, the root user) has no session issuer.
   */
  private notByRotation(): string[] {
    const ids = this.routineWriterIds();
    if (ids.length === 0) return [];
    const notRotation = ids.map((id) => `${ISSUER}.principalId != "${id}"`).join(' && ');
    return [`(${ISSUER}.principalId NOT EXISTS || (${notRotation}))`];
  }
}

/**
 * The length CloudWatch Logs will see, with every unresolved token counted as its estimate in
 * `estimates`, or as TOKEN_LENGTH_ESTIMATE characters.
 *
 * @internal
 */
export function estimatedLength(pattern: string, estimates: ReadonlyMap<string, number> = new Map()): number {
  return pattern.replace(/\$\{Token\[[^\]]*\]\}/g, (token) =>
    'x'.repeat(estimates.get(token) ?? TOKEN_LENGTH_ESTIMATE),
  ).length;
}

function addDistinct(list: string[], value: string): boolean {
  if (list.some((v) => same(v, value))) return false;
  list.push(value);
  return true;
}

/**
 * Two values are the same when equal, tokens included: one token keeps one string form within an
 * app (Token.compareStrings never calls two unresolved tokens the same, even one token with itself).
 */
function same(a: string, b: string): boolean {
  return a === b || Token.compareStrings(a, b) === TokenComparison.SAME;
}

function isSingleToken(value: string): boolean {
  return /^\$\{Token\[[^\]]*\]\}$/.test(value);
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
