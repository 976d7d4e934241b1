/**
 * The contract module's own functions (lib/contract/rotation-contract.ts), without aws-cdk-lib: the
 * keys that bind secrets, the checks both sides run on targets, hosts and password rules.
 * contract.test.ts checks that what the constructs write is what the function accepts.
 */
import {
  CLONE_SUFFIX,
  ContractError,
  DEFAULT_PASSWORD_RULES,
  ENGINES,
  MAX_FORMER_ENDPOINTS,
  bindingKey,
  databaseKind,
  findBinding,
  isEngineName,
  isIpAddress,
  parseBindings,
  parseRdsSource,
  parseTarget,
  passwordRulesProblem,
  pinnedSecretFields,
  sameEndpoint,
  secretNameKey,
  usernameLength,
  verifiedHostProblem,
} from '../../lib/contract/rotation-contract';

const ARN = (name: string) => `arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}-AbCdEf`;

describe('the contract module itself', () => {
  test('secretNameKey: 10 base64url characters of SHA-256, stable and distinct', () => {
    const key = secretNameKey('orders/App');
    expect(key).toMatch(/^[A-Za-z0-9_-]{10}$/);
    expect(secretNameKey('orders/App')).toBe(key);
    expect(secretNameKey('orders/app')).not.toBe(key);
    // base64url of the digest's first bytes (no "+" or "/"): the known value pins the algorithm.
    expect(secretNameKey('')).toBe('47DEQpj8HB');
  });

  test('findBinding: by the name key first, then by the ARN; an empty name only by the ARN', () => {
    const byName = { profileId: 'a' };
    const byArn = { profileId: 'b' };
    const bindings = new Map([
      [secretNameKey('orders/App'), byName],
      [ARN('orders/App'), byArn],
      [secretNameKey(''), { profileId: 'empty' }],
    ]);
    expect(findBinding(bindings, { name: 'orders/App', arn: ARN('orders/App') })).toBe(byName);
    expect(findBinding(bindings, { name: 'orders/Other', arn: ARN('orders/App') })).toBe(byArn);
    expect(findBinding(bindings, { name: '', arn: ARN('orders/App') })).toBe(byArn);
    expect(findBinding(bindings, { name: '', arn: ARN('elsewhere') })).toBeUndefined();
  });

  test('bindingKey and databaseKind', () => {
    expect(bindingKey('p1')).toBe('p1');
    expect(bindingKey('p1', 't0')).toBe('p1@t0');
    expect(databaseKind('mysql', 'alternating')).toBe('mysql-alternating');
  });

  test('usernameLength: PostgreSQL counts UTF-8 bytes, MySQL characters', () => {
    expect(usernameLength(ENGINES.postgres, 'é'.repeat(3))).toBe(6);
    expect(usernameLength(ENGINES.mysql, 'é'.repeat(3))).toBe(3);
    expect(usernameLength(ENGINES.mysql, '😀')).toBe(1);
  });

  test('isEngineName accepts exactly the two engines', () => {
    expect(['postgres', 'mysql', 'mariadb', 'Postgres', undefined].map(isEngineName)).toEqual([
      true,
      true,
      false,
      false,
      false,
    ]);
  });

  test.each([
    ['10.0.0.5', true],
    ['::1', true],
    ['[fd00::1]', true],
    ['[fd00::1', false],
    ['fd00::1]', false],
    ['db.internal', false],
    ['10.0.0.5.example', false],
    ['localhost', false],
  ])('isIpAddress(%s) is %s', (host, expected) => {
    expect(isIpAddress(host)).toBe(expected);
  });

  test('verifiedHostProblem: only a verified MySQL login to an IP address', () => {
    const problem =
      'verified TLS checks the certificate against a host name, and the MySQL driver cannot check an IP address';
    expect(verifiedHostProblem('mysql', 'verified', '10.0.0.5')).toBe(problem);
    expect(verifiedHostProblem('mysql', 'verified', 'db.internal')).toBeUndefined();
    expect(verifiedHostProblem('mysql', 'unverified', '10.0.0.5')).toBeUndefined();
    expect(verifiedHostProblem('mysql', 'plaintext', '10.0.0.5')).toBeUndefined();
    expect(verifiedHostProblem('postgres', 'verified', '10.0.0.5')).toBeUndefined();
  });

  const rules = { ...DEFAULT_PASSWORD_RULES };
  test.each([
    [{ length: 0 }, 'length'],
    [{ length: 4097 }, 'length'],
    [{ length: 2.5 }, 'length'],
    [{ excludeCharacters: 'é' }, 'excludeCharacters'],
    [{ excludeCharacters: 'x'.repeat(4097) }, 'excludeCharacters'],
    [{ excludeCharacters: 7 as unknown as string }, 'excludeCharacters'],
    [{ length: 3 }, 'length'],
  ])('passwordRulesProblem refuses %j (option %s)', (change, option) => {
    expect(passwordRulesProblem({ ...rules, ...change })?.option).toBe(option);
  });

  test.each([
    [{ length: 1, requireEachIncludedType: false }],
    [{ length: 4096 }],
    [{ length: 4 }],
    [{ excludeCharacters: 'x'.repeat(4096) }],
    [{ excludeCharacters: '' }],
    [{ excludePunctuation: true, excludeNumbers: true, excludeUppercase: true, length: 1 }],
  ])('passwordRulesProblem accepts %j', (change) => {
    expect(passwordRulesProblem({ ...rules, ...change })).toBeUndefined();
  });

  test('passwordRulesProblem with the length a token (synth): the checks that need it are left out', () => {
    expect(passwordRulesProblem({ ...rules, length: -1 }, true)).toBeUndefined();
    expect(passwordRulesProblem({ ...rules, length: 1, includeSpace: true }, true)).toBeUndefined();
    expect(passwordRulesProblem({ ...rules, length: 1, includeSpace: true })).toEqual({
      option: 'length',
      allowed: 'with requireEachIncludedType the value needs at least one character of each of its 5 classes',
    });
  });

  test('each engine: its values, port, username limit and default exclusions', () => {
    expect(ENGINES.postgres).toEqual({
      name: 'postgres',
      engineValues: ['postgres', 'aurora-postgresql'],
      defaultPort: 5432,
      defaultDbname: 'postgres',
      maxUsernameLength: 63,
      usernameUnit: 'bytes',
      defaultExcludeCharacters: '/@"\'\\:',
    });
    expect(ENGINES.mysql).toEqual({
      name: 'mysql',
      engineValues: ['mysql', 'mariadb', 'aurora-mysql', 'aurora'],
      defaultPort: 3306,
      maxUsernameLength: 32,
      usernameUnit: 'characters',
      defaultExcludeCharacters: '/@"\'\\',
    });
    expect(CLONE_SUFFIX).toBe('_clone');
  });

  test('parseTarget keeps exactly the known fields', () => {
    expect(parseTarget({ engine: 'mysql', host: 'h', port: '3307', tls: 'unverified' }, 'where')).toEqual({
      engine: 'mysql',
      host: 'h',
      port: 3307,
      dbname: undefined,
      tls: 'unverified',
      admin: undefined,
    });
    expect(() => parseTarget(null, 'T')).toThrow(new ContractError('T must be an object'));
    expect(() => parseTarget([], 'T')).toThrow('T must be an object');
    expect(() => parseTarget({ engine: 'mysql', host: 'h', port: '123456', tls: 'verified' }, 'T')).toThrow(
      'T.port must be a port number (1-65535)',
    );
    expect(() =>
      parseTarget({ engine: 'mysql', host: 'h', port: 1, tls: 'verified', dbname: 5 }, 'T'),
    ).toThrow('T.dbname must be a non-empty string when present');
    expect(() =>
      parseTarget({ engine: 'mysql', host: 'h', port: 1, tls: 'verified', admin: 5 }, 'T'),
    ).toThrow('T.admin must be the ARN of the admin secret');
    expect(() => parseTarget({ engine: 'mysql', host: 7, port: 1, tls: 'verified' }, 'T')).toThrow(
      'T.host must be a non-empty host name without spaces',
    );
  });

  test('parseTarget: a target pinned by RDS identifier has no host or port; one of the two, never both', () => {
    const rds = { kind: 'cluster', identifier: 'ledger' };
    expect(parseTarget({ engine: 'postgres', rds, tls: 'verified' }, 'T')).toEqual({
      engine: 'postgres',
      rds,
      dbname: undefined,
      tls: 'verified',
      admin: undefined,
    });
    expect(() => parseTarget({ engine: 'postgres', rds, host: 'h', port: 1, tls: 'verified' }, 'T')).toThrow(
      new ContractError(
        'T names both a host or port and an RDS database ("rds"): pin one server, by host and port or by RDS identifier',
      ),
    );
    expect(() => parseTarget({ engine: 'postgres', host: 'h', tls: 'verified' }, 'T')).toThrow(
      'T.port must be a port number (1-65535)',
    );
    expect(() => parseTarget({ engine: 'postgres', tls: 'verified' }, 'T')).toThrow(
      'T names no server: pin host and port, or an RDS database ("rds")',
    );
    expect(() => parseTarget({ engine: 'postgres', rds: null, tls: 'verified' }, 'T')).toThrow(
      'T.rds must be an object',
    );
  });

  test.each(['a', 'orders', 'Orders-2', `a${'-b'.repeat(31)}`])('parseRdsSource accepts %j', (identifier) => {
    expect(parseRdsSource({ kind: 'instance', identifier }, 'R')).toEqual({ kind: 'instance', identifier });
  });

  test.each([
    [{ kind: 'proxy', identifier: 'orders' }, 'R.kind must be one of "instance", "cluster"'],
    [{ kind: 'instance' }, 'R.identifier must be an RDS identifier'],
    [{ kind: 'instance', identifier: `a${'-b'.repeat(32)}` }, 'R.identifier must be an RDS identifier'],
    [{ kind: 'instance', identifier: '-orders' }, 'R.identifier must be an RDS identifier'],
    [
      { kind: 'instance', identifier: 'orders', arn: 'x' },
      'R has unknown key(s) "arn" (allowed: kind, identifier)',
    ],
  ])('parseRdsSource refuses %j', (raw, message) => {
    expect(() => parseRdsSource(raw, 'R')).toThrow(message);
  });

  test('pinnedSecretFields: engine as given, host, port, dbname when pinned, ssl unless plaintext, masterarn when pinned', () => {
    const base = { engine: 'postgres', host: 'db', port: 5432 } as const;
    expect(pinnedSecretFields({ ...base, tls: 'verified' }, 'aurora-postgresql')).toEqual({
      engine: 'aurora-postgresql',
      host: 'db',
      port: 5432,
      ssl: true,
    });
    expect(pinnedSecretFields({ ...base, dbname: 'app', tls: 'plaintext' }, 'postgres')).toEqual({
      engine: 'postgres',
      host: 'db',
      port: 5432,
      dbname: 'app',
      ssl: false,
    });
    expect(pinnedSecretFields({ ...base, tls: 'unverified', admin: 'arn:admin' }, 'postgres')).toMatchObject({
      ssl: true,
      masterarn: 'arn:admin',
    });
  });

  test('parseBindings: several secrets per binding; a full ARN of any length', () => {
    const long = `arn:aws:secretsmanager:us-east-1:123456789012:secret:${'x'.repeat(200)}-AbCdEf`;
    const keys = [secretNameKey('a'), secretNameKey('b')];
    const parsed = parseBindings({ 'p@t': `${keys.join(',')},${long}`, q: secretNameKey('c') }, 'B');
    expect([...parsed]).toEqual([
      [keys[0], { profileId: 'p', targetId: 't' }],
      [keys[1], { profileId: 'p', targetId: 't' }],
      [long, { profileId: 'p', targetId: 't' }],
      [secretNameKey('c'), { profileId: 'q', targetId: undefined }],
    ]);
    expect(() => parseBindings({ 'p@t': `${keys[0]},` }, 'B')).toThrow(
      'B["p@t"] has an entry that is neither a secret key nor a secret ARN',
    );
    expect(() => parseBindings({ p: `arn:x,arn:x` }, 'B')).toThrow('B binds one secret twice (arn:x)');
    expect(() => parseBindings(null, 'B')).toThrow('B must be a JSON object of binding to secrets');
  });
});

