import { ENV, loadConfig } from '../../lambda/rotation/config';
import { ConfigurationError, getEnv } from '../../lambda/rotation/env';
import { DEFAULT_EXCLUDE_CHARACTERS, parsePasswordOptions } from '../../lambda/rotation/password';
import { generatedStrategy } from '../../lambda/rotation/strategies/generated';
import { secretNameKey } from '../../lib/contract/rotation-contract';

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

  test.each(['null', '[]', '[{"kind": "generated"}]'])('fails on a profile that is %s', (entry) => {
    setEnv({ ROTATION_PROFILES: `{"api": ${entry}}` });
    expect(() => loadConfig()).toThrow('ROTATION_PROFILES["api"] must be an object');
  });

  test('fails on a kind that is not a string, even one that names a kind once stringified', () => {
    setEnv({ ROTATION_PROFILES: '{"api": {"kind": ["generated"]}}' });
    expect(() => loadConfig()).toThrow('ROTATION_PROFILES["api"].kind must be one of "generated"');
  });

  test.each(['toString', 'constructor', '__proto__', 'hasOwnProperty'])(
    'fails on a kind that names a member every object inherits (%s), with the same message',
    (kind) => {
      setEnv({ ROTATION_PROFILES: `{"db": {"kind": "${kind}"}}` });
      expect(() => loadConfig()).toThrow(ConfigurationError);
      expect(() => loadConfig()).toThrow('ROTATION_PROFILES["db"].kind must be one of "generated"');
    },
  );

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

  test('fails on a database default profile: unbound secrets have no pinned target', () => {
    setEnv({
      ROTATION_PROFILES: JSON.stringify({ pg: { kind: 'postgres-single' } }),
      ROTATION_DEFAULT_PROFILE: 'pg',
    });
    expect(() => loadConfig()).toThrow(
      'environment variable ROTATION_DEFAULT_PROFILE names profile "pg" of kind postgres-single; the default rotates every secret ROTATION_BINDINGS does not list, which has no pinned target, so it must be a generated profile',
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

  test.each([0, -1, 1.5, 4097])('rejects length %p, as the constructs do', (length) => {
    expect(() => parsePasswordOptions({ length }, where)).toThrow(
      `${where}: invalid length; allowed: a whole number from 1 to 4096`,
    );
  });

  test('rejects a length that is not a number', () => {
    expect(() => parsePasswordOptions({ length: '32' }, where)).toThrow(`${where}.length must be a number`);
  });

  test('rejects a non-string excludeCharacters', () => {
    expect(() => parsePasswordOptions({ excludeCharacters: ['/'] }, where)).toThrow(
      `${where}.excludeCharacters must be a string`,
    );
  });

  test.each([
    ['longer than 4096 characters', 'x'.repeat(4097)],
    ['with a character outside printable ASCII', 'ab\u00e9'],
  ])('rejects an excludeCharacters %s', (_name, excludeCharacters) => {
    expect(() => parsePasswordOptions({ excludeCharacters }, where)).toThrow(
      `${where}: invalid excludeCharacters; allowed: at most 4096 printable ASCII characters`,
    );
  });

  test('accepts an excludeCharacters of exactly 4096 characters', () => {
    expect(
      parsePasswordOptions({ excludeCharacters: 'x'.repeat(4096) }, where).excludeCharacters,
    ).toHaveLength(4096);
  });

  test('with requireEachIncludedType, the length must fit one character of each included class', () => {
    expect(() => parsePasswordOptions({ length: 4, includeSpace: true }, where)).toThrow(
      `${where}: invalid length; with requireEachIncludedType the value needs at least one character of each of its 5 classes`,
    );
    expect(parsePasswordOptions({ length: 5, includeSpace: true }, where).length).toBe(5);
    expect(
      parsePasswordOptions({ length: 1, includeSpace: true, requireEachIncludedType: false }, where).length,
    ).toBe(1);
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

  test.each([false, true])(
    'rejects options that exclude every character class (includeSpace %p: a space alone is no password)',
    (includeSpace) => {
      expect(() =>
        parsePasswordOptions(
          {
            excludePunctuation: true,
            excludeNumbers: true,
            excludeUppercase: true,
            excludeLowercase: true,
            includeSpace,
          },
          where,
        ),
      ).toThrow(
        `${where}: invalid exclude*; allowed: leave at least one of punctuation, numbers, upper or lower case`,
      );
    },
  );
});

describe('loadConfig: pinned targets and bindings', () => {
  const DB_PROFILES = JSON.stringify({
    api: { kind: 'generated' },
    pg: { kind: 'postgres-single' },
    pgAlt: { kind: 'postgres-alternating' },
    my: { kind: 'mysql-single' },
  });
  const ADMIN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:admin-AbCdEf';
  const TARGETS = {
    db: { engine: 'postgres', host: 'db.internal', port: 5432, dbname: 'app', tls: 'verified' },
    dbAdmin: { engine: 'postgres', host: 'db.internal', port: '5433', tls: 'verified', admin: ADMIN },
  };
  const RDS = { kind: 'instance', identifier: 'orders' };
  const RDS_TARGET = { engine: 'postgres', rds: RDS, dbname: 'app', tls: 'verified', admin: ADMIN };
  const KEY_A = secretNameKey('vault/a');
  const KEY_B = secretNameKey('vault/b');

  function env(targets: unknown, bindings: unknown, profiles = DB_PROFILES): void {
    setEnv({
      VAULT_SECRET_NAME_PREFIX: 'vault/',
      ROTATION_PROFILES: profiles,
      ...(targets === undefined ? {} : { ROTATION_TARGETS: JSON.stringify(targets) }),
      ...(bindings === undefined ? {} : { ROTATION_BINDINGS: JSON.stringify(bindings) }),
    });
  }

  test('reads targets (a port written as digits included) and binds secrets by name key or ARN', () => {
    const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:elsewhere-AbCdEf';
    env(TARGETS, { 'pg@db': `${KEY_A},${arn}`, 'pgAlt@dbAdmin': KEY_B, api: secretNameKey('vault/c') });
    const config = loadConfig();
    expect(config.targets.get('db')).toEqual({ ...TARGETS.db, admin: undefined });
    expect(config.targets.get('dbAdmin')).toEqual({
      engine: 'postgres',
      host: 'db.internal',
      port: 5433,
      dbname: undefined,
      tls: 'verified',
      admin: ADMIN,
    });
    expect(config.bindings.get(KEY_A)).toEqual({ profileId: 'pg', targetId: 'db' });
    expect(config.bindings.get(arn)).toEqual({ profileId: 'pg', targetId: 'db' });
    expect(config.bindings.get(KEY_B)).toEqual({ profileId: 'pgAlt', targetId: 'dbAdmin' });
    expect(config.bindings.get(secretNameKey('vault/c'))).toEqual({ profileId: 'api', targetId: undefined });
  });

  test('reads a target pinned by RDS identifier (instance or cluster), with no host or port', () => {
    const cluster = { kind: 'cluster', identifier: 'Ledger-2' };
    env(
      {
        rds: RDS_TARGET,
        cluster: { engine: 'mysql', rds: cluster, tls: 'verified' },
        one: { ...RDS_TARGET, rds: { ...RDS, identifier: 'o'.repeat(63) } },
      },
      { 'pgAlt@rds': KEY_A, 'my@cluster': KEY_B },
    );
    const config = loadConfig();
    expect(config.targets.get('rds')).toEqual({
      engine: 'postgres',
      rds: { kind: 'instance', identifier: 'orders' },
      dbname: 'app',
      tls: 'verified',
      admin: ADMIN,
    });
    expect(config.targets.get('rds')).not.toHaveProperty('host');
    expect(config.targets.get('rds')).not.toHaveProperty('port');
    expect(config.targets.get('cluster')).toEqual({ engine: 'mysql', rds: cluster, tls: 'verified' });
    expect(config.targets.get('one')?.rds?.identifier).toHaveLength(63);
    expect(config.bindings.get(KEY_A)).toEqual({ profileId: 'pgAlt', targetId: 'rds' });
  });

  test('reads the former endpoints of a moved database', () => {
    const formerly = [
      { host: 'old.internal', port: '6432', dbname: 'app' },
      { host: 'older.internal', port: 5432 },
    ];
    env({ db: { ...TARGETS.db, formerly } }, { 'pg@db': KEY_A });
    expect(loadConfig().targets.get('db')).toEqual({
      ...TARGETS.db,
      admin: undefined,
      formerly: [
        { host: 'old.internal', port: 6432, dbname: 'app' },
        { host: 'older.internal', port: 5432 },
      ],
    });
  });

  test('no targets and no bindings: every secret is unbound', () => {
    env(undefined, undefined);
    const config = loadConfig();
    expect(config.targets.size).toBe(0);
    expect(config.bindings.size).toBe(0);
  });

  test.each([
    [
      'not an object',
      [],
      'environment variable ROTATION_TARGETS must be a JSON object of target id to target',
    ],
    ['a target that is not an object', { db: 'db.internal' }, 'ROTATION_TARGETS["db"] must be an object'],
    [
      'an unknown key',
      { db: { ...TARGETS.db, ssl: true } },
      'ROTATION_TARGETS["db"] has unknown key(s) "ssl" (allowed: engine, host, port, rds, dbname, tls, admin, formerly)',
    ],
    [
      'an unknown engine',
      { db: { ...TARGETS.db, engine: 'oracle' } },
      'ROTATION_TARGETS["db"].engine must be one of "postgres", "mysql"',
    ],
    [
      'an empty host',
      { db: { ...TARGETS.db, host: '' } },
      'ROTATION_TARGETS["db"].host must be a non-empty host name without spaces',
    ],
    [
      'a host with spaces around it',
      { db: { ...TARGETS.db, host: ' db.internal' } },
      'ROTATION_TARGETS["db"].host must be a non-empty host name without spaces',
    ],
    [
      'port 0',
      { db: { ...TARGETS.db, port: 0 } },
      'ROTATION_TARGETS["db"].port must be a port number (1-65535)',
    ],
    [
      'port 65536',
      { db: { ...TARGETS.db, port: 65536 } },
      'ROTATION_TARGETS["db"].port must be a port number (1-65535)',
    ],
    [
      'a fractional port',
      { db: { ...TARGETS.db, port: 5432.5 } },
      'ROTATION_TARGETS["db"].port must be a port number (1-65535)',
    ],
    [
      'a port that is not digits',
      { db: { ...TARGETS.db, port: '54x' } },
      'ROTATION_TARGETS["db"].port must be a port number (1-65535)',
    ],
    [
      'an empty dbname',
      { db: { ...TARGETS.db, dbname: '' } },
      'ROTATION_TARGETS["db"].dbname must be a non-empty string when present',
    ],
    [
      'a TLS mode that does not exist ("prefer")',
      { db: { ...TARGETS.db, tls: 'prefer' } },
      'ROTATION_TARGETS["db"].tls must be one of "verified", "unverified", "plaintext"',
    ],
    [
      'an admin that is not an ARN',
      { db: { ...TARGETS.db, admin: 'admin-secret' } },
      'ROTATION_TARGETS["db"].admin must be the ARN of the admin secret',
    ],
    [
      'an admin secret on unverified TLS',
      { db: { ...TARGETS.db, tls: 'unverified', admin: ADMIN } },
      'ROTATION_TARGETS["db"] names an admin secret with tls "unverified": admin credentials travel over verified TLS only',
    ],
    [
      'an admin secret on plaintext',
      { db: { ...TARGETS.db, tls: 'plaintext', admin: ADMIN } },
      'ROTATION_TARGETS["db"] names an admin secret with tls "plaintext": admin credentials travel over verified TLS only',
    ],
    [
      'both a host and an RDS database',
      { db: { ...TARGETS.db, rds: RDS } },
      'ROTATION_TARGETS["db"] names both a host or port and an RDS database ("rds"): pin one server, by host and port or by RDS identifier',
    ],
    [
      'a port and an RDS database',
      { db: { ...RDS_TARGET, port: 5432 } },
      'ROTATION_TARGETS["db"] names both a host or port and an RDS database ("rds")',
    ],
    [
      'neither a host nor an RDS database',
      { db: { engine: 'postgres', tls: 'verified' } },
      'ROTATION_TARGETS["db"] names no server: pin host and port, or an RDS database ("rds")',
    ],
    [
      'an RDS database that is not an object',
      { db: { ...RDS_TARGET, rds: 'orders' } },
      'ROTATION_TARGETS["db"].rds must be an object',
    ],
    [
      'an RDS database with an unknown key',
      { db: { ...RDS_TARGET, rds: { ...RDS, host: 'x' } } },
      'ROTATION_TARGETS["db"].rds has unknown key(s) "host" (allowed: kind, identifier)',
    ],
    [
      'a former endpoint with a bad port',
      { db: { ...TARGETS.db, formerly: [{ host: 'old.internal', port: 70000 }] } },
      'ROTATION_TARGETS["db"].formerly[0].port must be a port number (1-65535)',
    ],
    [
      'a former endpoint that is the pinned one',
      { db: { ...TARGETS.db, formerly: [{ host: 'DB.internal', port: '5432', dbname: 'app' }] } },
      'ROTATION_TARGETS["db"].formerly[0] is the pinned endpoint itself: list only where the database was before',
    ],
    [
      'four former endpoints',
      { db: { ...TARGETS.db, formerly: ['a', 'b', 'c', 'd'].map((host) => ({ host, port: 5432 })) } },
      'ROTATION_TARGETS["db"].formerly must be a list of 1 to 3 former endpoints { host, port, dbname? }',
    ],
    [
      'former endpoints on a target pinned by RDS identifier',
      { db: { ...RDS_TARGET, formerly: [{ host: 'old.internal', port: 5432 }] } },
      'ROTATION_TARGETS["db"].formerly is for a target pinned by host and port',
    ],
    [
      'an RDS kind that does not exist',
      { db: { ...RDS_TARGET, rds: { ...RDS, kind: 'proxy' } } },
      'ROTATION_TARGETS["db"].rds.kind must be one of "instance", "cluster"',
    ],
  ])('rejects a target with %s', (_name, targets, message) => {
    env(targets, undefined);
    expect(() => loadConfig()).toThrow(ConfigurationError);
    expect(() => loadConfig()).toThrow(message);
  });

  test.each(['', '1orders', 'orders-', 'or--ders', 'orders.db', 'o'.repeat(64), 7])(
    'rejects the RDS identifier %j',
    (identifier) => {
      env({ db: { ...RDS_TARGET, rds: { ...RDS, identifier } } }, undefined);
      expect(() => loadConfig()).toThrow(
        'ROTATION_TARGETS["db"].rds.identifier must be an RDS identifier (1 to 63 letters, digits or hyphens, starting with a letter)',
      );
    },
  );

  test('accepts each port bound and each TLS mode', () => {
    env(
      {
        low: { ...TARGETS.db, port: 1, tls: 'plaintext' },
        high: { ...TARGETS.db, port: '65535', tls: 'unverified' },
      },
      undefined,
    );
    const config = loadConfig();
    expect(config.targets.get('low')).toMatchObject({ port: 1, tls: 'plaintext' });
    expect(config.targets.get('high')).toMatchObject({ port: 65535, tls: 'unverified' });
  });

  test.each([
    ['not an object', [KEY_A], 'ROTATION_BINDINGS must be a JSON object of binding to secrets'],
    [
      'an empty profile',
      { '@db': KEY_A },
      'ROTATION_BINDINGS has a key "@db" that is not <profile>[@<target>]',
    ],
    [
      'an empty target',
      { 'pg@': KEY_A },
      'ROTATION_BINDINGS has a key "pg@" that is not <profile>[@<target>]',
    ],
    [
      'a list that is not a string',
      { 'pg@db': [KEY_A] },
      'ROTATION_BINDINGS["pg@db"] must be a comma-separated string',
    ],
    [
      'an entry that is neither key nor ARN',
      { 'pg@db': 'vault/a' },
      'ROTATION_BINDINGS["pg@db"] has an entry that is neither a secret key nor a secret ARN',
    ],
    [
      'a key of the wrong length',
      { 'pg@db': KEY_A.slice(1) },
      'ROTATION_BINDINGS["pg@db"] has a secret key of 9 characters (expected 10)',
    ],
    [
      'a secret bound twice',
      { 'pg@db': KEY_A, api: KEY_A },
      `ROTATION_BINDINGS binds one secret twice (key ${KEY_A})`,
    ],
    [
      'an undefined profile',
      { 'nope@db': KEY_A },
      'ROTATION_BINDINGS["nope@db"] names profile "nope", which ROTATION_PROFILES does not define',
    ],
    [
      'an undefined target',
      { 'pg@nope': KEY_A },
      'ROTATION_BINDINGS["pg@nope"] names target "nope", which ROTATION_TARGETS does not define',
    ],
    [
      'a database profile without a target',
      { pg: KEY_A },
      'ROTATION_BINDINGS["pg"]: profile kind "postgres-single" needs a pinned database target',
    ],
    [
      'a generated profile with a target',
      { 'api@db': KEY_A },
      'ROTATION_BINDINGS["api@db"]: a generated value has no database target',
    ],
    [
      'a target of another engine',
      { 'my@db': KEY_A },
      'ROTATION_BINDINGS["my@db"]: profile kind "mysql-single" cannot rotate a postgres target',
    ],
    [
      'alternating users on a target without an admin secret',
      { 'pgAlt@db': KEY_A },
      'ROTATION_BINDINGS["pgAlt@db"]: profile kind "postgres-alternating" needs a target that names its admin secret',
    ],
    [
      'a single user on a target with an admin secret',
      { 'pg@dbAdmin': KEY_A },
      'ROTATION_BINDINGS["pg@dbAdmin"]: profile kind "postgres-single" uses no admin secret, but its target names one',
    ],
  ])('rejects bindings with %s', (_name, bindings, message) => {
    env(TARGETS, bindings);
    expect(() => loadConfig()).toThrow(ConfigurationError);
    expect(() => loadConfig()).toThrow(message);
  });

  test('each target a profile is bound to is checked, not only the first', () => {
    env(TARGETS, { 'pg@db': KEY_A, 'pg@dbAdmin': KEY_B });
    expect(() => loadConfig()).toThrow(
      'ROTATION_BINDINGS["pg@dbAdmin"]: profile kind "postgres-single" uses no admin secret, but its target names one',
    );
  });

  test.each(['null', '"db"', '3'])('ROTATION_TARGETS %s is refused (null reads as none)', (value) => {
    setEnv({ VAULT_SECRET_NAME_PREFIX: 'vault/', ROTATION_PROFILES: DB_PROFILES, ROTATION_TARGETS: value });
    if (value === 'null') expect(loadConfig().targets.size).toBe(0);
    else
      expect(() => loadConfig()).toThrow(
        'environment variable ROTATION_TARGETS must be a JSON object of target id to target',
      );
  });

  test('an invalid ROTATION_TARGETS is reported without quoting it', () => {
    setEnv({
      VAULT_SECRET_NAME_PREFIX: 'vault/',
      ROTATION_PROFILES: DB_PROFILES,
      ROTATION_TARGETS: '{"db":',
    });
    expect(() => loadConfig()).toThrow(
      'environment variable ROTATION_TARGETS is not valid JSON (6 characters)',
    );
  });
});
