/**
 * Edge cases of the function's own checks that the other unit suites leave open (issue 9, the
 * mutation pass): event fields, the protocol steps, database profiles and their definitions, and the
 * engine value a new database version carries.
 */
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Logger } from '@aws-lambda-powertools/logger';
import { ConfigurationError } from '../../lambda/rotation/env';
import { parseEvent } from '../../lambda/rotation/event';
import {
  STEPS,
  createSecret,
  finishSecret,
  setSecret,
  testSecret,
  type StepContext,
} from '../../lambda/rotation/steps';
import type { RotationStrategy } from '../../lambda/rotation/strategies';
import { databaseStrategy } from '../../lambda/rotation/strategies/database/definitions';
import {
  parseDatabaseProfile,
  type DatabaseProfile,
} from '../../lambda/rotation/strategies/database/profile';
import { POSTGRES } from '../../lambda/rotation/strategies/postgres';
import type { SecretValues } from '../../lambda/rotation/values';
import type { HostTargetSpec } from '../../lib/contract/rotation-contract';
import type { SecretMetadata } from '../../lambda/rotation/metadata';
import { ARN, NAME, OLD_VERSION, TOKEN } from './helpers';

const EVENT = { Step: 'createSecret', SecretId: ARN, ClientRequestToken: TOKEN };
const WHERE = 'ROTATION_PROFILES["db"]';
const SECRET: SecretMetadata = {
  arn: ARN,
  name: NAME,
  rotationEnabled: true,
  versionIdsToStages: { [OLD_VERSION]: ['AWSCURRENT'], [TOKEN]: ['AWSPENDING'] },
  tags: {},
};
const TARGET: HostTargetSpec = { engine: 'postgres', host: 'db.internal', port: 5432, tls: 'verified' };

describe('parseEvent: a field is printable ASCII from its first character to its last', () => {
  test.each([
    ['at the start', `\u0001${TOKEN}`],
    ['at the end', `${TOKEN}\u0001`],
    ['a newline at the end', `${TOKEN}\n`],
  ])('refuses a token with a control character %s', (_where, token) => {
    expect(() => parseEvent({ ...EVENT, ClientRequestToken: token })).toThrow(
      'invalid rotation event: field ClientRequestToken contains characters outside printable ASCII',
    );
  });
});

function silentLogger(): Logger {
  return { info: jest.fn(), warn: jest.fn(), error: jest.fn(), debug: jest.fn() } as unknown as Logger;
}

function awsError(name: string): Error {
  const error = new Error(name);
  error.name = name;
  return error;
}

/** A step context over fakes: `pending` answers each AWSPENDING read in turn. */
function stepContext(options: { pending: Array<() => Promise<string>>; put?: () => Promise<unknown> }) {
  const reads = [...options.pending];
  const values = {
    current: jest.fn(async () => 'current'),
    pending: jest.fn(() => (reads.shift() ?? (() => Promise.reject(new Error('no more reads'))))()),
    remember: jest.fn(),
    forgetPending: jest.fn(),
  };
  const strategy: RotationStrategy = {
    needsCurrentValue: true,
    createPendingValue: jest.fn(async () => 'new-value'),
    setSecret: jest.fn(async () => undefined),
    testSecret: jest.fn(async () => undefined),
  };
  const send = jest.fn(options.put ?? (async () => ({})));
  const ctx: StepContext = {
    client: { send } as unknown as SecretsManagerClient,
    logger: silentLogger(),
    secret: SECRET,
    token: TOKEN,
    values: values as unknown as SecretValues,
    generatePassword: jest.fn(),
    strategy,
  };
  return { ctx, values, strategy, send };
}

