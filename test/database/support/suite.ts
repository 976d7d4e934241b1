/**
 * The database rotation, end to end: the built bundle against moto (Secrets Manager) and a real server
 * (PostgreSQL or MariaDB). One suite, run by postgres.test.ts and mysql.test.ts.
 *
 * The bundle runs as deployed: with its environment pinning each secret to its target (engine, host,
 * port, database, TLS mode, admin secret), over verified TLS (the default), in a child node process that
 * trusts a throwaway CA through NODE_EXTRA_CA_CERTS, as Lambda trusts the RDS CAs. The server serves a
 * certificate from that CA for `localhost`, the host every target pins (MySQL's verified TLS needs a
 * DNS name). Other TLS modes, and what fails without the CA, are in tls.test.ts.
 */
import { GetSecretValueCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import type { TargetSpec, TlsMode } from '../../../lib/contract/rotation-contract';
import { useMoto } from '../../support/moto';
import {
  useDatabase,
  randomSuffix,
  TcpProxy,
  type EngineName,
  type DatabaseServer,
} from '../../support/databases';
import { PinnedEnvironment, Vault, expectOneCurrent, versionsWith, STEPS } from '../../rotation/fixture';
import { resolveBundle } from './bundle';
import { BundleProcess } from './bundle-process';
import { makeCertificates, type Certificates } from './tls';

export const VAULT_PREFIX = 'vault/';

/** The host every target pins: the test certificate names it (and 127.0.0.1). */
export const PINNED_HOST = 'localhost';

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

/** The target a deployment pins for `server` (reached at `port`, by default the server's). */
export function pinnedTarget(
  server: DatabaseServer,
  fields: { tls?: TlsMode; port?: number; host?: string; admin?: string } = {},
): TargetSpec {
  return {
    engine: server.engine,
    host: fields.host ?? PINNED_HOST,
    port: fields.port ?? server.port,
    dbname: server.dbname,
    tls: fields.tls ?? 'verified',
    ...(fields.admin === undefined ? {} : { admin: fields.admin }),
  };
}

/**
 * The connection fields the function writes into a new version (from a value that names none) for
 * `pinnedTarget(server, endpoint)`.
 */
export function pinnedFields(
  server: DatabaseServer,
  endpoint: { host?: string; port?: number } = {},
): Record<string, unknown> {
  return {
    engine: server.engine,
    host: endpoint.host ?? PINNED_HOST,
    port: endpoint.port ?? server.port,
    dbname: server.dbname,
    ssl: true,
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

/** What useRotationBench starts: each member is there inside a test or hook. */
export interface RotationBench {
  /** Secrets Manager (moto). */
  readonly vault: Vault;
  /** The database server, serving a certificate from the throwaway CA for `localhost` and 127.0.0.1. */
  readonly server: DatabaseServer;
  /** The bundle, in a child node process that trusts the throwaway CA. */
  readonly bundleProcess: BundleProcess;
}

/**
 * Starts, for the tests of the enclosing block (or file), moto, an `engine` server over TLS with a
 * throwaway CA's certificate, and the bundle at `bundlePath` as deployed, trusting that CA through
 * NODE_EXTRA_CA_CERTS; stops them after.
 */
export function useRotationBench(engine: EngineName, bundlePath: string): RotationBench {
  const moto = useMoto();
  let certs: Certificates | undefined;
  // Before useDatabase's beforeAll: the server is started with these certificates.
  beforeAll(() => {
    certs = makeCertificates();
  });
  const db = useDatabase(engine, () => ({ tls: certs }));
  const state: { vault?: Vault; bundleProcess?: BundleProcess } = {};
  beforeAll(async () => {
    state.vault = await Vault.create(moto.server);
    state.bundleProcess = await BundleProcess.start({
      bundle: bundlePath,
      awsEndpoint: moto.server.endpoint,
      extraCaCerts: (certs as Certificates).caFile,
    });
  }, 60000);
  afterAll(async () => {
    await state.bundleProcess?.close();
    certs?.cleanup();
  });
  const started = (): Required<typeof state> => {
    if (!state.vault || !state.bundleProcess)
      throw new Error('not started: use the bench inside a test or hook');
    return state as Required<typeof state>;
  };
  return {
    get vault() {
      return started().vault;
    },
    get server() {
      return db.server;
    },
    get bundleProcess() {
      return started().bundleProcess;
    },
  };
}

export function describeDatabaseRotation(engine: EngineName): void {
  // Resolved while jest collects the tests, so that the run names the bundle it exercised.
  const bundle = resolveBundle();
  afterAll(() => bundle.cleanup());
  describe(`${engine}, through the ${bundle.origin}, over verified TLS`, () => {
    defineTests(engine, bundle.path);
  });
}

function defineTests(engine: EngineName, bundlePath: string): void {
  const bench = useRotationBench(engine, bundlePath);
  const deployment = new PinnedEnvironment(bundleEnv(engine));
  beforeEach(() => bench.bundleProcess.clearOutput());

  const server = (): DatabaseServer => bench.server;
  const out = {
    text: () => bench.bundleProcess.output(),
    records: () => bench.bundleProcess.records(),
  };

  /** One step, by the bundle as the current deployment configures it (reloaded when a test added a secret). */
  async function step(Step: string, SecretId: string, ClientRequestToken: string): Promise<void> {
    await bench.bundleProcess.load(deployment.env());
    return bench.bundleProcess.invoke({ Step, SecretId, ClientRequestToken });
  }

  async function rotate(arn: string, token?: string): Promise<string> {
    const t = token ?? (await bench.vault.startRotation(arn));
    for (const s of STEPS) await step(s, arn, t);
    return t;
  }

  interface Made {
    arn: string;
    username: string;
    password: string;
    adminArn?: string;
  }

  /** A value as the constructs write it, for the pinned host and the server's port and database. */
  function secretJson(fields: Record<string, unknown>): string {
    const s = server();
    return JSON.stringify({
      engine: engine === 'postgres' ? 'postgres' : 'mariadb',
      host: PINNED_HOST,
      port: s.port,
      dbname: s.dbname,
      ssl: true,
      ...fields,
    });
  }

  /**
   * A fresh database user and its secret (and, for alternating users, an admin secret), bound by the
   * deployment to `profile` (by default the scheme) on the server, reached at `port`.
   */
  async function made(
    scheme: Scheme,
    options: { password?: string; extra?: Record<string, unknown>; profile?: string; port?: number } = {},
  ): Promise<Made> {
    const s = server();
    const username = `sv_${randomSuffix()}`;
    const password = options.password ?? `Init-${randomSuffix()}-pw`;
    const port = options.port ?? s.port;
    await s.createUser(username, password);
    let adminArn: string | undefined;
    if (scheme === 'alternating') {
      adminArn = await bench.vault.createSecret(
        bench.vault.uniqueName('admin/db'),
        secretJson({ username: s.adminUser, password: s.adminPassword, port }),
      );
    }
    const profile = options.profile ?? scheme;
    const name = bench.vault.uniqueName(`${VAULT_PREFIX}db`);
    deployment.bind(name, profile, pinnedTarget(s, { port, admin: adminArn }));
    const arn = await bench.vault.createSecret(
      name,
      secretJson({
        username,
        password,
        port,
        ...(adminArn ? { masterarn: adminArn } : {}),
        ...options.extra,
      }),
      profile,
    );
    return { arn, username, password, adminArn };
  }

  async function current(arn: string): Promise<{ username: string; password: string }> {
    return JSON.parse((await bench.vault.valueAt(arn, 'AWSCURRENT')) as string);
  }

  async function putPending(arn: string, token: string, value: string): Promise<void> {
    await bench.vault.client.send(
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
      expect(JSON.parse((await bench.vault.valueAt(arn, 'AWSPREVIOUS')) as string).password).toBe(password);
      expect(expectOneCurrent(await bench.vault.stages(arn))).toBe(token);
      expect(await server().canLogin(username, now.password)).toBe(true);
      expect(await server().canLogin(username, password)).toBe(false);
      expectNoSecretsLogged(password, now.password);
      expect(out.records()).toContainEqual(expect.objectContaining({ step: 'setSecret', outcome: 'set' }));
    });

    test('every step run twice converges to one clean run', async () => {
      const { arn, username, password } = await made('single');
      const token = await bench.vault.startRotation(arn);
      for (const s of STEPS) {
        await step(s, arn, token);
        await step(s, arn, token);
      }
      const now = await current(arn);
      expect(expectOneCurrent(await bench.vault.stages(arn))).toBe(token);
      expect(await server().canLogin(username, now.password)).toBe(true);
      expect(await server().canLogin(username, password)).toBe(false);
      expect(out.records()).toContainEqual(
        expect.objectContaining({ step: 'setSecret', outcome: 'already-set' }),
      );
    });

    test('the database already holding the pending password: setSecret changes nothing', async () => {
      const { arn, username } = await made('single');
      const token = await bench.vault.startRotation(arn);
      await step('createSecret', arn, token);
      const pending = JSON.parse((await bench.vault.valueOf(arn, token)) as string);
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
      const before = await bench.vault.stages(arn);
      const token = await bench.vault.startRotation(arn);
      await step('createSecret', arn, token);
      await expect(step('setSecret', arn, token)).rejects.toThrow(
        new RegExp(
          `could not log in to ${named(engine)} at .* as user "${named(username)}" with the AWSPENDING, AWSCURRENT or AWSPREVIOUS password`,
        ),
      );
      const old = Object.keys(before)[0];
      expect((await bench.vault.stages(arn))[old]).toEqual(['AWSCURRENT']);
    });

    test.each([
      ['host', { host: 'evil.example' }],
      ['port', { port: 1 }],
      ['dbname', { dbname: 'other_db' }],
      ['username', { username: 'other_admin' }],
    ])('a pending value with another %s fails without touching the database', async (field, change) => {
      const { arn, username, password } = await made('single');
      const token = await bench.vault.startRotation(arn);
      const tampered = `Tampered-${randomSuffix()}`;
      await putPending(arn, token, secretJson({ username, password: tampered, ...change }));
      await expect(step('setSecret', arn, token)).rejects.toThrow(
        field === 'username'
          ? new RegExp(
              `has username "${named('other_admin')}", but this rotation may only set a password for "${named(username)}"`,
            )
          : /^the AWSPENDING value of secret .* points at .*, but this deployment pinned secret .* refusing to connect anywhere/,
      );
      expect(await server().canLogin(username, password)).toBe(true);
      expect(await server().canLogin(username, tampered)).toBe(false);
      expectNoSecretsLogged(tampered, password);
    });

    test('the database down during setSecret: a clean failure; AWSCURRENT untouched and still valid; the retry completes', async () => {
      const proxy = await TcpProxy.start({ host: server().host, port: server().port });
      try {
        const { arn, username, password } = await made('single', { port: proxy.port });
        const token = await bench.vault.startRotation(arn);
        await step('createSecret', arn, token);
        const stages = await bench.vault.stages(arn);
        await proxy.down();
        await expect(step('setSecret', arn, token)).rejects.toThrow(
          new RegExp(
            `could not connect to ${engine === 'postgres' ? 'PostgreSQL' : 'MySQL'} at ${PINNED_HOST}:${proxy.port}/${named(server().dbname)} as user "${named(username)}": .*ECONNREFUSED`,
          ),
        );
        expect(await bench.vault.stages(arn)).toEqual(stages);
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
        const { arn } = await made('single', { port: proxy.port });
        const token = await bench.vault.startRotation(arn);
        await step('createSecret', arn, token);
        await step('setSecret', arn, token);
        await proxy.down();
        await expect(step('testSecret', arn, token)).rejects.toThrow(
          /the AWSPENDING credential of secret .* does not work: could not connect to/,
        );
        await proxy.up();
        await step('testSecret', arn, token);
        await step('finishSecret', arn, token);
        expect(expectOneCurrent(await bench.vault.stages(arn))).toBe(token);
      } finally {
        await proxy.close();
      }
    });

    test('testSecret retries inside one invocation until the pending password propagates', async () => {
      const { arn, username } = await made('single', { profile: 'single-patient' });
      const token = await bench.vault.startRotation(arn);
      await step('createSecret', arn, token);
      const pending = JSON.parse((await bench.vault.valueOf(arn, token)) as string);
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
      const token = await bench.vault.startRotation(arn);
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

    test('a secret for another engine is refused before anything is generated', async () => {
      const { arn } = await made('single', {
        extra: { engine: engine === 'postgres' ? 'mysql' : 'postgres' },
      });
      const token = await bench.vault.startRotation(arn);
      await expect(step('createSecret', arn, token)).rejects.toThrow(
        new RegExp(
          `has engine "${engine === 'postgres' ? 'mysql' : 'postgres'}", but this deployment pinned secret .* to a ${engine} database`,
        ),
      );
      expect(await bench.vault.valueOf(arn, token)).toBeUndefined();
    });

    test('a writer who points AWSCURRENT at another host: createSecret refuses before any connection, nothing written', async () => {
      const { arn, username, password } = await made('single');
      // A writer (PutSecretValue, no read) makes a new AWSCURRENT; the real value becomes AWSPREVIOUS.
      await bench.vault.client.send(
        new PutSecretValueCommand({
          SecretId: arn,
          SecretString: secretJson({ host: 'evil.example', username, password: 'the-writers-own' }),
        }),
      );
      const token = await bench.vault.startRotation(arn);
      await expect(step('createSecret', arn, token)).rejects.toThrow(
        new RegExp(
          `^the AWSCURRENT value of secret ${escapeRegExp(arn)} points at host evil\\.example, port ${server().port}, dbname ${named(server().dbname)}, but this deployment pinned secret ${escapeRegExp(arn)} to ${PINNED_HOST}:${server().port}/${named(server().dbname)}; refusing to connect anywhere`,
        ),
      );
      expect(await bench.vault.valueOf(arn, token)).toBeUndefined();
      expect(await server().canLogin(username, password)).toBe(true);
    });

    test('an AWSPREVIOUS that points elsewhere is never used: setSecret fails when only it could log in', async () => {
      const { arn, username, password } = await made('single');
      await rotate(arn);
      // A writer labels a value of its own AWSPREVIOUS: the old password, another host. The database
      // is back on that old password, so only AWSPREVIOUS's password could log in.
      await bench.vault.client.send(
        new PutSecretValueCommand({
          SecretId: arn,
          SecretString: secretJson({ host: 'evil.example', username, password }),
          VersionStages: ['AWSPREVIOUS'],
        }),
      );
      expect(JSON.parse((await bench.vault.valueAt(arn, 'AWSPREVIOUS')) as string).host).toBe('evil.example');
      await setPasswordAsAdmin(username, password);
      const token = await bench.vault.startRotation(arn);
      await step('createSecret', arn, token);
      await expect(step('setSecret', arn, token)).rejects.toThrow(
        /could not log in to .* with the AWSPENDING, AWSCURRENT or AWSPREVIOUS password/,
      );
      expect(out.records()).toContainEqual(
        expect.objectContaining({
          message: 'ignoring the AWSPREVIOUS value',
          reason: expect.stringMatching(/points at host evil\.example/),
        }),
      );
      expect(await server().canLogin(username, password)).toBe(true);
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
      const token = await bench.vault.startRotation(arn);
      for (const s of STEPS) {
        await step(s, arn, token);
        await step(s, arn, token);
      }
      const now = await current(arn);
      expect(expectOneCurrent(await bench.vault.stages(arn))).toBe(token);
      expect(await server().canLogin(now.username, now.password)).toBe(true);
      expect(await server().canLogin(username, password)).toBe(true);
    });

    test('a pending username that is not the clone fails without touching the database', async () => {
      const { arn, username, password } = await made('alternating');
      const token = await bench.vault.startRotation(arn);
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
      const token = await bench.vault.startRotation(arn);
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
      const token = await bench.vault.startRotation(arn);
      await expect(step('createSecret', arn, token)).rejects.toThrow(
        engine === 'postgres'
          ? new RegExp(`would be 66 bytes long, over ${named('postgres')}'s limit of 63`)
          : /would be 36 characters long, over mysql's limit of 32/,
      );
      expect(await bench.vault.valueOf(arn, token)).toBeUndefined();
    });

    test('the database down during setSecret: a clean failure, AWSCURRENT still valid', async () => {
      const proxy = await TcpProxy.start({ host: server().host, port: server().port });
      try {
        const s = server();
        const { arn, username, password } = await made('alternating', { port: proxy.port });
        const token = await bench.vault.startRotation(arn);
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

  describe(`${engine}: alternating users copy the user exactly, or refuse`, () => {
    const q = (name: string) => (engine === 'postgres' ? `"${name.replace(/"/g, '""')}"` : `\`${name}\``);

    /**
     * What a user may do, as comparable lines. MariaDB: its SHOW GRANTS, grantee and password hash
     * taken out. PostgreSQL: every privilege on the test's objects, with the role's attributes and
     * memberships (a clone holds its rights through membership, so SHOW-GRANTS-like text would differ).
     */
    async function rights(username: string): Promise<string[]> {
      const s = server();
      if (engine === 'mysql') {
        const rows = await s.adminQuery("SHOW GRANTS FOR ?@'%'", [username]);
        return rows
          .map((row) =>
            String(Object.values(row)[0])
              .split(`\`${username}\`@\`%\``)
              .join('<grantee>')
              .replace(/ IDENTIFIED BY PASSWORD '[^']*'/, ''),
          )
          .sort();
      }
      const privileges = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER'];
      const rows = await s.adminQuery(
        `SELECT p AS privilege, has_table_privilege($1, 'items', p) AS items,
           CASE WHEN p IN ('SELECT', 'INSERT', 'UPDATE', 'REFERENCES')
             THEN has_column_privilege($1, 'items', 'note', p) END AS note
         FROM unnest($2::text[]) AS p
         UNION ALL SELECT 'USAGE', has_sequence_privilege($1, 'items_id_seq', 'USAGE'), NULL
         UNION ALL SELECT 'CONNECT', has_database_privilege($1, current_database(), 'CONNECT'), NULL`,
        [username, privileges],
      );
      return rows.map((row) => `${row.privilege}: items ${row.items}, note ${row.note}`);
    }

    /** PostgreSQL: the role's attributes and the roles it is a member of. */
    async function roleOf(username: string): Promise<Record<string, unknown>> {
      const [row] = await server().adminQuery(
        `SELECT r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolreplication, r.rolbypassrls,
           ARRAY(SELECT g.rolname::text FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
                 WHERE m.member = r.oid ORDER BY 1) AS member_of
         FROM pg_roles r WHERE r.rolname = $1`,
        [username],
      );
      return row;
    }

    /** Gives `username` grants at several levels, one of them partly revoked; returns the role made. */
    async function richGrants(username: string): Promise<string> {
      const s = server();
      const role = `sv_role_${randomSuffix()}`;
      if (engine === 'mysql') {
        const db = q(s.dbname);
        await s.adminQuery(`GRANT SELECT, INSERT, UPDATE, DELETE ON ${db}.* TO ?@'%'`, [username]);
        // A partial revoke, MariaDB's way: the database-level grant loses DELETE.
        await s.adminQuery(`REVOKE DELETE ON ${db}.* FROM ?@'%'`, [username]);
        await s.adminQuery(`GRANT UPDATE (note) ON ${db}.items TO ?@'%'`, [username]);
        await s.adminQuery(`GRANT SELECT ON ${db}.items TO ?@'%' WITH GRANT OPTION`, [username]);
        await s.adminQuery(`CREATE ROLE ${q(role)}`);
        await s.adminQuery(`GRANT ${q(role)} TO ?@'%'`, [username]);
      } else {
        await s.adminQuery(`GRANT ALL ON items TO ${q(username)}`);
        // A partial revoke: of ALL, DELETE and TRUNCATE go again.
        await s.adminQuery(`REVOKE DELETE, TRUNCATE ON items FROM ${q(username)}`);
        await s.adminQuery(`CREATE ROLE ${q(role)} NOLOGIN`);
        await s.adminQuery(`GRANT ${q(role)} TO ${q(username)}`);
      }
      return role;
    }

    test('a user with grants at several levels, one partly revoked, and a role: the clone can do exactly what it can', async () => {
      const { arn, username, password } = await made('alternating');
      await richGrants(username);
      const before = await rights(username);
      await rotate(arn);
      const clone = `${username}_clone`;
      expect((await current(arn)).username).toBe(clone);
      expect(await rights(clone)).toEqual(before);
      if (engine === 'postgres') {
        expect(before).toContainEqual('DELETE: items false, note null');
        expect(before).toContainEqual('UPDATE: items true, note true');
        // Nothing of its own: its rights all come from being a member of the user.
        expect(await roleOf(clone)).toEqual({
          rolsuper: false,
          rolcreaterole: false,
          rolcreatedb: false,
          rolreplication: false,
          rolbypassrls: false,
          member_of: [username],
        });
      } else {
        expect(before.join('\n')).not.toMatch(/DELETE/);
        expect(before.join('\n')).toMatch(/WITH GRANT OPTION/);
      }
      // And back: the user keeps exactly what it had.
      await rotate(arn);
      expect((await current(arn)).username).toBe(username);
      expect(await rights(username)).toEqual(before);
      expect(await server().canLogin(clone, (await current(arn)).password)).toBe(false);
      expect(await server().canLogin(username, password)).toBe(false);
    });

    /** A `<user>_clone` someone else made, with the password `password`. */
    async function foreignClone(
      username: string,
      password: string,
      setup: 'more' | 'nothing',
    ): Promise<string> {
      const s = server();
      const clone = `${username}_clone`;
      if (engine === 'mysql') {
        await s.adminQuery("CREATE USER ?@'%' IDENTIFIED BY ?", [clone, password]);
        if (setup === 'more') await s.adminQuery(`GRANT ALL ON ${q(s.dbname)}.* TO ?@'%'`, [clone]);
      } else {
        const literal = `'${password.replace(/'/g, "''")}'`;
        await s.adminQuery(`CREATE ROLE ${q(clone)} WITH LOGIN PASSWORD ${literal}`);
        if (setup === 'more') await s.adminQuery(`GRANT ALL ON items TO ${q(clone)}`);
      }
      return clone;
    }

    test('an existing <user>_clone with more rights than the user is refused and left untouched', async () => {
      const { arn, username, password } = await made('alternating');
      const theirs = `Theirs-${randomSuffix()}`;
      const clone = await foreignClone(username, theirs, 'more');
      const cloneRights = await rights(clone);
      const token = await bench.vault.startRotation(arn);
      await step('createSecret', arn, token);
      await expect(step('setSecret', arn, token)).rejects.toThrow(
        engine === 'mysql'
          ? `user "${clone}"@"%" already exists on MySQL at ${PINNED_HOST}:${server().port} with privileges that are not a copy of "${username}"'s; refusing to set its password`
          : `user "${clone}" exists on PostgreSQL at ${PINNED_HOST}:${server().port}/${server().dbname} but is not a copy of "${username}": it holds privileges of its own (granted to it, not to a role it is a member of); refusing to set the password of "${clone}"`,
      );
      expect(await server().canLogin(clone, theirs)).toBe(true);
      expect(await rights(clone)).toEqual(cloneRights);
      const pending = JSON.parse((await bench.vault.valueOf(arn, token)) as string) as { password: string };
      expect(await server().canLogin(clone, pending.password)).toBe(false);
      expect(await server().canLogin(username, password)).toBe(true);
    });

    test('an existing <user>_clone with nothing of its own is taken over and ends an exact copy', async () => {
      const { arn, username } = await made('alternating');
      await richGrants(username);
      const clone = await foreignClone(username, `Theirs-${randomSuffix()}`, 'nothing');
      await rotate(arn);
      expect(await rights(clone)).toEqual(await rights(username));
      expect(await server().canLogin(clone, (await current(arn)).password)).toBe(true);
      expect(out.records()).toContainEqual(
        expect.objectContaining({ step: 'setSecret', outcome: 'updated' }),
      );
    });

    if (engine === 'postgres') {
      test.each([
        ['CREATEDB', 'ALTER ROLE %clone% CREATEDB', 'has role attributes CREATEDB'],
        ['another role', 'GRANT %other% TO %clone%', 'is also a member of "%other%"'],
        [
          'ADMIN OPTION on the user',
          'GRANT %user% TO %clone% WITH ADMIN OPTION',
          'may grant "%user%" to others (ADMIN OPTION)',
        ],
      ])('an existing <user>_clone with %s is refused and left untouched', async (_name, sql, problem) => {
        const s = server();
        const { arn, username } = await made('alternating');
        const theirs = `Theirs-${randomSuffix()}`;
        const clone = await foreignClone(username, theirs, 'nothing');
        const other = `sv_other_${randomSuffix()}`;
        await s.adminQuery(`CREATE ROLE ${q(other)} NOLOGIN`);
        const fill = (text: string, quote: (name: string) => string) =>
          text
            .replace(/%clone%/g, quote(clone))
            .replace(/%other%/g, quote(other))
            .replace(/%user%/g, quote(username));
        await s.adminQuery(fill(sql, q));
        const role = await roleOf(clone);
        const token = await bench.vault.startRotation(arn);
        await step('createSecret', arn, token);
        await expect(step('setSecret', arn, token)).rejects.toThrow(
          `user "${clone}" exists on PostgreSQL at ${PINNED_HOST}:${s.port}/${s.dbname} but is not a copy of "${username}": it ${fill(problem, (name) => name)}; refusing`,
        );
        expect(await roleOf(clone)).toEqual(role);
        expect(await s.canLogin(clone, theirs)).toBe(true);
      });

      test('rotating back to the user: a clone that gained rights of its own stops it, the user untouched', async () => {
        const s = server();
        const { arn, username } = await made('alternating');
        await rotate(arn);
        const clone = `${username}_clone`;
        await s.adminQuery(`GRANT DELETE ON items TO ${q(clone)}`);
        const previous = JSON.parse((await bench.vault.valueAt(arn, 'AWSPREVIOUS')) as string) as {
          password: string;
        };
        const token = await bench.vault.startRotation(arn);
        await step('createSecret', arn, token);
        await expect(step('setSecret', arn, token)).rejects.toThrow(
          `user "${clone}" exists on PostgreSQL at ${PINNED_HOST}:${s.port}/${s.dbname} but is not a copy of "${username}": it holds privileges of its own (granted to it, not to a role it is a member of); refusing to set the password of "${username}"`,
        );
        expect(await s.canLogin(username, previous.password)).toBe(true);
      });
    } else {
      test('a grant line that cannot be copied exactly (a default role) stops the rotation before anything is made', async () => {
        const s = server();
        const { arn, username, password } = await made('alternating');
        const role = await richGrants(username);
        await s.adminQuery(`SET DEFAULT ROLE ${q(role)} FOR ?@'%'`, [username]);
        const token = await bench.vault.startRotation(arn);
        await step('createSecret', arn, token);
        await expect(step('setSecret', arn, token)).rejects.toThrow(
          `SHOW GRANTS for "${username}"@"%" lists a statement this rotation cannot copy exactly ("SET DEFAULT ..."); refusing to create or update its clone with other privileges than it has`,
        );
        expect(await s.userExists(`${username}_clone`)).toBe(false);
        expect(await s.canLogin(username, password)).toBe(true);
      });
    }
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
              await bench.vault.client.send(
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
    expect(versionsWith(await bench.vault.stages(arn), 'AWSCURRENT')).toHaveLength(1);
  });
}
