import { App, CliCredentialsStackSynthesizer, Duration, SecretValue, Stack, Token } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import {
  SecretReaderRole,
  SecretReaderRoleProps,
  RotationFunction,
  RotationStrategy,
  SecretContent,
  SecretRotationSchedule,
  SecretsVault,
  VaultKey,
  VaultKeyProps,
  VaultSecret,
  VaultSecretProps,
} from '../lib';
import {
  PrincipalRules,
  validateExternalIds,
  validatePrincipal,
  validateText,
  validateVersionStages,
} from '../lib/private/validation';
import { ACCOUNT, OTHER_ACCOUNT, newStack } from './support/stack';

/**
 * Every input that AWS would refuse, that cannot work, or that weakens security, with the message it
 * gets at synth. One row per case: what the user wrote, where the message points (the construct
 * path, or the factory for value classes that have none), the prop the user wrote, the value as the
 * message shows it, and what the message says is allowed. Cases whose construct is still being
 * hardened are `test.todo` rows below: "<Construct>.<prop>: <bad input> → <what the message must say>".
 */
interface Refusal {
  /** What the user wrote. */
  readonly input: string;
  readonly act: () => unknown;
  /** The construct path (or the factory) the message starts with. */
  readonly where: string;
  /** The prop the user wrote. */
  readonly prop: string;
  /** The value received, as the message shows it. */
  readonly received: string;
  /** What the message says is allowed, or what to change. */
  readonly allowed: string;
}

