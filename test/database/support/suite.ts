/**
 * The database rotation, end to end: the built bundle against moto (Secrets Manager) and a real server
 * (PostgreSQL or MariaDB). One suite, run by postgres.test.ts and mysql.test.ts.
 */
import { GetSecretValueCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { useMoto } from '../../support/moto';
import {
  useDatabase,
  randomSuffix,
  TcpProxy,
  type EngineName,
  type DatabaseServer,
} from '../../support/databases';
import { Vault, expectOneCurrent, versionsWith, STEPS } from '../../rotation/fixture';
import { captureOutput, type Captured } from '../../rotation/helpers';
import { loadHandler, resolveBundle, type Handler } from './bundle';

export const VAULT_PREFIX = 'vault/';

/** Profiles the tests use; testTimeoutSeconds is short so that failing testSecret cases stay fast. */
export function bundleEnv(engine: EngineName): Record<string, string> {
  const password = { length: 24 };
  return {
    VAULT_SECRET_NAME_PREFIX: VAULT_PREFIX,
    ROTATION_PROFILES: JSON.stringify({
      single: { kind: `${engine}-single`, password, testTimeoutSeconds: 1 },
      alternating: { kind: `${engine}-alternating`, password, testTimeoutSeconds: 1 },
      'single-patient': { kind: `${engine}-single`, password, testTimeoutSeconds: 15 },
      // Nothing excluded: the generator may emit quotes, backslash, space and every other class.
      'single-anything': {
        kind: `${engine}-single`,
        password: { length: 48, excludeCharacters: '', includeSpace: true },
        testTimeoutSeconds: 1,
      },
    }),
    POWERTOOLS_SERVICE_NAME: 'secrets-vault-rotation',
  };
}

/** A password a generator could emit if nothing were excluded, built by hand to attack escaping. */
export const HOSTILE_PASSWORD = `a'b"c\\d\`e;--f$1%_g/h@i:j?k{l}m[n]o(p)q*r&s|t<u>v~w!x^y=z+0#9,.A Z`;

type Scheme = 'single' | 'alternating';

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * `text` as it appears in an error that reached the handler's caller: the connection fields of a
 * database secret (engine, host, port, username, dbname) are not redacted, so errors can name them.
 */
function named(text: string): string {
  return escapeRegExp(text);
}

export function describeDatabaseRotation(engine: EngineName): void {
  // Resolved while jest collects the tests, so that the run names the bundle it exercised.
  const bundle = resolveBundle();
  afterAll(() => bundle.cleanup());
  describe(`${engine}, through the ${bundle.origin}`, () => {
    defineTests(engine, bundle.path);
  });
}

function defineTests(engine: EngineName, bundlePath: string): void {
  const moto = useMoto();
  const db = useDatabase(engine);
  let vault: Vault;
  let handler: Handler;
  let out: Captured;

  beforeAll(async () => {
    vault = await Vault.create(moto.server);
    handler = loadHandler(bundlePath, bundleEnv(engine));
  }, 60000);
  beforeEach(() => {
    out = captureOutput();
  });
  afterEach(() => out.restore());

  const server = (): DatabaseServer => db.server;

  function step(Step: string, SecretId: string, ClientRequestToken: string): Promise<void> {
    return handler({ Step, SecretId, ClientRequestToken });
  }

  async function rotate(arn: string, token?: string): Promise<string> {
    const t = token ?? (await vault.startRotation(arn));
    for (const s of STEPS) await step(s, arn, t);
    return t;
  }

  interface Made {
    arn: string;
    username: string;
    password: string;
    adminArn?: string;
  }

  function secretJson(fields: Record<string, unknown>): string {
    const s = server();
    return JSON.stringify({
      engine: engine === 'postgres' ? 'postgres' : 'mariadb',
      host: s.host,
      port: s.port,
      dbname: s.dbname,
      ssl: false,
      ...fields,
    });
  }

  /** A fresh database user and its secret (and, for alternating users, an admin secret). */
  async function made(
    scheme: Scheme,
    options: { password?: string; extra?: Record<string, unknown>; profile?: string } = {},
  ): Promise<Made> {
    const s = server();
    const username = `sv_${randomSuffix()}`;
    const password = options.password ?? `Init-${randomSuffix()}-pw`;
    await s.createUser(username, password);
    let adminArn: string | undefined;
    if (scheme === 'alternating') {
      adminArn = await vault.createSecret(
        vault.uniqueName('admin/db'),
        secretJson({ username: s.adminUser, password: s.adminPassword }),
      );
    }
    const arn = await vault.createSecret(
      vault.uniqueName(`${VAULT_PREFIX}db`),
      secretJson({ username, password, ...(adminArn ? { masterarn: adminArn } : {}), ...options.extra }),
      options.profile ?? scheme,
    );
    return { arn, username, password, adminArn };
  }

  async function current(arn: string): Promise<{ username: string; password: string }> {
    return JSON.parse((await vault.valueAt(arn, 'AWSCURRENT')) as string);
  }

  async function putPending(arn: string, token: string, value: string): Promise<void> {
    await vault.client.send(
      new PutSecretValueCommand({
        SecretId: arn,
        ClientRequestToken: token,
        SecretString: value,
        VersionStages: ['AWSPENDING'],
      }),
    );
  }

  /** Sets a user's password as the admin, behind the rotation's back. */
  async function setPasswordAsAdmin(username: string, password: string): Promise<void> {
    if (engine === 'postgres') {
      const literal = `'${password.replace(/'/g, "''")}'`;
      await server().adminQuery(`ALTER USER "${username}" WITH PASSWORD ${literal}`);
    } else {
      await server().adminQuery("ALTER USER ?@'%' IDENTIFIED BY ?", [username, password]);
    }
  }

  function expectNoSecretsLogged(...secrets: string[]): void {
    const text = out.text();
    for (const secret of secrets) expect(text).not.toContain(secret);
  }

  describe(`${engine}: single user`, () => {
    test('a full rotation: the database takes only the new password, AWSPREVIOUS keeps the old', async () => {
      const { arn, username, password } = await made('single');
      const token = await rotate(arn);
      const now = await current(arn);
      expect(now.username).toBe(username);
      expect(now.password).toHaveLength(24);
      expect(now.password).not.toBe(password);
      expect(JSON.parse((await vault.valueAt(arn, 'AWSPREVIOUS')) as string).password).toBe(password);
      expect(expectOneCurrent(await vault.stages(arn))).toBe(token);
      expect(await server().canLogin(username, now.password)).toBe(true);
      expect(await server().canLogin(username, password)).toBe(false);
      expectNoSecretsLogged(password, now.password);
      expect(out.records()).toContainEqual(expect.objectContaining({ step: 'setSecret', outcome: 'set' }));
    });

    test('every step run twice converges to one clean run', async () => {
      const { arn, username, password } = await made('single');
      const token = await vault.startRotation(arn);
      for (const s of STEPS) {
        await step(s, arn, token);
        await step(s, arn, token);
      }
      const now = await current(arn);
      expect(expectOneCurrent(await vault.stages(arn))).toBe(token);
      expect(await server().canLogin(username, now.password)).toBe(true);
      expect(await server().canLogin(username, password)).toBe(false);
      expect(out.records()).toContainEqual(
        expect.objectContaining({ step: 'setSecret', outcome: 'already-set' }),
      );
    });

    test('the database already holding the pending password: setSecret changes nothing', async () => {
      const { arn, username } = await made('single');
      const token = await vault.startRotation(arn);
      await step('createSecret', arn, token);
      const pending = JSON.parse((await vault.valueOf(arn, token)) as string);
      await setPasswordAsAdmin(username, pending.password);
      await step('setSecret', arn, token);
      expect(out.records()).toContainEqual(
        expect.objectContaining({ step: 'setSecret', outcome: 'already-set' }),
      );
      await step('testSecret', arn, token);
      await step('finishSecret', arn, token);
      expect(await server().canLogin(username, pending.password)).toBe(true);
    });

    test('the database still on the previous password: setSecret logs in with AWSPREVIOUS', async () => {
      const { arn, username, password } = await made('single');
      await rotate(arn);
      // The database went back to the old password (a restore, a manual change).
      await setPasswordAsAdmin(username, password);
      await rotate(arn);
      const now = await current(arn);
      expect(await server().canLogin(username, now.password)).toBe(true);
      expect(await server().canLogin(username, password)).toBe(false);
      expect(out.records()).toContainEqual(
        expect.objectContaining({ step: 'setSecret', outcome: 'set', via: 'AWSPREVIOUS' }),
      );
    });

    test('no credential works: a clear failure naming user and host, AWSCURRENT untouched', async () => {
      const { arn, username } = await made('single');
      await setPasswordAsAdmin(username, `Elsewhere-${randomSuffix()}`);
      const before = await vault.stages(arn);
      const token = await vault.startRotation(arn);
      await step('createSecret', arn, token);
      await expect(step('setSecret', arn, token)).rejects.toThrow(
        new RegExp(
          `could not log in to ${named(engine)} at .* as user "${named(username)}" with the AWSPENDING, AWSCURRENT or AWSPREVIOUS password`,
        ),
      );
      const old = Object.keys(before)[0];
      expect((await vault.stages(arn))[old]).toEqual(['AWSCURRENT']);
    });

    test.each([
      ['host', { host: 'localhost' }],
      ['port', { port: 1 }],
      ['dbname', { dbname: 'other_db' }],
      ['username', { username: 'other_admin' }],
    ])('a pending value with another %s fails without touching the database', async (field, change) => {
      const { arn, username, password } = await made('single');
      const token = await vault.startRotation(arn);
      const tampered = `Tampered-${randomSuffix()}`;
      await putPending(arn, token, secretJson({ username, password: tampered, ...change }));
      await expect(step('setSecret', arn, token)).rejects.toThrow(
        field === 'username'
          ? new RegExp(
              `has username "${named('other_admin')}", but this rotation may only set a password for "${named(username)}"`,
            )
          : /points at .* not at the AWSCURRENT value's/,
      );
      expect(await server().canLogin(username, password)).toBe(true);
      expect(await server().canLogin(username, tampered)).toBe(false);
      expectNoSecretsLogged(tampered, password);
    });

    test('the database down during setSecret: a clean failure; AWSCURRENT untouched and still valid; the retry completes', async () => {
      const proxy = await TcpProxy.start({ host: server().host, port: server().port });
      try {
        const { arn, username, password } = await made('single', { extra: { port: proxy.port } });
        const token = await vault.startRotation(arn);
        await step('createSecret', arn, token);
        const stages = await vault.stages(arn);
        await proxy.down();
        await expect(step('setSecret', arn, token)).rejects.toThrow(
          new RegExp(
            `could not connect to ${engine === 'postgres' ? 'PostgreSQL' : 'MySQL'} at ${named(server().host)}:${proxy.port}/${named(server().dbname)} as user "${named(username)}": .*ECONNREFUSED`,
          ),
        );
        expect(await vault.stages(arn)).toEqual(stages);
        expect((await current(arn)).password).toBe(password);
        await proxy.up();
        expect(await server().canLogin(username, password, proxy.port)).toBe(true);
        // The service retries the rotation: it completes.
        await rotate(arn, token);
        expect(await server().canLogin(username, (await current(arn)).password)).toBe(true);
      } finally {
        await proxy.close();
      }
    });

    test('testSecret fails while the database is unreachable and passes on the retry', async () => {
      const proxy = await TcpProxy.start({ host: server().host, port: server().port });
      try {
        const { arn } = await made('single', { extra: { port: proxy.port } });
        const token = await vault.startRotation(arn);
        await step('createSecret', arn, token);
        await step('setSecret', arn, token);
        await proxy.down();
        await expect(step('testSecret', arn, token)).rejects.toThrow(
          /the AWSPENDING credential of secret .* does not work: could not connect to/,
        );
        await proxy.up();
        await step('testSecret', arn, token);
        await step('finishSecret', arn, token);
        expect(expectOneCurrent(await vault.stages(arn))).toBe(token);
      } finally {
        await proxy.close();
      }
    });

    test('testSecret retries inside one invocation until the pending password propagates', async () => {
      const { arn, username } = await made('single', { profile: 'single-patient' });
      const token = await vault.startRotation(arn);
      await step('createSecret', arn, token);
      const pending = JSON.parse((await vault.valueOf(arn, token)) as string);
      // The database learns the password only while testSecret is already trying it.
      const late = new Promise<void>((resolve, reject) =>
        setTimeout(() => setPasswordAsAdmin(username, pending.password).then(resolve, reject), 800),
      );
      await Promise.all([step('testSecret', arn, token), late]);
      expect(out.records()).toContainEqual(
        expect.objectContaining({ message: 'pending credential does not work yet; retrying' }),
      );
      await step('finishSecret', arn, token);
      expectNoSecretsLogged(pending.password);
    });

    test('a password with quotes, backslash and every other class is set and used exactly', async () => {
      const { arn, username } = await made('single', { password: HOSTILE_PASSWORD });
      expect(await server().canLogin(username, HOSTILE_PASSWORD)).toBe(true);
      // The rotation logs in with the hostile current password ...
      await rotate(arn);
      const now = await current(arn);
      expect(await server().canLogin(username, now.password)).toBe(true);
      // ... and sets a hostile pending one byte for byte.
      const token = await vault.startRotation(arn);
      const hostile = `${HOSTILE_PASSWORD}\\'\\\\''`;
      await putPending(arn, token, secretJson({ username, password: hostile }));
      for (const s of ['setSecret', 'testSecret', 'finishSecret']) await step(s, arn, token);
      expect(await server().canLogin(username, hostile)).toBe(true);
      expect(await server().canLogin(username, now.password)).toBe(false);
      expectNoSecretsLogged(HOSTILE_PASSWORD, hostile, now.password);
    });

    test('generated passwords with nothing excluded (quotes, backslash, space) work, rotation after rotation', async () => {
      const { arn, username } = await made('single', { profile: 'single-anything' });
      const seen = new Set<string>();
      for (let i = 0; i < 3; i += 1) {
        await rotate(arn);
        const now = await current(arn);
        expect(now.password).toHaveLength(48);
        expect(await server().canLogin(username, now.password)).toBe(true);
        for (const c of now.password) seen.add(c);
      }
      // 144 characters drawn from ~95: punctuation is all but certain to be among them.
      expect([...seen].some((c) => /[^A-Za-z0-9]/.test(c))).toBe(true);
    });

    test('TLS required ("ssl": true) on a server without TLS: a clear error, nothing changed', async () => {
      const { arn, username, password } = await made('single', { extra: { ssl: true } });
      const token = await vault.startRotation(arn);
      await step('createSecret', arn, token);
      const message =
        /TLS is required \(the secret's "ssl" is true\) but could not be set up with .* the server does not offer TLS/;
      await expect(step('setSecret', arn, token)).rejects.toThrow(message);
      await expect(step('testSecret', arn, token)).rejects.toThrow(message);
      expect(await server().canLogin(username, password)).toBe(true);
    });

    test('no "ssl" field: TLS is tried, and plain TCP used only because the server offers none', async () => {
      const { arn, username } = await made('single', { extra: { ssl: undefined } });
      await rotate(arn);
      expect(await server().canLogin(username, (await current(arn)).password)).toBe(true);
    });

    test('a secret for another engine is refused before anything is generated', async () => {
      const { arn } = await made('single', {
        extra: { engine: engine === 'postgres' ? 'mysql' : 'postgres' },
      });
      const token = await vault.startRotation(arn);
      await expect(step('createSecret', arn, token)).rejects.toThrow(/but this profile rotates/);
      expect(await vault.valueOf(arn, token)).toBeUndefined();
    });
  });

  describe(`${engine}: alternating users`, () => {
    test("the first rotation creates the clone with the current user's grants; both users work", async () => {
      const { arn, username, password } = await made('alternating');
      await rotate(arn);
      const now = await current(arn);
      expect(now.username).toBe(`${username}_clone`);
      expect(await server().userExists(`${username}_clone`)).toBe(true);
      expect(await server().canLogin(now.username, now.password)).toBe(true);
      expect(await server().canLogin(username, password)).toBe(true);
      // The clone can do what the user can: read and write `items`.
      const rows = await queryAs(now.username, now.password, 'SELECT COUNT(*) AS n FROM items');
      expect(rows).toHaveLength(1);
      await queryAs(now.username, now.password, "INSERT INTO items (note) VALUES ('from the clone')");
      expect(out.records()).toContainEqual(
        expect.objectContaining({ step: 'setSecret', outcome: 'created' }),
      );
      expectNoSecretsLogged(password, now.password, server().adminPassword);
    });

    test('the users take turns: the previous user works until the rotation after it', async () => {
      const { arn, username, password } = await made('alternating');
      await rotate(arn);
      const first = await current(arn);
      await rotate(arn);
      const second = await current(arn);
      expect(second.username).toBe(username);
      expect(await server().canLogin(username, second.password)).toBe(true);
      expect(await server().canLogin(username, password)).toBe(false); // the original's old password
      expect(await server().canLogin(first.username, first.password)).toBe(true); // previous: still works
      await rotate(arn);
      const third = await current(arn);
      expect(third.username).toBe(first.username);
      expect(await server().canLogin(first.username, first.password)).toBe(false);
      expect(await server().canLogin(third.username, third.password)).toBe(true);
      expect(await server().canLogin(second.username, second.password)).toBe(true);
      expect(out.records()).toContainEqual(
        expect.objectContaining({ step: 'setSecret', outcome: 'updated' }),
      );
    });

    test('every step run twice converges to one clean run', async () => {
      const { arn, username, password } = await made('alternating');
      const token = await vault.startRotation(arn);
      for (const s of STEPS) {
        await step(s, arn, token);
        await step(s, arn, token);
      }
      const now = await current(arn);
      expect(expectOneCurrent(await vault.stages(arn))).toBe(token);
      expect(await server().canLogin(now.username, now.password)).toBe(true);
      expect(await server().canLogin(username, password)).toBe(true);
    });

    test('a pending username that is not the clone fails without touching the database', async () => {
      const { arn, username, password } = await made('alternating');
      const token = await vault.startRotation(arn);
      const tampered = `Tampered-${randomSuffix()}`;
      const s = server();
      await putPending(arn, token, secretJson({ username: s.adminUser, password: tampered }));
      await expect(step('setSecret', arn, token)).rejects.toThrow(
        new RegExp(
          `has username "${s.adminUser}", but this rotation may only set a password for "${named(username)}_clone"`,
        ),
      );
      expect(await s.canLogin(s.adminUser, s.adminPassword)).toBe(true);
      expect(await s.userExists(`${username}_clone`)).toBe(false);
      expect(await s.canLogin(username, password)).toBe(true);
    });

    test('a current credential that does not log in: the admin secret is not used', async () => {
      const { arn, username } = await made('alternating');
      await setPasswordAsAdmin(username, `Elsewhere-${randomSuffix()}`);
      const token = await vault.startRotation(arn);
      await step('createSecret', arn, token);
      await expect(step('setSecret', arn, token)).rejects.toThrow(
        /the AWSCURRENT credential of secret .* does not log in .* refusing to use the admin secret/,
      );
      expect(await server().userExists(`${username}_clone`)).toBe(false);
    });

    test('a username whose clone would be too long fails in createSecret, nothing written', async () => {
      const { arn } = await made('alternating', {
        extra: { username: engine === 'postgres' ? 'u'.repeat(60) : 'u'.repeat(30) },
      });
      const token = await vault.startRotation(arn);
      await expect(step('createSecret', arn, token)).rejects.toThrow(
        engine === 'postgres'
          ? new RegExp(`would be 66 bytes long, over ${named('postgres')}'s limit of 63`)
          : /would be 36 characters long, over mysql's limit of 32/,
      );
      expect(await vault.valueOf(arn, token)).toBeUndefined();
    });

    test('the database down during setSecret: a clean failure, AWSCURRENT still valid', async () => {
      const proxy = await TcpProxy.start({ host: server().host, port: server().port });
      try {
        const s = server();
        const username = `sv_${randomSuffix()}`;
        const password = `Init-${randomSuffix()}`;
        await s.createUser(username, password);
        const adminArn = await vault.createSecret(
          vault.uniqueName('admin/db'),
          secretJson({ username: s.adminUser, password: s.adminPassword, port: proxy.port }),
        );
        const arn = await vault.createSecret(
          vault.uniqueName(`${VAULT_PREFIX}db`),
          secretJson({ username, password, masterarn: adminArn, port: proxy.port }),
          'alternating',
        );
        const token = await vault.startRotation(arn);
        await step('createSecret', arn, token);
        await proxy.down();
        await expect(step('setSecret', arn, token)).rejects.toThrow(/could not connect to/);
        await proxy.up();
        expect((await current(arn)).password).toBe(password);
        expect(await s.canLogin(username, password, proxy.port)).toBe(true);
        await rotate(arn, token);
        const now = await current(arn);
        expect(await s.canLogin(now.username, now.password, proxy.port)).toBe(true);
      } finally {
        await proxy.close();
      }
    });
  });

  describe(`${engine}: an application through rotations`, () => {
    test.each(['single', 'alternating'] as const)(
      '%s: a client that re-reads AWSCURRENT on an authentication failure never fails a query',
      async (scheme) => {
        const { arn } = await made(scheme);
        const stats = { queries: 0, authRetries: 0, failures: 0, maxRetriesForOneQuery: 0 };
        let stop = false;
        const read = async () =>
          JSON.parse(
            (
              await vault.client.send(
                new GetSecretValueCommand({ SecretId: arn, VersionStage: 'AWSCURRENT' }),
              )
            ).SecretString as string,
          ) as { username: string; password: string };
        const app = (async () => {
          let credentials = await read();
          while (!stop) {
            let done = false;
            let retries = 0;
            // Bounded: a few re-reads with a short pause cover the moment between setSecret and
            // finishSecret of a single-user rotation.
            for (let attempt = 0; attempt < 40 && !done; attempt += 1) {
              if (await server().canLogin(credentials.username, credentials.password)) {
                done = true;
              } else {
                stats.authRetries += 1;
                retries += 1;
                await new Promise((resolve) => setTimeout(resolve, 25));
                credentials = await read();
              }
            }
            if (done) stats.queries += 1;
            else stats.failures += 1;
            stats.maxRetriesForOneQuery = Math.max(stats.maxRetriesForOneQuery, retries);
          }
        })();
        for (let i = 0; i < 3; i += 1) await rotate(arn);
        stop = true;
        await app;
        expect(stats.failures).toBe(0);
        expect(stats.queries).toBeGreaterThan(3);
        // Alternating users: a credential works until the rotation after next, so one re-read always
        // finds a working one. A single user has a short window (setSecret to finishSecret) where the
        // database already wants the pending password: a few re-reads bridge it.
        if (scheme === 'alternating') expect(stats.maxRetriesForOneQuery).toBeLessThanOrEqual(1);
      },
    );
  });

  async function queryAs(username: string, password: string, sql: string): Promise<unknown[]> {
    const s = server();
    if (engine === 'postgres') {
      const { Client } = await import('pg');
      const client = new Client({ host: s.host, port: s.port, user: username, password, database: s.dbname });
      await client.connect();
      try {
        return (await client.query(sql)).rows;
      } finally {
        await client.end();
      }
    }
    const mysql = await import('mysql2/promise');
    const connection = await mysql.createConnection({
      host: s.host,
      port: s.port,
      user: username,
      password,
      database: s.dbname,
    });
    try {
      const [rows] = await connection.query(sql);
      return Array.isArray(rows) ? rows : [rows];
    } finally {
      await connection.end();
    }
  }

  test('the stages stay consistent: exactly one AWSCURRENT after everything above', async () => {
    const { arn } = await made('single');
    await rotate(arn);
    expect(versionsWith(await vault.stages(arn), 'AWSCURRENT')).toHaveLength(1);
  });
}
