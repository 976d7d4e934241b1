/**
 * An application user whose admin is RDS's managed master secret, rotated with alternating users by
 * the built bundle against moto's RDS and Secrets Manager AND a real PostgreSQL (issue #14's proof of
 * the managed-master path; rds-managed-rotation.test.ts covers the emulator alone).
 *
 * moto's RDS holds the DB instances, created with the port the real server is reached at (`orders`:
 * the server's own; `reports`: a forwarder's that counts the connections the function makes), and its
 * Secrets Manager the master secrets RDS manages (tagged `aws:rds:primaryDBInstanceArn`), which hold
 * the username and password of a real role that may CREATE ROLE, as RDS's master does. The host moto
 * reports (`<id>.aaaaaaaaaa.<region>.rds.amazonaws.com`) resolves to the real server's address only in
 * the child process that runs the bundle, through a preload (rds-host.ts's DNS shim); the function's
 * code is as shipped. Its logins are verified TLS: the server's certificate names the RDS hosts only
 * (a wildcard, as RDS's do), from a test CA the child trusts through NODE_EXTRA_CA_CERTS, so a login
 * that succeeds went to the RDS name.
 */
import { randomBytes } from 'node:crypto';
import { CreateDBInstanceCommand, DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
} from '@aws-sdk/client-secrets-manager';
import type { TargetSpec } from '../../lib/contract/rotation-contract';
import { randomSuffix, useDatabase, type DatabaseServer } from '../support/databases';
import { MOTO_REGION, useMoto } from '../support/moto';
import { PinnedEnvironment, Vault, expectOneCurrent, STEPS } from '../rotation/fixture';
import { resolveBundle } from './support/bundle';
import {
  countingForwarder,
  DNS_SHIM_MARKER,
  loginAs,
  makeRdsCertificates,
  writeDnsShim,
  type CountingForwarder,
  type RdsCertificates,
} from './support/rds-host';
import { VAULT_PREFIX, bundleEnv } from './support/suite';
import { runStepsInChild, type ChildRun, type StepRun } from './support/tls';

/** The domain of every endpoint moto's RDS reports in this region. */
const RDS_DOMAIN = `aaaaaaaaaa.${MOTO_REGION}.rds.amazonaws.com`;

const bundle = resolveBundle();
const moto = useMoto();
let certs: RdsCertificates | undefined;
// Before useDatabase's beforeAll: the server is started with this certificate.
beforeAll(() => {
  certs = makeRdsCertificates(`*.${RDS_DOMAIN}`);
});
// The run's shared server does not serve this certificate: a private one does.
const db = useDatabase('postgres', () => ({ tls: certs }));

interface Instance {
  readonly id: string;
  readonly arn: string;
  readonly host: string;
  readonly port: number;
  readonly secretArn: string;
  readonly master: { readonly username: string; readonly password: string };
}
const instances = {} as Record<'orders' | 'reports', Instance>;
let vault: Vault;
let deployment: PinnedEnvironment;
/** In front of the real server: `reports` is reached through it, so its connections are counted. */
let forwarder: CountingForwarder;
/** NODE_OPTIONS for the child: the DNS shim. */
let preload: string;

beforeAll(async () => {
  const s = db.server;
  forwarder = await countingForwarder({ host: s.host, port: s.port });
  const rds = new RDSClient({ endpoint: moto.server.endpoint, region: MOTO_REGION });
  vault = await Vault.create(moto.server);
  try {
    for (const [id, port] of [
      ['orders', s.port],
      ['reports', forwarder.port],
    ] as const) {
      const username = `sv_rds_master_${randomSuffix()}`;
      const { DBInstance: i } = await rds.send(
        new CreateDBInstanceCommand({
          DBInstanceIdentifier: id,
          Engine: 'postgres',
          DBInstanceClass: 'db.t4g.micro',
          MasterUsername: username,
          ManageMasterUserPassword: true,
          AllocatedStorage: 20,
          Port: port,
        }),
      );
      // What RDS does with the master credential it generates: set it on the database and keep it in
      // the managed secret (moto's holds a fixed placeholder; its value is replaced as RDS would).
      const password = `Adm-${randomBytes(18).toString('base64url')}`;
      await s.createUser(username, password);
      await s.adminQuery(`ALTER ROLE "${username}" CREATEROLE`);
      const secretArn = i!.MasterUserSecret!.SecretArn!;
      await vault.client.send(
        new PutSecretValueCommand({
          SecretId: secretArn,
          SecretString: JSON.stringify({ username, password }),
        }),
      );
      instances[id] = {
        id,
        arn: i!.DBInstanceArn!,
        host: i!.Endpoint!.Address!,
        port: i!.Endpoint!.Port!,
        secretArn,
        master: { username, password },
      };
    }
  } finally {
    rds.destroy();
  }
  preload = writeDnsShim(
    (certs as RdsCertificates).dir,
    Object.values(instances).map((i) => i.host),
    s.host,
  );
  deployment = new PinnedEnvironment(bundleEnv('postgres'));
}, 90000);
afterAll(async () => {
  await forwarder?.close();
  certs?.cleanup();
  bundle.cleanup();
});

