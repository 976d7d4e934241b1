import { ENV, loadConfig } from '../../lambda/rotation/config';
import { ConfigurationError, getEnv } from '../../lambda/rotation/env';
import { DEFAULT_EXCLUDE_CHARACTERS, parsePasswordOptions } from '../../lambda/rotation/password';
import { generatedStrategy } from '../../lambda/rotation/strategies/generated';

const VARS = [...Object.values(ENV), 'SOME_TEST_VARIABLE'];
let saved: Record<string, string | undefined>;

beforeEach(() => {
  saved = Object.fromEntries(VARS.map((name) => [name, process.env[name]]));
  for (const name of VARS) delete process.env[name];
});
afterEach(() => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

function setEnv(values: Record<string, string>): void {
  Object.assign(process.env, values);
}

const PROFILES = JSON.stringify({
  api: { kind: 'generated' },
  json: { kind: 'generated', jsonField: 'password' },
});

describe('getEnv', () => {
  test('returns a set variable', () => {
    setEnv({ SOME_TEST_VARIABLE: 'x' });
    expect(getEnv('SOME_TEST_VARIABLE')).toBe('x');
  });

  test('returns undefined for an unset optional variable', () => {
    expect(getEnv('SOME_TEST_VARIABLE')).toBeUndefined();
  });

  test('treats an empty or blank variable as unset', () => {
    setEnv({ SOME_TEST_VARIABLE: '  ' });
    expect(getEnv('SOME_TEST_VARIABLE')).toBeUndefined();
  });

  test('fails for a missing required variable, naming it', () => {
    expect(() => getEnv('SOME_TEST_VARIABLE', { required: true })).toThrow(
      new ConfigurationError('environment variable SOME_TEST_VARIABLE is required but is not set'),
    );
  });
});

describe('loadConfig: vault scope', () => {
  test('fails closed when neither VAULT_SECRET_NAME_PREFIX nor VAULT_SECRET_ARNS is set', () => {
    setEnv({ ROTATION_PROFILES: PROFILES });
    expect(() => loadConfig()).toThrow(
      'this rotation function has no vault scope: set VAULT_SECRET_NAME_PREFIX and/or VAULT_SECRET_ARNS; refusing to rotate any secret',
    );
  });

  test('fails closed when VAULT_SECRET_ARNS holds only commas and blanks', () => {
    setEnv({ ROTATION_PROFILES: PROFILES, VAULT_SECRET_ARNS: ' , ,' });
    expect(() => loadConfig()).toThrow('has no vault scope');
  });

  test('reads the name prefix', () => {
    setEnv({ ROTATION_PROFILES: PROFILES, VAULT_SECRET_NAME_PREFIX: 'vault/' });
    expect(loadConfig().vault).toEqual({ namePrefix: 'vault/', secretArns: new Set() });
  });

  test('reads a comma-separated ARN list, trimming blanks', () => {
    setEnv({ ROTATION_PROFILES: PROFILES, VAULT_SECRET_ARNS: ' arn:a , arn:b,,' });
    expect(loadConfig().vault).toEqual({ namePrefix: undefined, secretArns: new Set(['arn:a', 'arn:b']) });
  });
});

describe('loadConfig: profiles', () => {
  beforeEach(() => setEnv({ VAULT_SECRET_NAME_PREFIX: 'vault/' }));

  test('fails without ROTATION_PROFILES, naming it', () => {
    expect(() => loadConfig()).toThrow('environment variable ROTATION_PROFILES is required but is not set');
  });

  test('fails on invalid JSON, naming the variable but not quoting it', () => {
    setEnv({ ROTATION_PROFILES: '{"api": {"kind": "generated"' });
    let message = '';
    try {
      loadConfig();
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe('environment variable ROTATION_PROFILES is not valid JSON (28 characters)');
  });

  test.each(['[]', '"api"', 'null', '3'])('fails when ROTATION_PROFILES is %s', (value) => {
    setEnv({ ROTATION_PROFILES: value });
    expect(() => loadConfig()).toThrow(
      'environment variable ROTATION_PROFILES must be a JSON object of profile id to profile',
    );
  });

  test('fails when ROTATION_PROFILES defines no profile', () => {
    setEnv({ ROTATION_PROFILES: '{}' });
    expect(() => loadConfig()).toThrow('environment variable ROTATION_PROFILES defines no profile');
  });

  test('fails on a profile that is not an object', () => {
    setEnv({ ROTATION_PROFILES: '{"api": "generated"}' });
    expect(() => loadConfig()).toThrow('ROTATION_PROFILES["api"] must be an object');
  });

  test('fails on an unknown kind, listing the known kinds', () => {
    setEnv({ ROTATION_PROFILES: '{"db": {"kind": "postgres"}}' });
    expect(() => loadConfig()).toThrow('ROTATION_PROFILES["db"].kind must be one of "generated"');
  });

  test('parses each profile with its defaults', () => {
    setEnv({ ROTATION_PROFILES: PROFILES });
    const config = loadConfig();
    expect([...config.profiles.keys()]).toEqual(['api', 'json']);
    expect(config.profiles.get('json')).toMatchObject({
      id: 'json',
      kind: 'generated',
      jsonField: 'password',
    });
    expect(config.defaultProfile).toBeUndefined();
  });

  test('accepts a default profile that exists', () => {
    setEnv({ ROTATION_PROFILES: PROFILES, ROTATION_DEFAULT_PROFILE: 'json' });
    expect(loadConfig().defaultProfile).toBe('json');
  });

  test('fails on a default profile that does not exist, naming the variable and the known ids', () => {
    setEnv({ ROTATION_PROFILES: PROFILES, ROTATION_DEFAULT_PROFILE: 'nope' });
    expect(() => loadConfig()).toThrow(
      'environment variable ROTATION_DEFAULT_PROFILE names profile "nope", which ROTATION_PROFILES does not define (known: "api", "json")',
    );
  });
});

describe('generated profile', () => {
  const parse = (raw: Record<string, unknown>) =>
    generatedStrategy.parseProfile('p', raw, 'ROTATION_PROFILES["p"]');

  test('defaults the password options (length 32, ROTATION.md exclusions, each type required)', () => {
    expect(parse({ kind: 'generated' })).toEqual({
      id: 'p',
      kind: 'generated',
      jsonField: undefined,
      password: {
        length: 32,
        excludeCharacters: '/@"\'\\',
        excludePunctuation: false,
        excludeNumbers: false,
        excludeUppercase: false,
        excludeLowercase: false,
        includeSpace: false,
        requireEachIncludedType: true,
      },
    });
  });

  test('rejects an unknown key', () => {
    expect(() => parse({ kind: 'generated', jsonfield: 'password' })).toThrow(
      'ROTATION_PROFILES["p"] has unknown key(s) "jsonfield" (allowed for kind "generated": kind, jsonField, password)',
    );
  });

  test.each(['', 3])('rejects jsonField %p', (jsonField) => {
    expect(() => parse({ kind: 'generated', jsonField })).toThrow(
      'ROTATION_PROFILES["p"].jsonField must be a non-empty string',
    );
  });
});

describe('parsePasswordOptions', () => {
  const where = 'ROTATION_PROFILES["p"].password';

  test('the default exclusions are / @ " \' \\', () => {
    expect([...DEFAULT_EXCLUDE_CHARACTERS].sort()).toEqual(['"', "'", '/', '@', '\\']);
  });

  test('takes every option', () => {
    expect(
      parsePasswordOptions(
        {
          length: 64,
          excludeCharacters: ':',
          excludePunctuation: true,
          excludeNumbers: true,
          excludeUppercase: true,
          excludeLowercase: false,
          includeSpace: true,
          requireEachIncludedType: false,
        },
        where,
      ),
    ).toEqual({
      length: 64,
      excludeCharacters: ':',
      excludePunctuation: true,
      excludeNumbers: true,
      excludeUppercase: true,
      excludeLowercase: false,
      includeSpace: true,
      requireEachIncludedType: false,
    });
  });

  test('an explicit empty excludeCharacters excludes nothing', () => {
    expect(parsePasswordOptions({ excludeCharacters: '' }, where).excludeCharacters).toBe('');
  });

  test('rejects a non-object', () => {
    expect(() => parsePasswordOptions('long', where)).toThrow(`${where} must be an object`);
  });

  test.each([0, -1, 1.5, 4097, '32'])('rejects length %p', (length) => {
    expect(() => parsePasswordOptions({ length }, where)).toThrow(
      `${where}.length must be an integer from 1 to 4096`,
    );
  });

  test('rejects a non-string excludeCharacters', () => {
    expect(() => parsePasswordOptions({ excludeCharacters: ['/'] }, where)).toThrow(
      `${where}.excludeCharacters must be a string of at most 4096 characters`,
    );
  });

  test.each([
    'excludePunctuation',
    'excludeNumbers',
    'excludeUppercase',
    'excludeLowercase',
    'includeSpace',
    'requireEachIncludedType',
  ])('rejects a non-boolean %s', (name) => {
    expect(() => parsePasswordOptions({ [name]: 'true' }, where)).toThrow(
      `${where}.${name} must be true or false`,
    );
  });

  test('rejects an unknown option, listing the allowed ones', () => {
    expect(() => parsePasswordOptions({ excludeSymbols: true }, where)).toThrow(
      `${where} has unknown option(s) "excludeSymbols" (allowed: length, excludeCharacters, excludePunctuation, excludeNumbers, excludeUppercase, excludeLowercase, includeSpace, requireEachIncludedType)`,
    );
  });

  test('rejects options that exclude every character type', () => {
    expect(() =>
      parsePasswordOptions(
        { excludePunctuation: true, excludeNumbers: true, excludeUppercase: true, excludeLowercase: true },
        where,
      ),
    ).toThrow(`${where} excludes every character type, so no password can be generated`);
  });
});
