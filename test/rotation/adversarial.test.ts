/**
 * The attacks of issue 9, played against the built bundle (assets/rotation/index.js), moto's Secrets
 * Manager and a real PostgreSQL server, with a fake server on 127.0.0.1 as the attacker. The attacker
 * may write secrets (PutSecretValue, TagResource) but not read them, and may sit on the network.
 *
 * Every test here fails against the bundle before the fix (SECRETS_VAULT_ROTATION_BUNDLE=<old build>).
 */
import { PutSecretValueCommand, TagResourceCommand } from '@aws-sdk/client-secrets-manager';
import { ROTATION_ENV, ROTATION_PROFILE_TAG, secretNameKey } from '../../lib/contract/rotation-contract';
import { randomSuffix, useDatabase } from '../support/databases';
import { useMoto } from '../support/moto';
import { captureOutput, type Captured } from './helpers';
import { STEPS, VAULT_PREFIX, Vault, loadBundle, type Handler } from './fixture';
import { startAttacker, type Attacker } from './support/attacker';

const moto = useMoto();
const db = useDatabase('postgres');
let vault: Vault;
let handler: Handler;
let attacker: Attacker;
let out: Captured;

const run = randomSuffix();
const NAMES = {
  redirected: `${VAULT_PREFIX}adv-${run}-redirected`,
  downgraded: `${VAULT_PREFIX}adv-${run}-downgraded`,
  retagged: `${VAULT_PREFIX}adv-${run}-retagged`,
  weakened: `${VAULT_PREFIX}adv-${run}-weakened`,
  admin: `admin/adv-${run}`,
  alternating: `${VAULT_PREFIX}adv-${run}-alternating`,
};
const ARNS: Record<string, string> = {};
const REAL_PASSWORD = `Real-${run}-password`;
let username: string;

function step(Step: string, SecretId: string, ClientRequestToken: string): Promise<void> {
  return handler({ Step, SecretId, ClientRequestToken });
}

beforeAll(async () => {
  vault = await Vault.create(moto.server);
  attacker = await startAttacker();
  const s = db.server;
  username = `sv_${randomSuffix()}`;
  await s.createUser(username, REAL_PASSWORD);
  const real = { engine: 'postgres', host: s.host, port: s.port, dbname: s.dbname };
  ARNS.redirected = await vault.createSecret(
    NAMES.redirected,
    JSON.stringify({ ...real, username, password: REAL_PASSWORD, ssl: false }),
    'pg',
  );
  // The database really is at the attacker's address here: it stands for a man in the middle.
  ARNS.downgraded = await vault.createSecret(
    NAMES.downgraded,
    JSON.stringify({ ...real, host: attacker.host, port: attacker.port, username, password: REAL_PASSWORD }),
    'pgAtMitm',
  );
  ARNS.retagged = await vault.createSecret(
    NAMES.retagged,
    JSON.stringify({ ...real, username, password: REAL_PASSWORD, ssl: false }),
    'pg',
  );
  ARNS.weakened = await vault.createSecret(NAMES.weakened, 'x'.repeat(40), 'strong');
  ARNS.admin = await vault.createSecret(
    NAMES.admin,
    JSON.stringify({ ...real, username: s.adminUser, password: s.adminPassword }),
  );
  ARNS.alternating = await vault.createSecret(
    NAMES.alternating,
    JSON.stringify({ ...real, username, password: REAL_PASSWORD, masterarn: ARNS.admin }),
    'pgAlt',
  );
  const pinned = { engine: 'postgres', host: s.host, port: s.port, dbname: s.dbname };
  handler = loadBundle({
    [ROTATION_ENV.namePrefix]: VAULT_PREFIX,
    [ROTATION_ENV.profiles]: JSON.stringify({
      pg: { kind: 'postgres-single', testTimeoutSeconds: 1 },
      pgAtMitm: { kind: 'postgres-single', testTimeoutSeconds: 1 },
      pgAlt: { kind: 'postgres-alternating', testTimeoutSeconds: 1 },
      strong: { kind: 'generated', password: { length: 40 } },
      weak: { kind: 'generated', password: { length: 8, excludePunctuation: true } },
    }),
    [ROTATION_ENV.defaultProfile]: '',
    [ROTATION_ENV.targets]: JSON.stringify({
      real: { ...pinned, tls: 'plaintext' },
      mitm: { ...pinned, host: attacker.host, port: attacker.port, tls: 'verified' },
      realAdmin: { ...pinned, tls: 'verified', admin: ARNS.admin },
    }),
    [ROTATION_ENV.bindings]: JSON.stringify({
      'pg@real': [NAMES.redirected, NAMES.retagged].map(secretNameKey).join(','),
      'pgAtMitm@mitm': secretNameKey(NAMES.downgraded),
      'pgAlt@realAdmin': secretNameKey(NAMES.alternating),
      strong: secretNameKey(NAMES.weakened),
    }),
    POWERTOOLS_SERVICE_NAME: 'secrets-vault-rotation',
  });
}, 90000);
afterAll(async () => {
  await attacker?.close();
});
beforeEach(() => {
  out = captureOutput();
});
afterEach(() => out.restore());

