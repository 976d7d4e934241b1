import { Duration, Lazy, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
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
  estimatedLength,
  MAX_FILTER_PATTERN_LENGTH,
  SECRET_ID_DIMENSION,
} from './audit/audit-scope';
import { AuditTopic } from './audit/audit-topic';
import { AuditTrail } from './audit/audit-trail';
import { invalid } from './private/validation';
import { RotationFunction } from './rotation-function';
import { SecretsVault } from './secrets-vault';

export * from './audit';

/** The namespace of the audit's metric filters unless told otherwise. */
export const DEFAULT_AUDIT_NAMESPACE = 'SecretsVault/Audit';

/** One signal of the audit: the metric its filter publishes. */
export type AuditSignal = keyof typeof AUDIT_METRICS;

const NAMESPACE = /^[A-Za-z0-9 ._\-/#:]{1,255}$/;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const DASHBOARD_NAME = /^[A-Za-z0-9_-]{1,255}$/;
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
   * An email address the alarm topic sends to (confirm the subscription from the first mail).
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
   * Weakening or destructive changes (key disabled, scheduled for deletion, new key or secret
   * policy, secret deleted, rotation cancelled) in one period that raise the change alarm (a whole
   * number, 1 or more).
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
}

/**
 * Watches one or more SecretsVaults: when their keys and secrets rotate, when rotation fails, who
 * reads what, refused requests and weakening changes. CloudTrail records (from a trail of its own or
 * an existing trail's log group) feed one metric filter per signal, EventBridge rules notify at
 * once on failed rotations and destructive changes, alarms notify an encrypted SNS topic, and one
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

  /** Weakening or destructive changes of the watched keys and secrets. */
  public readonly destructiveChangeAlarm: cloudwatch.Alarm;

  private readonly scope = new AuditScope();
  private readonly watched: SecretsVault[] = [];

  constructor(scope: Construct, id: string, props: SecretsAuditProps = {}) {
    super(scope, id);
    const owner = `SecretsAudit ${this.node.path}`;
    this.metricNamespace = props.metricNamespace ?? DEFAULT_AUDIT_NAMESPACE;
    validateProps(owner, this.metricNamespace, props);
    const period = props.alarmPeriod ?? Duration.minutes(5);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    this.encryptionKey = new AuditKey(this, 'Key', { removalPolicy });
    const trail = props.trail ?? AuditTrail.create();
    if (trail.existingLogGroup) {
      this.logGroup = trail.existingLogGroup;
    } else {
      this.trail = new AuditCloudTrail(this, 'Trail', {
        ...trail.createOptions,
        encryptionKey: this.encryptionKey,
        removalPolicy,
      });
      this.logGroup = this.trail.logGroup;
    }

    this.topic = new AuditTopic(this, 'Topic', {
      encryptionKey: this.encryptionKey,
      email: props.alarmEmail,
    }).topic;
    this.rules = new AuditRules(this, 'Rules', { topic: this.topic });

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
    const alarm = (alarmId: string, description: string, threshold: number, metric: cloudwatch.IMetric) => {
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
    };
    this.rotationFailedAlarm = alarm(
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
    this.rotationFunctionErrorsAlarm = alarm(
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
    this.accessDeniedAlarm = alarm(
      'AccessDeniedAlarm',
      'Requests on the watched secrets or keys were refused. See "Access denied by principal" on the audit ' +
        'dashboard for who called what.',
      props.accessDeniedThreshold ?? 1,
      count('accessDenied'),
    );
    this.destructiveChangeAlarm = alarm(
      'DestructiveChangeAlarm',
      'A watched key was disabled, scheduled for deletion, lost its rotation or got a new policy, or a watched ' +
        'secret got a new resource policy, was deleted, or had its rotation cancelled. If unplanned: ' +
        'CancelKeyDeletion / EnableKey / RestoreSecret, and compare policies with the template.',
      props.destructiveChangeThreshold ?? 1,
      new cloudwatch.MathExpression({
        expression: 'FILL(keys, 0) + FILL(secrets, 0)',
        usingMetrics: { keys: count('keyChanged'), secrets: count('secretChanged') },
        label: 'Destructive changes',
        period,
      }),
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
      },
    }).dashboard;

    for (const vault of props.vaults ?? []) {
      this.watch(vault);
    }
    this.node.addValidation({ validate: () => this.validateScope() });
  }

  /**
   * Watches a vault: its secrets (by name prefix, present and future) and its key join every
   * pattern, rule and query of the audit. Watching a vault twice, or two vaults sharing a key, adds
   * nothing twice.
   */
  public watch(vault: SecretsVault): void {
    if (this.watched.includes(vault)) return;
    this.watched.push(vault);
    if (this.scope.addPrefix(vault.namePrefix)) {
      this.rules.watchPrefix(vault.namePrefix);
    }
    const keyId = vault.encryptionKey.keyId;
    if (this.scope.addKeyId(keyId)) {
      this.rules.watchKey(keyId);
    }
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

  private validateScope(): string[] {
    const owner = `SecretsAudit ${this.node.path}`;
    if (this.scope.isEmpty) {
      return [`${owner}: no vault is watched; pass \`vaults\` or call \`watch(vault)\`.`];
    }
    const errors: string[] = [];
    const patterns = this.scope.filterPatterns();
    for (const signal of Object.keys(patterns) as AuditSignal[]) {
      const length = estimatedLength(patterns[signal]);
      if (length > MAX_FILTER_PATTERN_LENGTH) {
        errors.push(
          `${owner}: the filter pattern of the ${AUDIT_METRICS[signal]} metric would be about ${length} characters ` +
            `for ${this.scope.prefixes.length} name prefixes and ${this.scope.keyIds.length} keys; CloudWatch Logs ` +
            `allows ${MAX_FILTER_PATTERN_LENGTH}. Split the vaults across several SecretsAudit constructs (each with ` +
            'its own `metricNamespace`, sharing the trail through `AuditTrail.fromLogGroup`), or give the vaults ' +
            'shorter `namePrefix`es.',
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
    if (value !== undefined && !Token.isUnresolved(value) && (!Number.isInteger(value) || value < 1)) {
      invalid(owner, prop, value, 'allowed: a whole number of events, 1 or more');
    }
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
  if (
    props.alarmEmail !== undefined &&
    !Token.isUnresolved(props.alarmEmail) &&
    !EMAIL.test(props.alarmEmail)
  ) {
    invalid(owner, 'alarmEmail', props.alarmEmail, 'allowed: one email address, like "secops@example.com"');
  }
  if (
    props.dashboardName !== undefined &&
    !Token.isUnresolved(props.dashboardName) &&
    !DASHBOARD_NAME.test(props.dashboardName)
  ) {
    invalid(owner, 'dashboardName', props.dashboardName, 'allowed: 1 to 255 letters, digits, _ and -');
  }
}

function capitalize(value: string): string {
  return value.charAt(0).toUpperCase() + value.slice(1);
}