const server = (): DatabaseServer => db.server;

/** Verified TLS for the name `host`, trusting the test CA: how the test itself logs in. */
const tlsFor = (host: string) => ({ caPem: (certs as RdsCertificates).caPem, servername: host });

/** The target a deployment pins for an application user of `instance`, with `admin` as its admin. */
function rdsTarget(instance: Instance, admin: string): TargetSpec {
  return {
    engine: 'postgres',
    rds: { kind: 'instance', identifier: instance.id },
    dbname: server().dbname,
    tls: 'verified',
    admin,
  };
}

/** A real application user and its secret, bound to `target` (alternating users), with no host yet. */
async function appUser(target: TargetSpec): Promise<{ arn: string; username: string; password: string }> {
  const username = `sv_app_${randomSuffix()}`;
  const password = `Init-${randomSuffix()}-pw`;
  await server().createUser(username, password);
  const name = vault.uniqueName(`${VAULT_PREFIX}app`);
  deployment.bind(name, 'alternating', target);
  const arn = await vault.createSecret(name, JSON.stringify({ username, password }), 'alternating');
  return { arn, username, password };
}

/** The steps, by the bundle in a child node process that trusts the test CA and preloads the DNS shim. */
function inChild(runs: StepRun[]): Promise<ChildRun> {
  return runStepsInChild({
    bundle: bundle.path,
    awsEndpoint: moto.server.endpoint,
    env: { ...deployment.env(), NODE_OPTIONS: preload },
    extraCaCerts: (certs as RdsCertificates).caFile,
    runs,
  });
}

async function current(
  arn: string,
): Promise<Record<string, unknown> & { username: string; password: string }> {
  return JSON.parse((await vault.valueAt(arn, 'AWSCURRENT')) as string);
}

/** The JSON log lines of a run. */
function records(run: ChildRun): Record<string, unknown>[] {
  return run.output
    .split('\n')
    .filter((line) => line.trim().startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function expectNothingLogged(run: ChildRun, ...secrets: string[]): void {
  for (const secret of secrets) expect(run.output).not.toContain(secret);
  // Node warns (and goes on without them) when it cannot read NODE_EXTRA_CA_CERTS.
  expect(run.output).not.toMatch(/Ignoring extra certs/);
}

test('moto’s RDS reports each instance at the port given, with a tagged managed secret holding a real master', async () => {
  const rds = new RDSClient({ endpoint: moto.server.endpoint, region: MOTO_REGION });
  try {
    const { DBInstances } = await rds.send(
      new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'orders' }),
    );
    expect(DBInstances?.map((i) => i.Endpoint)).toEqual([
      { Address: `orders.${RDS_DOMAIN}`, Port: server().port },
    ]);
  } finally {
    rds.destroy();
  }
  expect(instances.reports).toMatchObject({ host: `reports.${RDS_DOMAIN}`, port: forwarder.port });
  const { orders } = instances;
  const described = await vault.client.send(new DescribeSecretCommand({ SecretId: orders.secretArn }));
  expect(described.Tags).toContainEqual({ Key: 'aws:rds:primaryDBInstanceArn', Value: orders.arn });
  const value = await vault.client.send(
    new GetSecretValueCommand({ SecretId: orders.secretArn, VersionStage: 'AWSCURRENT' }),
  );
  expect(JSON.parse(value.SecretString as string)).toEqual(orders.master);
  // The master logs in over TLS verified for the RDS name; the certificate names nothing else.
  const { username, password } = orders.master;
  expect(await loginAs(server(), username, password, tlsFor(orders.host))).toEqual({
    ok: true,
    ssl: true,
    acting: username,
  });
  expect(await loginAs(server(), username, password, tlsFor('localhost'))).toEqual({
    ok: false,
    code: 'ERR_TLS_CERT_ALTNAME_INVALID',
  });
});

