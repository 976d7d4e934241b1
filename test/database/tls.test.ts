/**
 * How the rotation's connections are protected, end to end: the built bundle, in a child node process
 * started the way Lambda's runtime starts (the CA trusted only through NODE_EXTRA_CA_CERTS), rotates
 * users of private PostgreSQL and MariaDB servers that serve a certificate from a throwaway CA made
 * here, with each TLS mode a deployment can pin (DatabaseTls: verified, the default; unverified;
 * plaintext). The mode is the pinned one, exactly: no fallback, and the secret's `ssl` field, which any
 * writer of the secret controls, chooses nothing.
 *
 * The users rotated over TLS may log in over TLS only (PostgreSQL: pg_hba.conf rejects their plain-TCP
 * logins; MariaDB: REQUIRE SSL), so a rotation that completes proves that each of its logins was TLS;
 * each such test checks that control first, and asks the server about the cipher of a session with the
 * new password. A TLS-only user that a plaintext pin cannot rotate proves the opposite.
 *
 * A MariaDB server that requires secure transport for everyone (`require_secure_transport=ON`, as an
 * RDS parameter group sets it) is this file's TLS server with the variable turned on for one test at a
 * time: verified TLS rotates single and alternating users there, and a plaintext pin fails.
 */
import {
  randomSuffix,
  startDatabase,
  startMysql,
  startPostgres,
  type DatabaseServer,
  type EngineName,
} from '../support/databases';
import { createConnection as createMysqlConnection } from 'mysql2/promise';
import { Client as PgClient } from 'pg';
import { FAKE_AWS_ENV, startMoto, type MotoServer } from '../support/moto';
import { PinnedEnvironment, Vault, expectOneCurrent, STEPS } from '../rotation/fixture';
import type { TlsMode } from '../../lib/contract/rotation-contract';
import { resolveBundle } from './support/bundle';
import { bundleEnv, pinnedTarget, PINNED_HOST, VAULT_PREFIX } from './support/suite';
import {
  forwardFrom,
  isWrongPassword,
  login,
  makeCertificates,
  requireTls,
  runStepsInChild,
  startImpostor,
  type Certificates,
  type ChildRun,
  type LoginResult,
  type StepRun,
} from './support/tls';

const bundle = resolveBundle();
const servers: Partial<Record<EngineName, DatabaseServer>> = {};
/** The run's servers without TLS (the shared ones, when jest's global setup started them). */
const plainServers: Partial<Record<EngineName, DatabaseServer>> = {};
/** Why an engine's servers did not start: its tests fail with this, the other engine's run. */
const startErrors: Partial<Record<EngineName, unknown>> = {};
let certs: Certificates | undefined;
let moto: MotoServer | undefined;
let vault: Vault;
const savedEnv: Record<string, string | undefined> = {};

beforeAll(async () => {
  // The test's own Secrets Manager client (Vault) reads the fake credentials from the environment.
  for (const [key, value] of Object.entries(FAKE_AWS_ENV)) {
    savedEnv[key] = process.env[key];
    process.env[key] = value;
  }
  certs = makeCertificates();
  // All at once: each spends most of its start-up waiting.
  const [postgres, mysql, plainPostgres, plainMysql, motoServer] = await Promise.allSettled([
    startPostgres({ tls: certs }),
    startMysql({ tls: certs }),
    startDatabase('postgres'),
    startDatabase('mysql'),
    startMoto(),
  ]);
  if (postgres.status === 'fulfilled') servers.postgres = postgres.value;
  if (mysql.status === 'fulfilled') servers.mysql = mysql.value;
  if (plainPostgres.status === 'fulfilled') plainServers.postgres = plainPostgres.value;
  if (plainMysql.status === 'fulfilled') plainServers.mysql = plainMysql.value;
  if (motoServer.status === 'fulfilled') moto = motoServer.value;
  // One engine's server failing to start fails that engine's tests only (its describe's beforeAll).
  for (const [engine, results] of [
    ['postgres', [postgres, plainPostgres]],
    ['mysql', [mysql, plainMysql]],
  ] as const) {
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) startErrors[engine] = failed.reason;
  }
  if (motoServer.status === 'rejected') throw motoServer.reason;
  vault = await Vault.create(moto as MotoServer);
}, 120000);

