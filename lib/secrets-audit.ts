import { Annotations, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct, IConstruct } from 'constructs';
import { AuditAlarmOptions, AuditAlarms, auditAlarms, breakGlassUsedAlarm } from './audit/audit-alarms';
import { AuditCloudTrail } from './audit/audit-cloud-trail';
import { AuditDashboard } from './audit/audit-dashboard';
import { AuditKey } from './audit/audit-key';
import {
  AuditMetricFilterOptions,
  auditMetricFilters,
  breakGlassMetricFilters,
} from './audit/audit-metric-filters';
import { AuditQueries } from './audit/audit-queries';
import { AuditRules } from './audit/audit-rules';
import {
  AUDIT_METRICS,
  AuditScope,
  AuditSignal,
  BREAK_GLASS_METRICS,
  BreakGlassIdentity,
  BreakGlassSignal,
  MAX_FILTER_PATTERN_LENGTH,
} from './audit/audit-scope';
import { AuditTopic } from './audit/audit-topic';
import { AuditTrail } from './audit/audit-trail';
import { RdsManagedSecret, rdsManagedSecrets } from './audit/rds-managed-secrets';
import { BREAK_GLASS_RULES, deploymentRoleArn, nonEmpty, principalArnPatterns } from './private/principals';
import {
  invalid,
  knownToDiffer,
  mayShareEnvironment,
  ownerName,
  summary,
  validateDashboardName,
  validateEmail,
  validateWholeNumber,
} from './private/validation';
import { RotationFunction } from './rotation-function';
import { SecretsVault } from './secrets-vault';

export * from './audit';

/** The namespace of the audit's metric filters unless told otherwise. */
export const DEFAULT_AUDIT_NAMESPACE = 'SecretsVault/Audit';

