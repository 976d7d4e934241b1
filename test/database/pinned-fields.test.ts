/**
 * The connection fields come from the pin, not from the secret's generated template: a database
 * secret's template holds only `username` (CloudFormation regenerates a GenerateSecretString value
 * when any template field changes, aws-cdk#19985), so the rotation function writes engine, host, port,
 * dbname, ssl and (alternating users) masterarn into every version it creates. The built bundle, moto
 * and a real PostgreSQL server over verified TLS, as in support/suite.ts.
 */
import { useMoto } from '../support/moto';
import { randomSuffix, useDatabase, type DatabaseServer } from '../support/databases';
import { PinnedEnvironment, STEPS, Vault, expectOneCurrent } from '../rotation/fixture';
import { resolveBundle } from './support/bundle';
import { BundleProcess } from './support/bundle-process';
import { PINNED_HOST, VAULT_PREFIX, bundleEnv, pinnedTarget } from './support/suite';
import { makeCertificates, type Certificates } from './support/tls';

const bundle = resolveBundle();
afterAll(() => bundle.cleanup());

const moto = useMoto();
let certs: Certificates | undefined;
beforeAll(() => {
  certs = makeCertificates();
});
const db = useDatabase('postgres', () => ({ tls: certs }));
let vault: Vault;
let bundleProcess: BundleProcess;
let deployment: PinnedEnvironment;

beforeAll(async () => {
  vault = await Vault.create(moto.server);
  deployment = new PinnedEnvironment(bundleEnv('postgres'));
  bundleProcess = await BundleProcess.start({
    bundle: bundle.path,
    awsEndpoint: moto.server.endpoint,
    extraCaCerts: (certs as Certificates).caFile,
  });
}, 60000);
afterAll(async () => {
  await bundleProcess?.close();
  certs?.cleanup();
});

const server = (): DatabaseServer => db.server;

async function rotate(arn: string): Promise<string> {
  const token = await vault.startRotation(arn);
  await bundleProcess.load(deployment.env());
  for (const Step of STEPS) await bundleProcess.invoke({ Step, SecretId: arn, ClientRequestToken: token });
  return token;
}

/** Always by stage, AWSCURRENT named explicitly: moto's stage-less read can return another version. */
async function valueAt(arn: string, stage: 'AWSCURRENT' | 'AWSPREVIOUS'): Promise<Record<string, unknown>> {
  return JSON.parse((await vault.valueAt(arn, stage)) as string);
}

test(`single user: a value of only username and password rotates, and the new AWSCURRENT holds the pinned fields`, async () => {
  const s = server();
  const username = `sv_${randomSuffix()}`;
  const password = `Init-${randomSuffix()}-pw`;
  await s.createUser(username, password);
  const name = vault.uniqueName(`${VAULT_PREFIX}db`);
  deployment.bind(name, 'single', pinnedTarget(s));
  const first = JSON.stringify({ username, password });
  const arn = await vault.createSecret(name, first, 'single');

  const token = await rotate(arn);
  expect(expectOneCurrent(await vault.stages(arn))).toBe(token);
  const current = await valueAt(arn, 'AWSCURRENT');
  expect(current).toEqual({
    engine: 'postgres',
    host: PINNED_HOST,
    port: s.port,
    dbname: s.dbname,
    ssl: true,
    username,
    password: expect.any(String),
  });
  expect(current.password).not.toBe(password);
  expect(await s.canLogin(username, current.password as string)).toBe(true);
  expect(await vault.valueAt(arn, 'AWSPREVIOUS')).toBe(first);
});

test('alternating users with an admin secret of only username and password: each new AWSCURRENT holds the pinned fields and masterarn', async () => {
  const s = server();
  const username = `sv_${randomSuffix()}`;
  const password = `Init-${randomSuffix()}-pw`;
  await s.createUser(username, password);
  // Like RDS's managed master secret: no connection field at all.
  const adminArn = await vault.createSecret(
    vault.uniqueName('admin/db'),
    JSON.stringify({ username: s.adminUser, password: s.adminPassword }),
  );
  const name = vault.uniqueName(`${VAULT_PREFIX}db`);
  deployment.bind(name, 'alternating', pinnedTarget(s, { admin: adminArn }));
  const arn = await vault.createSecret(name, JSON.stringify({ username, password }), 'alternating');

  const expected = (user: string) => ({
    engine: 'postgres',
    host: PINNED_HOST,
    port: s.port,
    dbname: s.dbname,
    ssl: true,
    masterarn: adminArn,
    username: user,
    password: expect.any(String),
  });
  await rotate(arn);
  const clone = await valueAt(arn, 'AWSCURRENT');
  expect(clone).toEqual(expected(`${username}_clone`));
  expect(await s.canLogin(`${username}_clone`, clone.password as string)).toBe(true);
  // The next rotation copies a value that already has the fields: they stay, the user alternates back.
  await rotate(arn);
  const back = await valueAt(arn, 'AWSCURRENT');
  expect(back).toEqual(expected(username));
  expect(await s.canLogin(username, back.password as string)).toBe(true);
  expect(await s.canLogin(`${username}_clone`, clone.password as string)).toBe(true);
});
