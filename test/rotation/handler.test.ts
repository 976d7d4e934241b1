import type { SecretsManagerClient as Client } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { ARN, TOKEN, captureOutput, describeResponse, type Captured } from './helpers';

// index.ts builds its client, logger, metrics and configuration at module scope, as in Lambda; each
// test loads it afresh (with the SDK from the same module registry, so the mock applies).
const VARS = [
  'VAULT_SECRET_NAME_PREFIX',
  'VAULT_SECRET_ARNS',
  'ROTATION_PROFILES',
  'ROTATION_DEFAULT_PROFILE',
  'POWERTOOLS_METRICS_NAMESPACE',
  'POWERTOOLS_SERVICE_NAME',
  'AWS_REGION',
];
let saved: Record<string, string | undefined>;
let out: Captured;

beforeEach(() => {
  saved = Object.fromEntries(VARS.map((name) => [name, process.env[name]]));
  for (const name of VARS) delete process.env[name];
  process.env.AWS_REGION = 'us-east-1';
  out = captureOutput();
});
afterEach(() => {
  out.restore();
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

function load(env: Record<string, string>) {
  Object.assign(process.env, env);
  jest.resetModules();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sdk = require('@aws-sdk/client-secrets-manager') as typeof import('@aws-sdk/client-secrets-manager');
  const sm = mockClient(sdk.SecretsManagerClient as unknown as typeof Client);
  sm.on(sdk.DescribeSecretCommand).resolves(
    describeResponse({ VersionIdsToStages: { [TOKEN]: ['AWSCURRENT'] } }),
  );
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { handler } = require('../../lambda/rotation/index') as typeof import('../../lambda/rotation/index');
  return { handler, sm };
}

const PROFILES = JSON.stringify({ api: { kind: 'generated' } });
const event = { Step: 'setSecret', SecretId: ARN, ClientRequestToken: TOKEN };

test('fails closed: with neither vault variable set, every invocation fails before any API call', async () => {
  const { handler, sm } = load({ ROTATION_PROFILES: PROFILES });
  for (let i = 0; i < 2; i += 1) {
    await expect(handler(event)).rejects.toThrow(
      'this rotation function has no vault scope: set VAULT_SECRET_NAME_PREFIX and/or VAULT_SECRET_ARNS; refusing to rotate any secret',
    );
  }
  expect(sm.calls()).toHaveLength(0);
});

test('an invalid ROTATION_PROFILES fails every invocation, naming the variable', async () => {
  const { handler } = load({ VAULT_SECRET_NAME_PREFIX: 'vault/', ROTATION_PROFILES: '{nope' });
  await expect(handler(event)).rejects.toThrow('environment variable ROTATION_PROFILES is not valid JSON');
});

test('a valid environment rotates (here: a step whose token is already current)', async () => {
  const { handler, sm } = load({ VAULT_SECRET_NAME_PREFIX: 'vault/', ROTATION_PROFILES: PROFILES });
  await expect(handler(event)).resolves.toBeUndefined();
  expect(sm.calls()).toHaveLength(1);
});

test('VAULT_SECRET_ARNS alone scopes the function to exact ARNs', async () => {
  const { handler } = load({ VAULT_SECRET_ARNS: `${ARN}x`, ROTATION_PROFILES: PROFILES });
  await expect(handler(event)).rejects.toThrow(`secret ${ARN} is not in this rotation function's vault`);
});

test('metrics default to the SecretsVault namespace with Step as the only dimension', async () => {
  const { handler } = load({ VAULT_SECRET_NAME_PREFIX: 'vault/', ROTATION_PROFILES: PROFILES });
  await handler(event);
  const emf = out.records().find((r) => '_aws' in r) as { _aws: { CloudWatchMetrics: unknown[] } };
  expect(emf._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: 'SecretsVault', Dimensions: [['Step']] });
  expect(emf).not.toHaveProperty('service');
});

test('POWERTOOLS_METRICS_NAMESPACE sets the namespace', async () => {
  const { handler } = load({
    VAULT_SECRET_NAME_PREFIX: 'vault/',
    ROTATION_PROFILES: PROFILES,
    POWERTOOLS_METRICS_NAMESPACE: 'Custom',
  });
  await handler(event);
  const emf = out.records().find((r) => '_aws' in r) as { _aws: { CloudWatchMetrics: unknown[] } };
  expect(emf._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: 'Custom' });
});

test('logs carry the service name secrets-vault-rotation by default', async () => {
  const { handler } = load({ VAULT_SECRET_NAME_PREFIX: 'vault/', ROTATION_PROFILES: PROFILES });
  await handler(event);
  expect(out.records()).toContainEqual(
    expect.objectContaining({
      service: 'secrets-vault-rotation',
      outcome: 'already-current',
      step: 'setSecret',
    }),
  );
});
