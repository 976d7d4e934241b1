import { join } from 'node:path';
import { captureOutput } from './rotation/helpers';
import { BUNDLE_ENV, STEPS, Vault, expectOneCurrent, loadBundle } from './rotation/fixture';
import { useMoto } from './support/moto';

/**
 * The example application (the bundled assets/example-reader, as deployed) keeps reading a valid
 * value while the real bundled rotation function rotates its secret, against moto: before, between
 * every two steps, and after, over several rotations. It needs no change when the secret rotates.
 */
const READER_BUNDLE = join(__dirname, '..', 'assets', 'example-reader', 'index.js');

interface Reader {
  handler(): Promise<{ ok: boolean }>;
  /** What the handler read: exported for this test, never returned or logged by the function. */
  readSecret(): Promise<string>;
}

function loadReader(env: Record<string, string>): Reader {
  Object.assign(process.env, env);
  let reader: Reader | undefined;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    reader = require(READER_BUNDLE) as Reader;
  });
  return reader as Reader;
}

describe('the example application across rotations', () => {
  const moto = useMoto();
  let vault: Vault;
  beforeAll(async () => {
    vault = await Vault.create(moto.server);
  });

  test('reads the current value before, during and after three rotations, and never logs it', async () => {
    const arn = await vault.createSecret(
      vault.uniqueName('vault/payments-api-key'),
      'initial-key-value',
      'api',
    );
    const rotate = loadBundle(BUNDLE_ENV);
    const read = loadReader({ SECRET_ARN: arn, SECRET_CACHE_TTL_SECONDS: '0' });
    const values = new Set<string>(['initial-key-value']);
    const output = captureOutput();
    try {
      const expectReadsCurrent = async () => {
        const current = expectOneCurrent(await vault.stages(arn));
        const currentValue = (await vault.valueOf(arn, current)) as string;
        expect(await read.handler()).toEqual({ ok: true });
        expect(await read.readSecret()).toBe(currentValue);
        values.add(currentValue);
      };
      await expectReadsCurrent();
      for (let rotation = 0; rotation < 3; rotation++) {
        const before = expectOneCurrent(await vault.stages(arn));
        const token = await vault.startRotation(arn);
        for (const Step of STEPS) {
          await rotate({ Step, SecretId: arn, ClientRequestToken: token });
          await expectReadsCurrent();
        }
        const after = expectOneCurrent(await vault.stages(arn));
        expect(after).toBe(token);
        expect(after).not.toBe(before);
      }
    } finally {
      output.restore();
    }
    expect(values.size).toBe(4);
    const logged = output.text();
    expect(logged).toContain('read secret');
    for (const value of values) expect(logged).not.toContain(value);
  });

  test('with its cache, it keeps the value it read until the cache expires, and that value is still AWSPREVIOUS', async () => {
    const arn = await vault.createSecret(
      vault.uniqueName('vault/payments-api-key'),
      'cached-key-value',
      'api',
    );
    const rotate = loadBundle(BUNDLE_ENV);
    const read = loadReader({ SECRET_ARN: arn, SECRET_CACHE_TTL_SECONDS: '3600' });
    const output = captureOutput();
    try {
      expect(await read.handler()).toEqual({ ok: true });
      const token = await vault.startRotation(arn);
      for (const Step of STEPS) await rotate({ Step, SecretId: arn, ClientRequestToken: token });
      // Powertools' cache still holds the value read before the rotation; it is now AWSPREVIOUS,
      // which Secrets Manager keeps, so a client that read it a moment ago can still use it.
      expect(await read.readSecret()).toBe('cached-key-value');
      expect(await vault.valueAt(arn, 'AWSPREVIOUS')).toBe('cached-key-value');
      expect(expectOneCurrent(await vault.stages(arn))).toBe(token);
    } finally {
      output.restore();
    }
  });
});