const NAMESPACE = /^[A-Za-z0-9 ._\-/#:]{1,255}$/;
const MAX_ALARM_PERIOD_MINUTES = 1440;

/**
 * Properties of a SecretsAudit.
 */
export interface SecretsAuditProps {
  /**
   * Vaults to watch from the start; `watch(vault)` adds more.
   *
   * @default - none yet; at least one must be watched before synth
   */
  readonly vaults?: SecretsVault[];

  /**
   * Where the CloudTrail records come from: a trail the audit creates, or the log group of an
   * existing (organization) trail.
   *
   * @default AuditTrail.create()
   */
  readonly trail?: AuditTrail;

  /**
   * The CloudWatch namespace of the audit's metrics (letters, digits, spaces and `. _ - / # :`,
   * not starting with `AWS/`). Two audits in one account and region need different namespaces.
   *
   * @default 'SecretsVault/Audit'
   */
  readonly metricNamespace?: string;

  /**
   * An email address the alarm topic sends to (confirm the subscription from the first mail). What SNS
   * cannot deliver to it goes to the rules' dead-letter queue and raises `notificationDeliveryFailedAlarm`.
   *
   * @default - no subscription; subscribe to `topic` yourself
   */
  readonly alarmEmail?: string;

  /**
   * The period over which the alarms count events, in whole minutes from 1 minute to 1 day.
   *
   * @default Duration.minutes(5)
   */
  readonly alarmPeriod?: Duration;

  /**
   * Failed plus abandoned rotations in one period that raise the rotation alarm (a whole number, 1 or more).
   *
   * @default 1
   */
  readonly rotationFailureThreshold?: number;

  /**
   * Failed rotation-function steps in one period that raise the rotation function alarm (a whole
   * number, 1 or more). Secrets Manager retries a failed step, so a flaky target may deserve more.
   *
   * @default 1
   */
  readonly rotationFunctionErrorThreshold?: number;

  /**
   * Refused requests on the watched secrets and keys in one period that raise the access-denied
   * alarm (a whole number, 1 or more).
   *
   * @default 1
   */
  readonly accessDeniedThreshold?: number;

  /**
   * Management calls on the watched keys (the audit's own included) and secrets in one period that
   * raise the change alarm (a whole number, 1 or more): every successful write call (policies, tags,
   * aliases, grants, rotation, replication, deletion, restore), and every value written by anyone
   * but the vault's rotation function. A deployment that changes a vault makes such calls too.
   *
   * @default 1
   */
  readonly destructiveChangeThreshold?: number;

  /**
   * The dashboard's name (letters, digits, `_` and `-`).
   *
   * @default - a name CloudFormation generates
   */
  readonly dashboardName?: string;

  /**
   * What happens to the audit's key, trail bucket, access-log bucket and log group when they leave
   * the stack. Audit records are evidence: the default keeps them.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Who administers the audit's key besides the deployment. Nobody else can change its policy or
   * schedule its deletion, however broad their IAM policy.
   *
   * @default - only the deployment
   */
  readonly keyAdmins?: iam.IPrincipal[];

  /**
   * The role CloudFormation deploys the stack with: it administers the audit's key, and is the only
   * principal the trail's buckets (when the audit creates its trail) let delete them or their objects,
   * or change their policy, versioning, lifecycle or lock.
   *
   * @default - the CloudFormation execution role of the stack's `DefaultStackSynthesizer`; other
   *   synthesizers must name it
   */
  readonly deploymentRole?: iam.IRole;
}

/**
 * Watches one or more SecretsVaults: when their keys and secrets rotate, when rotation fails, who
 * reads what, refused requests, every management call on their keys (and the audit's own key) and
 * secrets, values written outside rotation, and any call by a vault's break-glass principal.
 * CloudTrail records (from a trail of its own or an existing trail's log group) feed one metric
 * filter per signal, EventBridge rules notify at once on failed rotations and management calls (with
 * a dead-letter queue for what they cannot deliver), alarms notify an encrypted SNS topic, and one
 * dashboard shows it all. Its size does not grow with the number of secrets, and a vault adds one
 * clause to a pattern, not a resource. The master secrets RDS manages with a watched vault's key
 * (`manageMasterUserPassword`) for databases of the audit's stack are watched for reads, refused
 * requests and rotations, one clause each.
 */
export class SecretsAudit extends Construct {
  /** The audit's key: trail, log group, buckets and topic. */
  public readonly encryptionKey: AuditKey;

  /** The trail the audit created; undefined with `AuditTrail.fromLogGroup`. */
  public readonly trail?: AuditCloudTrail;

  /** The log group the metric filters and queries read. */
  public readonly logGroup: logs.ILogGroup;

  /** The topic the alarms and rules notify. */
  public readonly topic: sns.Topic;

  /** The namespace of the audit's metrics. */
  public readonly metricNamespace: string;

  /** The metric filter of each signal. */
  public readonly metricFilters: Record<AuditSignal, logs.MetricFilter>;

  /** The EventBridge rules. */
  public readonly rules: AuditRules;

  /** The saved Logs Insights queries. */
  public readonly queries: AuditQueries;

  /** The dashboard. */
  public readonly dashboard: cloudwatch.Dashboard;

  /** Failed or abandoned rotations of the watched secrets. */
  public readonly rotationFailedAlarm: cloudwatch.Alarm;

  /** Failed steps of the rotation functions (their EMF metrics). */
  public readonly rotationFunctionErrorsAlarm: cloudwatch.Alarm;

  /** Refused requests on the watched secrets and keys. */
  public readonly accessDeniedAlarm: cloudwatch.Alarm;

  /**
   * Management calls on the watched keys (the audit's own included) and secrets, and values written
   * outside rotation.
   */
  public readonly destructiveChangeAlarm: cloudwatch.Alarm;

  /**
   * Notifications the EventBridge rules could not deliver to the topic, or the topic to `alarmEmail`
   * (their shared dead-letter queue is not empty).
   */
  public readonly notificationDeliveryFailedAlarm: cloudwatch.Alarm;

  private readonly scope = new AuditScope(
    () => this.rotationRoleIds(),
    () => this.rdsManagedSecrets(),
  );
  private readonly watched: SecretsVault[] = [];
  private readonly period: Duration;
  private breakGlassFilters?: Record<BreakGlassSignal, logs.MetricFilter>;
  private breakGlassUsedAlarm?: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: SecretsAuditProps = {}) {
    super(scope, id);
    this.metricNamespace = props.metricNamespace ?? DEFAULT_AUDIT_NAMESPACE;
    validateProps(this, this.metricNamespace, props);
    this.checkNamespaceIsFree(props.metricNamespace !== undefined);
    this.period = props.alarmPeriod ?? Duration.minutes(5);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    // Checked here so that a missing role is reported against the prop the user can set.
    deploymentRoleArn(this, this, props.deploymentRole);
    warnIfDestroyedWithStack(this, removalPolicy);

    this.encryptionKey = new AuditKey(this, 'Key', {
      removalPolicy,
      keyAdmins: props.keyAdmins,
      deploymentRole: props.deploymentRole,
    });
    const { trail, logGroup } = this.readTrail(props, removalPolicy);
    this.trail = trail;
    this.logGroup = logGroup;

    const topic = new AuditTopic(this, 'Topic', { encryptionKey: this.encryptionKey });
    this.topic = topic.topic;
    this.rules = new AuditRules(this, 'Rules', {
      topic: this.topic,
      encryptionKey: this.encryptionKey,
      routineWriterIds: () => this.scope.routineWriterIds(),
      managedSecretArns: () => this.scope.managedSecrets.map((secret) => secret.arn),
    });
    if (props.alarmEmail !== undefined) {
      // What SNS cannot deliver waits with the rules' undelivered notifications, raising the same alarm.
      topic.addEmail(props.alarmEmail, this.rules.deadLetterQueue);
    }
    // The audit's own key guards the evidence: its management calls are watched like a vault key's.
    this.scope.addManagedKeyId(this.encryptionKey.keyId);
    this.rules.watchKey(this.encryptionKey.keyId);

    this.metricFilters = auditMetricFilters(this, this.filterOptions(), () => this.scope.filterPatterns());
    const { deadLetterQueue } = this.rules;
    const alarms = auditAlarms(this, this.alarmOptions(), this.metricFilters, deadLetterQueue, props);
    this.rotationFailedAlarm = alarms.rotationFailed;
    this.rotationFunctionErrorsAlarm = alarms.rotationStepFailed;
    this.accessDeniedAlarm = alarms.accessDenied;
    this.destructiveChangeAlarm = alarms.destructiveChange;
    this.notificationDeliveryFailedAlarm = alarms.notificationDeliveryFailed;

    this.queries = new AuditQueries(this, 'Queries', { logGroup: this.logGroup, scope: this.scope });
    this.dashboard = this.createDashboard(alarms, props.dashboardName);

    for (const vault of nonEmpty(this, 'vaults', props.vaults)) {
      this.watchVault('vaults', vault);
    }
    this.node.addValidation({ validate: () => this.validateScope() });
    auditsByApp.set(this.node.root, [...(auditsByApp.get(this.node.root) ?? []), this]);
  }

  /**
   * Watches a vault: its secrets (by name prefix, present and future) and its key join every
   * pattern, rule and query of the audit, its rotation function's writes count as routine, and its
   * break-glass principal (if any) is alarmed on every call. Watching a vault twice, or two vaults
   * sharing a key or a break-glass principal, adds nothing twice.
   *
   * The master secrets RDS manages (`manageMasterUserPassword`) with the vault's key, for databases
   * in the audit's stack, are watched too, found at synth: their reads, refused requests and
   * rotations (RDS rotates them). Their management calls and value writes are RDS's own and are not
   * counted.
   */
  public watch(vault: SecretsVault): void {
    this.watchVault('watch', vault);
  }

  private watchVault(prop: string, vault: SecretsVault): void {
    if (this.watched.includes(vault)) return;
    const [here, there] = [Stack.of(this), Stack.of(vault)];
    if (knownToDiffer(here.account, there.account) || knownToDiffer(here.region, there.region)) {
      invalid(
        this,
        prop,
        summary(`vault ${vault.node.path} of ${there.account}, ${there.region}`),
        `an audit watches vaults of its own account and region (${here.account}, ${here.region}): its EventBridge rules see only this region's events, and its trail only this account's. Give that vault an audit in its own stack`,
      );
    }
    const breakGlass = vault.breakGlass ? breakGlassIdentity(this, prop, vault.breakGlass) : undefined;
    this.watched.push(vault);
    if (this.scope.addPrefix(vault.namePrefix)) {
      this.rules.watchPrefix(vault.namePrefix);
    }
    const keyId = vault.encryptionKey.keyId;
    if (this.scope.addKeyId(keyId)) {
      this.rules.watchKey(keyId);
    }
    if (breakGlass && this.scope.addBreakGlass(breakGlass)) {
      this.alarmOnBreakGlass();
    }
  }

  /**
   * Any call by a watched vault's break-glass principal, or any attempt to assume its role;
   * undefined while no watched vault names one.
   */
  public get breakGlassAlarm(): cloudwatch.Alarm | undefined {
    return this.breakGlassUsedAlarm;
  }

  /**
   * The metric filters behind `breakGlassAlarm` (the principals' calls, and attempts to assume them);
   * empty while no watched vault names a break-glass principal.
   */
  public get breakGlassMetricFilters(): logs.MetricFilter[] {
    return this.breakGlassFilters ? [this.breakGlassFilters.calls, this.breakGlassFilters.assumptions] : [];
  }

  /**
   * The trail the audit creates and its log group, or an existing trail's log group
   * (`AuditTrail.fromLogGroup`).
   */
  private readTrail(
    props: SecretsAuditProps,
    removalPolicy: RemovalPolicy,
  ): { trail?: AuditCloudTrail; logGroup: logs.ILogGroup } {
    const trail = props.trail ?? AuditTrail.create();
    if (trail.existingLogGroup) return { logGroup: checkLogGroupIsHere(this, trail.existingLogGroup) };
    const created = new AuditCloudTrail(this, 'Trail', {
      ...trail.createOptions,
      encryptionKey: this.encryptionKey,
      removalPolicy,
      deploymentRoleArn: deploymentRoleArn(this, this, props.deploymentRole),
    });
    return { trail: created, logGroup: created.logGroup };
  }

  /** One dashboard; the break-glass alarm and metrics join it when a watched vault names a principal. */
  private createDashboard(alarms: AuditAlarms, dashboardName?: string): cloudwatch.Dashboard {
    return new AuditDashboard(this, 'Dashboard', {
      namespace: this.metricNamespace,
      logGroup: this.logGroup,
      queries: this.queries,
      period: this.period,
      dashboardName,
      rotationFunctions: () => this.rotationFunctions(),
      alarms,
      laterAlarms: () => (this.breakGlassUsedAlarm ? [this.breakGlassUsedAlarm] : []),
      laterChangeMetrics: () => this.breakGlassChangeMetrics(),
    }).dashboard;
  }

  /** The vaults watched so far. */
  public get vaults(): SecretsVault[] {
    return [...this.watched];
  }

  /** The rotation functions of the watched vaults that have one (watching never creates one). */
  private rotationFunctions(): RotationFunction[] {
    return this.watched
      .map((vault) => vault.existingRotationFunction)
      .filter((fn): fn is RotationFunction => fn !== undefined);
  }

  /** The unique ids of the watched vaults' rotation roles, whose value writes are routine. */
  private rotationRoleIds(): string[] {
    return this.rotationFunctions().map((fn) => fn.role.roleId);
  }

  /**
   * The master secrets RDS manages with a watched vault's key for databases of this stack. A database
   * of another stack is not watched (its secret's ARN would tie the two stacks both ways): see
   * `warnOfRdsSecretsElsewhere`.
   */
  private rdsManagedSecrets(): RdsManagedSecret[] {
    const stack = Stack.of(this);
    return rdsManagedSecrets(stack, this.watchedKeyArns()).filter((s) => Stack.of(s.database) === stack);
  }

  private watchedKeyArns(): string[] {
    return this.watched.map((vault) => vault.encryptionKey.keyArn);
  }

  private filterOptions(): AuditMetricFilterOptions {
    return { logGroup: this.logGroup, namespace: this.metricNamespace };
  }

  private alarmOptions(): AuditAlarmOptions {
    return { period: this.period, topic: this.topic };
  }

  /**
   * Two filters and one alarm serve every break-glass principal, created with the first: the
   * patterns list the principals at synth.
   */
  private alarmOnBreakGlass(): void {
    if (this.breakGlassFilters) return;
    this.breakGlassFilters = breakGlassMetricFilters(this, this.filterOptions(), () =>
      this.scope.breakGlassPatterns(),
    );
    this.breakGlassUsedAlarm = breakGlassUsedAlarm(this, this.alarmOptions(), this.breakGlassFilters);
  }

  /** What the dashboard graphs of break-glass use, with the management calls; nothing while no vault names one. */
  private breakGlassChangeMetrics(): cloudwatch.IMetric[] {
    if (!this.breakGlassFilters) return [];
    const { calls, assumptions } = this.breakGlassFilters;
    return [
      calls.metric({ statistic: 'Sum', period: this.period, label: 'Break-glass calls' }),
      assumptions.metric({ statistic: 'Sum', period: this.period, label: 'Break-glass role assumed' }),
    ];
  }

  /**
   * Two audits of one account and region publishing to one namespace would count each other's events:
   * every alarm of each would fire for the other's vaults.
   */
  private checkNamespaceIsFree(given: boolean): void {
    if (Token.isUnresolved(this.metricNamespace)) return;
    const twin = (auditsByApp.get(this.node.root) ?? []).find(
      (o) => o.metricNamespace === this.metricNamespace && mayShareEnvironment(this, o),
    );
    if (twin) {
      invalid(
        this,
        'metricNamespace',
        this.metricNamespace,
        `audit ${twin.node.path} of the same account and region publishes to it already, and each audit's alarms would count the other's events: ${given ? 'give each audit its own' : 'give this audit a `metricNamespace` of its own (the default is the same for every audit)'}`,
      );
    }
  }

  private validateScope(): string[] {
    if (this.scope.isEmpty) {
      return [`${ownerName(this)}: no vault is watched; pass \`vaults\` or call \`watch(vault)\`.`];
    }
    this.warnOfRdsSecretsElsewhere();
    const patterns = this.scope.filterPatterns();
    const breakGlassPatterns = this.scope.breakGlassPatterns();
    return [
      ...(Object.keys(AUDIT_METRICS) as AuditSignal[]).map((s) => [AUDIT_METRICS[s], patterns[s]] as const),
      ...(Object.keys(BREAK_GLASS_METRICS) as BreakGlassSignal[]).map(
        (s) => [BREAK_GLASS_METRICS[s], breakGlassPatterns?.[s]] as const,
      ),
    ].flatMap(([metricName, pattern]) =>
      pattern === undefined ? [] : this.checkPatternLength(metricName, pattern),
    );
  }

  /** CloudWatch Logs refuses a pattern over 1,024 characters at deploy: refused here, saying what to split. */
  private checkPatternLength(metricName: string, pattern: string): string[] {
    const length = this.scope.estimatedLength(pattern);
    if (length <= MAX_FILTER_PATTERN_LENGTH) return [];
    const rds = this.scope.managedSecrets.length;
    return [
      `${ownerName(this)}: the filter pattern of the ${metricName} metric would be about ${length} characters ` +
        `for ${this.scope.prefixes.length} name prefixes, ${rds > 0 ? `${rds} RDS-managed secrets, ` : ''}` +
        `${this.scope.keyIds.length} vault keys, ${this.scope.routineWriterIds().length} rotation roles and ` +
        `${this.scope.breakGlass.length} break-glass principals; CloudWatch Logs allows ${MAX_FILTER_PATTERN_LENGTH}. ` +
        'Split the vaults across several SecretsAudit constructs (each with its own `metricNamespace`, sharing ' +
        'the trail through `AuditTrail.fromLogGroup`), or give the vaults shorter `namePrefix`es.',
    ];
  }

  /**
   * A database of another stack whose RDS-managed secret uses a watched vault's key is not watched
   * (unless an audit of its own stack watches that vault): said at synth, with what to do.
   */
  private warnOfRdsSecretsElsewhere(): void {
    const audits = auditsByApp.get(this.node.root) ?? [];
    for (const vault of this.watched) {
      for (const { database } of rdsManagedSecrets(this.node.root, [vault.encryptionKey.keyArn])) {
        const stack = Stack.of(database);
        if (audits.some((a) => Stack.of(a) === stack && a.watched.includes(vault))) continue;
        Annotations.of(this).addWarningV2(
          'cdk-secrets-vault:audit-rds-secret-elsewhere',
          `${ownerName(this)}: the master secret RDS manages for database ${pathOf(database)} is encrypted ` +
            `with the key of watched vault ${vault.node.path}, but the database is in stack ${stack.stackName}, ` +
            `not in this audit's stack ${Stack.of(this).stackName}: its reads and rotations are not watched. ` +
            'Watch the vault from an audit in that stack too (with a `metricNamespace` of its own), or create ' +
            "the database in this audit's stack.",
        );
      }
    }
  }
}