afterAll(async () => {
  try {
    await Promise.allSettled([
      servers.postgres?.stop(),
      servers.mysql?.stop(),
      plainServers.postgres?.stop(),
      plainServers.mysql?.stop(),
      moto?.stop(),
    ]);
  } finally {
    certs?.cleanup();
    bundle.cleanup();
    for (const [key, value] of Object.entries(savedEnv)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}, 60000);

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe.each(['postgres', 'mysql'] as const)(`%s, through the ${bundle.origin}`, (engine) => {
  beforeAll(() => {
    if (startErrors[engine] !== undefined) throw startErrors[engine];
  });
  const label = engine === 'postgres' ? 'PostgreSQL' : 'MySQL';
  const deployment = new PinnedEnvironment(bundleEnv(engine));
  const server = (): DatabaseServer => {
    const s = servers[engine];
    if (!s) throw new Error(`${engine} is not running`);
    return s;
  };
  const ca = (): string => (certs as Certificates).caPem;

  function secretJson(s: DatabaseServer, fields: Record<string, unknown>): string {
    return JSON.stringify({
      engine: engine === 'postgres' ? 'postgres' : 'mariadb',
      host: PINNED_HOST,
      port: s.port,
      dbname: s.dbname,
      ...fields,
    });
  }

  /**
   * A fresh user and its secret, which the deployment pins to `tls` (default verified) at `host`:`port`
   * (default: localhost, the server's port). `ssl` is the secret's own field: the writer's choice.
   */
  async function made(options: {
    tlsOnly: boolean;
    tls?: TlsMode;
    ssl?: boolean;
    scheme?: 'single' | 'alternating';
    on?: DatabaseServer;
    host?: string;
    port?: number;
  }): Promise<{ arn: string; username: string; password: string }> {
    const s = options.on ?? server();
    const username = `sv_${randomSuffix()}`;
    const password = `Init-${randomSuffix()}-pw`;
    await s.createUser(username, password);
    if (options.tlsOnly) await requireTls(s, username);
    const where = { host: options.host ?? PINNED_HOST, port: options.port ?? s.port };
    const ssl = options.ssl === undefined ? {} : { ssl: options.ssl };
    let admin: string | undefined;
    if (options.scheme === 'alternating') {
      admin = await vault.createSecret(
        vault.uniqueName('admin/tls'),
        secretJson(s, { username: s.adminUser, password: s.adminPassword, ...where }),
      );
    }
    const scheme = options.scheme ?? 'single';
    const name = vault.uniqueName(`${VAULT_PREFIX}tls`);
    deployment.bind(name, scheme, pinnedTarget(s, { ...where, tls: options.tls, admin }));
    const arn = await vault.createSecret(
      name,
      secretJson(s, { username, password, ...where, ...ssl, ...(admin ? { masterarn: admin } : {}) }),
      scheme,
    );
    return { arn, username, password };
  }

  /** The steps, run by the bundle in a child node process that trusts the test CA only if `trusted`. */
  function inChild(trusted: boolean, runs: StepRun[]): Promise<ChildRun> {
    return runStepsInChild({
      bundle: bundle.path,
      awsEndpoint: (moto as MotoServer).endpoint,
      env: deployment.env(),
      extraCaCerts: trusted ? (certs as Certificates).caFile : undefined,
      runs,
    });
  }

  async function current(arn: string): Promise<{ username: string; password: string }> {
    return JSON.parse((await vault.valueAt(arn, 'AWSCURRENT')) as string);
  }

  /** A session the server says is encrypted. */
  const overTls = { ok: true, cipher: expect.stringMatching(/^\S+$/) };

  /** The control that makes a completed rotation a proof: without TLS, these credentials get nowhere. */
  function expectRefusedWithoutTls(result: LoginResult): void {
    expect(result).toEqual(
      engine === 'postgres'
        ? {
            ok: false,
            code: '28000',
            message: expect.stringMatching(/pg_hba\.conf rejects connection .* no encryption/),
          }
        : { ok: false, code: 'ER_ACCESS_DENIED_ERROR', message: expect.stringMatching(/Access denied/) },
    );
  }

  /**
   * The results of createSecret + setSecret and, on its own, testSecret when TLS cannot be set up: both
   * fail with the TLS error, naming engine, place and user and pointing at the fix. The reason by
   * default: the CA is not trusted (the servers send their chain, the CA included, hence "self-signed
   * certificate in certificate chain").
   */
  function refusedForTheCertificate(
    arn: string,
    username: string,
    where: { host: string; port: number } = { host: PINNED_HOST, port: server().port },
    reason = '(self-signed certificate in certificate chain|unable to verify the first certificate)',
  ): unknown[] {
    const tlsError = `TLS could not be set up with ${label} at ${escapeRegExp(`${where.host}:${where.port}`)}/\\w+ as user "${username}": ${reason} \\(.*NODE_EXTRA_CA_CERTS`;
    return refusedWith(arn, tlsError);
  }

  function refusedWith(arn: string, error: string): unknown[] {
    return [
      { arn, step: 'createSecret', ok: true },
      { arn, step: 'setSecret', ok: false, message: expect.stringMatching(new RegExp(`^${error}`)) },
      {
        arn,
        step: 'testSecret',
        ok: false,
        message: expect.stringMatching(
          new RegExp(`^the AWSPENDING credential of secret ${escapeRegExp(arn)} does not work: ${error}`),
        ),
      },
    ];
  }

  /** createSecret + setSecret, then testSecret on its own: a failed setSecret does not stop the service from testing. */
  const failingRuns = (arn: string, token: string): StepRun[] => [
    { arn, token, steps: ['createSecret', 'setSecret'] },
    { arn, token, steps: ['testSecret'] },
  ];

  function expectNothingLogged(run: ChildRun, ...secrets: string[]): void {
    for (const secret of secrets) expect(run.output).not.toContain(secret);
    // Node warns (and goes on without them) when it cannot read NODE_EXTRA_CA_CERTS.
    expect(run.output).not.toMatch(/Ignoring extra certs/);
  }

  /** AWSCURRENT is where it was, the user still logs in with it, and not with the pending password. */
  async function expectUntouched(
    arn: string,
    before: Record<string, string[]>,
    token: string,
    check: (password: string) => Promise<LoginResult>,
  ): Promise<void> {
    const old = Object.keys(before)[0];
    expect((await vault.stages(arn))[old]).toEqual(['AWSCURRENT']);
    expect((await check((await current(arn)).password)).ok).toBe(true);
    const pending = JSON.parse((await vault.valueOf(arn, token)) as string) as { password: string };
    expect(isWrongPassword(await check(pending.password))).toBe(true);
  }

  /**
   * A verified-TLS login as a clone, and the cipher of its session. A PostgreSQL clone's sessions act
   * as the user (SET ROLE at login), and pg_stat_ssl shows a session's details only to the session's
   * own role: so the query runs after SET ROLE NONE.
   */
  async function cloneLoginOverTls(
    s: DatabaseServer,
    username: string,
    password: string,
  ): Promise<LoginResult> {
    if (engine === 'mysql') return login(s, username, password, ca());
    const client = new PgClient({
      host: s.host,
      port: s.port,
      user: username,
      password,
      database: s.dbname,
      ssl: { ca: ca(), rejectUnauthorized: true },
      connectionTimeoutMillis: 5000,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SET ROLE NONE');
      const { rows } = await client.query<{ ssl: boolean; cipher: string | null }>(
        'SELECT ssl, cipher FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
      );
      return { ok: true, cipher: rows[0]?.ssl ? String(rows[0].cipher) : '' };
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /** What a refused login over a plain-TCP pin adds (database-error.ts plaintextHint). */
  const PLAINTEXT_HINT =
    '; this deployment pins plain TCP (DatabaseTls.PLAINTEXT_INSECURE), which a server that requires secure transport refuses the same way (MariaDB with require_secure_transport=ON, or a user with REQUIRE SSL): if it does, pin DatabaseTls.VERIFIED';

  describe('verified TLS (the default)', () => {
    test('with the CA trusted: a single-user rotation runs over verified TLS', async () => {
      const s = server();
      const { arn, username, password } = await made({ ssl: true, tlsOnly: true });
      expectRefusedWithoutTls(await login(s, username, password));
      expect(await login(s, username, password, ca())).toEqual(overTls);

      const token = await vault.startRotation(arn);
      const run = await inChild(true, [{ arn, token, steps: STEPS }]);
      expect(run.results).toEqual(STEPS.map((step) => ({ arn, step, ok: true })));

      expect(expectOneCurrent(await vault.stages(arn))).toBe(token);
      const now = await current(arn);
      expect(now.username).toBe(username);
      expect(now.password).not.toBe(password);
      expect(await login(s, username, now.password, ca())).toEqual(overTls);
      expect(isWrongPassword(await login(s, username, password, ca()))).toBe(true);
      expectRefusedWithoutTls(await login(s, username, now.password));
      expectNothingLogged(run, password, now.password);
    });

    test('the secret\'s "ssl": false (a writer\'s choice) changes nothing: the rotation still runs over verified TLS', async () => {
      const s = server();
      const { arn, username, password } = await made({ ssl: false, tlsOnly: true });
      expectRefusedWithoutTls(await login(s, username, password));

      const token = await vault.startRotation(arn);
      const run = await inChild(true, [{ arn, token, steps: STEPS }]);
      expect(run.results).toEqual(STEPS.map((step) => ({ arn, step, ok: true })));

      const now = await current(arn);
      expect(now.password).not.toBe(password);
      expect(await login(s, username, now.password, ca())).toEqual(overTls);
      expect(isWrongPassword(await login(s, username, password, ca()))).toBe(true);
      expectNothingLogged(run, password, now.password);
    });

    test('alternating users: the clone is made (by the admin, over verified TLS) and tested over TLS, and needs TLS too', async () => {
      const s = server();
      const { arn, username, password } = await made({ ssl: true, tlsOnly: true, scheme: 'alternating' });

      const token = await vault.startRotation(arn);
      const run = await inChild(true, [{ arn, token, steps: STEPS }]);
      expect(run.results).toEqual(STEPS.map((step) => ({ arn, step, ok: true })));

      expect(expectOneCurrent(await vault.stages(arn))).toBe(token);
      const now = await current(arn);
      expect(now.username).toBe(`${username}_clone`);
      expect(await cloneLoginOverTls(s, now.username, now.password)).toEqual(overTls);
      // PostgreSQL: a member of the user, so of the TLS-only role; MariaDB: REQUIRE SSL copied over.
      expectRefusedWithoutTls(await login(s, now.username, now.password));
      expect(await login(s, username, password, ca())).toEqual(overTls);
      expectNothingLogged(run, password, now.password, s.adminPassword);
    });

    test('without the CA: a certificate-verification error, AWSCURRENT and the database untouched', async () => {
      const s = server();
      const { arn, username, password } = await made({ ssl: true, tlsOnly: true });
      const before = await vault.stages(arn);
      const token = await vault.startRotation(arn);
      const run = await inChild(false, failingRuns(arn, token));
      expect(run.results).toEqual(refusedForTheCertificate(arn, username));
      await expectUntouched(arn, before, token, (pw) => login(s, username, pw, ca()));
      expectNothingLogged(run, password);
    });

    test('without the CA, for a user that could log in over plain TCP: a certificate error, never a silent downgrade', async () => {
      const s = server();
      // Not TLS-only, and the secret says "ssl": false: only the pinned mode can stop a downgrade.
      const { arn, username, password } = await made({ ssl: false, tlsOnly: false });
      expect(await login(s, username, password)).toEqual({ ok: true, cipher: '' });
      const before = await vault.stages(arn);
      const token = await vault.startRotation(arn);
      const run = await inChild(false, failingRuns(arn, token));
      expect(run.results).toEqual(refusedForTheCertificate(arn, username));
      await expectUntouched(arn, before, token, (pw) => login(s, username, pw));
      expectNothingLogged(run, password);
    });

    test('a man in the middle with a certificate the trusted CA issued for another name gets no login', async () => {
      const s = server();
      const impostor = await startImpostor(engine, certs as Certificates);
      try {
        // The deployment pins localhost at the impostor's port: it answers there in the server's place.
        const { arn, username, password } = await made({ tlsOnly: false, port: impostor.port });
        const token = await vault.startRotation(arn);
        const run = await inChild(true, failingRuns(arn, token));
        expect(run.results).toEqual(
          refusedForTheCertificate(
            arn,
            username,
            { host: PINNED_HOST, port: impostor.port },
            "Hostname/IP does not match certificate's altnames: Host: localhost\\. is not in the cert's altnames: DNS:impostor\\.example",
          ),
        );
        expect(impostor.tlsOffered()).toBeGreaterThan(0);
        expect(impostor.tlsCompleted()).toBe(0);
        expect(impostor.bytesInsideTls()).toBe(0);
        expect((await current(arn)).password).toBe(password);
        expect(await login(s, username, password)).toEqual({ ok: true, cipher: '' });
        expectNothingLogged(run, password);
      } finally {
        await impostor.close();
      }
    });

    test('on a server that offers no TLS: refused before any credential is sent, nothing changed', async () => {
      const plain = plainServers[engine] as DatabaseServer;
      // The control: this server really has no TLS.
      expect(await login(plain, 'nobody', 'x', ca())).toEqual(
        expect.objectContaining({
          ok: false,
          message: expect.stringMatching(/does not support (SSL|secure connection)/i),
        }),
      );
      const { arn, username } = await made({ ssl: true, tlsOnly: false, on: plain });
      const before = await vault.stages(arn);
      const token = await vault.startRotation(arn);
      const run = await inChild(true, failingRuns(arn, token));
      expect(run.results).toEqual(
        refusedWith(
          arn,
          `TLS is required \\(this deployment pins verified TLS for this database\\) but could not be set up with ${label} at ${PINNED_HOST}:${plain.port}/\\w+ as user "${username}": the server does not offer TLS; enable TLS on the server \\(no credential was sent\\)`,
        ),
      );
      await expectUntouched(arn, before, token, (pw) => login(plain, username, pw));
    });
  });

  describe('unverified TLS (DatabaseTls.UNVERIFIED_INSECURE)', () => {
    test('without the CA: the rotation runs over TLS, certificate unchecked', async () => {
      const s = server();
      const { arn, username, password } = await made({ tls: 'unverified', ssl: false, tlsOnly: true });
      expectRefusedWithoutTls(await login(s, username, password));
      const token = await vault.startRotation(arn);
      const run = await inChild(false, [{ arn, token, steps: STEPS }]);
      expect(run.results).toEqual(STEPS.map((step) => ({ arn, step, ok: true })));
      const now = await current(arn);
      expect(now.password).not.toBe(password);
      expect(await login(s, username, now.password, ca())).toEqual(overTls);
      expectRefusedWithoutTls(await login(s, username, now.password));
      expectNothingLogged(run, password, now.password);
    });

    test('on a server that offers no TLS: refused before any credential is sent (no fallback to plain TCP)', async () => {
      const plain = plainServers[engine] as DatabaseServer;
      const { arn, username } = await made({ tls: 'unverified', tlsOnly: false, on: plain });
      const before = await vault.stages(arn);
      const token = await vault.startRotation(arn);
      const run = await inChild(false, failingRuns(arn, token));
      expect(run.results).toEqual(
        refusedWith(
          arn,
          `TLS is required \\(this deployment pins unverified TLS for this database\\) but could not be set up with ${label} at ${PINNED_HOST}:${plain.port}/\\w+ as user "${username}": the server does not offer TLS`,
        ),
      );
      await expectUntouched(arn, before, token, (pw) => login(plain, username, pw));
    });
  });

  describe('plaintext (DatabaseTls.PLAINTEXT_INSECURE)', () => {
    test('the rotation runs over plain TCP, even when the secret says "ssl": true', async () => {
      const s = server();
      const { arn, username, password } = await made({ tls: 'plaintext', ssl: true, tlsOnly: false });
      const token = await vault.startRotation(arn);
      const run = await inChild(false, [{ arn, token, steps: STEPS }]);
      expect(run.results).toEqual(STEPS.map((step) => ({ arn, step, ok: true })));
      const now = await current(arn);
      expect(now.password).not.toBe(password);
      expect(await login(s, username, now.password)).toEqual({ ok: true, cipher: '' });
    });

    test('never TLS: a user the server admits over TLS only cannot be rotated, nothing changed', async () => {
      const s = server();
      const { arn, username, password } = await made({ tls: 'plaintext', ssl: true, tlsOnly: true });
      const before = await vault.stages(arn);
      const token = await vault.startRotation(arn);
      const run = await inChild(true, failingRuns(arn, token));
      expect(run.results[0]).toEqual({ arn, step: 'createSecret', ok: true });
      expect(run.results[1]).toEqual({
        arn,
        step: 'setSecret',
        ok: false,
        message: expect.stringMatching(
          new RegExp(
            `^setSecret: could not log in to ${engine} at ${PINNED_HOST}:${s.port}/\\w+ as user "${username}" with the AWSPENDING, AWSCURRENT or AWSPREVIOUS password`,
          ),
        ),
      });
      expect(run.results[2]).toEqual(
        expect.objectContaining({
          step: 'testSecret',
          ok: false,
          message: expect.stringMatching(/does not work/),
        }),
      );
      await expectUntouched(arn, before, token, (pw) => login(s, username, pw, ca()));
      expectNothingLogged(run, password);
    });
  });

  if (engine === 'mysql') {
    describe('a server that requires secure transport (require_secure_transport=ON, as an RDS parameter group can set it)', () => {
      /**
       * MariaDB's answer to a plain-TCP login while the variable is on, even with the right password:
       * the same "Access denied" as for a wrong one (MySQL 8 has an error of its own, 3159: see
       * mysql8-secure-transport.test.ts).
       */
      const refusedOverPlainTcp = (username: string) => ({
        ok: false,
        code: 'ER_ACCESS_DENIED_ERROR',
        message: `Access denied for user '${username}'@'127.0.0.1' (using password: YES)`,
      });

      /** One statement as the admin, over TLS: the only way in while the variable is on. */
      async function adminOverTls(s: DatabaseServer, sql: string): Promise<void> {
        const connection = await createMysqlConnection({
          host: s.host,
          port: s.port,
          user: s.adminUser,
          password: s.adminPassword,
          ssl: { ca: ca(), rejectUnauthorized: true },
          connectTimeout: 20000,
        });
        try {
          await connection.query(sql);
        } finally {
          await connection.end().catch(() => connection.destroy());
        }
      }

      /**
       * While `run` runs, this file's TLS server refuses every connection that is not TLS (the variable
       * is global and dynamic: set for one test, then reset over TLS; the file's tests run one at a time).
       * Users are made before, since the harness's admin statements use plain TCP.
       */
      async function requiringSecureTransport(run: (s: DatabaseServer) => Promise<void>): Promise<void> {
        const s = server();
        await s.adminQuery('SET GLOBAL require_secure_transport = ON');
        try {
          await run(s);
        } finally {
          await adminOverTls(s, 'SET GLOBAL require_secure_transport = OFF');
        }
      }

      /**
       * The control: these credentials work over TLS, and the server refuses them over plain TCP, by the
       * variable alone (the users here are not REQUIRE SSL).
       */
      async function expectOnlyTlsAdmitted(s: DatabaseServer, username: string, password: string) {
        expect(await login(s, username, password, ca())).toEqual(overTls);
        expect(await login(s, username, password)).toEqual(refusedOverPlainTcp(username));
      }

      test('verified TLS (the default): a single-user rotation works', async () => {
        const { arn, username, password } = await made({ tlsOnly: false });
        await requiringSecureTransport(async (s) => {
          await expectOnlyTlsAdmitted(s, username, password);
          const token = await vault.startRotation(arn);
          const run = await inChild(true, [{ arn, token, steps: STEPS }]);
          expect(run.results).toEqual(STEPS.map((step) => ({ arn, step, ok: true })));
          expect(expectOneCurrent(await vault.stages(arn))).toBe(token);
          const now = await current(arn);
          expect(now.username).toBe(username);
          expect(now.password).not.toBe(password);
          await expectOnlyTlsAdmitted(s, username, now.password);
          expect(isWrongPassword(await login(s, username, password, ca()))).toBe(true);
          expectNothingLogged(run, password, now.password);
        });
      });

      test('verified TLS: alternating users create the clone and come back to the user', async () => {
        const { arn, username, password } = await made({ tlsOnly: false, scheme: 'alternating' });
        await requiringSecureTransport(async (s) => {
          const first = await vault.startRotation(arn);
          const run = await inChild(true, [{ arn, token: first, steps: STEPS }]);
          expect(run.results).toEqual(STEPS.map((step) => ({ arn, step, ok: true })));
          const clone = await current(arn);
          expect(clone.username).toBe(`${username}_clone`);
          await expectOnlyTlsAdmitted(s, clone.username, clone.password);
          await expectOnlyTlsAdmitted(s, username, password);

          const second = await vault.startRotation(arn);
          const back = await inChild(true, [{ arn, token: second, steps: STEPS }]);
          expect(back.results).toEqual(STEPS.map((step) => ({ arn, step, ok: true })));
          expect(expectOneCurrent(await vault.stages(arn))).toBe(second);
          const now = await current(arn);
          expect(now.username).toBe(username);
          await expectOnlyTlsAdmitted(s, username, now.password);
          await expectOnlyTlsAdmitted(s, clone.username, clone.password);
          expectNothingLogged(run, password, clone.password, s.adminPassword);
          expectNothingLogged(back, password, clone.password, now.password, s.adminPassword);
        });
      });

      // MariaDB refuses the plain-TCP login as a wrong password, so the driver cannot tell the two apart:
      // the messages say that no credential logged in, show the server's "Access denied", and say that
      // the plain-TCP pin may be why.
      test('a target pinned PLAINTEXT_INSECURE: refused as no credential logging in, nothing changed', async () => {
        const { arn, username, password } = await made({ tls: 'plaintext', tlsOnly: false });
        const before = await vault.stages(arn);
        await requiringSecureTransport(async (s) => {
          expect(await login(s, username, password)).toEqual(refusedOverPlainTcp(username));
          const token = await vault.startRotation(arn);
          const run = await inChild(true, failingRuns(arn, token));
          const where = `${PINNED_HOST}:${s.port}/${s.dbname} as user "${username}"`;
          expect(run.results).toEqual([
            { arn, step: 'createSecret', ok: true },
            {
              arn,
              step: 'setSecret',
              ok: false,
              message: `setSecret: could not log in to mysql at ${where} with the AWSPENDING, AWSCURRENT or AWSPREVIOUS password of secret ${arn}; set the user's password to the AWSCURRENT value by hand, then rotate again${PLAINTEXT_HINT}`,
            },
            {
              arn,
              step: 'testSecret',
              ok: false,
              message: `the AWSPENDING credential of secret ${arn} does not work: could not log in to MySQL at ${where}: Access denied for user '${username}'@'127.0.0.1' (using password: YES)${PLAINTEXT_HINT}`,
            },
          ]);
          await expectUntouched(arn, before, token, (pw) => login(s, username, pw, ca()));
          expectNothingLogged(run, password);
        });
      });
    });
  }

  describe('where the certificate does not match', () => {
    if (engine === 'postgres') {
      test('an address the certificate does not name (127.0.0.2): refused, nothing changed', async () => {
        const s = server();
        const other = await forwardFrom('127.0.0.2', s);
        try {
          // Not TLS-only: over plain TCP this address gets in, so only the name check stops the rotation.
          const { arn, username, password } = await made({
            tlsOnly: false,
            host: other.host,
            port: other.port,
          });
          expect(await login({ ...s, host: other.host, port: other.port }, username, password)).toEqual({
            ok: true,
            cipher: '',
          });
          const before = await vault.stages(arn);
          const token = await vault.startRotation(arn);
          const run = await inChild(true, failingRuns(arn, token));
          expect(run.results).toEqual(
            refusedForTheCertificate(
              arn,
              username,
              other,
              "Hostname/IP does not match certificate's altnames: IP: 127\\.0\\.0\\.2 is not in the cert's list: 127\\.0\\.0\\.1",
            ),
          );
          await expectUntouched(arn, before, token, (pw) => login(s, username, pw, ca()));
          expectNothingLogged(run, password);
        } finally {
          await other.close();
        }
      });
    } else {
      // mysql2 cannot check a certificate against an IP address (it gives Node no server name), and the
      // driver never swaps Node's process-wide check: a verified login to an IP address is refused.
      test('verified TLS to an IP address: refused before any connection, nothing changed', async () => {
        const s = server();
        // Whatever listens there (here an impostor counting connections) is never reached.
        const listener = await startImpostor(engine, certs as Certificates);
        try {
          const { arn, username, password } = await made({
            tlsOnly: false,
            host: listener.host,
            port: listener.port,
          });
          const before = await vault.stages(arn);
          const token = await vault.startRotation(arn);
          const run = await inChild(true, failingRuns(arn, token));
          expect(run.results).toEqual(
            refusedWith(
              arn,
              `TLS could not be set up with MySQL at 127\\.0\\.0\\.1:${listener.port} as user "${username}": verified TLS checks the certificate against a host name, and the MySQL driver cannot check an IP address; pin the database by its DNS name \\(such as the RDS endpoint address\\)\\. No connection was made\\.`,
            ),
          );
          expect(listener.connections()).toBe(0);
          await expectUntouched(arn, before, token, (pw) => login(s, username, pw, ca()));
          expectNothingLogged(run, password);
        } finally {
          await listener.close();
        }
      });
    }
  });
});
