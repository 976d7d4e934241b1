/**
 * Database rotations over verified TLS, end to end: the built bundle, in a child node process started
 * the way Lambda's runtime starts (the CA trusted only through NODE_EXTRA_CA_CERTS), rotates users of
 * private PostgreSQL and MariaDB servers that serve a certificate from a throwaway CA made here.
 *
 * The users rotated over TLS may log in over TLS only (PostgreSQL: pg_hba.conf rejects their plain-TCP
 * logins; MariaDB: REQUIRE SSL), so a rotation that completes proves that each of its logins was TLS;
 * each test checks that control first, and asks the server about the cipher of a session with the new
 * password. Without the CA, a certificate-verification error must stop the rotation, with "ssl": true
 * and without an "ssl" field alike (never a silent fall-back to plain TCP).
 */
import {
  randomSuffix,
  startMysql,
  startPostgres,
  type DatabaseServer,
  type EngineName,
} from '../support/databases';
import { FAKE_AWS_ENV, startMoto, type MotoServer } from '../support/moto';
import { Vault, expectOneCurrent, STEPS } from '../rotation/fixture';
import { resolveBundle } from './support/bundle';
import { bundleEnv, VAULT_PREFIX } from './support/suite';
import {
  forwardFrom,
  isWrongPassword,
  login,
  makeCertificates,
  requireTls,
  runStepsInChild,
  type Certificates,
  type ChildRun,
  type LoginResult,
  type StepRun,
} from './support/tls';

const bundle = resolveBundle();
const servers: Partial<Record<EngineName, DatabaseServer>> = {};
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
  // All three at once: each spends most of its start-up waiting.
  const [postgres, mysql, motoServer] = await Promise.allSettled([
    startPostgres({ tls: certs }),
    startMysql({ tls: certs }),
    startMoto(),
  ]);
  if (postgres.status === 'fulfilled') servers.postgres = postgres.value;
  if (mysql.status === 'fulfilled') servers.mysql = mysql.value;
  if (motoServer.status === 'fulfilled') moto = motoServer.value;
  for (const result of [postgres, mysql, motoServer]) {
    if (result.status === 'rejected') throw result.reason;
  }
  vault = await Vault.create(moto as MotoServer);
}, 90000);