function validateProps(audit: SecretsAudit, namespace: string, props: SecretsAuditProps): void {
  if (!Token.isUnresolved(namespace) && (!NAMESPACE.test(namespace) || namespace.startsWith('AWS/'))) {
    invalid(
      audit,
      'metricNamespace',
      namespace,
      'allowed: 1 to 255 letters, digits, spaces and . _ - / # :, not starting with `AWS/`',
    );
  }
  for (const [prop, value] of [
    ['rotationFailureThreshold', props.rotationFailureThreshold],
    ['rotationFunctionErrorThreshold', props.rotationFunctionErrorThreshold],
    ['accessDeniedThreshold', props.accessDeniedThreshold],
    ['destructiveChangeThreshold', props.destructiveChangeThreshold],
  ] as const) {
    validateWholeNumber(audit, prop, value, 1, Infinity, 'allowed: a whole number of events, 1 or more');
  }
  if (props.alarmPeriod !== undefined && !Token.isUnresolved(props.alarmPeriod.toSeconds())) {
    const minutes = props.alarmPeriod.toSeconds() / 60;
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > MAX_ALARM_PERIOD_MINUTES) {
      invalid(
        audit,
        'alarmPeriod',
        props.alarmPeriod,
        'allowed: a whole number of minutes from 1 minute to 1 day',
      );
    }
  }
  validateEmail(audit, 'alarmEmail', props.alarmEmail);
  validateDashboardName(audit, 'dashboardName', props.dashboardName);
}

