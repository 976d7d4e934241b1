import { Duration, Token } from 'aws-cdk-lib';
import { SecretRotationSchedule } from '../lib';

// What schedules refuse, and with which message, is in test/misuse.test.ts; this file proves what
// they accept, up to each limit, and what they hand to CloudFormation.

describe('SecretRotationSchedule.rate', () => {
  test.each([
    [Duration.hours(4), 'rate(4 hours)'],
    [Duration.minutes(300), 'rate(5 hours)'],
    [Duration.hours(23), 'rate(23 hours)'],
    [Duration.days(1), 'rate(1 day)'],
    [Duration.hours(48), 'rate(2 days)'],
    [Duration.days(999), 'rate(999 days)'],
  ])('rate(%s) is %s', (interval, expression) => {
    expect(SecretRotationSchedule.rate(interval).expression).toBe(expression);
  });

  test('carries a rotation window in whole hours', () => {
    const schedule = SecretRotationSchedule.rate(Duration.days(7), { window: Duration.hours(3) });
    expect(schedule.window).toBe('3h');
    expect(schedule.rotateImmediately).toBe(false);
  });

  test('a rate in days takes a window up to the whole day, which starts at midnight', () => {
    expect(SecretRotationSchedule.rate(Duration.days(1), { window: Duration.hours(24) }).window).toBe('24h');
  });

  test('a rate in hours takes a window as long as the rate, which ends as the next one opens', () => {
    expect(SecretRotationSchedule.rate(Duration.hours(6), { window: Duration.hours(6) }).window).toBe('6h');
  });

  test('rotateImmediately is explicit', () => {
    expect(
      SecretRotationSchedule.rate(Duration.days(30), { rotateImmediately: true }).rotateImmediately,
    ).toBe(true);
  });
});

describe('SecretRotationSchedule.cron', () => {
  test.each([
    ['0 4 ? * SUN *', 'cron(0 4 ? * SUN *)'],
    ['cron(0 16 1,15 * ? *)', 'cron(0 16 1,15 * ? *)'],
    ['  0   0/6 ? * MON-FRI * ', 'cron(0 0/6 ? * MON-FRI *)'],
  ])('cron(%j) is %s', (input, expression) => {
    expect(SecretRotationSchedule.cron(input).expression).toBe(expression);
  });

  // Secrets Manager's grammar: each form that AWS documents is accepted as written.
  test.each([
    ['every 4 hours by step', '0 0/4 * * ? *'],
    ['every 4 hours by a stepped range', '0 8-20/4 ? * MON-FRI *'],
    ['twice a day, 12 hours apart', '0 4/12 * * ? *'],
    ['hours 4 apart across midnight', '0 2,22 * * ? *'],
    ['every day at midnight', '0 0 * * ? *'],
    ['hours listed', '0 1,7,13,19 ? * * *'],
    ['the 1st and the 15th', '0 8 1,15 * ? *'],
    ['every 7 days of the month from the 1st', '0 8 1/7 * ? *'],
    ['a range of days of the month', '0 8 1-7 * ? *'],
    ['the last day of the month', '0 16 L * ? *'],
    ['the last weekday of the month', '0 16 LW * ? *'],
    ['the weekday nearest the 15th', '0 16 15W * ? *'],
    ['months by number', '0 8 1 1,4,7,10 ? *'],
    ['months by name, a range and a list', '0 8 1 JAN-MAR,JUL ? *'],
    ['months by step', '0 8 1 1/3 ? *'],
    ['days of the week by number', '0 8 ? * 1-5 *'],
    ['days of the week by name', '0 8 ? * MON,WED,FRI *'],
    ['the last day of the week', '0 8 ? * L *'],
    ['the last Friday of the month', '0 8 ? * 6L *'],
    ['the third Friday of the month', '0 8 ? * FRI#3 *'],
    ['the first Sunday, by number', '0 0 ? * 1#1 *'],
    ['late on two days that are never consecutive', '0 0,22 ? * MON,WED *'],
    ['the 31st, whose months skip', '0 23 31 * ? *'],
    ['once a year', '0 0 1 JAN ? *'],
  ])('%s: %s', (_name, fields) => {
    expect(SecretRotationSchedule.cron(fields).expression).toBe(`cron(${fields})`);
  });

  test('writes names in upper case, as AWS documents them', () => {
    expect(SecretRotationSchedule.cron('0 8 ? jan-jun mon *').expression).toBe('cron(0 8 ? JAN-JUN MON *)');
  });

  test.each([
    ['up to the shortest gap between rotations', '0 2,8 * * ? *', 6],
    ['up to midnight after the last rotation of the day', '0 4/12 * * ? *', 8],
    ['the whole day for a rotation at midnight', '0 0 ? * SUN *', 24],
    ['up to midnight for a late rotation', '0 22 ? * SUN *', 2],
  ])('takes a window %s', (_name, fields, hours) => {
    expect(SecretRotationSchedule.cron(fields, { window: Duration.hours(hours) }).window).toBe(`${hours}h`);
  });

  test('passes a token on unchecked, since its fields are not known at synth', () => {
    const expression = Token.asString({ Ref: 'Schedule' });
    expect(SecretRotationSchedule.cron(expression).expression).toBe(expression);
  });
});

describe('SecretRotationSchedule.never', () => {
  test('is disabled', () => {
    expect(SecretRotationSchedule.never().enabled).toBe(false);
  });
});
