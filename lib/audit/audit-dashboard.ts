import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { validateDashboardName } from '../private/validation';
import { RotationFunction } from '../rotation-function';
import { AuditQueries } from './audit-queries';
import { LazyAlarmStatusWidget } from './lazy-alarm-status-widget';
import { LazyGraphWidget } from './lazy-graph-widget';
import { AUDIT_METRICS, SECRET_ID_DIMENSION } from './audit-scope';

/**
 * The namespace of the rotation function's own EMF metrics (Powertools Metrics): the function is
 * configured with it.
 *
 * @internal
 */
export const ROTATION_METRICS_NAMESPACE = 'SecretsVault';

/**
 * The names of the rotation function's EMF metrics, each with one dimension, `Step`.
 *
 * @internal
 */
export const ROTATION_STEP_METRICS = {
  succeeded: 'RotationStepSucceeded',
  failed: 'RotationStepFailed',
  duration: 'RotationStepDuration',
} as const;

/**
 * The one dimension of the rotation function's EMF metrics.
 *
 * @internal
 */
export const ROTATION_STEP_DIMENSION = 'Step';

/**
 * The values the function gives the `Step` dimension (`invalid` for an event it refused).
 *
 * @internal
 */
export const ROTATION_STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret', 'invalid'];

/** The alarms the dashboard shows the state of. */
export interface AuditDashboardAlarms {
  readonly rotationFailed: cloudwatch.IAlarm;
  readonly accessDenied: cloudwatch.IAlarm;
  readonly destructiveChange: cloudwatch.IAlarm;
  readonly rotationStepFailed: cloudwatch.IAlarm;
  readonly notificationDeliveryFailed: cloudwatch.IAlarm;
}

/**
 * Properties of an AuditDashboard.
 */
export interface AuditDashboardProps {
  /** The namespace of the audit's metric filters. */
  readonly namespace: string;

  /** The log group the queries run on. */
  readonly logGroup: logs.ILogGroup;

  /** The audit's saved queries. */
  readonly queries: AuditQueries;

  /** The audit's alarms. */
  readonly alarms: AuditDashboardAlarms;

  /** The period of the graphs. */
  readonly period: Duration;

  /** The rotation functions of the watched vaults, as they are at synth. */
  readonly rotationFunctions: () => RotationFunction[];

  /**
   * Alarms created after the dashboard (the break-glass alarm, with the first vault that names a
   * break-glass principal), read at synth.
   *
   * @default - none
   */
  readonly laterAlarms?: () => cloudwatch.IAlarm[];

  /**
   * Metrics of signals created after the dashboard (break-glass use), read at synth and graphed
   * with the management calls.
   *
   * @default - none
   */
  readonly laterChangeMetrics?: () => cloudwatch.IMetric[];

  /**
   * The dashboard's name.
   *
   * @default - a name CloudFormation generates
   */
  readonly dashboardName?: string;
}

/**
 * One dashboard per audit. Its size does not depend on the number of secrets: reads are one
 * SEARCH expression over the secret dimension, readers and last rotations are Logs Insights tables.
 * Each row starts with a text panel saying what the row means and what to do when it turns red.
 */