/** The writer's move: a new AWSCURRENT (the old value becomes AWSPREVIOUS), no read needed. */
async function writerPuts(arn: string, value: Record<string, unknown>): Promise<void> {
  await vault.client.send(new PutSecretValueCommand({ SecretId: arn, SecretString: JSON.stringify(value) }));
}

test('item 1: a writer who points AWSCURRENT at its own host gets no connection, and no password', async () => {
  const arn = ARNS.redirected;
  await writerPuts(arn, {
    engine: 'postgres',
    host: attacker.host,
    port: attacker.port,
    dbname: db.server.dbname,
    username,
    password: 'whatever-the-writer-wants',
    ssl: false,
  });
  const token = await vault.startRotation(arn);
  const failures: string[] = [];
  for (const s of STEPS) {
    await step(s, arn, token).catch((error: Error) => failures.push(error.message));
  }
  expect(attacker.passwords).not.toContain(REAL_PASSWORD);
  expect(attacker.connections).toBe(0);
  expect(failures[0]).toMatch(
    new RegExp(
      `points at host 127\\.0\\.0\\.1, port ${attacker.port}, dbname \\w+, but this deployment pinned secret .* to 127\\.0\\.0\\.1:${db.server.port}/\\w+; refusing to connect anywhere`,
    ),
  );
  // Nothing was written for the token, and the real password still works.
  expect(await vault.valueOf(arn, token)).toBeUndefined();
  expect(await db.server.canLogin(username, REAL_PASSWORD)).toBe(true);
});

test('item 2: a man in the middle that answers "no TLS" gets no password (no "prefer" fallback)', async () => {
  const arn = ARNS.downgraded;
  const token = await vault.startRotation(arn);
  await step('createSecret', arn, token);
  const failure = await step('setSecret', arn, token).then(
    () => 'resolved',
    (error: Error) => error.message,
  );
  expect(attacker.passwords).toEqual([]);
  expect(failure).toMatch(
    /TLS is required \(this deployment pins verified TLS for this database\) but could not be set up with PostgreSQL at 127\.0\.0\.1:\d+\/\w+ as user "sv_\w+": the server does not offer TLS/,
  );
  expect(attacker.tlsRequests).toBeGreaterThan(0);
});

test('item 1 (tags): a writer who retags a database secret cannot switch it to another profile', async () => {
  const arn = ARNS.retagged;
  await vault.client.send(
    new TagResourceCommand({ SecretId: arn, Tags: [{ Key: ROTATION_PROFILE_TAG, Value: 'strong' }] }),
  );
  const token = await vault.startRotation(arn);
  await expect(step('createSecret', arn, token)).rejects.toThrow(
    `carries ${ROTATION_PROFILE_TAG} tag "strong", but this deployment bound it to profile "pg"`,
  );
  expect(await vault.valueOf(arn, token)).toBeUndefined();
});

test('item 1 (tags): a writer who retags a generated secret cannot pick a weaker profile', async () => {
  const arn = ARNS.weakened;
  await vault.client.send(
    new TagResourceCommand({ SecretId: arn, Tags: [{ Key: ROTATION_PROFILE_TAG, Value: 'weak' }] }),
  );
  const token = await vault.startRotation(arn);
  await expect(step('createSecret', arn, token)).rejects.toThrow(
    `carries ${ROTATION_PROFILE_TAG} tag "weak", but this deployment bound it to profile "strong"`,
  );
  expect(await vault.valueOf(arn, token)).toBeUndefined();
});

test('item 3: a writer who names another admin secret in "masterarn" is refused before any login', async () => {
  const arn = ARNS.alternating;
  const other = await vault.createSecret(
    `admin/adv-${run}-other`,
    JSON.stringify({
      engine: 'postgres',
      host: attacker.host,
      port: attacker.port,
      username: 'x',
      password: 'y',
    }),
  );
  await writerPuts(arn, {
    engine: 'postgres',
    host: db.server.host,
    port: db.server.port,
    dbname: db.server.dbname,
    username,
    password: REAL_PASSWORD,
    masterarn: other,
  });
  const token = await vault.startRotation(arn);
  await expect(step('createSecret', arn, token)).rejects.toThrow(
    `names admin secret "${other}" in "masterarn", but this deployment pinned ${ARNS.admin}; refusing to use any admin secret`,
  );
  expect(await vault.valueOf(arn, token)).toBeUndefined();
  expect(attacker.passwords).toEqual([]);
});

test('also-fix 3: a failed step logs the error as name and redacted message only', async () => {
  const arn = ARNS.weakened;
  await expect(step('createSecret', arn, 'not-a-version-0000000000000000000000')).rejects.toThrow();
  const failed = out.records().find((r) => r.outcome === 'failed') as Record<string, unknown>;
  expect(failed).toBeDefined();
  expect(Object.keys(failed.error as object).sort()).toEqual(['message', 'name']);
  expect(failed.error).toEqual({
    name: 'RotationError',
    message: expect.stringContaining('is not a version'),
  });
});
