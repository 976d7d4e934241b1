/**
 * The checks of lambda/rotation/strategies/database/secret.ts that decide whether a database secret's
 * value may be used at all: it must be a JSON object, name the pinned engine (or none), and its
 * connection fields must agree with the pinned endpoint or a declared former one. units.test.ts covers
 * the usual cases; these tests pin the edges an attacker who may write a value would try (a port
 * that only looks like the pinned one, a value that is no object, an RDS target read before it was
 * looked up) and the exact wording of each refusal.
 */
import { RotationError } from '../../lambda/rotation/errors';
import type { HostTargetSpec, TargetSpec } from '../../lib/contract/rotation-contract';
import {
  located,
  parseDatabaseSecret,
  pinnedEndpoint,
} from '../../lambda/rotation/strategies/database/secret';
import { POSTGRES } from '../../lambda/rotation/strategies/postgres';
import { ARN, WHERE, pgSecret } from './support/fixtures';

const TARGET: HostTargetSpec = {
  engine: 'postgres',
  host: 'db.internal',
  port: 5432,
  dbname: 'app',
  tls: 'verified',
};
/** As the constructs render `movedFrom: [{ host: 'old.internal' }]`: the port and dbname of the pin. */
const MOVED: HostTargetSpec = { ...TARGET, formerly: [{ host: 'old.internal', port: 5432, dbname: 'app' }] };
const RDS_TARGET: TargetSpec = {
  engine: 'postgres',
  rds: { kind: 'instance', identifier: 'orders' },
  tls: 'verified',
};

const parse = (text: string, target: TargetSpec = TARGET, checkDbname?: boolean) =>
  parseDatabaseSecret(text, POSTGRES, target, WHERE, { arn: ARN, checkDbname });

/** The error `run` throws; fails the test when it throws none. */
function thrownBy(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a refusal, but none was thrown');
}

/** The whole refusal of a value that names another endpoint than the pin, with its `movedFrom` hint. */
const pointsElsewhere = (claims: string, hint: string) =>
  `${WHERE} points at ${claims}, but this deployment pinned secret ${ARN} to db.internal:5432/app; refusing to connect anywhere (fix the value, or deploy the new endpoint, then rotate again). If the database moved from there, declare \`movedFrom: [{ ${hint} }]\` in the options of secret ${ARN} and deploy: the next rotation then writes the new endpoint`;

describe('a target pinned by RDS identifier is never read before RDS was asked', () => {
  const message = 'RDS DB instance "orders" was not looked up before use';

  test('located() refuses it, and returns a host target as it is', () => {
    expect(thrownBy(() => located(RDS_TARGET)).message).toBe(message);
    expect(located(TARGET)).toBe(TARGET);
  });

  test('pinnedEndpoint() refuses it', () => {
    expect(thrownBy(() => pinnedEndpoint(RDS_TARGET, POSTGRES)).message).toBe(message);
  });

  test('a value is not checked against it, even one that names no endpoint at all', () => {
    expect(thrownBy(() => parse(JSON.stringify({ username: 'u', password: 'p' }), RDS_TARGET)).message).toBe(
      message,
    );
  });
});

describe('the port of a value', () => {
  test.each<[string, unknown]>([
    ['a number', 5432],
    ['its digits as a string', '5432'],
    ['its digits with a leading zero (the same port number)', '05432'],
  ])('agrees with the pin when it is %s', (_name, port) => {
    const parsed = parse(pgSecret({ port }));
    expect(parsed.credentials).toEqual({ username: 'app_user', password: 'current-pw' });
    expect(parsed).not.toHaveProperty('formerEndpoint');
  });

  test.each<[string, unknown, string, string]>([
    ['a space before the digits', ' 5432', 'port  5432', 'port: " 5432"'],
    ['a space after the digits', '5432 ', 'port 5432 ', 'port: "5432 "'],
    ['a letter before the digits', 'x5432', 'port x5432', 'port: "x5432"'],
    ['a sign', '+5432', 'port +5432', 'port: "+5432"'],
    ['a decimal point', '5432.0', 'port 5432.0', 'port: "5432.0"'],
    ['hexadecimal digits (0x1538 is 5432)', '0x1538', 'port 0x1538', 'port: "0x1538"'],
    ['a list holding the digits', ['5432'], 'port 5432', 'port: "5432"'],
    ['a list holding the number', [5432], 'port 5432', 'port: "5432"'],
    ['a boolean', true, 'port true', 'port: "true"'],
  ])('is refused when it is %s, even where JavaScript would read it as 5432', (_name, port, claim, hint) => {
    const error = thrownBy(() => parse(pgSecret({ port })));
    expect(error).toBeInstanceOf(RotationError);
    expect(error.message).toBe(
      pointsElsewhere(`host db.internal, ${claim}, dbname app`, `host: "db.internal", ${hint}`),
    );
  });
});

