/**
 * Edge cases of the shared contract (lib/contract/rotation-contract.ts) that the other unit suites
 * leave open (issue 9, the mutation pass): password class rules, the pinned port, former endpoints and
 * the fields a new database version carries.
 */
import {
  ContractError,
  DEFAULT_PASSWORD_RULES,
  parseTarget,
  passwordRulesProblem,
  pinnedSecretFields,
  type HostTargetSpec,
} from '../../lib/contract/rotation-contract';

const WHERE = 'ROTATION_TARGETS["db"]';
const ADMIN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:admin-AbCdEf';

describe('passwordRulesProblem: at least one of the four real classes stays', () => {
  test('refuses all four excluded', () => {
    expect(
      passwordRulesProblem({
        ...DEFAULT_PASSWORD_RULES,
        excludePunctuation: true,
        excludeNumbers: true,
        excludeUppercase: true,
        excludeLowercase: true,
        includeSpace: true,
      }),
    ).toEqual({
      option: 'exclude*',
      allowed: 'allowed: leave at least one of punctuation, numbers, upper or lower case',
    });
  });

  test.each([
    ['none', {}],
    ['lower case', { excludeLowercase: true }],
    ['upper and lower case', { excludeUppercase: true, excludeLowercase: true }],
    [
      'punctuation, upper and lower case',
      { excludePunctuation: true, excludeUppercase: true, excludeLowercase: true },
    ],
    [
      'numbers, upper and lower case',
      { excludeNumbers: true, excludeUppercase: true, excludeLowercase: true },
    ],
    [
      'punctuation, numbers and upper case',
      { excludePunctuation: true, excludeNumbers: true, excludeUppercase: true },
    ],
  ])('accepts excluding %s', (_what, excluded) => {
    expect(passwordRulesProblem({ ...DEFAULT_PASSWORD_RULES, ...excluded })).toBeUndefined();
  });
});

describe('parseTarget: the pinned port', () => {
  const target = (port: unknown) => ({ engine: 'postgres', host: 'db.internal', port, tls: 'verified' });

  test.each([
    [5432, 5432],
    ['5432', 5432],
    ['1', 1],
  ])('accepts %p', (port, expected) => {
    expect((parseTarget(target(port), WHERE) as HostTargetSpec).port).toBe(expected);
  });

  test.each([' 5432', '5432 ', '0x10', '1e3', '', ['5432'], true, '123456', 0, 65536, 5432.5])(
    'refuses %p',
    (port) => {
      expect(() => parseTarget(target(port), WHERE)).toThrow(ContractError);
      expect(() => parseTarget(target(port), WHERE)).toThrow(`${WHERE}.port must be a port number (1-65535)`);
    },
  );
});

describe('parseTarget: former endpoints', () => {
  test('a former endpoint without a database has no dbname key', () => {
    const parsed = parseTarget(
      {
        engine: 'postgres',
        host: 'db.internal',
        port: 5432,
        tls: 'verified',
        formerly: [{ host: 'old.internal', port: 5432 }],
      },
      WHERE,
    ) as HostTargetSpec;
    expect(parsed.formerly).toStrictEqual([{ host: 'old.internal', port: 5432 }]);
    expect(Object.keys(parsed.formerly![0])).toEqual(['host', 'port']);
  });
});

describe('pinnedSecretFields', () => {
  const base: HostTargetSpec = { engine: 'postgres', host: 'db.internal', port: 5432, tls: 'verified' };

  test('names no dbname and no masterarn when the target pins none', () => {
    const fields = pinnedSecretFields(base, 'postgres');
    expect(fields).toStrictEqual({ engine: 'postgres', host: 'db.internal', port: 5432, ssl: true });
    expect(Object.keys(fields)).toEqual(['engine', 'host', 'port', 'ssl']);
  });

  test('names the pinned dbname and admin secret', () => {
    expect(pinnedSecretFields({ ...base, dbname: 'orders', admin: ADMIN }, 'postgres')).toStrictEqual({
      engine: 'postgres',
      host: 'db.internal',
      port: 5432,
      dbname: 'orders',
      ssl: true,
      masterarn: ADMIN,
    });
  });
});
