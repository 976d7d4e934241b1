import {
  App,
  CliCredentialsStackSynthesizer,
  Duration,
  RemovalPolicy,
  SecretValue,
  Stack,
  Token,
} from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import {
  AuditDashboard,
  AuditDashboardProps,
  AuditKey,
  AuditTopic,
  AuditTrail,
  CrossAccountSecretReader,
  CrossAccountSecretReaderProps,
  DatabaseEngine,
  DatabaseSecretOptions,
  DatabaseTarget,
  DatabaseTls,
  DatabaseUserRotation,
  PasswordOptions,
  SecretsAudit,
  SecretsAuditProps,
  SecretsVaultProps,
  VaultReference,
  VaultReferenceAttributes,
  VaultReplicaKey,
  VaultReplicaKeyProps,
  VaultReplicaRegion,
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
import {
  errorOf,
  expectMemberRefusal,
  expectRefusal,
  expectWarning,
  MemberRefusal,
  Refusal,
  runRows,
  Warned,
} from './support/misuse';
import * as databaseRows from './misuse/database.rows';
import * as rotationFunctionRows from './misuse/rotation-function.rows';
import { ACCOUNT, OTHER_ACCOUNT, REGION, newStack } from './support/stack';

/**
 * Every input that AWS would refuse, that cannot work, or that weakens security, with the message it
 * gets at synth. One row per case: what the user wrote, where the message points (the construct
 * path, or the factory for value classes that have none), the prop the user wrote, the value as the
 * message shows it, and what the message says is allowed. The rows of RotationFunction and of the
 * database module are kept in test/misuse/ and run at the end of this file.
 */
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

/** A refusal of a reader role's props, which also hold for a role the vault makes (addReaderRole). */
interface RoleRefusal extends Refusal {
  readonly props?: Partial<SecretReaderRoleProps>;
}

function roleRow(
  input: string,
  props: Partial<SecretReaderRoleProps>,
  prop: string,
  received: string,
  allowed: string,
): RoleRefusal {
  return { input, act: () => readerRole(props), where: ROLE, prop, received, allowed, props };
}

const PUBLIC = 'a public principal (*) lets anyone in: name the roles, users or accounts instead';
const ARN_ALLOWED = 'allowed: an IAM or STS ARN such as "arn:aws:iam::123456789012:role/name" (no wildcards)';
const ACCOUNT_ALLOWED = 'allowed: an account id of 12 digits, e.g. "123456789012"';

const roleRefusals: RoleRefusal[] = [
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
    input: 'maxSessionDuration: a token (iam.Role needs a literal)',
    act: () => readerRole({ maxSessionDuration: Duration.hours(Token.asNumber({ Ref: 'Hours' })) }),
    where: ROLE,
    prop: 'maxSessionDuration',
    received: 'a token',
    allowed: 'allowed: 1 to 12 hours, as a literal duration',
  },
  {
    input: 'secrets: a secret imported by the ARN of another region',
    act: () => {
      const { stack } = newStack();
      const far = secretsmanager.Secret.fromSecretCompleteArn(
        stack,
        'Far',
        `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:orders/db-AbCdEf`,
      );
      new SecretReaderRole(stack, 'Reader', { assumedBy: LAMBDA, secrets: [far] });
    },
    where: ROLE,
    prop: 'secrets',
    received: 'secret Test/Far of region us-east-1',
    allowed: `a reader role reads the secrets of its own stack's region (${REGION})`,
  },
  {
    input: 'secrets: a VaultSecret of a stack in another region',
    act: () => {
      const { app, stack } = newStack();
      const east = new Stack(app, 'East', { env: { account: ACCOUNT, region: 'us-east-1' } });
      const secret = new VaultSecret(east, 'Secret', { encryptionKey: new VaultKey(east, 'Key') });
      new SecretReaderRole(stack, 'Reader', { assumedBy: LAMBDA, secrets: [secret] });
    },
    where: ROLE,
    prop: 'secrets',
    received: 'secret East/Secret of region us-east-1',
    allowed: `Create the reader role in a stack of us-east-1, or replicate the secret to ${REGION} and read the replica there`,
  },
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
// Inherited members a construct refuses, and refusals that only the finished tree can tell (synth)

const KEY_ARN_ELSEWHERE = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const anotherAccountRole = (stack: Stack) =>
  iam.Role.fromRoleArn(stack, 'Deployer', `arn:aws:iam::${OTHER_ACCOUNT}:role/deployer`);

// ---------------------------------------------------------------------------------------------------
// VaultKey

const KEY = 'VaultKey Test/Key';
const ALIAS_ALLOWED =
  'allowed: `alias/` followed by 1 to 250 letters, digits, / _ -, not starting with `alias/aws/`';

const keyRefusals: Refusal[] = [
  {
    input: 'VaultKey description: 8193 characters',
    act: keyIn({ description: 'd'.repeat(8193) }),
    where: KEY,
    prop: 'description',
    received: 'a text of 8193 characters',
    allowed: 'allowed: at most 8192 characters',
  },
  ...['alias/aws/x', 'orders'].map((alias): Refusal => ({
    input: `VaultKey alias: ${JSON.stringify(alias)}`,
    act: keyIn({ alias }),
    where: KEY,
    prop: 'alias',
    received: JSON.stringify(alias),
    allowed: ALIAS_ALLOWED,
  })),
  ...[Duration.days(89), Duration.days(2561), Duration.days(90.5)].map((rotationPeriod): Refusal => ({
    input: `VaultKey rotationPeriod: ${rotationPeriod.toHumanString()}`,
    act: keyIn({ rotationPeriod }),
    where: KEY,
    prop: 'rotationPeriod',
    received: rotationPeriod.toHumanString(),
    allowed: 'allowed: a whole number of days from 90 to 2560',
  })),
  ...[Duration.days(6), Duration.days(31)].map((pendingWindow): Refusal => ({
    input: `VaultKey pendingWindow: ${pendingWindow.toHumanString()}`,
    act: keyIn({ pendingWindow }),
    where: KEY,
    prop: 'pendingWindow',
    received: pendingWindow.toHumanString(),
    allowed: 'allowed: a whole number of days from 7 to 30',
  })),
  {
    input: 'VaultKey rotationPeriod with enableKeyRotation: false',
    act: keyIn({ enableKeyRotation: false, rotationPeriod: Duration.days(180) }),
    where: KEY,
    prop: 'rotationPeriod',
    received: '180 days',
    allowed: 'a rotation period needs `enableKeyRotation` left on',
  },
  {
    input: 'VaultKey deploymentRole: a role of another account',
    act: () => {
      const { stack } = newStack();
      new VaultKey(stack, 'Key', { deploymentRole: anotherAccountRole(stack) });
    },
    where: KEY,
    prop: 'deploymentRole',
    received: `a role of account ${OTHER_ACCOUNT}`,
    allowed: `CloudFormation deploys stack Test with a role of its own account (${ACCOUNT})`,
  },
  {
    input: "VaultKey addAlias('alias/aws/x') (inherited)",
    act: () => new VaultKey(newStack().stack, 'Key').addAlias('alias/aws/x'),
    where: KEY,
    prop: 'alias',
    received: '"alias/aws/x"',
    allowed: ALIAS_ALLOWED,
  },
  {
    input: 'VaultKey addToResourcePolicy: an Allow to AnyPrincipal, even through Secrets Manager only',
    act: () => {
      const { stack } = newStack();
      new VaultKey(stack, 'Key').addToResourcePolicy(
        new iam.PolicyStatement({
          principals: [new iam.AnyPrincipal()],
          actions: ['kms:Decrypt'],
          resources: ['*'],
          conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${REGION}.amazonaws.com` } },
        }),
      );
    },
    where: KEY,
    prop: 'addToResourcePolicy',
    received: 'AnyPrincipal()',
    allowed: PUBLIC,
  },
];

const keyMemberRefusals: MemberRefusal[] = [
  {
    input: "VaultKey grant(role, 'kms:Decrypt') (inherited): not limited to Secrets Manager",
    act: () => {
      const { stack } = newStack();
      new VaultKey(stack, 'Key').grant(new iam.Role(stack, 'Role', { assumedBy: LAMBDA }), 'kms:Decrypt');
    },
    where: KEY,
    member: 'grant(Test/Role, kms:Decrypt)',
    instead: "or with this key's grantDecrypt, grantEncrypt, grantDecryptViaSecretsManager",
  },
  {
    input: 'VaultKey grantAdmin(role) (inherited)',
    act: () => {
      const { stack } = newStack();
      new VaultKey(stack, 'Key').grantAdmin(new iam.Role(stack, 'Role', { assumedBy: LAMBDA }));
    },
    where: KEY,
    member: 'grantAdmin(Test/Role)',
    instead: 'Name the principal in the `keyAdmins` prop',
  },
  {
    input: 'VaultKey.fromKeyArn (inherited): a plain kms.IKey without the vault rules',
    act: () => VaultKey.fromKeyArn(newStack().stack, 'Imported', KEY_ARN_ELSEWHERE),
    where: 'VaultKey.fromKeyArn (Test/Imported)',
    member: 'importing',
    instead: 'import the key with kms.Key.fromKeyArn only for what needs its ARN',
  },
];

const keyWarnings: Warned[] = [
  {
    input: 'VaultKey enableKeyRotation: false',
    act: () => {
      const { stack } = newStack();
      new VaultKey(stack, 'Key', { enableKeyRotation: false });
      return stack;
    },
    path: '/Test/Key',
    says: [KEY, '`enableKeyRotation` is false', 'the same key material protects every secret version'],
  },
  {
    input: 'VaultKey removalPolicy: DESTROY',
    act: () => {
      const { stack } = newStack();
      new VaultKey(stack, 'Key', { removalPolicy: RemovalPolicy.DESTROY });
      return stack;
    },
    path: '/Test/Key',
    says: [KEY, '`removalPolicy` is DESTROY', 'every secret version encrypted with it becomes unreadable'],
  },
];

describe('VaultKey refuses', () => {
  test.each(keyRefusals)('$input', (row) => expectRefusal(row));
  test.each(keyMemberRefusals)('$input', (row) => expectMemberRefusal(row));
});

describe('VaultKey warns', () => {
  test.each(keyWarnings)('$input', (row) => expectWarning(row));
});

// ---------------------------------------------------------------------------------------------------
// VaultSecret, standalone

const SECRET = 'VaultSecret Test/Secret';
const newSecret = (stack: Stack, props: Partial<VaultSecretProps> = {}, id = 'Secret') =>
  new VaultSecret(stack, id, { encryptionKey: new VaultKey(stack, `${id}Key`), ...props });

const moreSecretRefusals: Refusal[] = [
  {
    input: 'VaultSecret secretName: ""',
    act: secretWith({ secretName: '' }),
    where: SECRET,
    prop: 'secretName',
    received: '""',
    allowed: 'allowed: 1 to 512 characters',
  },
  {
    input: 'VaultSecret secretName: 513 characters',
    act: secretWith({ secretName: 's'.repeat(513) }),
    where: SECRET,
    prop: 'secretName',
    received: JSON.stringify('s'.repeat(513)),
    allowed: 'allowed: 1 to 512 characters',
  },
  {
    input: 'VaultSecret secretName: "a b"',
    act: secretWith({ secretName: 'a b' }),
    where: SECRET,
    prop: 'secretName',
    received: '"a b"',
    allowed: 'allowed characters: letters, digits and / _ + = . @ -',
  },
  {
    input: 'VaultSecret secretName: a name another secret of the environment has (another stack)',
    act: () => {
      const { app, stack } = newStack();
      newSecret(stack, { secretName: 'orders/db' }, 'First');
      const other = new Stack(app, 'Other', { env: { account: ACCOUNT, region: REGION } });
      newSecret(other, { secretName: 'orders/db' });
    },
    where: 'VaultSecret Other/Secret',
    prop: 'secretName',
    received: '"orders/db"',
    allowed: 'secret Test/First already has this name, and secret names are unique in an account and region',
  },
  {
    input: 'VaultSecret rotationStrategy: a database strategy on a generated string',
    act: rotating({
      rotationStrategy: RotationStrategy.singleUser({
        engine: DatabaseEngine.POSTGRES,
        host: 'db.example.com',
      }),
    }),
    where: SECRET,
    prop: 'rotationStrategy',
    received: '"postgres-single"',
    allowed: 'a database strategy rotates the database JSON: use SecretsVault.addDatabaseSecret',
  },
  {
    input: 'VaultSecret rotation: never() with a rotationFunction (the function would never run)',
    act: rotating({ rotation: SecretRotationSchedule.never() }),
    where: SECRET,
    prop: 'rotationFunction',
    received: 'function Test/Rotation',
    allowed:
      'the secret does not rotate (`rotation: SecretRotationSchedule.never()`), so the function would never run for it',
  },
  {
    input: 'VaultSecret rotation without a rotationFunction',
    act: secretWith({ rotation: SecretRotationSchedule.rate(Duration.days(30)) }),
    where: SECRET,
    prop: 'rotation',
    received: '"rate(30 days)"',
    allowed: 'a rotation schedule needs a `rotationFunction`',
  },
  {
    input: 'VaultSecret readers: [new AnyPrincipal()]',
    act: secretWith({ readers: [new iam.AnyPrincipal()] }),
    where: SECRET,
    prop: 'readers',
    received: 'AnyPrincipal()',
    allowed: PUBLIC,
  },
  {
    input: 'VaultSecret readers: [an OrganizationPrincipal] (refused when added, not at synth)',
    act: () => newSecret(newStack().stack, { readers: [new iam.OrganizationPrincipal('o-a1b2c3d4e5')] }),
    where: SECRET,
    prop: 'readers',
    received: 'OrganizationPrincipal(o-a1b2c3d4e5)',
    allowed:
      '`allowedOrganizationId` lets the accounts of the organization past the account boundary without letting them read',
  },
  {
    input: 'VaultSecret allowedOrganizationId: "o-1"',
    act: secretWith({ allowedOrganizationId: 'o-1' }),
    where: SECRET,
    prop: 'allowedOrganizationId',
    received: '"o-1"',
    allowed: 'allowed: `o-` followed by 10 to 32 lowercase letters or digits',
  },
  {
    input: 'VaultSecret deploymentRole: a role of another account',
    act: () => {
      const { stack } = newStack();
      newSecret(stack, { deploymentRole: anotherAccountRole(stack) });
    },
    where: SECRET,
    prop: 'deploymentRole',
    received: `a role of account ${OTHER_ACCOUNT}`,
    allowed: 'CloudFormation deploys stack Test with a role of its own account',
  },
  {
    input: 'VaultSecret encryptionKey: a key of another region (imported by ARN)',
    act: () => {
      const { stack } = newStack();
      new VaultSecret(stack, 'Secret', {
        encryptionKey: kms.Key.fromKeyArn(stack, 'Far', KEY_ARN_ELSEWHERE),
      });
    },
    where: SECRET,
    prop: 'encryptionKey',
    received: 'a key of region us-east-1',
    allowed: `Secrets Manager encrypts a secret with a key of the secret's own region (${REGION})`,
  },
  {
    input: 'VaultSecret grantRead(a service principal) (no aws:SourceAccount: a confused deputy)',
    act: () => newSecret(newStack().stack).grantRead(LAMBDA),
    where: SECRET,
    prop: 'grantRead',
    received: 'ServicePrincipal(lambda.amazonaws.com)',
    allowed: 'use addReader, which adds aws:SourceAccount',
  },
  {
    input: 'VaultSecret registerReader(new AnyPrincipal())',
    act: () => newSecret(newStack().stack).registerReader(new iam.AnyPrincipal()),
    where: SECRET,
    prop: 'registerReader',
    received: 'AnyPrincipal()',
    allowed: PUBLIC,
  },
  {
    input: 'VaultSecret addToResourcePolicy: an Allow to AnyPrincipal',
    act: () =>
      newSecret(newStack().stack).addToResourcePolicy(
        new iam.PolicyStatement({
          principals: [new iam.AnyPrincipal()],
          actions: ['secretsmanager:GetSecretValue'],
          resources: ['*'],
        }),
      ),
    where: SECRET,
    prop: 'addToResourcePolicy',
    received: 'AnyPrincipal()',
    allowed: PUBLIC,
  },
];

const secretMemberRefusals: MemberRefusal[] = [
  {
    input: 'VaultSecret addRotationSchedule with a function imported from another account',
    act: () => {
      const { stack } = newStack();
      newSecret(stack).addRotationSchedule('Rotation', {
        rotationLambda: lambda.Function.fromFunctionAttributes(stack, 'Imported', {
          functionArn: `arn:aws:lambda:${REGION}:${OTHER_ACCOUNT}:function:rotator`,
          role: iam.Role.fromRoleArn(stack, 'ImportedRole', `arn:aws:iam::${OTHER_ACCOUNT}:role/rotator`),
        }),
      });
    },
    where: SECRET,
    member: "addRotationSchedule('Rotation')",
    instead: 'skipPermissions: true',
  },
  {
    input: 'VaultSecret addRotationSchedule (inherited) on a secret that already rotates',
    act: () => {
      const { stack } = newStack();
      const secret = newSecret(stack, { rotationFunction: new RotationFunction(stack, 'Rotation') });
      secret.addRotationSchedule('Again', { rotationLambda: new RotationFunction(stack, 'Other').function });
    },
    where: SECRET,
    member: "addRotationSchedule('Again')",
    instead: "Change the secret's `rotation` instead",
  },
  {
    input: "VaultSecret addReplicaRegion('us-east-1') (inherited) without a key",
    act: () => newSecret(newStack().stack).addReplicaRegion('us-east-1'),
    where: SECRET,
    member: "addReplicaRegion('us-east-1')",
    instead: 'Pass a customer-managed key of that region',
  },
  {
    input: 'VaultSecret.fromSecretNameV2 (inherited): a plain ISecret without the guards',
    act: () => VaultSecret.fromSecretNameV2(newStack().stack, 'Imported', 'orders/db'),
    where: 'VaultSecret.fromSecretNameV2 (Test/Imported)',
    member: 'importing',
    instead: 'Declare readers on the VaultSecret or SecretsVault that owns the secret',
  },
];

const secretWarnings: Warned[] = [
  {
    input: 'VaultSecret secretName ending in "-" and six characters',
    act: () => {
      const { stack } = newStack();
      newSecret(stack, { secretName: 'orders/db-abcdef' });
      return stack;
    },
    path: '/Test/Secret',
    says: [SECRET, '`secretName` "orders/db-abcdef" ends with a hyphen and six characters', 'partial ARN'],
  },
  {
    input: 'VaultSecret denyUnlistedReaders: false',
    act: () => {
      const { stack } = newStack();
      newSecret(stack, { denyUnlistedReaders: false });
      return stack;
    },
    path: '/Test/Secret',
    says: [SECRET, '`denyUnlistedReaders` is false', 'any principal of the account whose IAM policy allows'],
  },
  {
    input: 'VaultSecret removalPolicy: DESTROY',
    act: () => {
      const { stack } = newStack();
      newSecret(stack, { removalPolicy: RemovalPolicy.DESTROY });
      return stack;
    },
    path: '/Test/Secret',
    says: [SECRET, '`removalPolicy` is DESTROY', 'cannot be read again'],
  },
  {
    input: 'VaultSecret addToResourcePolicy: a Deny that does not exempt the rotation function',
    act: () => {
      const { stack } = newStack();
      const secret = newSecret(stack, { rotationFunction: new RotationFunction(stack, 'Rotation') });
      secret.addToResourcePolicy(
        new iam.PolicyStatement({
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: ['secretsmanager:*'],
          resources: ['*'],
          conditions: { StringNotEquals: { 'aws:SourceVpce': 'vpce-1a2b3c4d' } },
        }),
      );
      return stack;
    },
    path: '/Test/Secret',
    says: [SECRET, 'a Deny of secretsmanager:*', 'denies the rotation function too'],
  },
];

describe('VaultSecret refuses (more)', () => {
  test.each(moreSecretRefusals)('$input', (row) => expectRefusal(row));
  test.each(secretMemberRefusals)('$input', (row) => expectMemberRefusal(row));
});

describe('VaultSecret warns', () => {
  test.each(secretWarnings)('$input', (row) => expectWarning(row));

  test('a Deny limited to TLS, or one that exempts principals by ARN, does not warn', () => {
    const { stack } = newStack();
    const secret = newSecret(stack, { rotationFunction: new RotationFunction(stack, 'Rotation') });
    for (const conditions of [
      { Bool: { 'aws:SecureTransport': 'false' } },
      { ArnNotLike: { 'aws:PrincipalArn': secret.deploymentRoleArn } },
    ]) {
      secret.addToResourcePolicy(
        new iam.PolicyStatement({
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: ['secretsmanager:*'],
          resources: ['*'],
          conditions,
        }),
      );
    }
    Annotations.fromStack(stack).hasNoWarning(
      '/Test/Secret',
      Match.stringLikeRegexp('rotation function too'),
    );
  });
});

// ---------------------------------------------------------------------------------------------------
// SecretsVault

const VAULT = 'SecretsVault Test/Vault';
const vaultWith = (props: SecretsVaultProps) => () => new SecretsVault(newStack().stack, 'Vault', props);

const vaultRefusals: Refusal[] = [
  {
    input: 'SecretsVault namePrefix: "orders*"',
    act: vaultWith({ namePrefix: 'orders*' }),
    where: VAULT,
    prop: 'namePrefix',
    received: '"orders*"',
    allowed: 'allowed characters: letters, digits and / _ + = . @ -',
  },
  {
    input: 'SecretsVault namePrefix: "orders/"',
    act: vaultWith({ namePrefix: 'orders/' }),
    where: VAULT,
    prop: 'namePrefix',
    received: '"orders/"',
    allowed: 'allowed: a prefix without a trailing `/`',
  },
  {
    input: 'SecretsVault namePrefix: so long that `alias/<namePrefix>` passes 256 characters',
    act: vaultWith({ namePrefix: 'p'.repeat(251) }),
    where: VAULT,
    prop: 'namePrefix',
    received: 'a prefix of 251 characters',
    allowed: "allowed: at most 250 characters, since the vault's key is named `alias/<namePrefix>`",
  },
  {
    input: 'SecretsVault namePrefix: "a.b" next to a vault "a-b" (both keys would be alias/a-b)',
    act: () => {
      const { stack } = newStack();
      new SecretsVault(stack, 'First', { namePrefix: 'a-b' });
      new SecretsVault(stack, 'Vault', { namePrefix: 'a.b' });
    },
    where: VAULT,
    prop: 'namePrefix',
    received: '"a.b"',
    allowed: 'its key\'s alias would be alias/a-b, as vault Test/First\'s ("a-b") is',
  },
  {
    input: 'SecretsVault namePrefix equal to another vault’s (another stack of the environment)',
    act: () => {
      const { app, stack } = newStack();
      new SecretsVault(stack, 'First', { namePrefix: 'orders' });
      new SecretsVault(new Stack(app, 'Other', { env: { account: ACCOUNT, region: REGION } }), 'Vault', {
        namePrefix: 'orders',
      });
    },
    where: 'SecretsVault Other/Vault',
    prop: 'namePrefix',
    received: '"orders"',
    allowed: 'vault Test/First has namePrefix "orders", the same prefix',
  },
  {
    input: 'SecretsVault namePrefix nested in another vault’s',
    act: () => {
      const { stack } = newStack();
      new SecretsVault(stack, 'First', { namePrefix: 'orders' });
      new SecretsVault(stack, 'Vault', { namePrefix: 'orders/db' });
    },
    where: VAULT,
    prop: 'namePrefix',
    received: '"orders/db"',
    allowed: 'vault Test/First has namePrefix "orders", a prefix this one is inside',
  },
  {
    input: 'SecretsVault addSecret: two secrets of one name in the vault',
    act: () => {
      const vault = new SecretsVault(newStack().stack, 'Vault', { namePrefix: 'orders' });
      vault.addSecret('A', { secretName: 'orders/db' });
      vault.addSecret('B', { secretName: 'orders/db' });
    },
    where: VAULT,
    prop: 'secretName',
    received: '"orders/db"',
    allowed: 'secret Test/Vault/A already has this name',
  },
  {
    input: 'SecretsVault addSecret(id): the name <prefix>/<id> that a secret outside the vault has',
    act: () => {
      const { stack } = newStack();
      newSecret(stack, { secretName: 'orders/db' }, 'Loose');
      new SecretsVault(stack, 'Vault', { namePrefix: 'orders' }).addSecret('db');
    },
    where: VAULT,
    prop: 'id',
    received: '"orders/db"',
    allowed: 'secret Test/Loose already has this name',
  },
  {
    input: 'SecretsVault addSecret(id, { secretName }) outside the prefix',
    act: () =>
      new SecretsVault(newStack().stack, 'Vault', { namePrefix: 'orders' }).addSecret('Db', {
        secretName: 'billing/Db',
      }),
    where: VAULT,
    prop: 'secretName',
    received: '"billing/Db"',
    allowed: 'a secret of this vault must be named under "orders/"',
  },
  {
    input: 'SecretsVault keyRotationPeriod: 30 days',
    act: vaultWith({ keyRotationPeriod: Duration.days(30) }),
    where: VAULT,
    prop: 'keyRotationPeriod',
    received: '30 days',
    allowed: 'allowed: a whole number of days from 90 to 2560',
  },
  {
    input: 'SecretsVault keyAdmins: []',
    act: vaultWith({ keyAdmins: [] }),
    where: VAULT,
    prop: 'keyAdmins',
    received: 'an empty list',
    allowed: 'name at least one, or leave it out',
  },
  {
    input: 'SecretsVault keyAdmins: [new AnyPrincipal()]',
    act: vaultWith({ keyAdmins: [new iam.AnyPrincipal()] }),
    where: VAULT,
    prop: 'keyAdmins',
    received: 'AnyPrincipal()',
    allowed: PUBLIC,
  },
  {
    input: 'SecretsVault keyAdmins: [a service principal]',
    act: vaultWith({ keyAdmins: [LAMBDA] }),
    where: VAULT,
    prop: 'keyAdmins',
    received: 'ServicePrincipal(lambda.amazonaws.com)',
    allowed: 'a key administrator is a role or user that people assume',
  },
  {
    input: 'SecretsVault readers: [new AnyPrincipal()] with no secret yet',
    act: vaultWith({ readers: [new iam.AnyPrincipal()] }),
    where: VAULT,
    prop: 'readers',
    received: 'AnyPrincipal()',
    allowed: PUBLIC,
  },
  {
    input: 'SecretsVault allowedOrganizationId: "o-1" with no secret yet',
    act: vaultWith({ allowedOrganizationId: 'o-1' }),
    where: VAULT,
    prop: 'allowedOrganizationId',
    received: '"o-1"',
    allowed: 'allowed: `o-` followed by 10 to 32 lowercase letters or digits',
  },
  {
    input: 'SecretsVault breakGlass: new AnyPrincipal()',
    act: vaultWith({ breakGlass: new iam.AnyPrincipal() }),
    where: VAULT,
    prop: 'breakGlass',
    received: 'AnyPrincipal()',
    allowed: PUBLIC,
  },
  {
    input: 'SecretsVault breakGlass: a service principal, with a key of its own and no secret',
    act: () => {
      const { stack } = newStack();
      new SecretsVault(stack, 'Vault', { encryptionKey: new VaultKey(stack, 'Key'), breakGlass: LAMBDA });
    },
    where: VAULT,
    prop: 'breakGlass',
    received: 'ServicePrincipal(lambda.amazonaws.com)',
    allowed: 'the break-glass principal is a role people assume in an emergency',
  },
  {
    input: "SecretsVault breakGlass: new ArnPrincipal('admin')",
    act: vaultWith({ breakGlass: new iam.ArnPrincipal('admin') }),
    where: VAULT,
    prop: 'breakGlass',
    received: 'ArnPrincipal(admin)',
    allowed: ARN_ALLOWED,
  },
  ...[101, -1, 1.5].map((n): Refusal => ({
    input: `SecretsVault rotationReservedConcurrentExecutions: ${n}`,
    act: vaultWith({ rotationReservedConcurrentExecutions: n }),
    where: VAULT,
    prop: 'rotationReservedConcurrentExecutions',
    received: String(n),
    allowed: 'allowed: a whole number from 0 (reserve none) to 100',
  })),
  {
    input: 'SecretsVault rotationVpcSubnets without rotationVpc',
    act: vaultWith({ rotationVpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } }),
    where: VAULT,
    prop: 'rotationVpcSubnets',
    received: '"a value without rotationVpc"',
    allowed: 'set `rotationVpc` as well, or leave both out',
  },
  {
    input: 'SecretsVault rotationSecurityGroups without rotationVpc',
    act: () => {
      const { stack } = newStack();
      const vpc = new ec2.Vpc(stack, 'Vpc');
      new SecretsVault(stack, 'Vault', {
        rotationSecurityGroups: [new ec2.SecurityGroup(stack, 'Group', { vpc })],
      });
    },
    where: VAULT,
    prop: 'rotationSecurityGroups',
    received: '"a value without rotationVpc"',
    allowed: 'set `rotationVpc` as well, or leave both out',
  },
  {
    input: 'SecretsVault rotationSecurityGroups: []',
    act: () => {
      const { stack } = newStack();
      new SecretsVault(stack, 'Vault', {
        rotationVpc: new ec2.Vpc(stack, 'Vpc'),
        rotationSecurityGroups: [],
      });
    },
    where: VAULT,
    prop: 'rotationSecurityGroups',
    received: 'an empty list',
    allowed: 'name at least one, or leave it out',
  },
  {
    input: 'SecretsVault rotationVpcSubnets: public subnets',
    act: () => {
      const { stack } = newStack();
      new SecretsVault(stack, 'Vault', {
        rotationVpc: new ec2.Vpc(stack, 'Vpc'),
        rotationVpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      });
    },
    where: VAULT,
    prop: 'rotationVpcSubnets',
    received: 'public subnets',
    allowed:
      'a Lambda function in a public subnet has no public address, so no route to the Secrets Manager API',
  },
  {
    input: 'SecretsVault rotationVpc: a VPC without private subnets, and no rotationVpcSubnets',
    act: () => {
      const { stack } = newStack();
      const rotationVpc = new ec2.Vpc(stack, 'Vpc', {
        subnetConfiguration: [{ name: 'Public', subnetType: ec2.SubnetType.PUBLIC }],
      });
      new SecretsVault(stack, 'Vault', { rotationVpc });
    },
    where: VAULT,
    prop: 'rotationVpc',
    received: 'a VPC without private subnets (Test/Vpc)',
    allowed: 'give the VPC private subnets, or name the subnets in `rotationVpcSubnets`',
  },
  {
    input: 'SecretsVault grantRead(role, [])',
    act: () => {
      const { stack } = newStack();
      new SecretsVault(stack, 'Vault').grantRead(new iam.Role(stack, 'Role', { assumedBy: LAMBDA }), []);
    },
    where: VAULT,
    prop: 'versionStages',
    received: 'an empty list',
    allowed: 'name at least one stage',
  },
  {
    input: "SecretsVault grantRead(role, ['AWSCURENT']) (a typo)",
    act: () => {
      const { stack } = newStack();
      new SecretsVault(stack, 'Vault').grantRead(new iam.Role(stack, 'Role', { assumedBy: LAMBDA }), [
        'AWSCURENT',
      ]);
    },
    where: VAULT,
    prop: 'versionStages',
    received: '"AWSCURENT"',
    allowed: 'allowed: AWSCURRENT, AWSPREVIOUS, AWSPENDING or a label of your own',
  },
  {
    input: 'SecretsVault grantRead(a service principal)',
    act: () => new SecretsVault(newStack().stack, 'Vault').grantRead(LAMBDA),
    where: VAULT,
    prop: 'grantRead',
    received: 'ServicePrincipal(lambda.amazonaws.com)',
    allowed: 'use addReader, which adds aws:SourceAccount',
  },
  {
    input: 'SecretsVault deploymentRole: a role of another account',
    act: () => {
      const { stack } = newStack();
      new SecretsVault(stack, 'Vault', { deploymentRole: anotherAccountRole(stack) });
    },
    where: VAULT,
    prop: 'deploymentRole',
    received: `a role of account ${OTHER_ACCOUNT}`,
    allowed: 'CloudFormation deploys stack Test with a role of its own account',
  },
  // Every SecretReaderRole refusal holds for a role the vault makes, under the vault's path.
  ...roleRefusals
    .filter((row) => row.props !== undefined && !('secrets' in row.props) && !('versionStages' in row.props))
    .map((row): Refusal => ({
      ...row,
      input: `SecretsVault addReaderRole: ${row.input}`,
      act: () =>
        new SecretsVault(newStack().stack, 'Vault').addReaderRole('Reader', {
          assumedBy: LAMBDA,
          ...row.props,
        }),
      where: 'SecretReaderRole Test/Vault/Reader',
    })),
];

const vaultWarnings: Warned[] = [
  {
    input: 'SecretsVault namePrefix: a token (the checks against other vaults are skipped)',
    act: () => {
      const { stack } = newStack();
      new SecretsVault(stack, 'Vault', { namePrefix: Token.asString({ Ref: 'Prefix' }) });
      return stack;
    },
    path: '/Test/Vault',
    says: [VAULT, '`namePrefix` is a token', 'Give a literal namePrefix'],
  },
  {
    input: 'SecretsVault without breakGlass, with a replica region: nobody could promote the replicas',
    act: () => {
      const { stack } = newStack();
      new SecretsVault(stack, 'Vault', { replicas: [VaultReplicaRegion.fromKeyArn(KEY_ARN_ELSEWHERE)] });
      return stack;
    },
    path: '/Test/Vault',
    says: ['nobody can promote the us-east-1 replicas', 'Give the vault a `breakGlass` principal'],
  },
];

/** A vault of two secrets with `props`, and how many of the stack's warnings match `pattern`. */
function warningsOfVault(props: SecretsVaultProps, pattern: RegExp): { stack: Stack; count: number } {
  const { stack } = newStack();
  const vault = new SecretsVault(stack, 'Vault', props);
  vault.addSecret('A');
  vault.addSecret('B');
  const count = Annotations.fromStack(stack)
    .findWarning('*', Match.anyValue())
    .filter((w) => pattern.test(String(w.entry.data))).length;
  return { stack, count };
}

describe('SecretsVault refuses', () => {
  test.each(vaultRefusals)('$input', (row) => expectRefusal(row));
});

describe('SecretsVault warns', () => {
  test.each(vaultWarnings)('$input', (row) => expectWarning(row));

  test('denyUnlistedReaders: false warns once, at the vault, not for each secret', () => {
    const { stack, count } = warningsOfVault({ denyUnlistedReaders: false }, /denyUnlistedReaders/);
    expect(count).toBe(1);
    expectWarning({
      input: '',
      act: () => stack,
      path: '/Test/Vault',
      says: [VAULT, '`denyUnlistedReaders` is false', 'reads every secret of the vault'],
    });
  });

  test('removalPolicy: DESTROY warns once, at the vault, not for its key and each secret', () => {
    const { stack, count } = warningsOfVault({ removalPolicy: RemovalPolicy.DESTROY }, /DESTROY/);
    expect(count).toBe(1);
    expectWarning({
      input: '',
      act: () => stack,
      path: '/Test/Vault',
      says: [
        VAULT,
        '`removalPolicy` is DESTROY',
        'its secrets are deleted and its key scheduled for deletion',
      ],
    });
  });
});

// ---------------------------------------------------------------------------------------------------
// SecretsAudit, AuditTrail, AuditTopic, AuditDashboard

const AUDIT = 'SecretsAudit Test/Audit';
/** An audit of one vault, in a fresh stack. */
function auditWith(props: Partial<SecretsAuditProps>) {
  const { app, stack } = newStack();
  const vault = new SecretsVault(stack, 'Vault', { namePrefix: 'orders' });
  new SecretsAudit(stack, 'Audit', { vaults: [vault], ...props });
  return { app, stack };
}
const audited = (props: Partial<SecretsAuditProps>) => () => auditWith(props);
const TRAIL = 'AuditCloudTrail Test/Audit/Trail';

const auditRefusals: Refusal[] = [
  ...['AWS/Secrets', '', 'n'.repeat(256)].map((metricNamespace): Refusal => ({
    input: `SecretsAudit metricNamespace: ${metricNamespace.length > 20 ? `${metricNamespace.length} characters` : JSON.stringify(metricNamespace)}`,
    act: audited({ metricNamespace }),
    where: AUDIT,
    prop: 'metricNamespace',
    received: JSON.stringify(metricNamespace),
    allowed: 'allowed: 1 to 255 letters, digits, spaces and . _ - / # :, not starting with `AWS/`',
  })),
  {
    input: 'SecretsAudit metricNamespace: the one another audit of the account and region publishes to',
    act: () => {
      const { app } = auditWith({});
      const other = new Stack(app, 'Other', { env: { account: ACCOUNT, region: REGION } });
      const vault = new SecretsVault(other, 'Vault', { namePrefix: 'billing' });
      new SecretsAudit(other, 'Audit', { vaults: [vault] });
    },
    where: 'SecretsAudit Other/Audit',
    prop: 'metricNamespace',
    received: '"SecretsVault/Audit"',
    allowed: 'audit Test/Audit of the same account and region publishes to it already',
  },
  {
    input: 'SecretsAudit alarmEmail: "secops"',
    act: audited({ alarmEmail: 'secops' }),
    where: AUDIT,
    prop: 'alarmEmail',
    received: '"secops"',
    allowed: 'allowed: one email address, like "secops@example.com"',
  },
  ...[Duration.seconds(30), Duration.seconds(90), Duration.days(2)].map((alarmPeriod): Refusal => ({
    input: `SecretsAudit alarmPeriod: ${alarmPeriod.toHumanString()}`,
    act: audited({ alarmPeriod }),
    where: AUDIT,
    prop: 'alarmPeriod',
    received: alarmPeriod.toHumanString(),
    allowed: 'allowed: a whole number of minutes from 1 minute to 1 day',
  })),
  ...(
    [
      'rotationFailureThreshold',
      'rotationFunctionErrorThreshold',
      'accessDeniedThreshold',
      'destructiveChangeThreshold',
    ] as const
  ).flatMap((prop) =>
    [0, 1.5].map((n): Refusal => ({
      input: `SecretsAudit ${prop}: ${n}`,
      act: audited({ [prop]: n }),
      where: AUDIT,
      prop,
      received: String(n),
      allowed: 'allowed: a whole number of events, 1 or more',
    })),
  ),
  {
    input: 'SecretsAudit dashboardName: "my dashboard"',
    act: audited({ dashboardName: 'my dashboard' }),
    where: AUDIT,
    prop: 'dashboardName',
    received: '"my dashboard"',
    allowed: 'allowed: 1 to 255 letters, digits, _ and -',
  },
  {
    input: 'SecretsAudit vaults: []',
    act: () => new SecretsAudit(newStack().stack, 'Audit', { vaults: [] }),
    where: AUDIT,
    prop: 'vaults',
    received: 'an empty list',
    allowed: 'name at least one, or leave it out',
  },
  {
    input: 'SecretsAudit trail: AuditTrail.fromLogGroup(a log group of another region)',
    act: () => {
      const { stack } = newStack();
      const logGroup = logs.LogGroup.fromLogGroupArn(
        stack,
        'Far',
        `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:org-trail:*`,
      );
      new SecretsAudit(stack, 'Audit', { trail: AuditTrail.fromLogGroup(logGroup) });
    },
    where: AUDIT,
    prop: 'trail',
    received: `the log group Test/Far of ${ACCOUNT}, us-east-1`,
    allowed: 'metric filters read a log group of their own account and region',
  },
  {
    input: 'SecretsAudit watch(a vault of another region)',
    act: () => {
      const { app, stack } = newStack();
      const far = new Stack(app, 'Far', { env: { account: ACCOUNT, region: 'us-east-1' } });
      new SecretsAudit(stack, 'Audit').watch(new SecretsVault(far, 'Vault', { namePrefix: 'orders' }));
    },
    where: AUDIT,
    prop: 'watch',
    received: `vault Far/Vault of ${ACCOUNT}, us-east-1`,
    allowed: 'an audit watches vaults of its own account and region',
  },
  {
    input: 'SecretsAudit vaults: [a vault of another account]',
    act: () => {
      const { app, stack } = newStack();
      const far = new Stack(app, 'Far', { env: { account: OTHER_ACCOUNT, region: REGION } });
      new SecretsAudit(stack, 'Audit', {
        vaults: [new SecretsVault(far, 'Vault', { namePrefix: 'orders' })],
      });
    },
    where: AUDIT,
    prop: 'vaults',
    received: `vault Far/Vault of ${OTHER_ACCOUNT}, ${REGION}`,
    allowed: 'an audit watches vaults of its own account and region',
  },
  {
    input: 'AuditTrail.create: logRetention 399 as RetentionDays (not a CloudWatch value)',
    act: audited({ trail: AuditTrail.create({ logRetention: 399 as logs.RetentionDays }) }),
    where: TRAIL,
    prop: 'logRetention',
    received: '399 days',
    allowed:
      'allowed: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653 days or INFINITE',
  },
  ...(['objectExpiration', 'accessLogExpiration'] as const).flatMap((prop) =>
    [Duration.days(0), Duration.days(3651), Duration.days(1.5)].map((after): Refusal => ({
      input: `AuditTrail.create: ${prop} ${after.toHumanString()}`,
      act: audited({ trail: AuditTrail.create({ [prop]: after }) }),
      where: TRAIL,
      prop,
      received: after.toHumanString(),
      allowed: 'allowed: a whole number of days from 1 to 3650',
    })),
  ),
  {
    input: 'AuditTopic addEmail("secops"), standalone',
    act: () => {
      const { stack } = newStack();
      const topic = new AuditTopic(stack, 'Topic', { encryptionKey: new AuditKey(stack, 'Key') });
      topic.addEmail('secops', new sqs.Queue(stack, 'Undelivered'));
    },
    where: 'AuditTopic Test/Topic',
    prop: 'email',
    received: '"secops"',
    allowed: 'allowed: one email address',
  },
  {
    input: 'AuditDashboard dashboardName: "my dashboard", standalone',
    // The name is checked before any other prop is read.
    act: () =>
      new AuditDashboard(newStack().stack, 'Dashboard', {
        dashboardName: 'my dashboard',
      } as AuditDashboardProps),
    where: 'AuditDashboard Test/Dashboard',
    prop: 'dashboardName',
    received: '"my dashboard"',
    allowed: 'allowed: 1 to 255 letters, digits, _ and -',
  },
];

const auditWarnings: Warned[] = [
  {
    input: 'SecretsAudit removalPolicy: DESTROY',
    act: () => auditWith({ removalPolicy: RemovalPolicy.DESTROY }).stack,
    path: '/Test/Audit',
    says: [AUDIT, '`removalPolicy` is DESTROY', 'audit records are evidence'],
  },
  {
    input: 'AuditTrail.create: objectExpiration shorter than logRetention',
    act: () =>
      auditWith({
        trail: AuditTrail.create({
          objectExpiration: Duration.days(90),
          logRetention: logs.RetentionDays.ONE_YEAR,
        }),
      }).stack,
    path: '/Test/Audit/Trail',
    says: [TRAIL, '`objectExpiration` (90 days) is shorter than `logRetention` (365 days)', 'expire while'],
  },
];

describe('SecretsAudit and its parts refuse', () => {
  test.each(auditRefusals)('$input', (row) => expectRefusal(row));

  test('SecretsAudit with no vault watched: refused at synth, saying how to watch one', () => {
    const { app, stack } = newStack();
    new SecretsAudit(stack, 'Audit');
    expect(() => app.synth()).toThrow(
      `${AUDIT}: no vault is watched; pass \`vaults\` or call \`watch(vault)\`.`,
    );
  });
});

describe('SecretsAudit and its parts warn', () => {
  test.each(auditWarnings)('$input', (row) => expectWarning(row));
});

// ---------------------------------------------------------------------------------------------------
// VaultReference and CrossAccountSecretReader

const ORDERS = { account: ACCOUNT, region: REGION, namePrefix: 'orders', keyAlias: 'alias/orders' };
const FROM_ATTRIBUTES = 'VaultReference.fromAttributes';
const attributesRow = (
  input: string,
  change: Partial<VaultReferenceAttributes>,
  prop: string,
  received: string,
  allowed: string,
): Refusal => ({
  input: `VaultReference.fromAttributes: ${input}`,
  act: () => VaultReference.fromAttributes({ ...ORDERS, ...change }),
  where: FROM_ATTRIBUTES,
  prop,
  received,
  allowed,
});
const TOKEN_PREFIX = Token.asString({ Ref: 'Prefix' });
const READER = 'CrossAccountSecretReader Partner/Reader';

/** A reader of the ORDERS vault in a stack of the other account, with `props` over valid ones. */
function partnerReader(props: Partial<CrossAccountSecretReaderProps>) {
  const app = new App({ builtinCloudFormationValidation: false });
  const stack = new Stack(app, 'Partner', { env: { account: OTHER_ACCOUNT, region: REGION } });
  const role = new iam.Role(stack, 'Role', { roleName: 'orders-reader', assumedBy: LAMBDA });
  new CrossAccountSecretReader(stack, 'Reader', {
    vault: VaultReference.fromAttributes(ORDERS),
    role,
    ...props,
  });
  return stack;
}

const referenceRefusals: Refusal[] = [
  attributesRow(
    'account "12345"',
    { account: '12345' },
    'account',
    '"12345"',
    'allowed: an account id of 12 digits',
  ),
  attributesRow(
    'region "Europe"',
    { region: 'Europe' },
    'region',
    '"Europe"',
    'allowed: a region name such as "eu-west-1"',
  ),
  attributesRow(
    'partition "amazon"',
    { partition: 'amazon' },
    'partition',
    '"amazon"',
    'allowed: "aws", "aws-cn", "aws-us-gov"',
  ),
  attributesRow(
    'a token',
    { namePrefix: TOKEN_PREFIX },
    'namePrefix',
    JSON.stringify(TOKEN_PREFIX),
    'a literal value: a token would become a reference that CloudFormation cannot resolve in another account',
  ),
  attributesRow(
    'both keyAlias and keyArn',
    { keyArn: `arn:aws:kms:${REGION}:${ACCOUNT}:key/abc` },
    'keyArn',
    '"both keyAlias and keyArn"',
    "name the vault's key once",
  ),
  attributesRow(
    'neither keyAlias nor keyArn',
    { keyAlias: undefined },
    'keyAlias',
    'undefined',
    "name the vault's key once",
  ),
  attributesRow(
    'keyAlias "alias/aws/secretsmanager"',
    { keyAlias: 'alias/aws/secretsmanager' },
    'keyAlias',
    '"alias/aws/secretsmanager"',
    'an `alias/aws/...` key is AWS-managed and cannot be shared across accounts',
  ),
  attributesRow(
    'keyArn of another region',
    { keyAlias: undefined, keyArn: KEY_ARN_ELSEWHERE },
    'keyArn',
    JSON.stringify(KEY_ARN_ELSEWHERE),
    "in the vault's account and region",
  ),
  attributesRow(
    'keyArn of another account',
    { keyAlias: undefined, keyArn: `arn:aws:kms:${REGION}:${OTHER_ACCOUNT}:key/abc` },
    'keyArn',
    JSON.stringify(`arn:aws:kms:${REGION}:${OTHER_ACCOUNT}:key/abc`),
    "in the vault's account and region",
  ),
  attributesRow(
    'namePrefix "orders/"',
    { namePrefix: 'orders/' },
    'namePrefix',
    '"orders/"',
    'allowed: a prefix without a trailing `/`',
  ),
  attributesRow(
    'namePrefix "orders*"',
    { namePrefix: 'orders*' },
    'namePrefix',
    '"orders*"',
    'allowed characters: letters, digits and / _ + = . @ -',
  ),
  {
    input: 'VaultReference.fromVault: a vault in an environment-agnostic stack',
    act: () => VaultReference.fromVault(new SecretsVault(newStack({ env: false }).stack, 'Vault')),
    where: 'VaultReference.fromVault(Test/Vault)',
    prop: 'vault',
    received: '"a vault in stack Test without an explicit account and region"',
    allowed: "give the vault's stack `env: { account, region }`",
  },
  {
    input: 'VaultReference.fromVault: a vault whose key has no literal alias',
    act: () => {
      const { stack } = newStack();
      const encryptionKey = kms.Key.fromKeyArn(stack, 'Key', `arn:aws:kms:${REGION}:${ACCOUNT}:key/abc`);
      return VaultReference.fromVault(new SecretsVault(stack, 'Vault', { encryptionKey }));
    },
    where: 'VaultReference.fromVault(Test/Vault)',
    prop: 'vault',
    received: '"a vault whose key Test/Key has no literal alias"',
    allowed: "use VaultReference.fromAttributes and name the key's ARN",
  },
  {
    input: 'CrossAccountSecretReader vault: a vault of this stack’s own account',
    act: () => partnerReader({ vault: VaultReference.fromAttributes({ ...ORDERS, account: OTHER_ACCOUNT }) }),
    where: READER,
    prop: 'vault',
    received: `"a vault of this stack's own account ${OTHER_ACCOUNT}"`,
    allowed: "within one account, grant the read on the vault's side",
  },
  {
    input: 'CrossAccountSecretReader role: a role of another account',
    act: () => {
      const app = new App({ builtinCloudFormationValidation: false });
      const stack = new Stack(app, 'Partner', { env: { account: OTHER_ACCOUNT, region: REGION } });
      new CrossAccountSecretReader(stack, 'Reader', {
        vault: VaultReference.fromAttributes(ORDERS),
        role: iam.Role.fromRoleArn(stack, 'Foreign', 'arn:aws:iam::333333333333:role/other'),
      });
    },
    where: READER,
    prop: 'role',
    received: '"Partner/Foreign of account 333333333333"',
    allowed: "a role of this stack's account",
  },
  {
    input: 'CrossAccountSecretReader secretNames: []',
    act: () => partnerReader({ secretNames: [] }),
    where: READER,
    prop: 'secretNames',
    received: 'an empty list',
    allowed: 'name at least one secret, or leave it out for the whole vault',
  },
  {
    input: 'CrossAccountSecretReader secretNames: [a token]',
    act: () => partnerReader({ secretNames: [TOKEN_PREFIX] }),
    where: READER,
    prop: 'secretNames',
    received: JSON.stringify(TOKEN_PREFIX),
    allowed: 'a literal name such as "orders/<id>"',
  },
  {
    input: 'CrossAccountSecretReader secretNames: [a name outside the vault prefix]',
    act: () => partnerReader({ secretNames: ['billing/db'] }),
    where: READER,
    prop: 'secretNames',
    received: '"billing/db"',
    allowed: 'allowed: a name under the vault\'s prefix "orders/"',
  },
  {
    input: "CrossAccountSecretReader versionStages: ['AWSCURENT']",
    act: () => partnerReader({ versionStages: ['AWSCURENT'] }),
    where: READER,
    prop: 'versionStages',
    received: '"AWSCURENT"',
    allowed: 'allowed: AWSCURRENT, AWSPREVIOUS, AWSPENDING or a label of your own',
  },
  {
    input: 'CrossAccountSecretReader versionStages: []',
    act: () => partnerReader({ versionStages: [] }),
    where: READER,
    prop: 'versionStages',
    received: 'an empty list',
    allowed: 'name at least one stage',
  },
];

describe('VaultReference and CrossAccountSecretReader refuse', () => {
  test.each(referenceRefusals)('$input', (row) => expectRefusal(row));
});

describe('CrossAccountSecretReader warns', () => {
  test("versionStages: ['PARTNER'], a label no version carries unless someone puts it there", () =>
    expectWarning({
      input: '',
      act: () => partnerReader({ versionStages: ['PARTNER'] }),
      path: '/Partner/Reader',
      says: ['versionStages names PARTNER', 'no version carries such a label'],
    }));
});

// ---------------------------------------------------------------------------------------------------
// VaultReplicaRegion and VaultReplicaKey

const REPLICA_REGION = 'us-east-1';
const REPLICA_KEY = 'VaultReplicaKey Replica/Key';

/** A vault (with a break-glass role) and a stack of its account in the replica region. */
function replicaSetup(
  vaultEnv = { account: ACCOUNT, region: REGION },
  replicaEnv = { account: ACCOUNT, region: REPLICA_REGION },
) {
  const app = new App({ builtinCloudFormationValidation: false });
  const primary = new Stack(app, 'Primary', { env: vaultEnv });
  const breakGlass = new iam.ArnPrincipal(`arn:aws:iam::${ACCOUNT}:role/break-glass`);
  const vault = new SecretsVault(primary, 'Vault', { namePrefix: 'orders', breakGlass });
  const replica = new Stack(app, 'Replica', { env: replicaEnv });
  return { app, primary, vault, replica };
}
const replicaKeyWith = (props: Partial<VaultReplicaKeyProps>) => () => {
  const { vault, replica } = replicaSetup();
  new VaultReplicaKey(replica, 'Key', { vault, ...props });
};
const REGION_ALLOWED = 'allowed: a literal region name such as "us-east-1"';

const replicaRefusals: Refusal[] = [
  {
    input: 'VaultReplicaRegion.vaultKey: region "eu-west"',
    act: () => VaultReplicaRegion.vaultKey('eu-west', 'alias/orders'),
    where: 'VaultReplicaRegion.vaultKey',
    prop: 'region',
    received: '"eu-west"',
    allowed: REGION_ALLOWED,
  },
  {
    input: 'VaultReplicaRegion.vaultKey: a token region',
    act: () => VaultReplicaRegion.vaultKey(TOKEN_PREFIX, 'alias/orders'),
    where: 'VaultReplicaRegion.vaultKey',
    prop: 'region',
    received: JSON.stringify(TOKEN_PREFIX),
    allowed: REGION_ALLOWED,
  },
  {
    input: 'VaultReplicaRegion.vaultKey: alias "alias/aws/x"',
    act: () => VaultReplicaRegion.vaultKey(REPLICA_REGION, 'alias/aws/x'),
    where: 'VaultReplicaRegion.vaultKey',
    prop: 'aliasName',
    received: '"alias/aws/x"',
    allowed: 'allowed: a literal `alias/` and a name of your own, not an AWS-managed `alias/aws/...`',
  },
  ...[TOKEN_PREFIX, 'not-an-arn'].map((keyArn): Refusal => ({
    input: `VaultReplicaRegion.fromKeyArn: ${keyArn === TOKEN_PREFIX ? 'a token' : JSON.stringify(keyArn)}`,
    act: () => VaultReplicaRegion.fromKeyArn(keyArn),
    where: 'VaultReplicaRegion.fromKeyArn',
    prop: 'keyArn',
    received: JSON.stringify(keyArn),
    allowed: 'allowed: a literal key ARN',
  })),
  {
    input: 'VaultReplicaRegion.fromKeyArn: an alias/aws/... ARN',
    act: () =>
      VaultReplicaRegion.fromKeyArn(`arn:aws:kms:${REPLICA_REGION}:${ACCOUNT}:alias/aws/secretsmanager`),
    where: 'VaultReplicaRegion.fromKeyArn',
    prop: 'keyArn',
    received: JSON.stringify(`arn:aws:kms:${REPLICA_REGION}:${ACCOUNT}:alias/aws/secretsmanager`),
    allowed: 'an AWS-managed key (`alias/aws/...`) is usable by every principal of the account',
  },
  {
    input: 'VaultReplicaKey vault: a vault of another account',
    act: () => {
      const { vault, replica } = replicaSetup(undefined, { account: OTHER_ACCOUNT, region: REPLICA_REGION });
      new VaultReplicaKey(replica, 'Key', { vault });
    },
    where: REPLICA_KEY,
    prop: 'vault',
    received: `"a vault of account ${ACCOUNT}, this stack being of account ${OTHER_ACCOUNT}"`,
    allowed: "a replica key in the vault's own account",
  },
  {
    input: 'VaultReplicaKey vault: a vault of the same region',
    act: () => {
      const { vault, replica } = replicaSetup(undefined, { account: ACCOUNT, region: REGION });
      new VaultReplicaKey(replica, 'Key', { vault });
    },
    where: REPLICA_KEY,
    prop: 'vault',
    received: `"a vault of this stack's own region ${REGION}"`,
    allowed: "a stack of another region: the vault's own key already serves its region",
  },
  {
    input: 'VaultReplicaKey vault: a vault in an environment-agnostic stack',
    act: () => {
      const app = new App({ builtinCloudFormationValidation: false });
      const vault = new SecretsVault(new Stack(app, 'Primary'), 'Vault', { namePrefix: 'orders' });
      const replica = new Stack(app, 'Replica', { env: { account: ACCOUNT, region: REPLICA_REGION } });
      new VaultReplicaKey(replica, 'Key', { vault });
    },
    where: REPLICA_KEY,
    prop: 'vault',
    received: `"the vault's stack (Primary) without an explicit account and region"`,
    allowed: 'give both stacks `env: { account, region }`',
  },
  {
    input: 'VaultReplicaKey: a second key for one vault and region',
    act: () => {
      const { app, vault, replica } = replicaSetup();
      new VaultReplicaKey(replica, 'Key', { vault });
      const twin = new Stack(app, 'Twin', { env: { account: ACCOUNT, region: REPLICA_REGION } });
      new VaultReplicaKey(twin, 'Key', { vault });
    },
    where: 'VaultReplicaKey Twin/Key',
    prop: 'vault',
    received: `vault Primary/Vault, which has a key in ${REPLICA_REGION} already (Replica/Key)`,
    allowed: 'keep one key per vault and region',
  },
  {
    input: 'VaultReplicaKey readers: [new AnyPrincipal()]',
    act: replicaKeyWith({ readers: [new iam.AnyPrincipal()] }),
    where: REPLICA_KEY,
    prop: 'readers',
    received: 'AnyPrincipal()',
    allowed: PUBLIC,
  },
  {
    input: 'VaultReplicaKey readers: a principal of this account',
    act: replicaKeyWith({ readers: [new iam.ArnPrincipal(`arn:aws:iam::${ACCOUNT}:role/app`)] }),
    where: REPLICA_KEY,
    prop: 'readers',
    received: `"ArnPrincipal(arn:aws:iam::${ACCOUNT}:role/app)"`,
    allowed: "readers of the vault's own account are granted by `vault.grantRead`",
  },
  ...(
    [
      ['keyAdmins', { keyAdmins: [new iam.AnyPrincipal()] }, 'AnyPrincipal()', PUBLIC],
      [
        'keyAdmins',
        { keyAdmins: [LAMBDA] },
        'ServicePrincipal(lambda.amazonaws.com)',
        'a key administrator is a role or user',
      ],
      ['keyAdmins', { keyAdmins: [new iam.ArnPrincipal('admin')] }, 'ArnPrincipal(admin)', ARN_ALLOWED],
      ['breakGlass', { breakGlass: new iam.AnyPrincipal() }, 'AnyPrincipal()', PUBLIC],
      [
        'breakGlass',
        { breakGlass: LAMBDA },
        'ServicePrincipal(lambda.amazonaws.com)',
        'the break-glass principal is a role',
      ],
      ['breakGlass', { breakGlass: new iam.ArnPrincipal('admin') }, 'ArnPrincipal(admin)', ARN_ALLOWED],
    ] as [string, Partial<VaultReplicaKeyProps>, string, string][]
  ).map(([prop, props, received, allowed]): Refusal => ({
    input: `VaultReplicaKey ${prop}: ${received}`,
    act: replicaKeyWith(props),
    where: REPLICA_KEY,
    prop,
    received,
    allowed,
  })),
];

describe('VaultReplicaRegion and VaultReplicaKey refuse', () => {
  test.each(replicaRefusals)('$input', (row) => expectRefusal(row));
});

describe('VaultReplicaKey warns', () => {
  test('without breakGlass on it or on the vault: nobody could promote the replicas', () => {
    const app = new App({ builtinCloudFormationValidation: false });
    const primary = new Stack(app, 'Primary', { env: { account: ACCOUNT, region: REGION } });
    const vault = new SecretsVault(primary, 'Vault', { namePrefix: 'orders' });
    new VaultReplicaKey(
      new Stack(app, 'Replica', { env: { account: ACCOUNT, region: REPLICA_REGION } }),
      'Key',
      {
        vault,
      },
    );
    expectWarning({
      input: '',
      act: () => primary,
      path: '/Primary/Vault',
      says: [`nobody can promote the ${REPLICA_REGION} replicas`, 'Give the vault a `breakGlass` principal'],
    });
  });
});

const databaseSecret = (options: Record<string, unknown>) => () => {
  const { stack } = newStack();
  const vault = new SecretsVault(stack, 'Vault', { namePrefix: 'orders' });
  vault.addDatabaseSecret('Db', {
    engine: DatabaseEngine.POSTGRES,
    host: 'db.internal',
    username: 'app',
    ...options,
  } as unknown as DatabaseSecretOptions);
};

const enumRefusals: Refusal[] = [
  {
    input: "addDatabaseSecret engine: 'postgres' (a string, from JavaScript)",
    act: databaseSecret({ engine: 'postgres' }),
    where: 'SecretsVault Test/Vault',
    prop: 'engine',
    received: '"postgres"',
    allowed: 'allowed: DatabaseEngine.POSTGRES or DatabaseEngine.MYSQL',
  },
  {
    input: 'addDatabaseSecret engine: an object that is not a DatabaseEngine',
    act: databaseSecret({ engine: { name: 'postgres' } }),
    where: 'SecretsVault Test/Vault',
    prop: 'engine',
    received: 'an object',
    allowed: 'allowed: DatabaseEngine.POSTGRES or DatabaseEngine.MYSQL',
  },
  {
    input: "addDatabaseSecret tls: 'verified' (a string)",
    act: databaseSecret({ tls: 'verified' }),
    where: 'SecretsVault Test/Vault',
    prop: 'tls',
    received: '"verified"',
    allowed:
      'allowed: DatabaseTls.VERIFIED, DatabaseTls.UNVERIFIED_INSECURE or DatabaseTls.PLAINTEXT_INSECURE',
  },
];

describe('enum-like values given as something else are refused, never a TypeError', () => {
  test.each(enumRefusals)('$input', (row) => expectRefusal(row));
});

// ---------------------------------------------------------------------------------------------------
// SecretContent and PasswordOptions (value classes: the message names the factory, as there is no
// construct yet; a warning goes on the construct that uses the content)

const GENERATED_STRING = 'SecretContent.generatedString';
const GENERATED_JSON = 'SecretContent.generatedJson';
const FROM_SECRET_VALUE = 'SecretContent.fromSecretValue';
const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';
const LENGTH_ALLOWED = 'allowed: a whole number from 1 to 4096';
const FOUR_FLAGS = 'excludePunctuation`, `excludeNumbers`, `excludeUppercase` and `excludeLowercase';

function passwordRow(
  input: string,
  options: PasswordOptions,
  prop: string,
  received: string,
  allowed: string,
): Refusal {
  return {
    input: `SecretContent.generatedString(${input})`,
    act: () => SecretContent.generatedString(options),
    where: GENERATED_STRING,
    prop,
    received,
    allowed,
  };
}

const contentRefusals: Refusal[] = [
  ...[0, 4097, 12.5, -1].map((length) =>
    passwordRow(`{ length: ${length} }`, { length }, 'length', String(length), LENGTH_ALLOWED),
  ),
  passwordRow(
    "{ length: '32' } (a string, from JavaScript)",
    { length: '32' as unknown as number },
    'length',
    '"32"',
    LENGTH_ALLOWED,
  ),
  passwordRow(
    "{ excludeCharacters: 'é' } (not ASCII)",
    { excludeCharacters: 'é' },
    'excludeCharacters',
    '"é"',
    'allowed: printable ASCII characters only (space to ~), and "é" is not one',
  ),
  passwordRow(
    'excludeCharacters with a tab (not printable)',
    { excludeCharacters: '/@\t' },
    'excludeCharacters',
    '"/@\\t"',
    'allowed: printable ASCII characters only (space to ~), and "\\t" is not one',
  ),
  passwordRow(
    'excludeCharacters of 4097 characters',
    { excludeCharacters: '/'.repeat(4097) },
    'excludeCharacters',
    'a set of 4097 characters',
    'allowed: at most 4096 printable ASCII characters',
  ),
  passwordRow(
    "{ excludeNumbers: 'yes' } (from JavaScript)",
    { excludeNumbers: 'yes' as unknown as boolean },
    'excludeNumbers',
    '"yes"',
    'allowed: true or false',
  ),
  passwordRow(
    'all four exclude flags',
    { excludePunctuation: true, excludeNumbers: true, excludeUppercase: true, excludeLowercase: true },
    FOUR_FLAGS,
    'true for all four',
    'allowed: leave at least one of punctuation, numbers, upper or lower case',
  ),
  passwordRow(
    'all four exclude flags with includeSpace (a space alone is no password)',
    {
      excludePunctuation: true,
      excludeNumbers: true,
      excludeUppercase: true,
      excludeLowercase: true,
      includeSpace: true,
    },
    FOUR_FLAGS,
    'true for all four',
    'a space alone is no password',
  ),
  passwordRow(
    'three exclude flags, and excludeCharacters removing the punctuation they leave',
    { excludeNumbers: true, excludeUppercase: true, excludeLowercase: true, excludeCharacters: PUNCTUATION },
    'excludeCharacters',
    JSON.stringify(PUNCTUATION),
    'it removes every character of punctuation (what `excludeNumbers`, `excludeUppercase` and `excludeLowercase` leave), so there is no character left to generate from',
  ),
  passwordRow(
    'excludePunctuation, and excludeCharacters removing every letter and digit',
    {
      excludePunctuation: true,
      excludeCharacters: '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ',
      requireEachIncludedType: false,
    },
    'excludeCharacters',
    '"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"',
    'it removes every character of numbers, upper case and lower case (what `excludePunctuation` leaves), so there is no character left to generate from',
  ),
  passwordRow(
    'excludeCharacters removing every digit, with requireEachIncludedType',
    { excludeCharacters: '0123456789', requireEachIncludedType: true },
    'excludeCharacters',
    '"0123456789"',
    'it removes the whole numbers class, which requireEachIncludedType requires: set `excludeNumbers: true`',
  ),
  passwordRow(
    'excludeCharacters removing every upper-case letter, requireEachIncludedType left on by default',
    { excludeCharacters: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ' },
    'excludeCharacters',
    '"ABCDEFGHIJKLMNOPQRSTUVWXYZ"',
    'it removes the whole upper case class, which requireEachIncludedType (on by default) requires: set `excludeUppercase: true`',
  ),
  passwordRow(
    'includeSpace with the space excluded, with requireEachIncludedType',
    { includeSpace: true, excludeCharacters: '/@ ' },
    'excludeCharacters',
    '"/@ "',
    'it removes the space that `includeSpace` adds, which requireEachIncludedType (on by default) requires',
  ),
  passwordRow(
    '{ length: 3 } with requireEachIncludedType and four classes',
    { length: 3 },
    'length',
    '3',
    'with requireEachIncludedType (on by default) the value needs at least one character of each of its 4 classes (punctuation, numbers, upper case, lower case), so it needs at least 4 characters',
  ),
  passwordRow(
    '{ length: 4, includeSpace: true } with requireEachIncludedType: five classes',
    { length: 4, includeSpace: true, requireEachIncludedType: true },
    'length',
    '4',
    'the value needs at least one character of each of its 5 classes (punctuation, numbers, upper case, lower case, space), so it needs at least 5 characters',
  ),
  {
    input: "SecretContent.generatedJson(template, '')",
    act: () => SecretContent.generatedJson({ username: 'app' }, ''),
    where: GENERATED_JSON,
    prop: 'generateField',
    received: '""',
    allowed: 'allowed: the name of the JSON field to generate, e.g. "password"',
  },
  {
    input: 'SecretContent.generatedJson(a template that has the generated field)',
    act: () => SecretContent.generatedJson({ username: 'app', password: 'hunter2' }, 'password'),
    where: GENERATED_JSON,
    prop: 'template',
    received: 'a template with field "password"',
    allowed: 'the generated field must not be in the template (its value would land in the template)',
  },
  ...['pass word', 'db.password', 'user:password'].map((field): Refusal => ({
    input: `SecretContent.generatedJson(template, ${JSON.stringify(field)})`,
    act: () => SecretContent.generatedJson({ username: 'app' }, field),
    where: GENERATED_JSON,
    prop: 'generateField',
    received: JSON.stringify(field),
    allowed: 'allowed: a plain JSON key of 1 to 256 letters, digits, _ and -',
  })),
  {
    input: 'SecretContent.generatedJson(template, field, { length: 0 })',
    act: () => SecretContent.generatedJson({ username: 'app' }, 'password', { length: 0 }),
    where: GENERATED_JSON,
    prop: 'length',
    received: '0',
    allowed: LENGTH_ALLOWED,
  },
  {
    input: "SecretContent.fromSecretValue(SecretValue.unsafePlainText(''))",
    act: () => SecretContent.fromSecretValue(SecretValue.unsafePlainText('')),
    where: FROM_SECRET_VALUE,
    prop: 'value',
    received: 'an empty plaintext',
    allowed: 'Secrets Manager refuses an empty secret value',
  },
  {
    input: 'SecretContent.fromSecretValue(a plaintext of 65,537 bytes)',
    // 21,846 three-byte characters: 65,538 bytes, though only 21,846 characters.
    act: () => SecretContent.fromSecretValue(SecretValue.unsafePlainText('€'.repeat(21846))),
    where: FROM_SECRET_VALUE,
    prop: 'value',
    received: 'a plaintext of 65538 bytes',
    allowed: "allowed: at most 65536 bytes (64 KiB), Secrets Manager's limit on a secret value",
  },
  {
    input: "SecretContent.fromSecretValue('hunter2') (a string, from JavaScript)",
    act: () => SecretContent.fromSecretValue('hunter2' as unknown as SecretValue),
    where: FROM_SECRET_VALUE,
    prop: 'value',
    received: 'a string',
    allowed: 'allowed: a SecretValue, e.g. SecretValue.ssmSecure(name)',
  },
];

describe('SecretContent and PasswordOptions refuse', () => {
  test.each(contentRefusals)('$input', (row) => expectRefusal(row));

  test('a refused plaintext never appears in the message', () => {
    for (const value of ['', 's3cr3t-'.repeat(10000)]) {
      const error = errorOf(() => SecretContent.fromSecretValue(SecretValue.unsafePlainText(value)));
      if (value.length > 0) expect(error.message).not.toContain('s3cr3t');
    }
  });
});

describe('SecretContent and PasswordOptions accept', () => {
  test.each([
    ['length 1 without requireEachIncludedType', { length: 1, requireEachIncludedType: false }],
    ['length 4 with four classes', { length: 4 }],
    ['length 4096', { length: 4096 }],
    [
      'every digit excluded without requireEachIncludedType',
      { excludeCharacters: '0123456789', requireEachIncludedType: false },
    ],
    ['every digit excluded with excludeNumbers', { excludeCharacters: '0123456789', excludeNumbers: true }],
    [
      'three classes excluded, some punctuation left',
      { excludeNumbers: true, excludeUppercase: true, excludeLowercase: true },
    ],
    ['4096 excluded characters', { excludeCharacters: '/'.repeat(4096) }],
    ['an empty exclusion set', { excludeCharacters: '' }],
    ['a length given as a token', { length: Token.asNumber({ Ref: 'Length' }) }],
    ['exclusions given as a token', { excludeCharacters: Token.asString({ Ref: 'Exclude' }) }],
  ] as [string, PasswordOptions][])('%s', (_name, options) => {
    expect(() => SecretContent.generatedString(options)).not.toThrow();
    expect(() => RotationStrategy.generatedString(options)).not.toThrow();
  });

  test('a plaintext of exactly 65,536 bytes, a reference, and a plaintext with a token in it', () => {
    for (const value of [
      SecretValue.unsafePlainText('x'.repeat(65536)),
      SecretValue.ssmSecure('/app/key'),
      SecretValue.unsafePlainText(`{"host":"${Token.asString({ Ref: 'Host' })}"}`),
    ]) {
      expect(() => SecretContent.fromSecretValue(value)).not.toThrow();
    }
  });

  test('a JSON field of letters, digits, _ and -', () => {
    expect(() => SecretContent.generatedJson({ username: 'app' }, 'api_key-2')).not.toThrow();
  });
});

const contentWarnings: Warned[] = [
  {
    input: 'VaultSecret content: SecretContent.generatedString({ length: 8 })',
    act: () => {
      const { stack } = newStack();
      newSecret(stack, { content: SecretContent.generatedString({ length: 8 }) });
      return stack;
    },
    path: '/Test/Secret',
    says: [SECRET, '`length` is 8', 'fewer than 12 characters is easier to guess', 'Use 12 or more'],
  },
  {
    input: 'VaultSecret content: SecretContent.fromSecretValue(SecretValue.unsafePlainText(...))',
    act: () => {
      const { stack } = newStack();
      newSecret(stack, {
        content: SecretContent.fromSecretValue(SecretValue.unsafePlainText('not-a-real-secret')),
      });
      return stack;
    },
    path: '/Test/Secret',
    says: ['plaintext value', 'synthesized template', 'SecretValue.ssmSecure'],
  },
];

describe('SecretContent warns, on the secret that uses it', () => {
  test.each(contentWarnings)('$input', (row) => expectWarning(row));

  test('no warning from 12 characters up', () => {
    const { stack } = newStack();
    newSecret(stack, { content: SecretContent.generatedString({ length: 12 }) });
    Annotations.fromStack(stack).hasNoWarning('/Test/Secret', Match.stringLikeRegexp('easier to guess'));
  });
});

// ---------------------------------------------------------------------------------------------------
// RotationStrategy and DatabaseUserRotation (value classes: the message names the factory)

const SINGLE_USER = 'RotationStrategy.singleUser';
const ALTERNATING = 'RotationStrategy.alternatingUsers';
const PG_TARGET = { engine: DatabaseEngine.POSTGRES, host: 'db.internal' };
const ENGINE_ALLOWED = 'allowed: DatabaseEngine.POSTGRES or DatabaseEngine.MYSQL';
const PORT_ALLOWED = 'allowed: a whole number from 1 to 65535';

/** Today's AWS-managed admin secret: a secret of this app, with its complete ARN. */
function adminSecret(): secretsmanager.ISecret {
  return secretsmanager.Secret.fromSecretCompleteArn(
    newStack().stack,
    'Admin',
    `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:orders/admin-AbCdEf`,
  );
}

/** The same target refusal from both database factories. */
function targetRows(
  input: string,
  change: Record<string, unknown>,
  prop: string,
  received: string,
  allowed: string,
): Refusal[] {
  const target = { ...PG_TARGET, ...change } as unknown as DatabaseTarget;
  return [
    {
      input: `RotationStrategy.singleUser: ${input}`,
      act: () => RotationStrategy.singleUser(target),
      where: SINGLE_USER,
      prop,
      received,
      allowed,
    },
    {
      input: `RotationStrategy.alternatingUsers: ${input}`,
      act: () => RotationStrategy.alternatingUsers(target, adminSecret()),
      where: ALTERNATING,
      prop,
      received,
      allowed,
    },
  ];
}

const strategyRefusals: Refusal[] = [
  {
    input: 'DatabaseUserRotation.alternatingUsers(undefined)',
    act: () => DatabaseUserRotation.alternatingUsers(undefined as unknown as secretsmanager.ISecret),
    where: 'DatabaseUserRotation.alternatingUsers',
    prop: 'adminSecret',
    received: 'undefined',
    allowed: 'adminSecret is required',
  },
  ...targetRows(
    "target.engine: 'postgres' (a string)",
    { engine: 'postgres' },
    'engine',
    '"postgres"',
    ENGINE_ALLOWED,
  ),
  ...targetRows(
    'target.engine: an object that is not a DatabaseEngine',
    { engine: { name: 'postgres' } },
    'engine',
    'an object',
    ENGINE_ALLOWED,
  ),
  ...targetRows(
    "target.tls: 'verified' (a string)",
    { tls: 'verified' },
    'tls',
    '"verified"',
    'allowed: DatabaseTls.VERIFIED, DatabaseTls.UNVERIFIED_INSECURE or DatabaseTls.PLAINTEXT_INSECURE',
  ),
  ...targetRows(
    "target.host: ''",
    { host: '' },
    'host',
    '""',
    'allowed: the database host name, without spaces',
  ),
  ...[0, 70000, 5432.5].flatMap((port) =>
    targetRows(`target.port: ${port}`, { port }, 'port', String(port), PORT_ALLOWED),
  ),
  ...targetRows(
    "target.dbname: ''",
    { dbname: '' },
    'dbname',
    '""',
    "leave it out for the engine's default database",
  ),
  {
    input: 'RotationStrategy.alternatingUsers(target, undefined)',
    act: () => RotationStrategy.alternatingUsers(PG_TARGET, undefined as unknown as secretsmanager.ISecret),
    where: ALTERNATING,
    prop: 'adminSecret',
    received: 'undefined',
    allowed: 'adminSecret is required: alternating users set the password of the user that is not current',
  },
  {
    input: "RotationStrategy.alternatingUsers(target, 'orders/admin') (a name, from JavaScript)",
    act: () =>
      RotationStrategy.alternatingUsers(PG_TARGET, 'orders/admin' as unknown as secretsmanager.ISecret),
    where: ALTERNATING,
    prop: 'adminSecret',
    received: '"orders/admin"',
    allowed: 'allowed: a secret (secretsmanager.ISecret) that holds the admin credential',
  },
  {
    input: 'RotationStrategy.alternatingUsers: tls UNVERIFIED_INSECURE',
    act: () =>
      RotationStrategy.alternatingUsers(
        { ...PG_TARGET, tls: DatabaseTls.UNVERIFIED_INSECURE },
        adminSecret(),
      ),
    where: ALTERNATING,
    prop: 'tls',
    received: '"unverified"',
    allowed:
      'alternating users log in with the admin secret, which travels over verified TLS only: use DatabaseTls.VERIFIED',
  },
  {
    input: 'RotationStrategy.singleUser: passwordOptions that remove every digit',
    act: () => RotationStrategy.singleUser(PG_TARGET, { excludeCharacters: '0123456789' }),
    where: SINGLE_USER,
    prop: 'excludeCharacters',
    received: '"0123456789"',
    allowed: 'it removes the whole numbers class',
  },
  {
    input: "RotationStrategy.generatedJsonField('')",
    act: () => RotationStrategy.generatedJsonField(''),
    where: 'RotationStrategy.generatedJsonField',
    prop: 'field',
    received: '""',
    allowed: 'allowed: the name of the JSON field to rotate',
  },
  {
    input: "RotationStrategy.generatedJsonField('db.password')",
    act: () => RotationStrategy.generatedJsonField('db.password'),
    where: 'RotationStrategy.generatedJsonField',
    prop: 'field',
    received: '"db.password"',
    allowed: 'allowed: a plain JSON key of 1 to 256 letters, digits, _ and -',
  },
  {
    input: 'RotationStrategy.generatedString({ length: 5000 })',
    act: () => RotationStrategy.generatedString({ length: 5000 }),
    where: 'RotationStrategy.generatedString',
    prop: 'length',
    received: '5000',
    allowed: LENGTH_ALLOWED,
  },
];

describe('RotationStrategy and DatabaseUserRotation refuse', () => {
  test.each(strategyRefusals)('$input', (row) => expectRefusal(row));
});

describe('RotationStrategy accepts', () => {
  test('a target whose host and port are tokens (an RDS endpoint), and a PostgreSQL password without ":"', () => {
    const target = {
      engine: DatabaseEngine.POSTGRES,
      host: Token.asString({ 'Fn::GetAtt': ['Db', 'Endpoint.Address'] }),
      port: Token.asNumber({ 'Fn::GetAtt': ['Db', 'Endpoint.Port'] }),
    };
    expect(RotationStrategy.singleUser(target).passwordOptions.excludeCharacters).toBe('/@"\'\\:');
    expect(() => RotationStrategy.alternatingUsers(target, adminSecret())).not.toThrow();
  });
});

// ---------------------------------------------------------------------------------------------------
// Misuses of constructs still being hardened by their owners. Each becomes a row above when its
// construct refuses it; "(refused today)" marks those whose message already names path, prop and value.

// ---------------------------------------------------------------------------------------------------
// Rows kept in test/misuse/, one module per construct

runRows('RotationFunction', rotationFunctionRows);
runRows('SecretsVault.addDatabaseSecret and the database module', databaseRows);