/** The audits of each app (by its root), to keep their metric namespaces apart. */
const auditsByApp = new WeakMap<IConstruct, SecretsAudit[]>();

function warnIfDestroyedWithStack(audit: SecretsAudit, removalPolicy: RemovalPolicy): void {
  if (removalPolicy !== RemovalPolicy.DESTROY) return;
  Annotations.of(audit).addWarningV2(
    'cdk-secrets-vault:audit-destroyed-with-stack',
    `${ownerName(audit)}: \`removalPolicy\` is DESTROY: the audit's trail bucket, access logs, log group and key go with the stack, and audit records are evidence. Use RETAIN outside throwaway environments.`,
  );
}

/**
 * Metric filters read a log group of their own account and region only: an existing trail's log
 * group elsewhere (imported by ARN) cannot feed them.
 */
function checkLogGroupIsHere(audit: SecretsAudit, logGroup: logs.ILogGroup): logs.ILogGroup {
  const stack = Stack.of(audit);
  const { account, region } = logGroup.env;
  if (knownToDiffer(account, stack.account) || knownToDiffer(region, stack.region)) {
    invalid(
      audit,
      'trail',
      summary(`the log group ${logGroup.node.path} of ${account}, ${region}`),
      `metric filters read a log group of their own account and region (${stack.account}, ${stack.region}): use the log group the trail delivers to in this account and region, or let the audit create its trail`,
    );
  }
  return logGroup;
}