export class AuditDashboard extends Construct {
  /** The dashboard. */
  public readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: AuditDashboardProps) {
    super(scope, id);
    validateDashboardName(this, 'dashboardName', props.dashboardName);
    const { namespace, period, queries, alarms } = props;
    const logGroupNames = [props.logGroup.logGroupName];
    const metric = (metricName: string, label: string) =>
      new cloudwatch.Metric({ namespace, metricName, statistic: 'Sum', period, label });
    const search = (ns: string, dimension: string, metricName: string, statistic: string, label: string) =>
      new cloudwatch.MathExpression({
        expression: `SEARCH('{"${ns}",${dimension}} MetricName="${metricName}"', '${statistic}', ${period.toSeconds()})`,
        label,
        period,
      });
    const step = (metricName: string, statistic: string, label: string) =>
      search(ROTATION_METRICS_NAMESPACE, ROTATION_STEP_DIMENSION, metricName, statistic, label);
    const table = (title: string, query: logs.QueryString, width = 9) =>
      new cloudwatch.LogQueryWidget({
        title,
        logGroupNames,
        queryString: query.toString(),
        view: cloudwatch.LogQueryVisualizationType.TABLE,
        width,
        height: 6,
      });

    this.dashboard = new cloudwatch.Dashboard(this, 'Resource', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.days(7),
    });
    // Every row below the header: a text panel saying what the row means and what to do, then its graphs
    // and tables.
    const row = (markdown: string, ...widgets: cloudwatch.IWidget[]) =>
      this.dashboard.addWidgets(text(6, 6, markdown), ...widgets);

    this.dashboard.addWidgets(
      text(
        24,
        3,
        '# Secrets audit\n' +
          'When the watched vaults’ keys and secrets rotate, when rotation fails, and who reads what. ' +
          'Counts come from CloudTrail through metric filters (a few minutes behind); tables are Logs Insights ' +
          'queries over the trail’s log group (also saved under Logs Insights › Queries). ' +
          'Red alarms below also notify the audit’s SNS topic.',
      ),
    );
    this.dashboard.addWidgets(
      new LazyAlarmStatusWidget(24, 2, 'Alarms', () => [
        alarms.rotationFailed,
        alarms.rotationStepFailed,
        alarms.accessDenied,
        alarms.destructiveChange,
        alarms.notificationDeliveryFailed,
        ...(props.laterAlarms?.() ?? []),
      ]),
    );
    row(
      '## Secret reads\nSuccessful GetSecretValue calls per secret, as the caller named it (name or ARN). ' +
        '**A jump** for one secret: a caller without a cache, or someone copying values; see who in the table below.',
      graph(
        'Secret reads by secret',
        [search(namespace, SECRET_ID_DIMENSION, AUDIT_METRICS.secretRead, 'Sum', '')],
        18,
      ),
    );
    row(
      '## Who reads\nEach principal (role, not session) that read each secret. ' +
        '**An unknown principal**: check the secret’s resource policy and the roles granted `grantRead`; ' +
        'revoke, then rotate the secret.',
      table('Who reads which secret', queries.readers, 18),
    );
    row(
      '## Rotations\nRotationSucceeded / Failed / Abandoned from Secrets Manager, and the last outcome per ' +
        'secret. **Failed or abandoned**: read the rotation function’s log for the failing step; the old value ' +
        'still works. Fix, then `aws secretsmanager rotate-secret`. **A secret missing or old** in the table: ' +
        'its rotation is off or stuck (a stale AWSPENDING: cancel-rotate-secret).',
      graph('Rotations', [
        metric(AUDIT_METRICS.rotationSucceeded, 'Succeeded'),
        metric(AUDIT_METRICS.rotationFailed, 'Failed'),
        metric(AUDIT_METRICS.rotationAbandoned, 'Abandoned'),
      ]),
      table('Last rotation per secret', queries.lastRotation),
    );
    row(
      '## Keys and policies\nKey material rotations of the vault keys (expected every rotation period), and ' +
        'every management call on a watched key or secret: policies, tags, aliases, grants, rotation, ' +
        'replication, deletion, and values written by anyone but the rotation function. A deployment that ' +
        'changes the vault shows here too. **Any call you did not plan**: DisableKey or ScheduleKeyDeletion ' +
        'makes every secret unreadable (CancelKeyDeletion / EnableKey now); a new key or resource policy may ' +
        'widen access — compare it with the template. **Break-glass used** (when a vault names one): confirm the ' +
        'emergency, or revoke the role’s sessions.',
      new LazyGraphWidget(9, 6, () => ({
        title: 'Key rotations and management calls',
        left: [
          metric(AUDIT_METRICS.keyRotated, 'Key material rotated'),
          metric(AUDIT_METRICS.keyChanged, 'Key management calls'),
          metric(AUDIT_METRICS.secretChanged, 'Secret management calls'),
          metric(AUDIT_METRICS.secretValueWritten, 'Values written outside rotation'),
          ...(props.laterChangeMetrics?.() ?? []),
        ],
      })),
      table('Key events', queries.keyEvents),
    );
    row(
      '## Rotation function\nInvocations, errors and duration of the vaults’ rotation functions, and their ' +
        'per-step metrics. **Errors or failed steps**: the function’s log names the step and the reason; ' +
        '**duration near the timeout**: the target is slow, raise the timeout.',
      new LazyGraphWidget(6, 6, () => ({
        title: 'Rotation function invocations and errors',
        left: props
          .rotationFunctions()
          .flatMap((f) => [
            f.function.metricInvocations({ period, label: `Invocations ${f.node.path}` }),
            f.function.metricErrors({ period, label: `Errors ${f.node.path}` }),
            f.function.metricThrottles({ period, label: `Throttles ${f.node.path}` }),
          ]),
      })),
      new LazyGraphWidget(6, 6, () => ({
        title: 'Rotation function duration (p99)',
        left: props
          .rotationFunctions()
          .map((f) => f.function.metricDuration({ period, statistic: 'p99', label: f.node.path })),
      })),
      graph(
        'Rotation steps',
        [
          step(ROTATION_STEP_METRICS.succeeded, 'Sum', 'ok'),
          step(ROTATION_STEP_METRICS.failed, 'Sum', 'failed'),
        ],
        6,
        [step(ROTATION_STEP_METRICS.duration, 'Maximum', 'max ms')],
      ),
    );
    row(
      '## Access denied\nRequests on the watched secrets and keys refused by IAM, a resource policy or the key ' +
        'policy. **A burst**: a misconfigured client after a policy change, or someone probing; the table ' +
        'names the principal and the call.',
      graph('Access denied', [metric(AUDIT_METRICS.accessDenied, 'Access denied')]),
      table('Access denied by principal', queries.accessDenied),
    );
  }
}

/** A graph six units high, `width` wide. */
function graph(
  title: string,
  left: cloudwatch.IMetric[],
  width = 9,
  right?: cloudwatch.IMetric[],
): cloudwatch.GraphWidget {
  return new cloudwatch.GraphWidget({ title, left, right, width, height: 6 });
}

function text(width: number, height: number, markdown: string): cloudwatch.TextWidget {
  return new cloudwatch.TextWidget({
    markdown,
    width,
    height,
    background: cloudwatch.TextWidgetBackground.TRANSPARENT,
  });
}