describe('steps', () => {
  test('createSecret remembers the value it writes, so that error redaction covers it', async () => {
    const { ctx, values, send } = stepContext({
      pending: [() => Promise.reject(awsError('ResourceNotFoundException'))],
    });
    await createSecret(ctx);
    expect(values.remember).toHaveBeenCalledWith('new-value');
    expect(send).toHaveBeenCalledTimes(1);
  });

  test('after a lost race createSecret drops its cached pending read before reading it again', async () => {
    const order: string[] = [];
    const { ctx, values } = stepContext({
      pending: [
        () => Promise.reject(awsError('ResourceNotFoundException')),
        () => Promise.reject(awsError('ResourceNotFoundException')),
      ],
      put: () => Promise.reject(awsError('ResourceExistsException')),
    });
    values.forgetPending.mockImplementation(() => order.push('forget'));
    const read = values.pending.getMockImplementation()!;
    values.pending.mockImplementation(() => {
      order.push('read');
      return read();
    });
    // The concurrent value is not readable either: the put's own error stands.
    await expect(createSecret(ctx)).rejects.toThrow('ResourceExistsException');
    expect(order).toEqual(['read', 'forget', 'read']);
  });

  test("setSecret and testSecret are the strategy's", async () => {
    const { ctx, strategy } = stepContext({ pending: [] });
    await setSecret(ctx);
    expect(strategy.setSecret).toHaveBeenCalledWith(ctx);
    expect(strategy.testSecret).not.toHaveBeenCalled();
    await testSecret(ctx);
    expect(strategy.testSecret).toHaveBeenCalledWith(ctx);
  });

  test('STEPS maps each step name to its step', () => {
    expect(STEPS).toEqual({ createSecret, setSecret, testSecret, finishSecret });
  });
});

describe('database profiles', () => {
  const parse = (raw: Record<string, unknown>) =>
    parseDatabaseProfile(POSTGRES, 'single', 'db', { kind: 'postgres-single', ...raw }, WHERE);

  test("an object password keeps the engine's default exclusions unless it names its own", () => {
    expect(POSTGRES.defaultExcludeCharacters).toContain(':');
    expect(parse({ password: { length: 20 } }).password).toMatchObject({
      length: 20,
      excludeCharacters: POSTGRES.defaultExcludeCharacters,
    });
    expect(parse({ password: { excludeCharacters: '#' } }).password.excludeCharacters).toBe('#');
  });

  test.each([null, ['length', 20]])('refuses a password that is not an object (%p)', (password) => {
    expect(() => parse({ password })).toThrow(ConfigurationError);
    expect(() => parse({ password })).toThrow(`${WHERE}.password`);
  });

  test.each([0, 600])('accepts testTimeoutSeconds %p (the bounds)', (seconds) => {
    expect(parse({ testTimeoutSeconds: seconds }).testTimeoutSeconds).toBe(seconds);
  });

  test.each([NaN, Infinity, -1, 601, '20'])('refuses testTimeoutSeconds %p', (seconds) => {
    expect(() => parse({ testTimeoutSeconds: seconds })).toThrow(
      `${WHERE}.testTimeoutSeconds must be a number of seconds from 0 to 600`,
    );
  });
});

describe('database strategy definitions', () => {
  const single = databaseStrategy(POSTGRES, 'single');

  test('parseProfile is the database profile parser', () => {
    expect(single.parseProfile('db', { kind: 'postgres-single' }, WHERE)).toEqual(
      parseDatabaseProfile(POSTGRES, 'single', 'db', { kind: 'postgres-single' }, WHERE),
    );
  });

  test('checkTarget refuses a single-user target that names an admin secret', () => {
    const profile = single.parseProfile('db', { kind: 'postgres-single' }, WHERE);
    expect(single.checkTarget(profile, TARGET)).toBeUndefined();
    const withAdmin = { ...TARGET, admin: `${ARN}-admin` };
    const problem = 'profile kind "postgres-single" uses no admin secret, but its target names one';
    expect(single.checkTarget(profile, withAdmin)).toBe(problem);
    expect(() => single.create(profile, withAdmin)).toThrow(problem);
  });
});

describe('the engine value a new database version carries', () => {
  async function created(current: Record<string, unknown>): Promise<Record<string, unknown>> {
    const definition = databaseStrategy(POSTGRES, 'single');
    const profile: DatabaseProfile = definition.parseProfile('db', { kind: 'postgres-single' }, WHERE);
    const strategy = definition.create(profile, TARGET);
    const ctx = {
      client: {} as SecretsManagerClient,
      logger: silentLogger(),
      secret: SECRET,
      token: TOKEN,
      values: { current: async () => JSON.stringify(current) } as unknown as SecretValues,
      generatePassword: async () => 'generated-password',
    } as unknown as StepContext;
    return JSON.parse(await strategy.createPendingValue(ctx)) as Record<string, unknown>;
  }

  const base = { username: 'app', password: 'old', host: 'db.internal', port: 5432 };

  test('is the engine default when the current value names an empty engine', async () => {
    expect((await created({ ...base, engine: '' })).engine).toBe('postgres');
  });

  test("is the current value's own engine when it names one of this engine's", async () => {
    expect((await created({ ...base, engine: 'aurora-postgresql' })).engine).toBe('aurora-postgresql');
  });
});