/**
 * How the audit recognizes a vault's break-glass principal in CloudTrail: by the one ARN pattern the
 * vault's rules give it. The vault checked the principal when it was built; it is checked again (a
 * principal swapped in since, from JavaScript, could stand for a whole account or a service, whose
 * every call would alarm), against `prop`, the way the vault came to the audit.
 */
function breakGlassIdentity(
  audit: SecretsAudit,
  prop: string,
  principal: iam.IPrincipal,
): BreakGlassIdentity {
  const [arn] = principalArnPatterns(audit, prop, principal, BREAK_GLASS_RULES);
  const role = principal as Partial<iam.IRole>;
  if (typeof role.roleArn === 'string') return { arn: role.roleArn, kind: 'role' };
  const user = principal as Partial<iam.IUser>;
  if (typeof user.userArn === 'string') return { arn: user.userArn, kind: 'user' };
  return { arn, kind: kindOfArn(arn) };
}

/** A resource by the path of the construct it is the resource of (`Stack/Db`, not `Stack/Db/Resource`). */
function pathOf(resource: IConstruct): string {
  const owner = resource.node.id === 'Resource' ? resource.node.scope : undefined;
  return (owner ?? resource).node.path;
}

/** A role's sessions carry the role's ARN as their issuer; anything else is the caller's own ARN. */
function kindOfArn(arn: string): BreakGlassIdentity['kind'] {
  if (Token.isUnresolved(arn)) return 'unknown';
  const resource = arn.split(':').slice(5).join(':');
  return resource.startsWith('role/') ? 'role' : 'user';
}