test('alternating users with the managed master as admin: to the clone over verified TLS at the RDS host, then back to the user', async () => {
  const s = server();
  const { orders } = instances;
  const { arn, username, password } = await appUser(rdsTarget(orders, orders.secretArn));

  const first = await vault.startRotation(arn);
  const toClone = await inChild([{ arn, token: first, steps: STEPS }]);
  expect(toClone.results).toEqual(STEPS.map((step) => ({ arn, step, ok: true })));
  expect(expectOneCurrent(await vault.stages(arn))).toBe(first);
  const clone = await current(arn);
  expect(clone).toEqual({
    engine: 'postgres',
    host: orders.host,
    port: s.port,
    dbname: s.dbname,
    ssl: true,
    masterarn: orders.secretArn,
    username: `${username}_clone`,
    password: expect.any(String),
  });
  expect(clone.password).not.toBe(password);
  expect(await loginAs(s, clone.username, clone.password, tlsFor(orders.host))).toEqual({
    ok: true,
    ssl: true,
    acting: username,
  });
  // The user keeps its password until the next rotation: the application never loses its login.
  expect(await loginAs(s, username, password, tlsFor(orders.host))).toMatchObject({ ok: true });
  // The function asked the RDS API where the database is, and resolved that name and no other.
  expect(records(toClone)).toContainEqual(
    expect.objectContaining({
      message: 'found the database through the RDS API',
      rds: 'instance orders',
      host: orders.host,
    }),
  );
  expect(toClone.output).toContain(`${DNS_SHIM_MARKER} ${orders.host} -> ${s.host}`);
  expect(toClone.output).not.toContain('-> system resolver');
  expectNothingLogged(toClone, orders.master.password, password, clone.password);

  const second = await vault.startRotation(arn);
  const back = await inChild([{ arn, token: second, steps: STEPS }]);
  expect(back.results).toEqual(STEPS.map((step) => ({ arn, step, ok: true })));
  expect(expectOneCurrent(await vault.stages(arn))).toBe(second);
  const now = await current(arn);
  expect(now).toEqual({ ...clone, username, password: expect.any(String) });
  expect([password, clone.password]).not.toContain(now.password);
  expect(await loginAs(s, username, now.password, tlsFor(orders.host))).toEqual({
    ok: true,
    ssl: true,
    acting: username,
  });
  expect(await loginAs(s, username, password, tlsFor(orders.host))).toEqual({ ok: false, code: '28P01' });
  // The clone keeps the password that is now AWSPREVIOUS.
  expect(await loginAs(s, clone.username, clone.password, tlsFor(orders.host))).toMatchObject({ ok: true });
  expectNothingLogged(back, orders.master.password, password, clone.password, now.password);
});

test('a managed secret tagged with another instance: refused before any connection, nothing written', async () => {
  const { orders, reports } = instances;
  const runs = (arn: string, token: string): StepRun[] => [
    { arn, token, steps: ['createSecret'] },
    { arn, token, steps: ['setSecret'] },
  ];
  // The control: with its own master secret, the function does reach `reports` (through the forwarder).
  const control = await appUser(rdsTarget(reports, reports.secretArn));
  const controlToken = await vault.startRotation(control.arn);
  const before = forwarder.connections();
  const reached = await inChild(runs(control.arn, controlToken));
  expect(reached.results.map((r) => r.ok)).toEqual([true, true]);
  expect(forwarder.connections()).toBeGreaterThan(before);

  const { arn, password } = await appUser(rdsTarget(reports, orders.secretArn));
  const token = await vault.startRotation(arn);
  const seen = forwarder.connections();
  const refused = await inChild(runs(arn, token));
  const refusal = `secret ${orders.secretArn} is RDS's master secret of ${orders.arn}, but this deployment pinned RDS DB instance "reports" (${reports.arn}); refusing to use it`;
  expect(refused.results).toEqual([
    { arn, step: 'createSecret', ok: false, message: expect.stringContaining(refusal) },
    { arn, step: 'setSecret', ok: false, message: expect.stringContaining(refusal) },
  ]);
  expect(forwarder.connections()).toBe(seen);
  // Not even the host was looked up.
  expect(refused.output).not.toContain(DNS_SHIM_MARKER);
  expect(await vault.valueOf(arn, token)).toBeUndefined();
  expect(await vault.valueAt(arn, 'AWSCURRENT')).toContain(password);
  expectNothingLogged(refused, orders.master.password, reports.master.password, password);
});