describe('the movedFrom hint of a refusal', () => {
  test('the admin secret (checkDbname false): the hint leaves out its own database, which may differ', () => {
    const error = thrownBy(() =>
      parse(pgSecret({ host: 'evil.example', dbname: 'postgres' }), TARGET, false),
    );
    expect(error).toBeInstanceOf(RotationError);
    expect(error.message).toBe(
      pointsElsewhere('host evil.example, port 5432, dbname postgres', 'host: "evil.example", port: 5432'),
    );
  });

  test('a user secret: the hint names the value’s database only when it differs from the pinned one', () => {
    expect(thrownBy(() => parse(pgSecret({ host: 'evil.example', dbname: 'postgres' }))).message).toBe(
      pointsElsewhere(
        'host evil.example, port 5432, dbname postgres',
        'host: "evil.example", port: 5432, dbname: "postgres"',
      ),
    );
    expect(thrownBy(() => parse(pgSecret({ host: 'evil.example' }))).message).toBe(
      pointsElsewhere('host evil.example, port 5432, dbname app', 'host: "evil.example", port: 5432'),
    );
    expect(thrownBy(() => parse(pgSecret({ host: 'evil.example', dbname: undefined }))).message).toBe(
      pointsElsewhere('host evil.example, port 5432', 'host: "evil.example", port: 5432'),
    );
  });

  test('fields are shown cut at 80 characters, also when the module is loaded afresh', () => {
    // Loaded inside the test: the helper that cuts fields is built when the module loads.
    type SecretModule = typeof import('../../lambda/rotation/strategies/database/secret');
    let fresh: SecretModule | undefined;
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      fresh = require('../../lambda/rotation/strategies/database/secret') as SecretModule;
    });
    const { parseDatabaseSecret: freshParse } = fresh as SecretModule;
    const host = 'h'.repeat(200);
    const error = thrownBy(() =>
      freshParse(pgSecret({ host, port: 'p'.repeat(100) }), POSTGRES, TARGET, WHERE, {
        arn: ARN,
      }),
    );
    const cut = 'h'.repeat(80);
    const port = 'p'.repeat(80);
    expect(error.message).toBe(
      pointsElsewhere(`host ${cut}, port ${port}, dbname app`, `host: "${cut}", port: "${port}"`),
    );
  });
});

describe('what a value must be', () => {
  test.each([
    ['a number', '42'],
    ['a string', '"db.internal"'],
    ['a boolean', 'true'],
    ['null', 'null'],
    ['an array', '[{"username": "u", "password": "p"}]'],
  ])('%s is refused: a database secret is a JSON object', (_name, text) => {
    const error = thrownBy(() => parse(text));
    expect(error).toBeInstanceOf(RotationError);
    expect(error.message).toBe(`${WHERE} is not a JSON object`);
  });

  const engineRefusal = (shown: string) =>
    `${WHERE} has engine ${shown}, but this deployment pinned secret ${ARN} to a postgres database ("postgres" or "aurora-postgresql"); refusing to connect`;
  test.each<[string, unknown, string]>([
    ['another engine', 'mysql', '"mysql"'],
    ['an engine given as a number', 5432, '5432'],
    ['an engine given as an object', { name: 'postgres' }, '{"name":"postgres"}'],
    ['a long engine, shown cut at 40 characters', 'x'.repeat(100), `"${'x'.repeat(39)}`],
  ])('%s is refused before anything else', (_name, engine, shown) => {
    const error = thrownBy(() => parse(pgSecret({ engine, host: 'evil.example' })));
    expect(error).toBeInstanceOf(RotationError);
    expect(error.message).toBe(engineRefusal(shown));
  });
});

describe('which endpoint a value names', () => {
  test('the pin: no former endpoint is reported', () => {
    const parsed = parse(pgSecret());
    expect(parsed).not.toHaveProperty('formerEndpoint');
    expect(parse(pgSecret(), MOVED)).not.toHaveProperty('formerEndpoint');
  });

  test('a declared former endpoint: reported, so that createSecret writes the pin instead', () => {
    const parsed = parse(pgSecret({ host: 'OLD.internal' }), MOVED);
    expect(parsed.formerEndpoint).toEqual({ host: 'old.internal', port: 5432, dbname: 'app' });
    expect(parsed.credentials).toEqual({ username: 'app_user', password: 'current-pw' });
  });

  test('a former endpoint with another port than the one declared is refused', () => {
    expect(thrownBy(() => parse(pgSecret({ host: 'old.internal', port: 5433 }), MOVED)).message).toBe(
      pointsElsewhere('host old.internal, port 5433, dbname app', 'host: "old.internal", port: 5433'),
    );
  });
});
