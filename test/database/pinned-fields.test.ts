/**
 * The connection fields come from the pin, not from the secret's generated template: a database
 * secret's template holds only `username` (CloudFormation regenerates a GenerateSecretString value
 * when any template field changes, aws-cdk#19985), so the rotation function writes engine, host, port,
 * dbname, ssl and (alternating users) masterarn into every version it creates. The built bundle, moto
 * and a real PostgreSQL server over verified TLS, as in support/suite.ts.
 */
import { randomSuffix, type DatabaseServer } from '../support/databases';
import { PinnedEnvironment, STEPS, expectOneCurrent } from '../rotation/fixture';
import { resolveBundle } from './support/bundle';
import { VAULT_PREFIX, bundleEnv, pinnedFields, pinnedTarget, useRotationBench } from './support/suite';

const bundle = resolveBundle();
afterAll(() => bundle.cleanup());

const bench = useRotationBench('postgres', bundle.path);
const deployment = new PinnedEnvironment(bundleEnv('postgres'));

const server = (): DatabaseServer => bench.server;

async function rotate(arn: string): Promise<string> {
  const token = await bench.vault.startRotation(arn);
  await bench.bundleProcess.load(deployment.env());
  for (const Step of STEPS)
    await bench.bundleProcess.invoke({ Step, SecretId: arn, ClientRequestToken: token });
  return token;
}

/** Always by stage, AWSCURRENT named explicitly: moto's stage-less read can return another version. */
async function valueAt(arn: string, stage: 'AWSCURRENT' | 'AWSPREVIOUS'): Promise<Record<string, unknown>> {
  return JSON.parse((await bench.vault.valueAt(arn, stage)) as string);
}

test(`single user: a value of only username and password rotates, and the new AWSCURRENT holds the pinned fields`, async () => {
  const s = server();
  const username = `sv_${randomSuffix()}`;
  const password = `Init-${randomSuffix()}-pw`;
  await s.createUser(username, password);
  const name = bench.vault.uniqueName(`${VAULT_PREFIX}db`);
  deployment.bind(name, 'single', pinnedTarget(s));
  const first = JSON.stringify({ username, password });
  const arn = await bench.vault.createSecret(name, first, 'single');

  const token = await rotate(arn);
  expect(expectOneCurrent(await bench.vault.stages(arn))).toBe(token);
  const current = await valueAt(arn, 'AWSCURRENT');
  expect(current).toEqual({ ...pinnedFields(s), username, password: expect.any(String) });
  expect(current.password).not.toBe(password);
  expect(await s.canLogin(username, current.password as string)).toBe(true);
  expect(await bench.vault.valueAt(arn, 'AWSPREVIOUS')).toBe(first);
});

test('alternating users with an admin secret of only username and password: each new AWSCURRENT holds the pinned fields and masterarn', async () => {
  const s = server();
  const username = `sv_${randomSuffix()}`;
  const password = `Init-${randomSuffix()}-pw`;
  await s.createUser(username, password);
  // Like RDS's managed master secret: no connection field at all.
  const adminArn = await bench.vault.createSecret(
    bench.vault.uniqueName('admin/db'),
    JSON.stringify({ username: s.adminUser, password: s.adminPassword }),
  );
  const name = bench.vault.uniqueName(`${VAULT_PREFIX}db`);
  deployment.bind(name, 'alternating', pinnedTarget(s, { admin: adminArn }));
  const arn = await bench.vault.createSecret(name, JSON.stringify({ username, password }), 'alternating');

  const expected = (user: string) => ({
    ...pinnedFields(s),
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