describe('former endpoints (a moved database)', () => {
  const PIN = { engine: 'postgres', host: 'new.db', port: 5432, dbname: 'app', tls: 'verified' };

  test('parseTarget keeps each former endpoint: host, port (digits too), dbname when written', () => {
    expect(MAX_FORMER_ENDPOINTS).toBe(3);
    const formerly = [
      { host: 'old.db', port: 5432, dbname: 'app' },
      { host: 'older.db', port: '6432' },
      { host: 'new.db', port: 5432, dbname: 'app_v1' },
    ];
    expect(parseTarget({ ...PIN, formerly }, 'T')).toEqual({
      ...PIN,
      admin: undefined,
      formerly: [
        { host: 'old.db', port: 5432, dbname: 'app' },
        { host: 'older.db', port: 6432 },
        { host: 'new.db', port: 5432, dbname: 'app_v1' },
      ],
    });
    // No formerly: none in the parsed target either.
    expect(parseTarget(PIN, 'T')).not.toHaveProperty('formerly');
  });

  test.each<[string, unknown, string]>([
    [
      'not a list',
      { host: 'old.db', port: 5432 },
      'T.formerly must be a list of 1 to 3 former endpoints { host, port, dbname? }',
    ],
    ['an empty list', [], 'T.formerly must be a list of 1 to 3 former endpoints { host, port, dbname? }'],
    [
      'four endpoints',
      [1, 2, 3, 4].map((i) => ({ host: `old${i}.db`, port: 5432 })),
      'T.formerly must be a list of 1 to 3 former endpoints { host, port, dbname? }',
    ],
    ['an entry that is not an object', ['old.db:5432'], 'T.formerly[0] must be an object'],
    [
      'an unknown key',
      [{ host: 'old.db', port: 5432, tls: 'plaintext' }],
      'T.formerly[0] has unknown key(s) "tls" (allowed: host, port, dbname)',
    ],
    ['no host', [{ port: 5432 }], 'T.formerly[0].host must be a non-empty host name without spaces'],
    [
      'a host with spaces',
      [{ host: ' old.db', port: 5432 }],
      'T.formerly[0].host must be a non-empty host name without spaces',
    ],
    ['no port', [{ host: 'old.db' }], 'T.formerly[0].port must be a port number (1-65535)'],
    ['port 0', [{ host: 'old.db', port: 0 }], 'T.formerly[0].port must be a port number (1-65535)'],
    [
      'an empty dbname',
      [{ host: 'old.db', port: 5432, dbname: '' }],
      'T.formerly[0].dbname must be a non-empty string when present',
    ],
    [
      'the pinned endpoint itself (host case aside)',
      [
        { host: 'old.db', port: 5432 },
        { host: 'NEW.db', port: 5432, dbname: 'app' },
      ],
      'T.formerly[1] is the pinned endpoint itself: list only where the database was before',
    ],
  ])('parseTarget refuses formerly with %s', (_name, formerly, message) => {
    expect(() => parseTarget({ ...PIN, formerly }, 'T')).toThrow(new ContractError(message));
  });

  test('a target pinned by RDS identifier has no former endpoints: the RDS API says where it is', () => {
    const rds = { kind: 'instance', identifier: 'orders' };
    expect(() =>
      parseTarget(
        { engine: 'postgres', rds, tls: 'verified', formerly: [{ host: 'old.db', port: 5432 }] },
        'T',
      ),
    ).toThrow(
      'T.formerly is for a target pinned by host and port: a target pinned by RDS identifier takes its endpoint from the RDS API',
    );
  });

  test('sameEndpoint: host without case, port, and an absent dbname as the engine default', () => {
    const a = { host: 'Db.Internal', port: 5432 };
    expect(sameEndpoint('postgres', a, { host: 'db.internal', port: 5432, dbname: 'postgres' })).toBe(true);
    expect(sameEndpoint('postgres', a, { host: 'db.internal', port: 5432, dbname: 'app' })).toBe(false);
    expect(sameEndpoint('postgres', a, { host: 'db.internal', port: 5433 })).toBe(false);
    expect(sameEndpoint('postgres', a, { host: 'db2.internal', port: 5432 })).toBe(false);
    // MySQL has no default database: an absent one equals only an absent one.
    expect(sameEndpoint('mysql', { host: 'h', port: 3306 }, { host: 'h', port: 3306 })).toBe(true);
    expect(sameEndpoint('mysql', { host: 'h', port: 3306 }, { host: 'h', port: 3306, dbname: 'mysql' })).toBe(
      false,
    );
  });
});
