import { Lazy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import {
  AUDIT_METRICS,
  AuditSignal,
  BREAK_GLASS_METRICS,
  BreakGlassSignal,
  SECRET_ID_DIMENSION,
} from './audit-scope';

/** A pattern that matches no CloudTrail record: an empty pattern would count every event of the log group. */
const MATCH_NOTHING = '{ $.eventSource = "none" }';

/**
 * Where the audit's metric filters read and publish.
 *
 * @internal
 */
export interface AuditMetricFilterOptions {
  /** The log group the trail delivers to. */
  readonly logGroup: logs.ILogGroup;

  /** The namespace of the audit's metrics. */
  readonly namespace: string;
}

/**
 * One metric filter per signal, created in `scope` (ids `<Signal>Filter`). The patterns list the
 * watched vaults, which `watch()` may still add to: each is rendered at synth from `patterns`.
 *
 * @internal
 */
export function auditMetricFilters(
  scope: Construct,
  options: AuditMetricFilterOptions,
  patterns: () => Record<AuditSignal, string>,
): Record<AuditSignal, logs.MetricFilter> {
  return metricFilters(scope, '', options, AUDIT_METRICS, (signal) => patterns()[signal], {
    secretRead: { [SECRET_ID_DIMENSION]: '$.requestParameters.secretId' },
  });
}

/**
 * The two break-glass filters (ids `BreakGlass<Signal>Filter`): one serves every break-glass
 * principal, whose patterns are rendered at synth; `undefined` patterns match nothing.
 *
 * @internal
 */
export function breakGlassMetricFilters(
  scope: Construct,
  options: AuditMetricFilterOptions,
  patterns: () => Record<BreakGlassSignal, string> | undefined,
): Record<BreakGlassSignal, logs.MetricFilter> {
  return metricFilters(scope, 'BreakGlass', options, BREAK_GLASS_METRICS, (signal) => patterns()?.[signal]);
}

function metricFilters<S extends string>(
  scope: Construct,
  idPrefix: string,
  { logGroup, namespace }: AuditMetricFilterOptions,
  metricNames: Readonly<Record<S, string>>,
  pattern: (signal: S) => string | undefined,
  dimensions?: Partial<Record<S, Record<string, string>>>,
): Record<S, logs.MetricFilter> {
  const signals = Object.keys(metricNames) as S[];
  return Object.fromEntries(
    signals.map((signal) => [
      signal,
      new logs.MetricFilter(scope, `${idPrefix}${capitalize(signal)}Filter`, {
        logGroup,
        filterPattern: logs.FilterPattern.literal(
          Lazy.string({ produce: () => pattern(signal) ?? MATCH_NOTHING }),
        ),
        metricNamespace: namespace,
        metricName: metricNames[signal],
        metricValue: '1',
        unit: cloudwatch.Unit.COUNT,
        ...(dimensions ? { dimensions: dimensions[signal] } : {}),
      }),
    ]),
  ) as Record<S, logs.MetricFilter>;
}

function capitalize(value: string): string {
  return value.charAt(0).toUpperCase() + value.slice(1);
}
