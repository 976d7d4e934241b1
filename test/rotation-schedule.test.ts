import { Duration } from 'aws-cdk-lib';
import { SecretRotationSchedule } from '../lib';

describe('SecretRotationSchedule', () => {
  test.each([
    [Duration.hours(4), 'rate(4 hours)'],
    [Duration.minutes(300), 'rate(5 hours)'],
    [Duration.hours(23), 'rate(23 hours)'],
    [Duration.days(1), 'rate(1 day)'],
    [Duration.hours(48), 'rate(2 days)'],
    [Duration.days(1000), 'rate(1000 days)'],
  ])('rate(%s) is %s', (interval, expression) => {
    expect(SecretRotationSchedule.rate(interval).expression).toBe(expression);
  });

  test.each([
    [Duration.hours(3), '3 hours'],
    [Duration.minutes(270), '4 hours 30 minutes'],
    [Duration.hours(36), '1 day 12 hours'],
    [Duration.days(1001), '1001 days'],
  ])('rejects rate(%s)', (interval, shown) => {
    expect(() => SecretRotationSchedule.rate(interval)).toThrow(
      `SecretRotationSchedule.rate: invalid \`interval\`: received ${shown}; allowed: whole hours from 4 to 23, or whole days from 1 to 1000.`,
    );
  });

  test('carries a rotation window in whole hours', () => {
    const schedule = SecretRotationSchedule.rate(Duration.days(7), { window: Duration.hours(3) });
    expect(schedule.window).toBe('3h');
    expect(schedule.rotateImmediately).toBe(false);
  });

  test.each([
    [Duration.minutes(30), '30 minutes', 'allowed: whole hours from 1 to 24'],
    [Duration.hours(25), '1 day 1 hour', 'allowed: whole hours from 1 to 24'],
  ])('rejects window %s', (window, shown, allowed) => {
    expect(() => SecretRotationSchedule.rate(Duration.days(1), { window })).toThrow(
      `invalid \`window\`: received ${shown}; ${allowed}.`,
    );
  });

  test('rejects a window as long as an hourly rate', () => {
    expect(() => SecretRotationSchedule.rate(Duration.hours(6), { window: Duration.hours(6) })).toThrow(
      'invalid `window`: received 6 hours; it must be shorter than the rotation interval of 6 hours.',
    );
  });

  test('rotateImmediately is explicit', () => {
    expect(
      SecretRotationSchedule.rate(Duration.days(30), { rotateImmediately: true }).rotateImmediately,
    ).toBe(true);
  });

  test.each([
    ['0 4 ? * SUN *', 'cron(0 4 ? * SUN *)'],
    ['cron(0 16 1,15 * ? *)', 'cron(0 16 1,15 * ? *)'],
    ['  0   0/6 ? * MON-FRI * ', 'cron(0 0/6 ? * MON-FRI *)'],
  ])('cron(%j) is %s', (input, expression) => {
    expect(SecretRotationSchedule.cron(input).expression).toBe(expression);
  });

  test.each([
    ['0 4 * * ?', 'allowed: six fields "minutes hours day-of-month month day-of-week year"'],
    ['0 4 ? * SUN 2027', 'the year field must be "*": Secrets Manager rotates every year'],
    ['0 4 * * SUN *', 'exactly one of day-of-month and day-of-week must be "?"'],
    ['0 4 ? * ? *', 'exactly one of day-of-month and day-of-week must be "?"'],
    [
      '* 4 ? * SUN *',
      'Secrets Manager rotates at most once every 4 hours: use a single minute and hours at least 4 apart',
    ],
    [
      '0 0/2 ? * SUN *',
      'Secrets Manager rotates at most once every 4 hours: use a single minute and hours at least 4 apart',
    ],
    [
      '0 * ? * SUN *',
      'Secrets Manager rotates at most once every 4 hours: use a single minute and hours at least 4 apart',
    ],
    ['0 4 ? * SUN; *', 'allowed field characters: digits, letters, * ? , - / # L'],
  ])('rejects cron %j', (expression, allowed) => {
    expect(() => SecretRotationSchedule.cron(expression)).toThrow(
      `SecretRotationSchedule.cron: invalid \`expression\`: received ${JSON.stringify(expression)}; ${allowed}.`,
    );
  });

  test('never() is disabled', () => {
    expect(SecretRotationSchedule.never().enabled).toBe(false);
  });
});
