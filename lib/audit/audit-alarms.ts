import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  ROTATION_METRICS_NAMESPACE,
  ROTATION_STEP_DIMENSION,
  ROTATION_STEP_METRICS,
  ROTATION_STEPS,
} from './audit-dashboard';
import { AuditSignal, BreakGlassSignal } from './audit-scope';

/**
 * What every alarm of an audit shares: the period it counts over and the topic it notifies.
 *
 * @internal
 */
export interface AuditAlarmOptions {
  /** The period over which the alarms count events. */
  readonly period: Duration;

  /** The topic each alarm notifies. */
  readonly topic: sns.ITopic;
}

/**
 * The thresholds of the alarms that take one (`SecretsAuditProps`), each 1 when not given.
 *
 * @internal
 */
export interface AuditAlarmThresholds {
  readonly rotationFailureThreshold?: number;
  readonly rotationFunctionErrorThreshold?: number;
  readonly accessDeniedThreshold?: number;
  readonly destructiveChangeThreshold?: number;
}

/**
 * The five alarms every audit has, in the shape the dashboard shows them.
 *
 * @internal
 */
export interface AuditAlarms {
  readonly rotationFailed: cloudwatch.Alarm;
  readonly rotationStepFailed: cloudwatch.Alarm;
  readonly accessDenied: cloudwatch.Alarm;
  readonly destructiveChange: cloudwatch.Alarm;
  readonly notificationDeliveryFailed: cloudwatch.Alarm;
}

/**
 * Creates the five alarms of an audit in `scope`: on its metric filters, on the rotation functions'
 * step metrics, and on the rules' dead-letter queue.
 *
 * @internal
 */
export function auditAlarms(
  scope: Construct,
  options: AuditAlarmOptions,
  filters: Record<AuditSignal, logs.MetricFilter>,
  deadLetterQueue: sqs.IQueue,
  thresholds: AuditAlarmThresholds,
): AuditAlarms {
  const count = (signal: AuditSignal) => filters[signal].metric({ statistic: 'Sum', period: options.period });
  return {
    rotationFailed: auditAlarm(
      scope,
      'RotationFailedAlarm',
      options,
      'A rotation of a watched secret failed or was abandoned. The current value still works. Read the ' +
        'rotation function log for the failing step, fix it, then rotate again.',
      thresholds.rotationFailureThreshold ?? 1,
      sumOf(options.period, 'Failed or abandoned rotations', {
        failed: count('rotationFailed'),
        abandoned: count('rotationAbandoned'),
      }),
    ),
    // On the rotation functions' own `RotationStepFailed` metric, one per step.
    rotationStepFailed: auditAlarm(
      scope,
      'RotationFunctionErrorsAlarm',
      options,
      'A rotation function step failed (its own RotationStepFailed metric). Secrets Manager retries; the ' +
        'function log names the step and the reason.',
      thresholds.rotationFunctionErrorThreshold ?? 1,
      sumOf(options.period, 'Failed rotation steps', stepFailures(options.period)),
    ),
    accessDenied: auditAlarm(
      scope,
      'AccessDeniedAlarm',
      options,
      'Requests on the watched secrets or keys were refused. See "Access denied by principal" on the audit ' +
        'dashboard for who called what.',
      thresholds.accessDeniedThreshold ?? 1,
      count('accessDenied'),
    ),
    // Key and secret management calls, and values written outside rotation.
    destructiveChange: auditAlarm(
      scope,
      'DestructiveChangeAlarm',
      options,
      'A management call on a watched key (the audit key included) or secret succeeded: a policy, tag, alias, ' +
        'grant, rotation, replication, deletion or restore, or a value written by someone other than the ' +
        'rotation function. A deployment that changes the vault does this too; if it was not one: ' +
        'CancelKeyDeletion / EnableKey / RestoreSecret, compare policies with the template, and see "Key events" ' +
        'on the audit dashboard for who called what.',
      thresholds.destructiveChangeThreshold ?? 1,
      sumOf(options.period, 'Management calls', {
        keys: count('keyChanged'),
        secrets: count('secretChanged'),
        values: count('secretValueWritten'),
      }),
    ),
    // A message in the dead-letter queue of the rules (and of the email subscription).
    notificationDeliveryFailed: auditAlarm(
      scope,
      'NotificationDeliveryFailedAlarm',
      options,
      'An audit notification could not be delivered from an EventBridge rule to the topic (at once on a ' +
        'permission error, after up to a day of retries otherwise), or from the topic to the alarm email, and ' +
        'waits in the rules’ dead-letter queue, kept 14 days. Each message’s attributes say why (EventBridge’s ' +
        'ERROR_CODE and ERROR_MESSAGE; often the topic or key policy): fix it, read the events, then delete the ' +
        'messages. This alarm shows red on the dashboard even when the topic itself is what fails.',
      1,
      deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        statistic: 'Maximum',
        period: options.period,
      }),
    ),
  };
}

/** The rotation functions' `RotationStepFailed` metric of each step, by a name a math expression can use. */
function stepFailures(period: Duration): Record<string, cloudwatch.IMetric> {
  return Object.fromEntries(
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
}

/**
 * Any call by a break-glass principal, or any attempt to assume its role: at the first one, whatever
 * the thresholds of the other alarms.
 *
 * @internal
 */
export function breakGlassUsedAlarm(
  scope: Construct,
  options: AuditAlarmOptions,
  filters: Record<BreakGlassSignal, logs.MetricFilter>,
): cloudwatch.Alarm {
  const count = (signal: BreakGlassSignal) =>
    filters[signal].metric({ statistic: 'Sum', period: options.period });
  return auditAlarm(
    scope,
    'BreakGlassUsedAlarm',
    options,
    'The break-glass principal of a watched vault made a call (in any service or region), or someone tried to ' +
      'assume its role. If no emergency was declared: revoke the role’s active sessions, then find what it did ' +
      'in the trail log group (userIdentity.sessionContext.sessionIssuer.arn) and undo it.',
    1,
    sumOf(options.period, 'Break-glass calls and assumptions', {
      calls: count('calls'),
      assumptions: count('assumptions'),
    }),
  );
}

/** The sum of `metrics` in each period, a missing one counted as 0. */
function sumOf(
  period: Duration,
  label: string,
  metrics: Record<string, cloudwatch.IMetric>,
): cloudwatch.MathExpression {
  return new cloudwatch.MathExpression({
    expression: Object.keys(metrics)
      .map((name) => `FILL(${name}, 0)`)
      .join(' + '),
    usingMetrics: metrics,
    label,
    period,
  });
}

/**
 * An alarm that goes off at `threshold` events in one period and notifies the topic. No event in a
 * period means nothing happened, not that the audit is blind.
 */
function auditAlarm(
  scope: Construct,
  id: string,
  options: AuditAlarmOptions,
  description: string,
  threshold: number,
  metric: cloudwatch.IMetric,
): cloudwatch.Alarm {
  const alarm = new cloudwatch.Alarm(scope, id, {
    alarmDescription: description,
    metric,
    threshold,
    evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  alarm.addAlarmAction(new cloudwatchActions.SnsAction(options.topic));
  return alarm;
}
