import { Duration, Token } from 'aws-cdk-lib';
import { invalid, summary } from './private/validation';

/**
 * Secrets Manager rotates at most every 4 hours, and a rate expression at least every 999 days (its
 * user guide's limit for `rate()`; the older `AutomaticallyAfterDays` went to 1000).
 */
export const MIN_ROTATION_HOURS = 4;
export const MAX_ROTATION_DAYS = 999;

/** A rotation window lasts 1 to 24 whole hours and never crosses midnight UTC. */
export const MIN_WINDOW_HOURS = 1;
export const MAX_WINDOW_HOURS = 24;

/** The year field must be `*`: a cron schedule rotates at least once a year. */
const MAX_CRON_GAP_DAYS = 366;

/**
 * Options shared by every rotation schedule.
 */
export interface RotationScheduleOptions {
  /**
   * How long Secrets Manager may take to rotate once a rotation is due, in whole hours from 1 to 24.
   * The window must close before the next rotation is due and by midnight UTC: for a rate in hours
   * it is at most the rate; for a cron expression at most the shortest gap between two rotations,
   * and at most the hours left in the day after the day's last rotation.
   *
   * @default - Secrets Manager's default: one hour for a schedule in hours, the rest of the UTC day
   *   for a schedule in days
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
   * Rotate every `interval`: whole hours from 4 to 23, or whole days from 1 to 999. Windows start at
   * midnight UTC.
   */
  public static rate(interval: Duration, options: RotationScheduleOptions = {}): SecretRotationSchedule {
    const owner = 'SecretRotationSchedule.rate';
    if (interval.isUnresolved()) {
      // The expression's unit (hours or days) depends on the value, so it must be known at synth.
      invalid(owner, 'interval', summary('a token'), 'allowed: a literal duration');
    }
    const allowed = `allowed: whole hours from ${MIN_ROTATION_HOURS} to 23, or whole days from 1 to ${MAX_ROTATION_DAYS}`;
    const hours = interval.toSeconds() / 3600;
    if (hours < 24) {
      if (!Number.isInteger(hours) || hours < MIN_ROTATION_HOURS) {
        invalid(owner, 'interval', interval, allowed);
      }
      validateWindow(owner, options.window, {
        limit: hours,
        why: `the window must close before the next rotation, ${hours} hours later`,
      });
      return new SecretRotationSchedule(`rate(${hours} hours)`, options);
    }
    const days = hours / 24;
    if (!Number.isInteger(days) || days > MAX_ROTATION_DAYS) invalid(owner, 'interval', interval, allowed);
    validateWindow(owner, options.window, undefined);
    return new SecretRotationSchedule(`rate(${days} ${days === 1 ? 'day' : 'days'})`, options);
  }