/** The thrown error, which must be a plain Error with our message, never a TypeError. */
function errorOf(act: () => unknown): Error {
  try {
    act();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the input to be refused, but it was accepted');
}

function expectRefusal({ act, where, prop, received, allowed }: Refusal) {
  const error = errorOf(act);
  expect(error).toBeInstanceOf(Error);
  expect(error).not.toBeInstanceOf(TypeError);
  expect(error.message).toMatch(new RegExp(`^${escape(where)}: `));
  expect(error.message).toContain(`invalid \`${prop}\``);
  expect(error.message).toContain(`received ${received};`);
  expect(error.message).toContain(allowed);
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// ---------------------------------------------------------------------------------------------------
// SecretRotationSchedule

const cron = (expression: string, window?: Duration) => () =>
  SecretRotationSchedule.cron(expression, { window });
const rate = (interval: Duration, window?: Duration) => () =>
  SecretRotationSchedule.rate(interval, { window });
const CRON = 'SecretRotationSchedule.cron';
const RATE = 'SecretRotationSchedule.rate';
const FOUR_HOURS =
  'and Secrets Manager rotates at most once every 4 hours: keep the hours at least 4 apart, across midnight too';

function cronRow(expression: string, allowed: string): Refusal {
  return {
    input: `cron(${JSON.stringify(expression)})`,
    act: cron(expression),
    where: CRON,
    prop: 'expression',
    received: JSON.stringify(expression),
    allowed,
  };
}

const scheduleRefusals: Refusal[] = [
  // Grammar
  cronRow('0 4 * * ?', 'allowed: six fields "minutes hours day-of-month month day-of-week year"'),
  cronRow('rate(30 days)', 'a rate expression is not a cron expression: use SecretRotationSchedule.rate('),
  cronRow(
    '0 4 ? * SUN; *',
    'allowed field characters: digits, names (JAN-DEC, SUN-SAT), L, W and * ? , - / #',
  ),
  cronRow(
    'cron(0/30 * * * ? *)',
    'the minutes field "0/30" is not allowed: it must be 0, because rotation windows open on the hour',
  ),
  cronRow('0 4 ? * SUN 2027', 'the year field "2027" is not allowed: it must be *'),
  cronRow('0 4 * * SUN *', 'exactly one of day-of-month and day-of-week must be "?"'),
  cronRow('0 4 ? * ? *', 'exactly one of day-of-month and day-of-week must be "?"'),
  cronRow('0 24 * * ? *', 'the hours field "24" is not allowed: hours values run from 0 to 23'),
  cronRow('0 ? * * ? *', 'the hours field "?" is not allowed: use values, ranges, lists and steps'),
  cronRow('0 4 32 * ? *', 'the day-of-month field "32" is not allowed: day-of-month values run from 1 to 31'),
  cronRow('0 4 1 13 ? *', 'the month field "13" is not allowed: month values run from 1 to 12 or JAN to DEC'),
  cronRow('0 4 1 JANUARY ? *', 'the month field "JANUARY" is not allowed: month values run from 1 to 12'),
  cronRow(
    '0 4 ? * 8 *',
    'the day-of-week field "8" is not allowed: day-of-week values run from 1 to 7 or SUN to SAT',
  ),
  cronRow('0 4 ? * SAT-MON *', 'a range runs from low to high (day-of-week ranges do not wrap around)'),
  cronRow('0 *-4 * * ? *', 'the hours field "*-4" is not allowed: "*" cannot start a range'),
  cronRow('0 4/0 * * ? *', 'the hours field "4/0" is not allowed: a step is 1 or more'),
  cronRow('0 4 L,15 * ? *', 'L, LW and nW (e.g. 15W) stand alone, not in a list or range'),
  cronRow(
    '0 4 32W * ? *',
    'the day-of-month field "32W" is not allowed: day-of-month values run from 1 to 31',
  ),
  cronRow('0 4 ? * FRI#6 *', 'in day#n, n is 1 to 5 (e.g. FRI#3, the third Friday)'),
  cronRow('0 4 ? * 6#3,2 *', 'L, nL (e.g. 6L) and day#n (e.g. FRI#3) stand alone, not in a list or range'),
  cronRow('0 4 30 FEB ? *', 'no date matches its day and month fields: it would never rotate'),
  cronRow('0 4 29 FEB ? *', 'it goes up to 1461 days without a rotation'),
  // More often than every 4 hours, however it is written
  cronRow('cron(0 0-23 * * ? *)', `it rotates 1 hour apart (00:00 and 01:00), ${FOUR_HOURS}`),
  cronRow('0 * ? * MON *', `it rotates 1 hour apart (00:00 and 01:00), ${FOUR_HOURS}`),
  cronRow('0 0/2 ? * SUN *', `it rotates 2 hours apart (00:00 and 02:00), ${FOUR_HOURS}`),
  cronRow('0 8-20/3 * * ? *', `it rotates 3 hours apart (08:00 and 11:00), ${FOUR_HOURS}`),
  cronRow('0 1,4,12 * * ? *', `it rotates 3 hours apart (01:00 and 04:00), ${FOUR_HOURS}`),
  cronRow('0 0,22 * * ? *', `it rotates 2 hours apart (22:00 and 00:00 the next day), ${FOUR_HOURS}`),
  cronRow('0 1,23 ? * SAT,SUN *', `it rotates 2 hours apart (23:00 and 01:00 the next day), ${FOUR_HOURS}`),
  cronRow('0 0,22 30,31 * ? *', `it rotates 2 hours apart (22:00 and 00:00 the next day), ${FOUR_HOURS}`),
  cronRow(
    '0 2,23 1,31 JAN,FEB ? *',
    `it rotates 3 hours apart (23:00 and 02:00 the next day), ${FOUR_HOURS}`,
  ),
  // Windows
  {
    input: 'cron("0 2,8 * * ? *", { window: 7 hours })',
    act: cron('0 2,8 * * ? *', Duration.hours(7)),
    where: CRON,
    prop: 'window',
    received: '7 hours',
    allowed:
      'allowed: whole hours from 1 to 6: the window must close before the next rotation, 6 hours later at the closest (02:00 and 08:00)',
  },
  {
    input: 'cron("0 4/12 * * ? *", { window: 12 hours })',
    act: cron('0 4/12 * * ? *', Duration.hours(12)),
    where: CRON,
    prop: 'window',
    received: '12 hours',
    allowed:
      "allowed: whole hours from 1 to 8: the window must close by midnight UTC, and the day's last rotation opens at 16:00",
  },
  {
    input: 'cron("0 22 ? * SUN *", { window: 3 hours })',
    act: cron('0 22 ? * SUN *', Duration.hours(3)),
    where: CRON,
    prop: 'window',
    received: '3 hours',
    allowed: 'allowed: whole hours from 1 to 2: the window must close by midnight UTC',
  },
  {
    input: 'cron("0 4 ? * SUN *", { window: 90 minutes })',
    act: cron('0 4 ? * SUN *', Duration.minutes(90)),
    where: CRON,
    prop: 'window',
    received: '1 hour 30 minutes',
    allowed: 'allowed: whole hours from 1 to 24',
  },
  {
    input: 'rate(6 hours, { window: 7 hours })',
    act: rate(Duration.hours(6), Duration.hours(7)),
    where: RATE,
    prop: 'window',
    received: '7 hours',
    allowed:
      'allowed: whole hours from 1 to 6: the window must close before the next rotation, 6 hours later',
  },
  {
    input: 'rate(1 day, { window: 30 minutes })',
    act: rate(Duration.days(1), Duration.minutes(30)),
    where: RATE,
    prop: 'window',
    received: '30 minutes',
    allowed: 'allowed: whole hours from 1 to 24',
  },
  {
    input: 'rate(7 days, { window: 25 hours })',
    act: rate(Duration.days(7), Duration.hours(25)),
    where: RATE,
    prop: 'window',
    received: '1 day 1 hour',
    allowed: 'allowed: whole hours from 1 to 24',
  },
  {
    input: 'rate(7 days, { window: a token })',
    act: rate(Duration.days(7), Duration.hours(Token.asNumber({ Ref: 'Hours' }))),
    where: RATE,
    prop: 'window',
    received: 'a token',
    allowed: 'allowed: a literal duration',
  },
  // Rates
  ...(
    [
      [Duration.hours(3), '3 hours'],
      [Duration.minutes(270), '4 hours 30 minutes'],
      [Duration.hours(36), '1 day 12 hours'],
      [Duration.days(1000), '1000 days'],
    ] as const
  ).map(([interval, shown]): Refusal => ({
    input: `rate(${shown})`,
    act: rate(interval),
    where: RATE,
    prop: 'interval',
    received: shown,
    allowed: 'allowed: whole hours from 4 to 23, or whole days from 1 to 999',
  })),
  {
    input: 'rate(a token)',
    act: rate(Duration.days(Token.asNumber({ Ref: 'Days' }))),
    where: RATE,
    prop: 'interval',
    received: 'a token',
    allowed: 'allowed: a literal duration',
  },
];

describe('SecretRotationSchedule refuses', () => {
  test.each(scheduleRefusals)('$input', (row) => expectRefusal(row));
});

// ---------------------------------------------------------------------------------------------------
// SecretReaderRole

const LAMBDA = new iam.ServicePrincipal('lambda.amazonaws.com');
const ROLE = 'SecretReaderRole Test/Reader';

/** A reader role of one secret, in a fresh stack, with `props` over a valid Lambda reader. */
function readerRole(props: Partial<SecretReaderRoleProps>) {
  const { stack } = newStack();
  const secret = new VaultSecret(stack, 'Secret', { encryptionKey: new VaultKey(stack, 'Key') });
  const role = new SecretReaderRole(stack, 'Reader', { assumedBy: LAMBDA, secrets: [secret], ...props });
  return { stack, role };
}

function roleRow(
  input: string,
  props: Partial<SecretReaderRoleProps>,
  prop: string,
  received: string,
  allowed: string,
): Refusal {
  return { input, act: () => readerRole(props), where: ROLE, prop, received, allowed };
}

const PUBLIC = 'a public principal (*) lets anyone in: name the roles, users or accounts instead';
const ARN_ALLOWED = 'allowed: an IAM or STS ARN such as "arn:aws:iam::123456789012:role/name" (no wildcards)';
const ACCOUNT_ALLOWED = 'allowed: an account id of 12 digits, e.g. "123456789012"';

const roleRefusals: Refusal[] = [
  roleRow(
    'assumedBy: new AnyPrincipal()',
    { assumedBy: new iam.AnyPrincipal() },
    'assumedBy',
    'AnyPrincipal()',
    PUBLIC,
  ),
  roleRow(
    'assumedBy: new StarPrincipal()',
    { assumedBy: new iam.StarPrincipal() },
    'assumedBy',
    'StarPrincipal()',
    PUBLIC,
  ),
  roleRow(
    "assumedBy: new ArnPrincipal('*')",
    { assumedBy: new iam.ArnPrincipal('*') },
    'assumedBy',
    'ArnPrincipal(*)',
    PUBLIC,
  ),
  roleRow(
    "assumedBy: new AccountPrincipal('*')",
    { assumedBy: new iam.AccountPrincipal('*') },
    'assumedBy',
    'AccountPrincipal(*)',
    PUBLIC,
  ),
  roleRow(
    'assumedBy: a composite with AnyPrincipal in it',
    {
      assumedBy: new iam.CompositePrincipal(new iam.AccountPrincipal(OTHER_ACCOUNT), new iam.AnyPrincipal()),
    },
    'assumedBy',
    `CompositePrincipal(AccountPrincipal(${OTHER_ACCOUNT}),AnyPrincipal())`,
    PUBLIC,
  ),
  roleRow(
    'assumedBy: AnyPrincipal with a condition that does not narrow it to an organization',
    {
      assumedBy: new iam.PrincipalWithConditions(new iam.AnyPrincipal(), {
        StringEquals: { 'aws:RequestedRegion': 'eu-west-1' },
      }),
    },
    'assumedBy',
    'AnyPrincipal()',
    PUBLIC,
  ),
  roleRow(
    "assumedBy: new ArnPrincipal('reporting-role')",
    { assumedBy: new iam.ArnPrincipal('reporting-role') },
    'assumedBy',
    'ArnPrincipal(reporting-role)',
    ARN_ALLOWED,
  ),
  roleRow(
    'assumedBy: an ARN with a wildcard account',
    { assumedBy: new iam.ArnPrincipal('arn:aws:iam::*:role/reader') },
    'assumedBy',
    'ArnPrincipal(arn:aws:iam::*:role/reader)',
    ARN_ALLOWED,
  ),
  roleRow(
    'assumedBy: the ARN of a resource, not an identity',
    { assumedBy: new iam.ArnPrincipal('arn:aws:s3:::reports') },
    'assumedBy',
    'ArnPrincipal(arn:aws:s3:::reports)',
    ARN_ALLOWED,
  ),
  roleRow(
    "assumedBy: new AccountPrincipal('12345')",
    { assumedBy: new iam.AccountPrincipal('12345') },
    'assumedBy',
    'AccountPrincipal(12345)',
    ACCOUNT_ALLOWED,
  ),
  roleRow(
    "assumedBy: new AccountPrincipal('12345678901a')",
    { assumedBy: new iam.AccountPrincipal('12345678901a') },
    'assumedBy',
    'AccountPrincipal(12345678901a)',
    ACCOUNT_ALLOWED,
  ),
  roleRow(
    'externalIds with a service principal',
    { assumedBy: LAMBDA, externalIds: ['orders-reporting'] },
    'externalIds',
    'a list of 1',
    'a service principal (ServicePrincipal(lambda.amazonaws.com)) presents no external id, so it could never assume the role',
  ),
  roleRow(
    "externalIds: ['']",
    { assumedBy: new iam.AccountPrincipal(OTHER_ACCOUNT), externalIds: [''] },
    'externalIds',
    '""',
    'allowed: 2 to 1224 letters, digits and + = , . @ : / - _',
  ),
  roleRow(
    "externalIds: ['x']",
    { assumedBy: new iam.AccountPrincipal(OTHER_ACCOUNT), externalIds: ['x'] },
    'externalIds',
    '"x"',
    'allowed: 2 to 1224 letters, digits and + = , . @ : / - _',
  ),
  roleRow(
    "externalIds: ['orders reporting'] (a space)",
    { assumedBy: new iam.AccountPrincipal(OTHER_ACCOUNT), externalIds: ['orders reporting'] },
    'externalIds',
    '"orders reporting"',
    'allowed: 2 to 1224 letters, digits and + = , . @ : / - _',
  ),
  roleRow(
    'externalIds: []',
    { assumedBy: new iam.AccountPrincipal(OTHER_ACCOUNT), externalIds: [] },
    'externalIds',
    'an empty list',
    'name at least one external id, or leave it out',
  ),
  roleRow(
    'maxSessionDuration: 30 minutes',
    { maxSessionDuration: Duration.minutes(30) },
    'maxSessionDuration',
    '30 minutes',
    'allowed: 1 to 12 hours',
  ),
  roleRow(
    'maxSessionDuration: 13 hours',
    { maxSessionDuration: Duration.hours(13) },
    'maxSessionDuration',
    '13 hours',
    'allowed: 1 to 12 hours',
  ),
  roleRow(
    "roleName: 'orders reader' (a space)",
    { roleName: 'orders reader' },
    'roleName',
    '"orders reader"',
    'allowed: 1 to 64 letters, digits and + = , . @ _ -',
  ),
  roleRow(
    'roleName of 65 characters',
    { roleName: 'r'.repeat(65) },
    'roleName',
    JSON.stringify('r'.repeat(65)),
    'allowed: 1 to 64 letters, digits and + = , . @ _ -',
  ),
  roleRow("description: ''", { description: '' }, 'description', '""', 'leave it out rather than empty'),
  roleRow(
    'description of 1001 characters',
    { description: 'd'.repeat(1001) },
    'description',
    'a text of 1001 characters',
    'allowed: at most 1000 characters',
  ),
  roleRow(
    'secrets: []',
    { secrets: [] },
    'secrets',
    'an empty list',
    'name at least one secret, or leave it out and grant secrets afterwards',
  ),
  roleRow(
    'versionStages: []',
    { versionStages: [] },
    'versionStages',
    'an empty list',
    'name at least one stage (e.g. ["AWSCURRENT"]), or leave it out for every stage',
  ),
  roleRow(
    "versionStages: ['AWSCURENT'] (a typo)",
    { versionStages: ['AWSCURENT'] },
    'versionStages',
    '"AWSCURENT"',
    'allowed: AWSCURRENT, AWSPREVIOUS, AWSPENDING or a label of your own that does not start with "AWS"',
  ),
  roleRow(
    "versionStages: ['awscurrent'] (case)",
    { versionStages: ['awscurrent'] },
    'versionStages',
    '"awscurrent"',
    'allowed: AWSCURRENT, AWSPREVIOUS, AWSPENDING or a label of your own that does not start with "AWS"',
  ),
  roleRow(
    "versionStages: ['current stage'] (a space)",
    { versionStages: ['current stage'] },
    'versionStages',
    '"current stage"',
    'allowed: a staging label of 1 to 256 letters, digits and _ . + = @ -',
  ),
  {
    input: 'versionStages without secrets',
    act: () => {
      const { stack } = newStack();
      return new SecretReaderRole(stack, 'Reader', { assumedBy: LAMBDA, versionStages: ['AWSCURRENT'] });
    },
    where: ROLE,
    prop: 'versionStages',
    received: 'a list of 1',
    allowed: 'it limits `secrets`, which is not set',
  },
];

describe('SecretReaderRole refuses', () => {
  test.each(roleRefusals)('$input', (row) => expectRefusal(row));
});

interface Warning {
  readonly input: string;
  readonly act: () => ReturnType<typeof readerRole>;
  /** The construct the warning is attached to. */
  readonly path: string;
  /** The prop, the value and what to do, all in the message. */
  readonly says: string[];
}

const roleWarnings: Warning[] = [
  {
    input: "assumedBy: new OrganizationPrincipal('o-...')",
    act: () => readerRole({ assumedBy: new iam.OrganizationPrincipal('o-a1b2c3d4e5') }),
    path: '/Test/Reader',
    says: [
      ROLE,
      '`assumedBy` is an organization principal',
      'every principal of every account of the organization may assume this role',
      'Name the roles or accounts that need them instead',
    ],
  },
  {
    input: "versionStages: ['blue'] (a label Secrets Manager never sets)",
    act: () => readerRole({ versionStages: ['AWSCURRENT', 'blue'] }),
    path: '/Test/Reader',
    says: [ROLE, '`versionStages` names "blue", which Secrets Manager never sets', 'Use AWSCURRENT'],
  },
];

describe('SecretReaderRole warns', () => {
  test.each(roleWarnings)('$input', ({ act, path, says }) => {
    const { stack } = act();
    const warnings = Annotations.fromStack(stack).findWarning(path, Match.anyValue());
    const messages = warnings.map((w) => String(w.entry.data));
    expect(messages.filter((m) => says.every((s) => m.includes(s)))).toHaveLength(1);
  });
});

// ---------------------------------------------------------------------------------------------------
// The shared checks other constructs call (lib/private/validation.ts)

const OWNER = 'Example Test/Thing';

function principalRow(
  input: string,
  principal: iam.IPrincipal,
  rules: PrincipalRules,
  received: string,
  allowed: string,
): Refusal {
  return {
    input,
    act: () => validatePrincipal(OWNER, 'readers', principal, rules),
    where: OWNER,
    prop: 'readers',
    received,
    allowed,
  };
}

const everything: PrincipalRules = { allowService: true, allowAccount: true, allowOrganization: true };

const sharedRefusals: Refusal[] = [
  principalRow(
    'validatePrincipal: AnyPrincipal, even with everything else allowed',
    new iam.AnyPrincipal(),
    everything,
    'AnyPrincipal()',
    PUBLIC,
  ),
  principalRow(
    'validatePrincipal: StarPrincipal',
    new iam.StarPrincipal(),
    everything,
    'StarPrincipal()',
    PUBLIC,
  ),
  principalRow(
    "validatePrincipal: AccountPrincipal('*')",
    new iam.AccountPrincipal('*'),
    everything,
    'AccountPrincipal(*)',
    PUBLIC,
  ),
  principalRow(
    'validatePrincipal: a service when services are not allowed',
    LAMBDA,
    {},
    'ServicePrincipal(lambda.amazonaws.com)',
    'a service principal is not allowed here: name the roles, users or accounts instead',
  ),
  principalRow(
    'validatePrincipal: a service, with the caller’s hint',
    LAMBDA,
    { serviceHint: 'use addReader, which adds aws:SourceAccount' },
    'ServicePrincipal(lambda.amazonaws.com)',
    'a service principal is not allowed here: use addReader, which adds aws:SourceAccount',
  ),
  principalRow(
    'validatePrincipal: a service inside a composite',
    new iam.CompositePrincipal(new iam.AccountPrincipal(OTHER_ACCOUNT), LAMBDA),
    {},
    `CompositePrincipal(AccountPrincipal(${OTHER_ACCOUNT}),ServicePrincipal(lambda.amazonaws.com))`,
    'a service principal is not allowed here',
  ),
  principalRow(
    'validatePrincipal: an account when accounts are not allowed',
    new iam.AccountPrincipal(OTHER_ACCOUNT),
    { allowAccount: false },
    `AccountPrincipal(${OTHER_ACCOUNT})`,
    'an account principal lets in every principal of the account: name the roles or users instead',
  ),
  principalRow(
    "validatePrincipal: an account's root ARN when accounts are not allowed",
    new iam.ArnPrincipal(`arn:aws:iam::${OTHER_ACCOUNT}:root`),
    { allowAccount: false },
    `ArnPrincipal(arn:aws:iam::${OTHER_ACCOUNT}:root)`,
    'an account principal lets in every principal of the account',
  ),
  principalRow(
    'validatePrincipal: an organization when organizations are not allowed',
    new iam.OrganizationPrincipal('o-a1b2c3d4e5'),
    {},
    'OrganizationPrincipal(o-a1b2c3d4e5)',
    'an organization principal lets in every principal of every account of the organization',
  ),
  principalRow(
    'validatePrincipal: AnyPrincipal narrowed to an organization by aws:PrincipalOrgID, when organizations are not allowed',
    new iam.PrincipalWithConditions(new iam.AnyPrincipal(), {
      StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' },
    }),
    { allowService: true },
    'AnyPrincipal()',
    'an organization principal lets in every principal of every account of the organization',
  ),
  principalRow(
    'validatePrincipal: an ARN that is not one',
    new iam.ArnPrincipal('arn:aws:iam:role/x'),
    {},
    'ArnPrincipal(arn:aws:iam:role/x)',
    ARN_ALLOWED,
  ),
  principalRow(
    'validatePrincipal: an 11-digit account',
    new iam.AccountPrincipal('12345678901'),
    {},
    'AccountPrincipal(12345678901)',
    ACCOUNT_ALLOWED,
  ),
  {
    input: 'validateExternalIds: []',
    act: () => validateExternalIds(OWNER, 'externalIds', []),
    where: OWNER,
    prop: 'externalIds',
    received: 'an empty list',
    allowed: 'name at least one external id, or leave it out',
  },
  {
    input: 'validateExternalIds: 1225 characters',
    act: () => validateExternalIds(OWNER, 'externalIds', ['e'.repeat(1225)]),
    where: OWNER,
    prop: 'externalIds',
    received: JSON.stringify('e'.repeat(1225)),
    allowed: 'allowed: 2 to 1224 letters',
  },
  {
    input: "validateVersionStages: ['AWSPENDNG']",
    act: () => validateVersionStages(OWNER, 'versionStages', ['AWSCURRENT', 'AWSPENDNG']),
    where: OWNER,
    prop: 'versionStages',
    received: '"AWSPENDNG"',
    allowed: 'allowed: AWSCURRENT, AWSPREVIOUS, AWSPENDING or a label of your own',
  },
  {
    input: 'validateVersionStages: a label of 257 characters',
    act: () => validateVersionStages(OWNER, 'versionStages', ['s'.repeat(257)]),
    where: OWNER,
    prop: 'versionStages',
    received: JSON.stringify('s'.repeat(257)),
    allowed: 'allowed: a staging label of 1 to 256 letters',
  },
  {
    input: 'validateText: a description of 2049 characters where 2048 are allowed',
    act: () => validateText(OWNER, 'description', 'd'.repeat(2049), 2048),
    where: OWNER,
    prop: 'description',
    received: 'a text of 2049 characters',
    allowed: 'allowed: at most 2048 characters',
  },
];

describe('the shared checks refuse', () => {
  test.each(sharedRefusals)('$input', (row) => expectRefusal(row));
});

describe('the shared checks accept', () => {
  test.each([
    ['a role ARN', new iam.ArnPrincipal(`arn:aws:iam::${ACCOUNT}:role/reader`), ['identity']],
    [
      'an assumed-role session ARN',
      new iam.ArnPrincipal(`arn:aws:sts::${ACCOUNT}:assumed-role/r/s`),
      ['identity'],
    ],
    ['a GovCloud role ARN', new iam.ArnPrincipal(`arn:aws-us-gov:iam::${ACCOUNT}:role/r`), ['identity']],
    ['a bare account id', new iam.ArnPrincipal(ACCOUNT), ['account']],
    ['an account', new iam.AccountPrincipal(ACCOUNT), ['account']],
    [
      'an account given as a token',
      new iam.AccountPrincipal(Token.asString({ Ref: 'Account' })),
      ['account'],
    ],
    ['an ARN given as a token', new iam.ArnPrincipal(Token.asString({ Ref: 'Arn' })), ['identity']],
    ['a service, when allowed', LAMBDA, ['service']],
    ['an organization, when allowed', new iam.OrganizationPrincipal('o-a1b2c3d4e5'), ['organization']],
    [
      'AnyPrincipal narrowed by aws:PrincipalOrgID, as an organization',
      new iam.PrincipalWithConditions(new iam.AnyPrincipal(), {
        StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' },
      }),
      ['organization'],
    ],
    [
      'a conditioned service and an account',
      new iam.CompositePrincipal(
        new iam.PrincipalWithConditions(LAMBDA, { StringEquals: { 'aws:SourceAccount': ACCOUNT } }),
        new iam.AccountPrincipal(ACCOUNT),
      ),
      ['service', 'account'],
    ],
  ] as const)('%s', (_name, principal, scopes) => {
    expect(validatePrincipal(OWNER, 'readers', principal, everything)).toEqual(scopes);
  });

  test('a role of this app is a named identity', () => {
    const { stack } = newStack();
    const role = new iam.Role(stack, 'Role', { assumedBy: LAMBDA });
    expect(validatePrincipal(OWNER, 'readers', role)).toEqual(['identity']);
  });

  test('labels of your own are returned for a warning; AWS stages and tokens are not', () => {
    expect(
      validateVersionStages(OWNER, 'versionStages', ['AWSCURRENT', 'blue', Token.asString({ Ref: 'Stage' })]),
    ).toEqual(['blue']);
  });
});

// ---------------------------------------------------------------------------------------------------
// Principals of VaultKey, VaultSecret and SecretsVault: who administers, breaks glass, reads and writes

const keyIn = (props: VaultKeyProps) => () => new VaultKey(newStack().stack, 'Key', props);
const secretWith = (props: Partial<VaultSecretProps>) => () => {
  const { app, stack } = newStack();
  new VaultSecret(stack, 'Secret', { encryptionKey: new VaultKey(stack, 'Key'), ...props });
  app.synth();
};

const principalRefusals: Refusal[] = [
  {
    input: 'VaultKey keyAdmins: [new AnyPrincipal()] (would let anyone administer the key)',
    act: keyIn({ keyAdmins: [new iam.AnyPrincipal()] }),
    where: 'VaultKey Test/Key',
    prop: 'keyAdmins',
    received: 'AnyPrincipal()',
    allowed: PUBLIC,
  },
  {
    input: "VaultKey keyAdmins: [new AccountPrincipal('*')]",
    act: keyIn({ keyAdmins: [new iam.AccountPrincipal('*')] }),
    where: 'VaultKey Test/Key',
    prop: 'keyAdmins',
    received: 'AccountPrincipal(*)',
    allowed: PUBLIC,
  },
  {
    input: 'VaultKey keyAdmins: [a service principal] (was silently dropped)',
    act: keyIn({ keyAdmins: [new iam.ServicePrincipal('lambda.amazonaws.com')] }),
    where: 'VaultKey Test/Key',
    prop: 'keyAdmins',
    received: 'ServicePrincipal(lambda.amazonaws.com)',
    allowed:
      'a service principal is not allowed here: a key administrator is a role or user that people assume',
  },
  {
    input: "VaultKey keyAdmins: [new ArnPrincipal('admin')]",
    act: keyIn({ keyAdmins: [new iam.ArnPrincipal('admin')] }),
    where: 'VaultKey Test/Key',
    prop: 'keyAdmins',
    received: 'ArnPrincipal(admin)',
    allowed: 'allowed: an IAM or STS ARN such as "arn:aws:iam::123456789012:role/name"',
  },
  {
    input: "VaultKey keyAdmins: [new ArnPrincipal('arn:aws:iam::*:role/admin')] (a wildcard account)",
    act: keyIn({ keyAdmins: [new iam.ArnPrincipal('arn:aws:iam::*:role/admin')] }),
    where: 'VaultKey Test/Key',
    prop: 'keyAdmins',
    received: '"arn:aws:iam::*:role/admin"',
    allowed: 'allowed: an IAM role or user ARN with wildcards only in its name',
  },
  {
    input: "VaultKey keyAdmins: [new AccountPrincipal('12345')]",
    act: keyIn({ keyAdmins: [new iam.AccountPrincipal('12345')] }),
    where: 'VaultKey Test/Key',
    prop: 'keyAdmins',
    received: 'AccountPrincipal(12345)',
    allowed: 'allowed: an account id of 12 digits',
  },
  {
    input: 'VaultKey keyAdmins: []',
    act: keyIn({ keyAdmins: [] }),
    where: 'VaultKey Test/Key',
    prop: 'keyAdmins',
    received: 'an empty list',
    allowed: 'name at least one, or leave it out',
  },
  {
    input: 'VaultKey breakGlass: a whole account',
    act: keyIn({ breakGlass: new iam.AccountPrincipal(ACCOUNT) }),
    where: 'VaultKey Test/Key',
    prop: 'breakGlass',
    received: `AccountPrincipal(${ACCOUNT})`,
    allowed: 'an account principal lets in every principal of the account: name the roles or users instead',
  },
  {
    input: 'VaultKey breakGlass: a service principal',
    act: keyIn({ breakGlass: new iam.ServicePrincipal('lambda.amazonaws.com') }),
    where: 'VaultKey Test/Key',
    prop: 'breakGlass',
    received: 'ServicePrincipal(lambda.amazonaws.com)',
    allowed: 'the break-glass principal is a role people assume in an emergency',
  },
  {
    input: "VaultSecret readers: [new AccountPrincipal('*')] (its ARN is a token)",
    act: secretWith({ readers: [new iam.AccountPrincipal('*')] }),
    where: 'VaultSecret Test/Secret',
    prop: 'readers',
    received: 'AccountPrincipal(*)',
    allowed: PUBLIC,
  },
  {
    input: "VaultSecret readers: [new ArnPrincipal('reader')]",
    act: secretWith({ readers: [new iam.ArnPrincipal('reader')] }),
    where: 'VaultSecret Test/Secret',
    prop: 'readers',
    received: 'ArnPrincipal(reader)',
    allowed: 'allowed: an IAM or STS ARN',
  },
  {
    input: "VaultSecret readers: [new AccountPrincipal('12345')]",
    act: secretWith({ readers: [new iam.AccountPrincipal('12345')] }),
    where: 'VaultSecret Test/Secret',
    prop: 'readers',
    received: 'AccountPrincipal(12345)',
    allowed: 'allowed: an account id of 12 digits',
  },
  {
    input: 'VaultSecret readers: []',
    act: secretWith({ readers: [] }),
    where: 'VaultSecret Test/Secret',
    prop: 'readers',
    received: 'an empty list',
    allowed: 'name at least one, or leave it out',
  },
  {
    input: 'VaultSecret breakGlass: AnyPrincipal',
    act: secretWith({ breakGlass: new iam.AnyPrincipal() }),
    where: 'VaultSecret Test/Secret',
    prop: 'breakGlass',
    received: 'AnyPrincipal()',
    allowed: PUBLIC,
  },
  {
    input: 'VaultSecret grantWrite(a service principal) (no aws:SourceAccount: a confused deputy)',
    act: () => {
      const { app, stack } = newStack();
      const secret = new VaultSecret(stack, 'Secret', { encryptionKey: new VaultKey(stack, 'Key') });
      secret.grantWrite(new iam.ServicePrincipal('lambda.amazonaws.com'));
      app.synth();
    },
    where: 'VaultSecret Test/Secret',
    prop: 'grantWrite',
    received: 'ServicePrincipal(lambda.amazonaws.com)',
    allowed: 'a service writes through a role of this account given grantWrite',
  },
  {
    input: 'SecretsVault keyAdmins with its own encryptionKey',
    act: () => {
      const { stack } = newStack();
      new SecretsVault(stack, 'Vault', {
        encryptionKey: new VaultKey(stack, 'Key'),
        keyAdmins: [new iam.ArnPrincipal(`arn:aws:iam::${ACCOUNT}:role/admin`)],
      });
    },
    where: 'SecretsVault Test/Vault',
    prop: 'keyAdmins',
    received: 'a list of 1',
    allowed: 'it applies only to the key the vault creates',
  },
  {
    input: 'SecretsVault readers: []',
    act: () => new SecretsVault(newStack().stack, 'Vault', { readers: [] }),
    where: 'SecretsVault Test/Vault',
    prop: 'readers',
    received: 'an empty list',
    allowed: 'name at least one, or leave it out',
  },
  {
    input: 'VaultKey deploymentRole left out on a stack without DefaultStackSynthesizer',
    act: () =>
      new VaultKey(new Stack(new App(), 'Cli', { synthesizer: new CliCredentialsStackSynthesizer() }), 'Key'),
    where: 'VaultKey Cli/Key',
    prop: 'deploymentRole',
    received: 'undefined',
    allowed: 'pass `deploymentRole`, the role your deployments run as',
  },
];

describe('principal props refuse', () => {
  test.each(principalRefusals)('$input', (row) => expectRefusal(row));
});

describe('principal props accept', () => {
  test('an SSO permission set’s roles by a wildcard in the role name, as a key admin', () => {
    expect(
      keyIn({
        keyAdmins: [
          new iam.ArnPrincipal(
            `arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_KeyAdmin_*`,
          ),
        ],
      }),
    ).not.toThrow();
  });

  test('the account itself as a key admin: an explicit choice to let its IAM administrators in', () => {
    expect(keyIn({ keyAdmins: [new iam.AccountRootPrincipal()] })).not.toThrow();
  });
});

const rotating = (props: Partial<VaultSecretProps>) => () => {
  const { app, stack } = newStack();
  const key = new VaultKey(stack, 'Key');
  new VaultSecret(stack, 'Secret', {
    encryptionKey: key,
    rotationFunction: new RotationFunction(stack, 'Rotation'),
    ...props,
  });
  app.synth();
};
const jsonContent = SecretContent.generatedJson({ username: 'app' }, 'password');

const secretRefusals: Refusal[] = [
  {
    input: 'VaultSecret rotationStrategy: generatedJsonField("pwd") on content that generates "password"',
    act: rotating({ content: jsonContent, rotationStrategy: RotationStrategy.generatedJsonField('pwd') }),
    where: 'VaultSecret Test/Secret',
    prop: 'rotationStrategy',
    received: '"generatedJsonField(\\"pwd\\")"',
    allowed: 'it rotates field "pwd", but the content generates "password": rotate that field',
  },
  {
    input: 'VaultSecret rotationStrategy: generatedJsonField on a generated string',
    act: rotating({ rotationStrategy: RotationStrategy.generatedJsonField('password') }),
    where: 'VaultSecret Test/Secret',
    prop: 'rotationStrategy',
    received: '"generatedJsonField(\\"password\\")"',
    allowed: 'a JSON-field strategy needs JSON content',
  },
  {
    input: 'VaultSecret rotationStrategy: generatedString() on generated JSON',
    act: rotating({ content: jsonContent, rotationStrategy: RotationStrategy.generatedString() }),
    where: 'VaultSecret Test/Secret',
    prop: 'rotationStrategy',
    received: '"generatedString()"',
    allowed:
      'it would replace the whole JSON value with a random string: use RotationStrategy.generatedJsonField("password")',
  },
  {
    input: 'VaultSecret: a supplied value rotated by the default (generated) strategy',
    act: rotating({ content: SecretContent.fromSecretValue(SecretValue.ssmSecure('/app/key')) }),
    where: 'VaultSecret Test/Secret',
    prop: 'rotation',
    received: '"a schedule for a supplied value"',
    allowed: 'rotating with the default strategy would replace the supplied value with a random string',
  },
  {
    input: 'VaultSecret rotationStrategy without rotation (it would be ignored)',
    act: () => {
      const { stack } = newStack();
      new VaultSecret(stack, 'Secret', {
        encryptionKey: new VaultKey(stack, 'Key'),
        rotationStrategy: RotationStrategy.generatedString(),
      });
    },
    where: 'VaultSecret Test/Secret',
    prop: 'rotationStrategy',
    received: '"generated"',
    allowed: 'the strategy would be ignored',
  },
  {
    input: 'VaultSecret description: 2049 characters',
    act: secretWith({ description: 'd'.repeat(2049) }),
    where: 'VaultSecret Test/Secret',
    prop: 'description',
    received: 'a text of 2049 characters',
    allowed: 'allowed: at most 2048 characters',
  },
  {
    input: "VaultSecret encryptionKey: the AWS-managed key (alias 'alias/aws/secretsmanager')",
    act: () => {
      const { stack } = newStack();
      new VaultSecret(stack, 'Secret', {
        encryptionKey: kms.Alias.fromAliasName(stack, 'Managed', 'alias/aws/secretsmanager'),
      });
    },
    where: 'VaultSecret Test/Secret',
    prop: 'encryptionKey',
    received: '"alias/aws/secretsmanager"',
    allowed: 'use a customer-managed key',
  },
  {
    input: 'VaultSecret grantRead(role, [])',
    act: () => {
      const { stack } = newStack();
      const secret = new VaultSecret(stack, 'Secret', { encryptionKey: new VaultKey(stack, 'Key') });
      secret.grantRead(new iam.Role(stack, 'Role', { assumedBy: LAMBDA }), []);
    },
    where: 'VaultSecret Test/Secret',
    prop: 'versionStages',
    received: 'an empty list',
    allowed: 'name at least one',
  },
  {
    input: "VaultSecret grantRead(role, ['AWSCURENT']) (a typo)",
    act: () => {
      const { stack } = newStack();
      const secret = new VaultSecret(stack, 'Secret', { encryptionKey: new VaultKey(stack, 'Key') });
      secret.grantRead(new iam.Role(stack, 'Role', { assumedBy: LAMBDA }), ['AWSCURENT']);
    },
    where: 'VaultSecret Test/Secret',
    prop: 'versionStages',
    received: '"AWSCURENT"',
    allowed: 'AWSCURRENT',
  },
  {
    input: 'VaultSecret addToResourcePolicy: an Allow to a service without a source condition',
    act: () => {
      const { stack } = newStack();
      const secret = new VaultSecret(stack, 'Secret', { encryptionKey: new VaultKey(stack, 'Key') });
      secret.addToResourcePolicy(
        new iam.PolicyStatement({
          principals: [new iam.ServicePrincipal('appsync.amazonaws.com')],
          actions: ['secretsmanager:GetSecretValue'],
          resources: ['*'],
        }),
      );
    },
    where: 'VaultSecret Test/Secret',
    prop: 'addToResourcePolicy',
    received: 'ServicePrincipal(appsync.amazonaws.com)',
    allowed: 'needs an aws:SourceAccount or aws:SourceArn condition',
  },
];

describe('VaultSecret refuses', () => {
  test.each(secretRefusals)('$input', (row) => expectRefusal(row));
});

// ---------------------------------------------------------------------------------------------------
// Misuses of constructs still being hardened by their owners. Each becomes a row above when its
// construct refuses it; "(refused today)" marks those whose message already names path, prop and value.

describe('misuses to refuse (todo)', () => {
  // VaultKey
  test.todo(
    'VaultKey.description: 8193 characters → "a text of 8193 characters; allowed: at most 8192 characters" (KMS)',
  );
  test.todo(
    'VaultKey.alias: "alias/aws/x" or "orders" → allowed: `alias/` + 1 to 250 of letters, digits, / _ - (refused today)',
  );
  test.todo(
    'VaultKey.rotationPeriod: 89 days, 2561 days, 90.5 days → allowed: whole days from 90 to 2560 (refused today)',
  );
  test.todo('VaultKey.pendingWindow: 6 days, 31 days → allowed: whole days from 7 to 30 (refused today)');
  test.todo(
    'VaultKey.rotationPeriod with enableKeyRotation: false → "needs enableKeyRotation left on" (refused today)',
  );
  test.todo(
    'VaultKey.enableKeyRotation: false → warning: old key material protects every version for the key’s life',
  );
  test.todo(
    'VaultKey.removalPolicy: DESTROY → warning: every secret encrypted with the key becomes unreadable',
  );
  test.todo(
    'VaultKey.deploymentRole: a role of another account → refused: CloudFormation deploys with a role of this account',
  );
  test.todo(
    'VaultKey.grantDecrypt / grantEncrypt / grantEncryptDecrypt / grant(..., "kms:Decrypt") (inherited) → refused: use grantDecryptViaSecretsManager (the key policy denies direct use)',
  );
  test.todo(
    'VaultKey.grantAdmin (inherited) → refused: name the principal in keyAdmins (the key policy admits listed ARNs only)',
  );
  test.todo(
    'VaultKey.addAlias("alias/aws/x") (inherited) → our message with path, prop `alias` and the value',
  );
  test.todo('VaultKey.addToResourcePolicy: an Allow with a public principal → refused: public');

  // SecretContent / PasswordOptions
  test.todo('PasswordOptions.length: 0, 4097, 12.5 → allowed: a whole number from 1 to 4096 (refused today)');
  test.todo(
    'PasswordOptions.excludeCharacters: a non-printable or over-long set → allowed: printable ASCII (refused today)',
  );
  test.todo(
    'PasswordOptions.excludeCharacters + exclude* flags that leave no character at all → "no character left to generate from"',
  );
  test.todo(
    'PasswordOptions.excludeCharacters that removes every digit (or every letter of a case) with requireEachIncludedType → "removes the whole <class> class, which requireEachIncludedType requires: set exclude<Class>"',
  );
  test.todo(
    'PasswordOptions: all four exclude flags → message names the props the user set (today the prop is shown as `exclude*`)',
  );
  test.todo(
    'PasswordOptions.length: 3 with requireEachIncludedType and 4 classes → "needs at least 4" (refused today)',
  );
  test.todo('PasswordOptions.length: below 12 → warning: short generated passwords');
  test.todo('SecretContent.generatedJson(template, "") → allowed: the field name (refused today)');
  test.todo('SecretContent.generatedJson(template with the generated field) → refused (refused today)');
  test.todo(
    'SecretContent.generatedJson(template, "pass word" or a field with a dot) → allowed: a plain JSON key',
  );
  test.todo(
    'SecretContent.fromSecretValue(SecretValue.unsafePlainText("")) → refused: Secrets Manager refuses an empty SecretString',
  );
  test.todo(
    'SecretContent.fromSecretValue(a plaintext over 65,536 bytes) → refused: over Secrets Manager’s 64 KiB',
  );
  test.todo('SecretContent.fromSecretValue(plaintext) → warning: lands in the template (warns today)');

  // VaultSecret
  test.todo(
    'VaultSecret.secretName: "", 513 characters, "a b" → allowed characters / 1 to 512 (refused today)',
  );
  test.todo(
    'VaultSecret.secretName: ending in "-" + 6 characters (e.g. "db-abcdef") → warning: looks like an ARN suffix, partial-ARN lookups break',
  );
  test.todo(
    'VaultSecret.rotationStrategy: a database strategy on non-JSON content → "a database strategy needs the database JSON"',
  );
  test.todo(
    'VaultSecret.rotation: never() with a rotationFunction → refused or warning: the function is never used',
  );
  test.todo('VaultSecret.rotation without rotationFunction → "needs a rotationFunction" (refused today)');
  test.todo(
    'VaultSecret.readers: [new AnyPrincipal()] → refused (refused today; the message shows "a public principal (*)", not the principal)',
  );
  test.todo(
    'VaultSecret.readers: [OrganizationPrincipal] → refused at addReader: use allowedOrganizationId (today refused later, at synth, via principalArnPatterns)',
  );
  test.todo('VaultSecret.allowedOrganizationId: "o-1" → allowed: o- and 10 to 32 characters (refused today)');
  test.todo(
    'VaultSecret.denyUnlistedReaders: false → warning: any principal of the account whose IAM policy allows it reads the value',
  );
  test.todo('VaultSecret.removalPolicy: DESTROY → warning: the value is lost with the stack');
  test.todo('VaultSecret.deploymentRole: a role of another account → refused');
  test.todo(
    'VaultSecret.encryptionKey: a key of another region (imported by ARN) → refused: Secrets Manager needs a key in the secret’s region',
  );
  test.todo(
    'VaultSecret.grantRead(new ServicePrincipal(...)) → aws:SourceAccount added, or refused (confused deputy)',
  );
  test.todo('VaultSecret.registerReader(AnyPrincipal) → refused: public');
  test.todo(
    'VaultSecret.addToResourcePolicy: a Deny that does not exempt the rotation role → warning: rotation breaks',
  );
  test.todo('VaultSecret.addToResourcePolicy: an Allow to AnyPrincipal → refused (refused today)');
  test.todo(
    'VaultSecret.addRotationSchedule (inherited) on a secret that already rotates → refused: one rotation schedule per secret',
  );
  test.todo(
    'VaultSecret.addReplicaRegion (inherited) → refused, or the replica key required: the vault key is single-region',
  );

  // SecretsVault
  test.todo(
    'SecretsVault.namePrefix: a token → refused or warning: the overlap check with other vaults is skipped',
  );
  test.todo(
    'SecretsVault.namePrefix: "a.b" next to a vault "a-b" → refused: both map to KMS alias "alias/a-b"',
  );
  test.todo(
    'SecretsVault.namePrefix: "orders*" → message says "*" is not allowed (today it says "without a trailing /")',
  );
  test.todo('SecretsVault.namePrefix: "orders/" → allowed: a prefix without a trailing / (refused today)');
  test.todo('SecretsVault.namePrefix: "/orders" → refused: the KMS alias would be "alias//orders"');
  test.todo(
    'SecretsVault.namePrefix: so long that `alias/<prefix>` passes 256 characters → refused by the vault, naming namePrefix (today VaultKey names `alias`, which the user did not set)',
  );
  test.todo(
    'SecretsVault.namePrefix equal to or nested in another vault’s → refused at synth (refused today)',
  );
  test.todo(
    'SecretsVault.addSecret: two secrets with one name (same vault, two vaults, two stacks of one environment) → refused: names are unique per account and region',
  );
  test.todo('SecretsVault.addSecret(id, { secretName }) outside the prefix → refused (refused today)');
  test.todo(
    'SecretsVault.keyRotationPeriod: 30 days → message names keyRotationPeriod (today VaultKey names rotationPeriod)',
  );
  test.todo('SecretsVault.keyAdmins: [] / AnyPrincipal / a service → refused at the vault, naming keyAdmins');
  test.todo(
    'SecretsVault.readers: AnyPrincipal with no secret yet → refused at the vault (today only checked when a secret is added)',
  );
  test.todo(
    'SecretsVault.allowedOrganizationId: "o-1" → refused at the vault with the vault’s path (today by the first secret)',
  );
  test.todo('SecretsVault.breakGlass: AnyPrincipal / a service / a non-ARN → refused at the vault');
  test.todo('SecretsVault.denyUnlistedReaders: false → warning (one, at the vault)');
  test.todo(
    'SecretsVault.rotationReservedConcurrentExecutions: 101, -1, 1.5 → refused at the vault naming rotationReservedConcurrentExecutions (today the function names reservedConcurrentExecutions, and only once a secret rotates)',
  );
  test.todo(
    'SecretsVault.rotationVpcSubnets / rotationSecurityGroups without rotationVpc → refused (refused today)',
  );
  test.todo(
    'SecretsVault.rotationVpcSubnets: public subnets → refused: a Lambda function in a public subnet has no route out',
  );
  test.todo(
    'SecretsVault.rotationVpc: a VPC without private subnets and no rotationVpcSubnets → our message naming rotationVpcSubnets',
  );
  test.todo('SecretsVault.rotationSecurityGroups: [] → refused: empty list');
  test.todo(
    'SecretsVault.grantRead(a named role of another account) → refused, or granted through the resource policy (secret.grantRead handles it)',
  );
  test.todo(
    "SecretsVault.grantRead(grantee, []) / (grantee, ['AWSCURENT']) → refused (validateVersionStages)",
  );
  test.todo('SecretsVault.grantRead(a service principal) → "use addReader" (refused today)');
  test.todo(
    'SecretsVault.addDatabaseSecret: engine: \'postgres\' (a string) → "allowed: DatabaseEngine.POSTGRES or DatabaseEngine.MYSQL", not "Cannot read properties of undefined"',
  );
  test.todo('SecretsVault.addDatabaseSecret: engine: an object that is not a DatabaseEngine → same message');
  test.todo(
    "SecretsVault.addDatabaseSecret: tls: 'verified' (a string) → allowed: DatabaseTls.VERIFIED, UNVERIFIED_INSECURE or PLAINTEXT_INSECURE",
  );
  test.todo(
    'SecretsVault.addDatabaseSecret: host "", port 0 / 65536 / 5432.5, username "" or too long, IP host with MySQL verified TLS → refused (refused today)',
  );
  test.todo('SecretsVault.addDatabaseSecret: dbname "" → refused: leave it out for the engine default');
  test.todo(
    'SecretsVault.addDatabaseSecret: username with a quote, a space or a character the engine cannot take unquoted → refused',
  );
  test.todo(
    'SecretsVault.addDatabaseSecret: tls UNVERIFIED_INSECURE / PLAINTEXT_INSECURE → warning naming the risk',
  );
  test.todo(
    'SecretsVault.addDatabaseSecret: passwordOptions.excludeCharacters without ":" for PostgreSQL → warning: breaks connection URIs',
  );
  test.todo(
    'SecretsVault.addDatabaseSecret: alternatingUsers with tls other than VERIFIED → refused (refused today)',
  );
  test.todo(
    'SecretsVault.addDatabaseSecret: userRotation alternatingUsers(undefined) → refused: needs an admin secret (today a silent downgrade to single user)',
  );
  test.todo('SecretsVault.addDatabaseSecret: without rotationVpc → warning (warns today)');

  // DatabaseUserRotation / RotationStrategy
  test.todo('DatabaseUserRotation.alternatingUsers(undefined) → refused: adminSecret is required');
  test.todo(
    'RotationStrategy.singleUser / alternatingUsers: target.engine a string → allowed: DatabaseEngine.*',
  );
  test.todo(
    'RotationStrategy.singleUser / alternatingUsers: target.host "", target.port 0 / 70000 → refused (today only addDatabaseSecret checks them)',
  );
  test.todo('RotationStrategy.alternatingUsers(target, undefined) → refused: adminSecret is required');
  test.todo(
    'RotationStrategy.alternatingUsers: tls not VERIFIED → refused (refused today; no construct path)',
  );
  test.todo('RotationStrategy.generatedJsonField("") → refused (refused today; no construct path)');

  // RotationFunction
  test.todo(
    'RotationFunction.secretNamePrefix: "orders/" (trailing slash) → refused: the function would serve "orders//"',
  );
  test.todo('RotationFunction.secretNamePrefix: invalid characters → refused (refused today)');
  test.todo('RotationFunction.encryptionKeys: [] → refused: empty list');
  test.todo('RotationFunction.encryptionKeys: a key of another region → refused');
  test.todo('RotationFunction.reservedConcurrentExecutions: 101, -1, 1.5 → refused (refused today)');
  test.todo(
    'RotationFunction.logRetention: 400 as RetentionDays → "allowed: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653 days or INFINITE" (CloudWatch refuses other values)',
  );
  test.todo(
    'RotationFunction.timeout: 4 seconds, 16 minutes → allowed: 5 seconds to 15 minutes (refused today)',
  );
  test.todo(
    'RotationFunction.timeout: under 30 seconds with a database strategy → warning: database steps wait for the target',
  );
  test.todo('RotationFunction.vpcSubnets without vpc → refused (today silently ignored)');
  test.todo('RotationFunction.securityGroups without vpc → refused (today silently ignored)');
  test.todo(
    'RotationFunction.addSecret(the same secret twice) → our message (today aws-cdk-lib’s "already a Construct with name RotationSchedule")',
  );
  test.todo(
    'RotationFunction.addSecret(a secret that already has a rotation schedule) → refused: one schedule per secret',
  );
  test.todo('RotationFunction.addSecret(schedule never()) → refused (refused today)');
  test.todo(
    'RotationFunction.addSecret(an imported secret without its complete ARN) → refused (refused today)',
  );
  test.todo('RotationFunction.addSecret(a secret outside secretNamePrefix) → refused (refused today)');
  test.todo(
    'RotationFunction.addSecret(strategy whose adminSecret is the secret itself) → refused (refused today)',
  );
  test.todo(
    'RotationFunction.addSecret(a database strategy) on a function without vpc → warning, as the vault gives',
  );
  test.todo('RotationFunction.connections without vpc → refused (refused today)');
  test.todo('RotationFunction.addKey(a key of another region) → refused');

  // SecretsAudit and its parts
  test.todo('SecretsAudit.metricNamespace: "AWS/Secrets", "" or 256 characters → refused (refused today)');
  test.todo(
    'SecretsAudit.metricNamespace: the same namespace as another audit of the same account and region → refused: their metrics would add up',
  );
  test.todo('SecretsAudit.alarmEmail: "secops" → refused (refused today)');
  test.todo('SecretsAudit.alarmPeriod: 30 seconds, 90 seconds, 2 days → refused (refused today)');
  test.todo('SecretsAudit.*Threshold: 0, 1.5 → refused (refused today)');
  test.todo('SecretsAudit.dashboardName: "my dashboard" → refused (refused today)');
  test.todo('SecretsAudit.vaults: [] and no watch() → refused at synth (refused today)');
  test.todo('SecretsAudit.removalPolicy: DESTROY → warning: audit records are evidence');
  test.todo(
    'SecretsAudit.trail: AuditTrail.fromLogGroup(a log group of another account or region) → refused: metric filters only read this account’s region',
  );
  test.todo(
    'SecretsAudit.watch(a vault of another account or region) → refused: this trail does not see its events',
  );
  test.todo(
    'AuditTrail.create: logRetention not a CloudWatch value (e.g. 400 as RetentionDays) → refused with the list of values',
  );
  test.todo(
    'AuditTrail.create: objectExpiration / accessLogExpiration 0 days, 3651 days, 1.5 days → refused (refused today)',
  );
  test.todo(
    'AuditTrail.create: objectExpiration shorter than logRetention → warning: the bucket forgets what the logs still show',
  );
  test.todo('AuditTopic.email (standalone): "secops" → refused (today only SecretsAudit checks it)');
  test.todo(
    'AuditDashboard.dashboardName (standalone): "my dashboard" → refused (today only SecretsAudit checks it)',
  );

  // VaultReference / CrossAccountSecretReader (lib/cross-account-reader.ts, not yet exported)
  test.todo(
    'VaultReference.fromAttributes: account "12345", region "Europe", partition "amazon", a token in any attribute → refused (refused today)',
  );
  test.todo(
    'VaultReference.fromAttributes: both keyAlias and keyArn, or neither; keyAlias "alias/aws/secretsmanager"; keyArn of another region or account → refused (refused today)',
  );
  test.todo('VaultReference.fromAttributes: namePrefix "orders/" or "orders*" → refused (refused today)');
  test.todo(
    'VaultReference.fromVault: a vault in an environment-agnostic stack, or whose key has no literal alias → refused (refused today)',
  );
  test.todo(
    'CrossAccountSecretReader.vault: a vault of this stack’s own account → "grant on the vault’s side" (refused today)',
  );
  test.todo(
    'CrossAccountSecretReader.grantee: a role of another account, or one without an identity policy here → refused (refused today)',
  );
  test.todo(
    'CrossAccountSecretReader.secretNames: [], a token, a name outside the vault prefix → refused (refused today)',
  );
  test.todo(
    "CrossAccountSecretReader.versionStages: ['AWSCURENT'] → refused; ['PARTNER'] → warning (both today, via validateVersionStages)",
  );
  test.todo(
    'CrossAccountSecretReader.versionStages: [] → refused: empty list (validateVersionStages, today)',
  );

  // VaultReplicaRegion / VaultReplicaKey (lib/vault-replica-key.ts, not yet exported)
  test.todo(
    'VaultReplicaRegion.vaultKey: region "eu-west", alias "alias/aws/x" or a token → refused (refused today; no construct path)',
  );
  test.todo(
    'VaultReplicaRegion.fromKeyArn: a token, not a KMS ARN, an alias/aws/... ARN → refused (refused today)',
  );
  test.todo(
    'VaultReplicaKey.vault: a vault of another account, of the same region, or in an environment-agnostic stack → refused (refused today)',
  );
  test.todo(
    'VaultReplicaKey.readers: [new AnyPrincipal()] → refused as public (today the message says "a principal of another account", which it is not)',
  );
  test.todo('VaultReplicaKey.readers: a principal of this account → "use vault.grantRead" (refused today)');
  test.todo(
    'VaultReplicaKey.keyAdmins / breakGlass: AnyPrincipal, a service, a non-ARN → refused (as VaultKey)',
  );
  test.todo('VaultReplicaKey: two for one vault and region → refused at synth (refused today)');
  test.todo('VaultReplicaKey without breakGlass on it or on the vault → warning (warns today)');

  // SecretReaderRole (this file's rows cover the rest)
  test.todo('SecretReaderRole.secrets: a secret of another region → refused');
  test.todo('SecretsVault.addReaderRole(id, options) → every SecretReaderRole row, with the vault’s path');
});
