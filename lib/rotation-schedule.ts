import { Duration, Token } from 'aws-cdk-lib';
import { invalid } from './private/validation';

/** Secrets Manager rotates at most every 4 hours and at least every 1000 days. */
export const MIN_ROTATION_HOURS = 4;
export const MAX_ROTATION_DAYS = 1000;

/**
 * Options shared by every rotation schedule.
 */
export interface RotationScheduleOptions {
  /**
   * How long Secrets Manager may take to start the rotation after the scheduled time, in whole
   * hours from 1 to 24. For a rate below one day it must be shorter than the rate.
   *
   * @default - Secrets Manager's default: the rotation may happen any time in the scheduled day (or period)
   */
  readonly window?: Duration;

  /**
   * Rotate as soon as the schedule is deployed (and again on each change of the schedule), not only
   * when it is first due. Generated values are fresh when created, so the default waits.
   *
   * @default false
   */
  readonly rotateImmediately?: boolean;
}

/**
 * When a secret rotates: every so often (`rate`), or at the times of a cron expression (`cron`).
 */
export class SecretRotationSchedule {
  /**
   * Rotate every `interval`: whole hours from 4 to 23, or whole days from 1 to 1000.
   */
  public static rate(interval: Duration, options: RotationScheduleOptions = {}): SecretRotationSchedule {
    const owner = 'SecretRotationSchedule.rate';
    if (Token.isUnresolved(interval.toSeconds())) {
      invalid(owner, 'interval', 'a token', 'allowed: a literal duration');
    }
    const hours = interval.toSeconds() / 3600;
    let expression: string;
    if (hours < 24) {
      if (!Number.isInteger(hours) || hours < MIN_ROTATION_HOURS) {
        invalid(
          owner,
          'interval',
          interval,
          `allowed: whole hours from ${MIN_ROTATION_HOURS} to 23, or whole days from 1 to ${MAX_ROTATION_DAYS}`,
        );
      }
      expression = `rate(${hours} hours)`;
    } else {
      const days = hours / 24;
      if (!Number.isInteger(days) || days > MAX_ROTATION_DAYS) {
        invalid(
          owner,
          'interval',
          interval,
          `allowed: whole hours from ${MIN_ROTATION_HOURS} to 23, or whole days from 1 to ${MAX_ROTATION_DAYS}`,
        );
      }
      expression = `rate(${days} ${days === 1 ? 'day' : 'days'})`;
    }
    validateWindow(owner, options.window, hours < 24 ? hours : undefined);
    return new SecretRotationSchedule(expression, options);
  }

  /**
   * Rotate at the times of a Secrets Manager cron expression: six fields, `minutes hours
   * day-of-month month day-of-week year`, with `?` in one of the day fields and `*` as the year,
   * e.g. `cron(0 4 ? * SUN *)`. Pass the fields with or without the `cron(...)` around them.
   */
  public static cron(expression: string, options: RotationScheduleOptions = {}): SecretRotationSchedule {
    const owner = 'SecretRotationSchedule.cron';
    const inner = expression
      .trim()
      .replace(/^cron\((.*)\)$/, '$1')
      .trim();
    const fields = inner.split(/\s+/);
    if (fields.length !== 6) {
      invalid(
        owner,
        'expression',
        expression,
        'allowed: six fields "minutes hours day-of-month month day-of-week year"',
      );
    }
    if (!fields.every((f) => /^[0-9A-Za-z*?,\-/#L]+$/.test(f))) {
      invalid(owner, 'expression', expression, 'allowed field characters: digits, letters, * ? , - / # L');
    }
    const [minutes, hours, dayOfMonth, , dayOfWeek, year] = fields;
    if ((dayOfMonth === '?') === (dayOfWeek === '?')) {
      invalid(owner, 'expression', expression, 'exactly one of day-of-month and day-of-week must be "?"');
    }
    if (year !== '*') {
      invalid(
        owner,
        'expression',
        expression,
        'the year field must be "*": Secrets Manager rotates every year',
      );
    }
    if (
      /[*,\-/]/.test(minutes) ||
      (hours.includes('/') && Number(hours.split('/')[1]) < MIN_ROTATION_HOURS) ||
      hours === '*'
    ) {
      invalid(
        owner,
        'expression',
        expression,
        `Secrets Manager rotates at most once every ${MIN_ROTATION_HOURS} hours: use a single minute and hours at least ${MIN_ROTATION_HOURS} apart`,
      );
    }
    validateWindow(owner, options.window, undefined);
    return new SecretRotationSchedule(`cron(${fields.join(' ')})`, options);
  }

  /**
   * No rotation. An explicit loosening: the value then lives until someone changes it by hand.
   */
  public static never(): SecretRotationSchedule {
    return new SecretRotationSchedule('', {}, false);
  }

  /** Whether the secret rotates at all. */
  public readonly enabled: boolean;

  /** The `ScheduleExpression` of the rotation rules. */
  public readonly expression: string;

  /** The rotation window, as CloudFormation's `Duration` ("3h"), if any. */
  public readonly window?: string;

  /** Whether to rotate as soon as the schedule is deployed. */
  public readonly rotateImmediately: boolean;

  private constructor(expression: string, options: RotationScheduleOptions, enabled = true) {
    this.enabled = enabled;
    this.expression = expression;
    this.window = options.window ? `${options.window.toHours()}h` : undefined;
    this.rotateImmediately = options.rotateImmediately ?? false;
  }
}

function validateWindow(owner: string, window: Duration | undefined, rateHours: number | undefined) {
  if (window === undefined) return;
  if (Token.isUnresolved(window.toSeconds())) {
    invalid(owner, 'window', 'a token', 'allowed: a literal duration');
  }
  const hours = window.toSeconds() / 3600;
  if (!Number.isInteger(hours) || hours < 1 || hours > 24) {
    invalid(owner, 'window', window, 'allowed: whole hours from 1 to 24');
  }
  if (rateHours !== undefined && hours >= rateHours) {
    invalid(owner, 'window', window, `it must be shorter than the rotation interval of ${rateHours} hours`);
  }
}