  /**
   * Rotate at the times of a Secrets Manager cron expression, in UTC: six fields, `minutes hours
   * day-of-month month day-of-week year`, e.g. `cron(0 4 ? * SUN *)`. Minutes must be `0` (windows
   * open on the hour) and the year `*`; exactly one of the day fields is `?`. Hours, days and months
   * take values, ranges (`1-5`), lists (`1,15`) and steps (`0/6`); months `JAN`-`DEC` and days of the
   * week `SUN`-`SAT` by name; day-of-month `L` (last day), `LW` (last weekday) and `15W` (weekday
   * nearest the 15th); day-of-week `L` (Saturday), `6L` (last Friday) and `FRI#3` (third Friday).
   * Two rotations must be at least 4 hours apart, across midnight too. Pass the fields with or
   * without the `cron(...)` around them; a token is passed on unchecked and must be a whole `cron(...)`.
   */
  public static cron(expression: string, options: RotationScheduleOptions = {}): SecretRotationSchedule {
    const owner = 'SecretRotationSchedule.cron';
    if (Token.isUnresolved(expression)) {
      validateWindow(owner, options.window, undefined);
      return new SecretRotationSchedule(expression, options);
    }
    const schedule = parseCron(expression, (problem) => invalid(owner, 'expression', expression, problem));
    validateWindow(owner, options.window, checkTiming(owner, expression, schedule));
    // Names in upper case, as AWS documents them, whatever case they were written in.
    return new SecretRotationSchedule(`cron(${schedule.fields.join(' ').toUpperCase()})`, options);
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

/** The longest window a schedule allows, and why, when it is shorter than a day. */
interface WindowLimit {
  readonly limit: number;
  readonly why: string;
}

/**
 * Refuses a schedule that never rotates, skips a year, or rotates less than 4 hours apart, and
 * returns how long its window may be.
 */
function checkTiming(owner: string, expression: string, schedule: ParsedCron): WindowLimit {
  const timing = timingOf(schedule);
  if (timing === undefined) {
    invalid(
      owner,
      'expression',
      expression,
      'no date matches its day and month fields: it would never rotate',
    );
  }
  if (timing.longestDays > MAX_CRON_GAP_DAYS) {
    invalid(
      owner,
      'expression',
      expression,
      `it goes up to ${timing.longestDays} days without a rotation, and Secrets Manager's schedules repeat at least once a year: pick days that occur every year`,
    );
  }
  const gap = timing.shortest;
  if (gap.hours < MIN_ROTATION_HOURS) {
    invalid(
      owner,
      'expression',
      expression,
      `it rotates ${gap.hours} ${plural(gap.hours, 'hour')} apart (${gap.between}), and Secrets Manager rotates at most once every ${MIN_ROTATION_HOURS} hours: keep the hours at least ${MIN_ROTATION_HOURS} apart, across midnight too`,
    );
  }
  const lastHour = schedule.hours[schedule.hours.length - 1];
  const untilMidnight = 24 - lastHour;
  return gap.hours < untilMidnight
    ? {
        limit: gap.hours,
        why: `the window must close before the next rotation, ${gap.hours} hours later at the closest (${gap.between})`,
      }
    : {
        limit: untilMidnight,
        why: `the window must close by midnight UTC, and the day's last rotation opens at ${hourOf(lastHour)}`,
      };
}

function validateWindow(owner: string, window: Duration | undefined, limit: WindowLimit | undefined) {
  if (window === undefined) return;
  if (window.isUnresolved()) {
    // CloudFormation takes the window as "<hours>h": the number must be known at synth.
    invalid(owner, 'window', summary('a token'), 'allowed: a literal duration');
  }
  const hours = window.toSeconds() / 3600;
  if (!Number.isInteger(hours) || hours < MIN_WINDOW_HOURS || hours > MAX_WINDOW_HOURS) {
    invalid(owner, 'window', window, `allowed: whole hours from ${MIN_WINDOW_HOURS} to ${MAX_WINDOW_HOURS}`);
  }
  if (limit !== undefined && hours > limit.limit) {
    invalid(
      owner,
      'window',
      window,
      `allowed: whole hours from ${MIN_WINDOW_HOURS} to ${limit.limit}: ${limit.why}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Secrets Manager's cron grammar (a subset of EventBridge's, itself Quartz's): parsed into the set
// of hours and a rule for days, then expanded over a whole calendar cycle to find the shortest gap.

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: string[];
  readonly example: string;
}

const HOURS: FieldSpec = { name: 'hours', min: 0, max: 23, example: '4, 0/6, 8-20/4 or 4,16' };
const DAY_OF_MONTH: FieldSpec = {
  name: 'day-of-month',
  min: 1,
  max: 31,
  example: '1, 1,15, 1-7, 1/7, L, LW or 15W',
};
const MONTH: FieldSpec = {
  name: 'month',
  min: 1,
  max: 12,
  names: MONTH_NAMES,
  example: '*, 1, JAN,JUL or JAN-MAR',
};
const DAY_OF_WEEK: FieldSpec = {
  name: 'day-of-week',
  min: 1,
  max: 7,
  names: DAY_NAMES,
  example: 'SUN, MON-FRI, 2,4, L, 6L or FRI#3',
};

/** The calendar facts a day rule looks at. */
interface Day {
  /** 1-31 */
  readonly dayOfMonth: number;
  /** 1 (Sunday) to 7 (Saturday), as cron counts. */
  readonly dayOfWeek: number;
  readonly daysInMonth: number;
  /** 1-12 */
  readonly month: number;
}

interface ParsedCron {
  /** The six fields as given, for the expression Secrets Manager gets. */
  readonly fields: string[];
  /** The hours of the day at which windows open, ascending. */
  readonly hours: number[];
  readonly firesOn: (day: Day) => boolean;
}

type Fail = (problem: string) => never;

function parseCron(expression: string, fail: Fail): ParsedCron {
  const trimmed = expression.trim();
  if (/^rate\(/i.test(trimmed)) {
    fail(
      'a rate expression is not a cron expression: use SecretRotationSchedule.rate(Duration.days(n)) or Duration.hours(n)',
    );
  }
  const inner = trimmed.replace(/^cron\((.*)\)$/, '$1').trim();
  const fields = inner.split(/\s+/);
  if (fields.length !== 6) {
    fail(
      'allowed: six fields "minutes hours day-of-month month day-of-week year", e.g. "cron(0 4 ? * SUN *)"',
    );
  }
  if (!fields.every((f) => /^[0-9A-Za-z*?,\-/#]+$/.test(f))) {
    fail('allowed field characters: digits, names (JAN-DEC, SUN-SAT), L, W and * ? , - / #');
  }
  const [minutes, hours, dayOfMonth, month, dayOfWeek, year] = fields;
  const fieldFail = (spec: { name: string }, text: string) => (problem: string) =>
    fail(`the ${spec.name} field "${text}" ${problem}`);

  if (minutes !== '0') {
    fieldFail(
      { name: 'minutes' },
      minutes,
    )('is not allowed: it must be 0, because rotation windows open on the hour');
  }
  if (year !== '*') {
    fieldFail(
      { name: 'year' },
      year,
    )('is not allowed: it must be *, because Secrets Manager rotates every year');
  }
  if ((dayOfMonth === '?') === (dayOfWeek === '?')) {
    fail('exactly one of day-of-month and day-of-week must be "?" (the other says which days)');
  }
  const hourSet = parseValues(HOURS, hours, fieldFail(HOURS, hours));
  const months = parseValues(MONTH, month, fieldFail(MONTH, month));
  const dayRule =
    dayOfWeek === '?'
      ? parseDayOfMonth(dayOfMonth, fieldFail(DAY_OF_MONTH, dayOfMonth))
      : parseDayOfWeek(dayOfWeek, fieldFail(DAY_OF_WEEK, dayOfWeek));
  return {
    fields,
    hours: [...hourSet].sort((a, b) => a - b),
    firesOn: (day) => months.has(day.month) && dayRule(day),
  };
}

/** `*`, values, names, ranges, steps and comma lists of them. */
function parseValues(spec: FieldSpec, text: string, fail: Fail): Set<number> {
  const values = new Set<number>();
  for (const item of text.split(',')) {
    const match = /^(\*|[0-9A-Za-z]+)(?:-([0-9A-Za-z]+))?(?:\/([0-9]+))?$/.exec(item);
    if (!match) {
      fail(`is not allowed: use values, ranges, lists and steps, e.g. ${spec.example}`);
    }
    const [, from, to, stepText] = match;
    if (from === '*' && to !== undefined) fail('is not allowed: "*" cannot start a range');
    const start = from === '*' ? spec.min : valueOf(spec, from, fail);
    const end = to !== undefined ? valueOf(spec, to, fail) : from === '*' || stepText ? spec.max : start;
    if (end < start) {
      fail(`is not allowed: a range runs from low to high (${spec.name} ranges do not wrap around)`);
    }
    const step = stepText === undefined ? 1 : Number(stepText);
    if (step < 1) fail('is not allowed: a step is 1 or more');
    for (let v = start; v <= end; v += step) values.add(v);
  }
  return values;
}

function valueOf(spec: FieldSpec, text: string, fail: Fail): number {
  const byName = spec.names?.indexOf(text.toUpperCase()) ?? -1;
  if (byName >= 0) return byName + 1;
  const value = /^[0-9]+$/.test(text) ? Number(text) : NaN;
  if (!(value >= spec.min && value <= spec.max)) {
    fail(
      `is not allowed: ${spec.name} values run from ${spec.min} to ${spec.max}` +
        (spec.names ? ` or ${spec.names[0]} to ${spec.names[spec.names.length - 1]}` : ''),
    );
  }
  return value;
}

function parseDayOfMonth(text: string, fail: Fail): (day: Day) => boolean {
  if (text === 'L') return (day) => day.dayOfMonth === day.daysInMonth;
  if (text === 'LW') return (day) => day.dayOfMonth === lastWeekday(day);
  const nearest = /^([0-9]{1,2})W$/.exec(text);
  if (nearest) {
    const target = valueOf(DAY_OF_MONTH, nearest[1], fail);
    return (day) => day.dayOfMonth === nearestWeekday(day, target);
  }
  if (/[LW]/.test(text)) {
    fail('is not allowed: L, LW and nW (e.g. 15W) stand alone, not in a list or range');
  }
  const days = parseValues(DAY_OF_MONTH, text, fail);
  return (day) => days.has(day.dayOfMonth);
}

function parseDayOfWeek(text: string, fail: Fail): (day: Day) => boolean {
  // Alone, L is the last day of the week.
  if (text === 'L') return (day) => day.dayOfWeek === 7;
  const last = /^([0-9A-Za-z]+)L$/.exec(text);
  if (last) {
    const weekday = valueOf(DAY_OF_WEEK, last[1], fail);
    return (day) => day.dayOfWeek === weekday && day.dayOfMonth + 7 > day.daysInMonth;
  }
  const nth = /^([0-9A-Za-z]+)#([0-9]+)$/.exec(text);
  if (nth) {
    const weekday = valueOf(DAY_OF_WEEK, nth[1], fail);
    const n = Number(nth[2]);
    if (n < 1 || n > 5) fail('is not allowed: in day#n, n is 1 to 5 (e.g. FRI#3, the third Friday)');
    return (day) => day.dayOfWeek === weekday && Math.ceil(day.dayOfMonth / 7) === n;
  }
  if (text.includes('#') || /L/.test(text.replace(/SAT|SUN|MON|TUE|WED|THU|FRI/gi, ''))) {
    fail('is not allowed: L, nL (e.g. 6L) and day#n (e.g. FRI#3) stand alone, not in a list or range');
  }
  const days = parseValues(DAY_OF_WEEK, text, fail);
  return (day) => days.has(day.dayOfWeek);
}

/** The weekday nearest to `target` within the month, as W means it; none if the month is shorter. */
function nearestWeekday(day: Day, target: number): number | undefined {
  if (target > day.daysInMonth) return undefined;
  const weekday = ((day.dayOfWeek - 1 + target - day.dayOfMonth + 35) % 7) + 1;
  if (weekday === 7) return target === 1 ? target + 2 : target - 1;
  if (weekday === 1) return target === day.daysInMonth ? target - 2 : target + 1;
  return target;
}

function lastWeekday(day: Day): number {
  const weekday = ((day.dayOfWeek - 1 + day.daysInMonth - day.dayOfMonth + 35) % 7) + 1;
  return weekday === 7 ? day.daysInMonth - 1 : weekday === 1 ? day.daysInMonth - 2 : day.daysInMonth;
}

/** 28 years: every pairing of weekday, month length and leap year between 1901 and 2099 occurs. */
const CYCLE_START = Date.UTC(2001, 0, 1);
const CYCLE_DAYS = 28 * 365 + 7;
const DAY_MS = 86_400_000;

/** When a schedule rotates, over a whole calendar cycle. */
interface Timing {
  /** The shortest time between two rotations, in hours, and which two. */
  readonly shortest: { readonly hours: number; readonly between: string };
  /** The longest time between two rotation days, in days. */
  readonly longestDays: number;
}

/** The schedule's timing, or undefined when no date of the cycle matches it. */
function timingOf(schedule: ParsedCron): Timing | undefined {
  const hours = schedule.hours;
  const first = hours[0];
  const last = hours[hours.length - 1];
  let shortest = { hours: Infinity, between: '' };
  for (let i = 1; i < hours.length; i++) {
    if (hours[i] - hours[i - 1] < shortest.hours) {
      shortest = {
        hours: hours[i] - hours[i - 1],
        between: `${hourOf(hours[i - 1])} and ${hourOf(hours[i])}`,
      };
    }
  }
  let longestDays = 0;
  let firstDay: number | undefined;
  let previous: number | undefined;
  for (let n = 0; n < CYCLE_DAYS; n++) {
    const date = new Date(CYCLE_START + n * DAY_MS);
    const day: Day = {
      dayOfMonth: date.getUTCDate(),
      dayOfWeek: date.getUTCDay() + 1,
      daysInMonth: new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 0)).getUTCDate(),
      month: date.getUTCMonth() + 1,
    };
    if (!schedule.firesOn(day)) continue;
    firstDay ??= n;
    if (previous !== undefined) {
      const days = n - previous;
      longestDays = Math.max(longestDays, days);
      if (days * 24 + first - last < shortest.hours) {
        shortest = {
          hours: days * 24 + first - last,
          between: `${hourOf(last)} and ${hourOf(first)} ${days === 1 ? 'the next day' : `${days} days later`}`,
        };
      }
    }
    previous = n;
  }
  if (firstDay === undefined || previous === undefined) return undefined;
  // The cycle repeats: the gap from its last rotation day to its first one counts too.
  longestDays = Math.max(longestDays, CYCLE_DAYS - previous + firstDay);
  return { shortest, longestDays };
}

function hourOf(hour: number): string {
  return `${String(hour).padStart(2, '0')}:00`;
}

function plural(n: number, word: string): string {
  return n === 1 ? word : `${word}s`;
}
