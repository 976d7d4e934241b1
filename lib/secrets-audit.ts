import { Annotations, Duration, Lazy, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct, IConstruct } from 'constructs';
import { AuditCloudTrail } from './audit/audit-cloud-trail';
import {
  AuditDashboard,
  ROTATION_METRICS_NAMESPACE,
  ROTATION_STEP_DIMENSION,
  ROTATION_STEP_METRICS,
  ROTATION_STEPS,
} from './audit/audit-dashboard';
import { AuditKey } from './audit/audit-key';
import { AuditQueries } from './audit/audit-queries';
import { AuditRules } from './audit/audit-rules';
import {
  AUDIT_METRICS,
  AuditScope,
  BREAK_GLASS_METRICS,
  BreakGlassIdentity,
  MAX_FILTER_PATTERN_LENGTH,
  SECRET_ID_DIMENSION,
} from './audit/audit-scope';
import { AuditTopic } from './audit/audit-topic';
import { AuditTrail } from './audit/audit-trail';
import { BREAK_GLASS_RULES, deploymentRoleArn, nonEmpty, principalArnPatterns } from './private/principals';
import {
  invalid,
  knownToDiffer,
  mayShareEnvironment,
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

/** One signal of the audit: the metric its filter publishes. */
export type AuditSignal = keyof typeof AUDIT_METRICS;

const NAMESPACE = /^[A-Za-z0-9 ._\-/#:]{1,255}$/;
const MAX_ALARM_PERIOD_MINUTES = 1440;
const MATCH_NOTHING = '{ $.eventSource = "none" }';

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
 * clause to a pattern, not a resource.
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

  private readonly scope = new AuditScope(() => this.rotationRoleIds());
  private readonly watched: SecretsVault[] = [];
  private readonly period: Duration;
  private readonly breakGlassFilters: Partial<Record<keyof typeof BREAK_GLASS_METRICS, logs.MetricFilter>> =
    {};
  private breakGlassUsedAlarm?: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: SecretsAuditProps = {}) {
    super(scope, id);
    const owner = `SecretsAudit ${this.node.path}`;
    this.metricNamespace = props.metricNamespace ?? DEFAULT_AUDIT_NAMESPACE;
    validateProps(owner, this.metricNamespace, props);
    this.checkNamespaceIsFree(owner, props.metricNamespace !== undefined);
    const period = props.alarmPeriod ?? Duration.minutes(5);
    this.period = period;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    // Checked here so that a missing role is reported against the prop the user can set.
    deploymentRoleArn(this, owner, props.deploymentRole);

    this.encryptionKey = new AuditKey(this, 'Key', {
      removalPolicy,
      keyAdmins: props.keyAdmins,
      deploymentRole: props.deploymentRole,
    });
    const trail = props.trail ?? AuditTrail.create();
    if (removalPolicy === RemovalPolicy.DESTROY) {
      Annotations.of(this).addWarningV2(
        'cdk-secrets-vault:audit-destroyed-with-stack',
        `${owner}: \`removalPolicy\` is DESTROY: the audit's trail bucket, access logs, log group and key go with the stack, and audit records are evidence. Use RETAIN outside throwaway environments.`,
      );
    }
    if (trail.existingLogGroup) {
      checkLogGroupIsHere(owner, this, trail.existingLogGroup);
      this.logGroup = trail.existingLogGroup;
    } else {
      this.trail = new AuditCloudTrail(this, 'Trail', {
        ...trail.createOptions,
        encryptionKey: this.encryptionKey,
        removalPolicy,
        deploymentRoleArn: deploymentRoleArn(this, owner, props.deploymentRole),
      });
      this.logGroup = this.trail.logGroup;
    }

    const topic = new AuditTopic(this, 'Topic', { encryptionKey: this.encryptionKey });
    this.topic = topic.topic;
    this.rules = new AuditRules(this, 'Rules', {
      topic: this.topic,
      encryptionKey: this.encryptionKey,
      routineWriterIds: () => this.scope.routineWriterIds(),
    });
    if (props.alarmEmail !== undefined) {
      // What SNS cannot deliver to the address waits with the rules' undelivered notifications and
      // raises the same alarm.
      topic.addEmail(props.alarmEmail, this.rules.deadLetterQueue);
    }
    // The audit's own key guards the evidence: its management calls are watched like a vault key's.
    this.scope.addManagedKeyId(this.encryptionKey.keyId);
    this.rules.watchKey(this.encryptionKey.keyId);

    const patterns = () => this.scope.filterPatterns();
    const filters: Partial<Record<AuditSignal, logs.MetricFilter>> = {};
    for (const signal of Object.keys(AUDIT_METRICS) as AuditSignal[]) {
      filters[signal] = new logs.MetricFilter(this, `${capitalize(signal)}Filter`, {
        logGroup: this.logGroup,
        // The pattern lists the watched vaults, which `watch()` may still add to: rendered at synth.
        filterPattern: logs.FilterPattern.literal(Lazy.string({ produce: () => patterns()[signal] })),
        metricNamespace: this.metricNamespace,
        metricName: AUDIT_METRICS[signal],
        metricValue: '1',
        unit: cloudwatch.Unit.COUNT,
        dimensions:
          signal === 'secretRead' ? { [SECRET_ID_DIMENSION]: '$.requestParameters.secretId' } : undefined,
      });
    }
    this.metricFilters = filters as Record<AuditSignal, logs.MetricFilter>;

    const count = (signal: AuditSignal) => this.metricFilters[signal].metric({ statistic: 'Sum', period });
    this.rotationFailedAlarm = this.newAlarm(
      'RotationFailedAlarm',
      'A rotation of a watched secret failed or was abandoned. The current value still works. Read the ' +
        'rotation function log for the failing step, fix it, then rotate again.',
      props.rotationFailureThreshold ?? 1,
      new cloudwatch.MathExpression({
        expression: 'FILL(failed, 0) + FILL(abandoned, 0)',
        usingMetrics: { failed: count('rotationFailed'), abandoned: count('rotationAbandoned') },
        label: 'Failed or abandoned rotations',
        period,
      }),
    );
    const steps = Object.fromEntries(
      ROTATION_STEPS.map((step, i) => [
        `s${i}`,
        new cloudwatch.Metric({
          namespace: ROTATION_METRICS_NAMESPACE,
          metricName: ROTATION_STEP_METRICS.failed,
          dimensionsMap: { [ROTATION_STEP_DIMENSION]: step },
          statistic: 'Sum',
          period,
        }),
      ]),
    );
    this.rotationFunctionErrorsAlarm = this.newAlarm(
      'RotationFunctionErrorsAlarm',
      'A rotation function step failed (its own RotationStepFailed metric). Secrets Manager retries; the ' +
        'function log names the step and the reason.',
      props.rotationFunctionErrorThreshold ?? 1,
      new cloudwatch.MathExpression({
        expression: Object.keys(steps)
          .map((s) => `FILL(${s}, 0)`)
          .join(' + '),
        usingMetrics: steps,
        label: 'Failed rotation steps',
        period,
      }),
    );
    this.accessDeniedAlarm = this.newAlarm(
      'AccessDeniedAlarm',
      'Requests on the watched secrets or keys were refused. See "Access denied by principal" on the audit ' +
        'dashboard for who called what.',
      props.accessDeniedThreshold ?? 1,
      count('accessDenied'),
    );
    this.destructiveChangeAlarm = this.newAlarm(
      'DestructiveChangeAlarm',
      'A management call on a watched key (the audit key included) or secret succeeded: a policy, tag, alias, ' +
        'grant, rotation, replication, deletion or restore, or a value written by someone other than the ' +
        'rotation function. A deployment that changes the vault does this too; if it was not one: ' +
        'CancelKeyDeletion / EnableKey / RestoreSecret, compare policies with the template, and see "Key events" ' +
        'on the audit dashboard for who called what.',
      props.destructiveChangeThreshold ?? 1,
      new cloudwatch.MathExpression({
        expression: 'FILL(keys, 0) + FILL(secrets, 0) + FILL(values, 0)',
        usingMetrics: {
          keys: count('keyChanged'),
          secrets: count('secretChanged'),
          values: count('secretValueWritten'),
        },
        label: 'Management calls',
        period,
      }),
    );
    this.notificationDeliveryFailedAlarm = this.newAlarm(
      'NotificationDeliveryFailedAlarm',
      'An audit notification could not be delivered from an EventBridge rule to the topic (at once on a ' +
        'permission error, after up to a day of retries otherwise), or from the topic to the alarm email, and ' +
        'waits in the rules’ dead-letter queue, kept 14 days. Each message’s attributes say why (EventBridge’s ' +
        'ERROR_CODE and ERROR_MESSAGE; often the topic or key policy): fix it, read the events, then delete the ' +
        'messages. This alarm shows red on the dashboard even when the topic itself is what fails.',
      1,
      this.rules.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period }),
    );

    this.queries = new AuditQueries(this, 'Queries', { logGroup: this.logGroup, scope: this.scope });
    this.dashboard = new AuditDashboard(this, 'Dashboard', {
      namespace: this.metricNamespace,
      logGroup: this.logGroup,
      queries: this.queries,
      period,
      dashboardName: props.dashboardName,
      rotationFunctions: () => this.rotationFunctions(),
      alarms: {
        rotationFailed: this.rotationFailedAlarm,
        rotationStepFailed: this.rotationFunctionErrorsAlarm,
        accessDenied: this.accessDeniedAlarm,
        destructiveChange: this.destructiveChangeAlarm,
        notificationDeliveryFailed: this.notificationDeliveryFailedAlarm,
      },
      laterAlarms: () => (this.breakGlassUsedAlarm ? [this.breakGlassUsedAlarm] : []),
      laterChangeMetrics: () =>
        (
          [
            [this.breakGlassFilters.calls, 'Break-glass calls'],
            [this.breakGlassFilters.assumptions, 'Break-glass role assumed'],
          ] as const
        ).flatMap(([filter, label]) => (filter ? [filter.metric({ statistic: 'Sum', period, label })] : [])),
    }).dashboard;

    for (const vault of nonEmpty(owner, 'vaults', props.vaults)) {
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
   */
  public watch(vault: SecretsVault): void {
    this.watchVault('watch', vault);
  }

  private watchVault(prop: string, vault: SecretsVault): void {
    if (this.watched.includes(vault)) return;
    const [here, there] = [Stack.of(this), Stack.of(vault)];
    if (knownToDiffer(here.account, there.account) || knownToDiffer(here.region, there.region)) {
      invalid(
        `SecretsAudit ${this.node.path}`,
        prop,
        summary(`vault ${vault.node.path} of ${there.account}, ${there.region}`),
        `an audit watches vaults of its own account and region (${here.account}, ${here.region}): its EventBridge rules see only this region's events, and its trail only this account's. Give that vault an audit in its own stack`,
      );
    }
    const breakGlass = vault.breakGlass ? breakGlassIdentity(this, vault, vault.breakGlass) : undefined;
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
    return [this.breakGlassFilters.calls, this.breakGlassFilters.assumptions].filter(
      (f): f is logs.MetricFilter => f !== undefined,
    );
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
   * Two filters and one alarm serve every break-glass principal, created with the first: the
   * patterns list the principals at synth.
   */
  private alarmOnBreakGlass(): void {
    if (this.breakGlassUsedAlarm) return;
    for (const signal of Object.keys(BREAK_GLASS_METRICS) as (keyof typeof BREAK_GLASS_METRICS)[]) {
      this.breakGlassFilters[signal] = new logs.MetricFilter(this, `BreakGlass${capitalize(signal)}Filter`, {
        logGroup: this.logGroup,
        filterPattern: logs.FilterPattern.literal(
          // Never empty: an empty pattern would count every event of the log group.
          Lazy.string({ produce: () => this.scope.breakGlassPatterns()?.[signal] ?? MATCH_NOTHING }),
        ),
        metricNamespace: this.metricNamespace,
        metricName: BREAK_GLASS_METRICS[signal],
        metricValue: '1',
        unit: cloudwatch.Unit.COUNT,
      });
    }
    const count = (signal: keyof typeof BREAK_GLASS_METRICS) =>
      this.breakGlassFilters[signal]!.metric({ statistic: 'Sum', period: this.period });
    this.breakGlassUsedAlarm = this.newAlarm(
      'BreakGlassUsedAlarm',
      'The break-glass principal of a watched vault made a call (in any service or region), or someone tried to ' +
        'assume its role. If no emergency was declared: revoke the role’s active sessions, then find what it did ' +
        'in the trail log group (userIdentity.sessionContext.sessionIssuer.arn) and undo it.',
      1,
      new cloudwatch.MathExpression({
        expression: 'FILL(calls, 0) + FILL(assumptions, 0)',
        usingMetrics: { calls: count('calls'), assumptions: count('assumptions') },
        label: 'Break-glass calls and assumptions',
        period: this.period,
      }),
    );
  }

  private newAlarm(
    alarmId: string,
    description: string,
    threshold: number,
    metric: cloudwatch.IMetric,
  ): cloudwatch.Alarm {
    const created = new cloudwatch.Alarm(this, alarmId, {
      alarmDescription: description,
      metric,
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // No event in a period means nothing happened, not that the audit is blind.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    created.addAlarmAction(new cloudwatchActions.SnsAction(this.topic));
    return created;
  }

  /**
   * Two audits of one account and region publishing to one namespace would count each other's events:
   * every alarm of each would fire for the other's vaults.
   */
  private checkNamespaceIsFree(owner: string, given: boolean): void {
    if (Token.isUnresolved(this.metricNamespace)) return;
    const twin = (auditsByApp.get(this.node.root) ?? []).find(
      (o) => o.metricNamespace === this.metricNamespace && mayShareEnvironment(this, o),
    );
    if (twin) {
      invalid(
        owner,
        'metricNamespace',
        this.metricNamespace,
        `audit ${twin.node.path} of the same account and region publishes to it already, and each audit's alarms would count the other's events: ${given ? 'give each audit its own' : 'give this audit a `metricNamespace` of its own (the default is the same for every audit)'}`,
      );
    }
  }

  private validateScope(): string[] {
    const owner = `SecretsAudit ${this.node.path}`;
    if (this.scope.isEmpty) {
      return [`${owner}: no vault is watched; pass \`vaults\` or call \`watch(vault)\`.`];
    }
    const errors: string[] = [];
    const signalPatterns = this.scope.filterPatterns();
    const patterns: [string, string | undefined][] = [
      ...(Object.keys(AUDIT_METRICS) as AuditSignal[]).map((signal): [string, string] => [
        AUDIT_METRICS[signal],
        signalPatterns[signal],
      ]),
      ...(Object.keys(BREAK_GLASS_METRICS) as (keyof typeof BREAK_GLASS_METRICS)[]).map(
        (signal): [string, string | undefined] => [
          BREAK_GLASS_METRICS[signal],
          this.scope.breakGlassPatterns()?.[signal],
        ],
      ),
    ];
    for (const [metricName, pattern] of patterns) {
      if (pattern === undefined) continue;
      const length = this.scope.estimatedLength(pattern);
      if (length > MAX_FILTER_PATTERN_LENGTH) {
        errors.push(
          `${owner}: the filter pattern of the ${metricName} metric would be about ${length} characters ` +
            `for ${this.scope.prefixes.length} name prefixes, ${this.scope.keyIds.length} vault keys, ` +
            `${this.scope.routineWriterIds().length} rotation roles and ${this.scope.breakGlass.length} break-glass ` +
            `principals; CloudWatch Logs allows ${MAX_FILTER_PATTERN_LENGTH}. Split the vaults across several ` +
            'SecretsAudit constructs (each with its own `metricNamespace`, sharing the trail through ' +
            '`AuditTrail.fromLogGroup`), or give the vaults shorter `namePrefix`es.',
        );
      }
    }
    return errors;
  }
}

function validateProps(owner: string, namespace: string, props: SecretsAuditProps): void {
  if (!Token.isUnresolved(namespace) && (!NAMESPACE.test(namespace) || namespace.startsWith('AWS/'))) {
    invalid(
      owner,
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
    validateWholeNumber(owner, prop, value, 1, Infinity, 'allowed: a whole number of events, 1 or more');
  }
  if (props.alarmPeriod !== undefined && !Token.isUnresolved(props.alarmPeriod.toSeconds())) {
    const minutes = props.alarmPeriod.toSeconds() / 60;
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > MAX_ALARM_PERIOD_MINUTES) {
      invalid(
        owner,
        'alarmPeriod',
        props.alarmPeriod,
        'allowed: a whole number of minutes from 1 minute to 1 day',
      );
    }
  }
  validateEmail(owner, 'alarmEmail', props.alarmEmail);
  validateDashboardName(owner, 'dashboardName', props.dashboardName);
}

/** The audits of each app (by its root), to keep their metric namespaces apart. */
const auditsByApp = new WeakMap<IConstruct, SecretsAudit[]>();

/**
 * Metric filters read a log group of their own account and region only: an existing trail's log
 * group elsewhere (imported by ARN) cannot feed them.
 */
function checkLogGroupIsHere(owner: string, audit: Construct, logGroup: logs.ILogGroup): void {
  const stack = Stack.of(audit);
  const { account, region } = logGroup.env;
  if (knownToDiffer(account, stack.account) || knownToDiffer(region, stack.region)) {
    invalid(
      owner,
      'trail',
      summary(`the log group ${logGroup.node.path} of ${account}, ${region}`),
      `metric filters read a log group of their own account and region (${stack.account}, ${stack.region}): use the log group the trail delivers to in this account and region, or let the audit create its trail`,
    );
  }
}

function capitalize(value: string): string {
  return value.charAt(0).toUpperCase() + value.slice(1);
}

/**
 * How the audit recognizes a vault's break-glass principal in CloudTrail: by the one ARN pattern the
 * vault's rules (already checked by the vault) give it. A principal that stands for more than one
 * identity is refused, since its calls could not be told apart.
 */
function breakGlassIdentity(
  audit: Construct,
  vault: SecretsVault,
  principal: iam.IPrincipal,
): BreakGlassIdentity {
  const owner = `SecretsAudit ${audit.node.path} (watching vault ${vault.node.path})`;
  const patterns = principalArnPatterns(owner, 'breakGlass', principal, BREAK_GLASS_RULES);
  if (patterns.length !== 1) {
    return invalid(
      owner,
      'breakGlass',
      principal.toString(),
      'allowed: one role or user, so that its calls can be told apart',
    );
  }
  const role = principal as Partial<iam.IRole>;
  if (typeof role.roleArn === 'string') return { arn: role.roleArn, kind: 'role' };
  const user = principal as Partial<iam.IUser>;
  if (typeof user.userArn === 'string') return { arn: user.userArn, kind: 'user' };
  return { arn: patterns[0], kind: kindOfArn(patterns[0]) };
}

/** A role's sessions carry the role's ARN as their issuer; anything else is the caller's own ARN. */
function kindOfArn(arn: string): BreakGlassIdentity['kind'] {
  if (Token.isUnresolved(arn)) return 'unknown';
  const resource = arn.split(':').slice(5).join(':');
  return resource.startsWith('role/') ? 'role' : 'user';
}