afterAll(async () => {
  try {
    await Promise.allSettled([servers.postgres?.stop(), servers.mysql?.stop(), moto?.stop()]);
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

describe.each(['postgres', 'mysql'] as const)(`%s over TLS, through the ${bundle.origin}`, (engine) => {
  const label = engine === 'postgres' ? 'PostgreSQL' : 'MySQL';
  const server = (): DatabaseServer => {
    const s = servers[engine];
    if (!s) throw new Error(`${engine} is not running`);
    return s;
  };
  const ca = (): string => (certs as Certificates).caPem;

  function secretJson(fields: Record<string, unknown>): string {
    const s = server();
    return JSON.stringify({
      engine: engine === 'postgres' ? 'postgres' : 'mariadb',
      host: s.host,
      port: s.port,
      dbname: s.dbname,
      ...fields,
    });
  }

  /** A fresh user and its secret; `ssl` undefined leaves the field out ('prefer'). */
  async function made(options: {
    ssl?: boolean;
    tlsOnly: boolean;
    scheme?: 'single' | 'alternating';
    extra?: Record<string, unknown>;
  }): Promise<{ arn: string; username: string; password: string }> {
    const s = server();
    const username = `sv_${randomSuffix()}`;
    const password = `Init-${randomSuffix()}-pw`;
    await s.createUser(username, password);
    if (options.tlsOnly) await requireTls(s, username);
    const ssl = options.ssl === undefined ? {} : { ssl: options.ssl };
    let admin = {};
    if (options.scheme === 'alternating') {
      const adminArn = await vault.createSecret(
        vault.uniqueName('admin/tls'),
        secretJson({ username: s.adminUser, password: s.adminPassword, ...ssl }),
      );
      admin = { masterarn: adminArn };
    }
    const arn = await vault.createSecret(
      vault.uniqueName(`${VAULT_PREFIX}tls`),
      secretJson({ username, password, ...ssl, ...admin, ...options.extra }),
      options.scheme ?? 'single',
    );
    return { arn, username, password };
  }

  /** The steps, run by the bundle in a child node process that trusts the test CA only if `trusted`. */
  function inChild(trusted: boolean, runs: StepRun[]): Promise<ChildRun> {
    return runStepsInChild({
      bundle: bundle.path,
      awsEndpoint: (moto as MotoServer).endpoint,
      env: bundleEnv(engine),
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
   * The results of createSecret + setSecret and, on its own, testSecret when the certificate cannot be
   * verified: both fail with the TLS error, naming engine, place and user and pointing at the fix. The
   * reason by default: the CA is not trusted (the servers send their chain, the CA included, hence
   * "self-signed certificate in certificate chain").
   */
  function refusedForTheCertificate(
    arn: string,
    username: string,
    where: { host: string; port: number } = server(),
    reason = '(self-signed certificate in certificate chain|unable to verify the first certificate)',
  ): unknown[] {
    const tlsError = `TLS could not be set up with ${label} at ${escapeRegExp(`${where.host}:${where.port}`)}/\\w+ as user "${username}": ${reason} \\(.*NODE_EXTRA_CA_CERTS`;
    return [
      { arn, step: 'createSecret', ok: true },
      { arn, step: 'setSecret', ok: false, message: expect.stringMatching(new RegExp(`^${tlsError}`)) },
      {
        arn,
        step: 'testSecret',
        ok: false,
        message: expect.stringMatching(
          new RegExp(`^the AWSPENDING credential of secret ${escapeRegExp(arn)} does not work: ${tlsError}`),
        ),
      },
    ];
  }

  function expectNothingLogged(run: ChildRun, ...secrets: string[]): void {
    for (const secret of secrets) expect(run.output).not.toContain(secret);
    // Node warns (and goes on without them) when it cannot read NODE_EXTRA_CA_CERTS.
    expect(run.output).not.toMatch(/Ignoring extra certs/);
  }

  test('"ssl": true with the CA trusted: a single-user rotation runs over verified TLS', async () => {
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

  test('no "ssl" field with the CA trusted: "prefer" runs over verified TLS too', async () => {
    const s = server();
    const { arn, username, password } = await made({ tlsOnly: true });
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

  test('"ssl": true, alternating users: the clone is made and tested over TLS, and needs TLS too', async () => {
    const s = server();
    const { arn, username, password } = await made({ ssl: true, tlsOnly: true, scheme: 'alternating' });

    const token = await vault.startRotation(arn);
    const run = await inChild(true, [{ arn, token, steps: STEPS }]);
    expect(run.results).toEqual(STEPS.map((step) => ({ arn, step, ok: true })));

    expect(expectOneCurrent(await vault.stages(arn))).toBe(token);
    const now = await current(arn);
    expect(now.username).toBe(`${username}_clone`);
    expect(await login(s, now.username, now.password, ca())).toEqual(overTls);
    // PostgreSQL: a member of the user, so of the TLS-only role; MariaDB: REQUIRE SSL copied over.
    expectRefusedWithoutTls(await login(s, now.username, now.password));
    expect(await login(s, username, password, ca())).toEqual(overTls);
    expectNothingLogged(run, password, now.password, s.adminPassword);
  });

  test('"ssl": true without the CA: a certificate-verification error, AWSCURRENT and the database untouched', async () => {
    const s = server();
    const { arn, username, password } = await made({ ssl: true, tlsOnly: true });
    const before = await vault.stages(arn);
    const token = await vault.startRotation(arn);
    const run = await inChild(false, [
      { arn, token, steps: ['createSecret', 'setSecret'] },
      { arn, token, steps: ['testSecret'] },
    ]);
    expect(run.results).toEqual(refusedForTheCertificate(arn, username));

    const old = Object.keys(before)[0];
    expect((await vault.stages(arn))[old]).toEqual(['AWSCURRENT']);
    expect((await current(arn)).password).toBe(password);
    expect(await login(s, username, password, ca())).toEqual(overTls);
    const pending = JSON.parse((await vault.valueOf(arn, token)) as string) as { password: string };
    expect(isWrongPassword(await login(s, username, pending.password, ca()))).toBe(true);
    expectNothingLogged(run, password, pending.password);
  });

  test('no "ssl" field without the CA: a certificate error, never a silent downgrade to plain TCP', async () => {
    const s = server();
    // Not TLS-only: a plain-TCP login would get in, so only the driver's refusal to downgrade stops it.
    const { arn, username, password } = await made({ tlsOnly: false });
    expect(await login(s, username, password)).toEqual({ ok: true, cipher: '' });
    const before = await vault.stages(arn);
    const token = await vault.startRotation(arn);
    const run = await inChild(false, [
      { arn, token, steps: ['createSecret', 'setSecret'] },
      { arn, token, steps: ['testSecret'] },
    ]);
    expect(run.results).toEqual(refusedForTheCertificate(arn, username));

    const old = Object.keys(before)[0];
    expect((await vault.stages(arn))[old]).toEqual(['AWSCURRENT']);
    expect(await login(s, username, password)).toEqual({ ok: true, cipher: '' });
    const pending = JSON.parse((await vault.valueOf(arn, token)) as string) as { password: string };
    expect(isWrongPassword(await login(s, username, pending.password))).toBe(true);
    expectNothingLogged(run, password, pending.password);
  });

  // mysql2 checks no name by itself (and none at all for an IP address): the MySQL driver checks the
  // certificate against the dialled host itself, as pg does.
  test('"ssl": true with the CA trusted, at an address the certificate does not name: refused, nothing changed', async () => {
    const s = server();
    const other = await forwardFrom('127.0.0.2', s);
    try {
      // Not TLS-only: over plain TCP this address gets in, so only the name check stops the rotation.
      const { arn, username, password } = await made({
        ssl: true,
        tlsOnly: false,
        extra: { host: other.host, port: other.port },
      });
      expect(await login({ ...s, host: other.host, port: other.port }, username, password)).toEqual({
        ok: true,
        cipher: '',
      });
      const before = await vault.stages(arn);
      const token = await vault.startRotation(arn);
      const run = await inChild(true, [
        { arn, token, steps: ['createSecret', 'setSecret'] },
        { arn, token, steps: ['testSecret'] },
      ]);
      expect(run.results).toEqual(
        refusedForTheCertificate(
          arn,
          username,
          other,
          "Hostname/IP does not match certificate's altnames: IP: 127\\.0\\.0\\.2 is not in the cert's list: 127\\.0\\.0\\.1",
        ),
      );
      const old = Object.keys(before)[0];
      expect((await vault.stages(arn))[old]).toEqual(['AWSCURRENT']);
      expect(await login(s, username, password, ca())).toEqual({ ok: true, cipher: expect.any(String) });
      expectNothingLogged(run, password);
    } finally {
      await other.close();
    }
  });
});
