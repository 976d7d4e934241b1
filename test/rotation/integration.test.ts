/**
 * The built bundle (assets/rotation/index.js) against moto: full rotations, then the fault cases of
 * ROTATION.md that moto can express, checking the invariants after each. Cases moto cannot express
 * are in steps.test.ts: AccessDenied and KMS errors; AWS refusing a second value for a token; and a
 * manual PutSecretValue during rotation (moto's RotateSecret makes the pending token its "default
 * version", so a later PutSecretValue demotes the token instead of the old AWSCURRENT and leaves two
 * versions labelled AWSCURRENT).
 */
import { CancelRotateSecretCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import {
  BUNDLE_ENV,
  JSON_DEFAULT_ENV,
  STEPS,
  VAULT_PREFIX,
  expectOneCurrent,
  loadBundle,
  useBundle,
  versionsWith,
  type Handler,
} from './fixture';

const fx = useBundle();
/** The JSON secrets made here rotate through a function whose default profile is `json`. */
let jsonHandler: Handler;
const jsonSecrets = new Set<string>();
beforeAll(() => {
  jsonHandler = loadBundle(JSON_DEFAULT_ENV);
});

const OLD = 'old-value-0123456789abcdef';
const OLD_JSON = JSON.stringify({ username: 'svc', password: OLD, host: 'db.internal', port: 5432 });

async function newSecret(value = OLD, profile?: string, base = `${VAULT_PREFIX}secret`): Promise<string> {
  const arn = await fx.vault.createSecret(fx.vault.uniqueName(base), value, profile);
  if (profile === 'json') jsonSecrets.add(arn);
  return arn;
}

function step(Step: string, SecretId: string, ClientRequestToken: string, extra: object = {}): Promise<void> {
  const handler = jsonSecrets.has(SecretId) ? jsonHandler : fx.handler;
  return handler({ Step, SecretId, ClientRequestToken, ...extra });
}

async function rotateFully(arn: string, token: string): Promise<void> {
  for (const s of STEPS) await step(s, arn, token);
}

/** Secret, started rotation, and its state so far. */
async function started(value = OLD, profile?: string) {
  const arn = await newSecret(value, profile);
  const oldVersion = expectOneCurrent(await fx.vault.stages(arn));
  const token = await fx.vault.startRotation(arn);
  return { arn, token, oldVersion };
}

describe('a clean rotation', () => {
  test('of a string secret: a new AWSCURRENT from GetRandomPassword, the old value in AWSPREVIOUS', async () => {
    const { arn, token, oldVersion } = await started();
    await rotateFully(arn, token);
    const stages = await fx.vault.stages(arn);
    expect(expectOneCurrent(stages)).toBe(token);
    expect(versionsWith(stages, 'AWSPREVIOUS')).toEqual([oldVersion]);
    const current = (await fx.vault.valueAt(arn, 'AWSCURRENT')) as string;
    expect(current).toHaveLength(32);
    expect(current).not.toMatch(/[/@"'\\]/);
    expect(await fx.vault.valueAt(arn, 'AWSPREVIOUS')).toBe(OLD);
  });

  test('of a JSON secret: only the profile field changes, with its own password options', async () => {
    const { arn, token } = await started(OLD_JSON, 'json');
    await rotateFully(arn, token);
    const current = JSON.parse((await fx.vault.valueAt(arn, 'AWSCURRENT')) as string);
    expect(current).toEqual({
      username: 'svc',
      password: expect.any(String),
      host: 'db.internal',
      port: 5432,
    });
    expect(current.password).toHaveLength(24);
    expect(current.password).toMatch(/^[A-Za-z0-9]+$/);
    expect(await fx.vault.valueAt(arn, 'AWSPREVIOUS')).toBe(OLD_JSON);
  });

  test('passes a RotationToken through (cross-account rotation) and still rotates', async () => {
    const { arn, token } = await started();
    for (const s of STEPS)
      await step(s, arn, token, { RotationToken: 'rotation-token-0123456789abcdef0123' });
    expect(expectOneCurrent(await fx.vault.stages(arn))).toBe(token);
  });

  test('logs each step with its secret ARN and outcome, and never a value or a token', async () => {
    const { arn, token } = await started(OLD_JSON, 'json');
    const rotationToken = 'rotation-token-fedcba9876543210fedc';
    for (const s of STEPS) await step(s, arn, token, { RotationToken: rotationToken });
    // and a failing retry with a token AWS error messages quote
    await expect(step('testSecret', arn, 'not-a-version-0000000000000000000000')).rejects.toThrow();
    const text = fx.out.text();
    const current = (await fx.vault.valueAt(arn, 'AWSCURRENT')) as string;
    for (const secret of [OLD, OLD_JSON, current, JSON.parse(current).password, token, rotationToken]) {
      expect(text).not.toContain(secret);
    }
    expect(text).not.toContain('not-a-version-0000000000000000000000');
    const records = fx.out.records();
    for (const s of STEPS) {
      expect(records).toContainEqual(
        expect.objectContaining({
          step: s,
          secretArn: arn,
          outcome: 'succeeded',
          service: 'secrets-vault-rotation',
        }),
      );
      expect(records).toContainEqual(expect.objectContaining({ Step: s, RotationStepSucceeded: 1 }));
    }
  });

  test('three rotations in a row: each AWSPREVIOUS is the value current before it', async () => {
    const arn = await newSecret();
    let before = OLD;
    for (let i = 0; i < 3; i += 1) {
      const token = await fx.vault.startRotation(arn);
      await rotateFully(arn, token);
      expect(expectOneCurrent(await fx.vault.stages(arn))).toBe(token);
      expect(await fx.vault.valueAt(arn, 'AWSPREVIOUS')).toBe(before);
      before = (await fx.vault.valueAt(arn, 'AWSCURRENT')) as string;
    }
  });
});

describe('retries converge', () => {
  test('every step run twice ends where a clean run does', async () => {
    const { arn, token, oldVersion } = await started();
    for (const s of STEPS) {
      await step(s, arn, token);
      await step(s, arn, token);
    }
    const stages = await fx.vault.stages(arn);
    expect(expectOneCurrent(stages)).toBe(token);
    expect(versionsWith(stages, 'AWSPREVIOUS')).toEqual([oldVersion]);
    expect(await fx.vault.valueAt(arn, 'AWSPREVIOUS')).toBe(OLD);
  });

  test('createSecret retried after its put keeps the first value', async () => {
    const { arn, token } = await started();
    await step('createSecret', arn, token);
    const first = await fx.vault.valueOf(arn, token);
    await step('createSecret', arn, token);
    expect(await fx.vault.valueOf(arn, token)).toBe(first);
    expect(Object.keys(await fx.vault.stages(arn))).toHaveLength(2);
  });

  test('a whole rotation retried after a crash before finishSecret converges with the same value', async () => {
    const { arn, token } = await started();
    await step('createSecret', arn, token);
    await step('setSecret', arn, token);
    const pending = await fx.vault.valueOf(arn, token);
    // crash; the service retries the rotation from the start with the same token
    await rotateFully(arn, token);
    expect(expectOneCurrent(await fx.vault.stages(arn))).toBe(token);
    expect(await fx.vault.valueAt(arn, 'AWSCURRENT')).toBe(pending);
  });

  test('testSecret fails before createSecret and passes on the retry after it', async () => {
    const { arn, token } = await started();
    await expect(step('testSecret', arn, token)).rejects.toThrow(
      "Secrets Manager can't find the specified secret value",
    );
    await step('createSecret', arn, token);
    await expect(step('testSecret', arn, token)).resolves.toBeUndefined();
  });

  test.each(STEPS)(
    '%s after finishSecret (token already AWSCURRENT) succeeds and changes nothing',
    async (s) => {
      const { arn, token } = await started();
      await rotateFully(arn, token);
      const before = [await fx.vault.stages(arn), await fx.vault.valueAt(arn, 'AWSCURRENT')];
      await step(s, arn, token);
      expect([await fx.vault.stages(arn), await fx.vault.valueAt(arn, 'AWSCURRENT')]).toEqual(before);
    },
  );

  test('two concurrent createSecret invocations with the same token leave one value that finishes', async () => {
    const { arn, token } = await started();
    // AWS would refuse the slower put (ResourceExistsException, see steps.test.ts) and the handler
    // would keep the stored value; moto accepts both puts, so only the end state is checked here.
    await Promise.all([step('createSecret', arn, token), step('createSecret', arn, token)]);
    const pending = await fx.vault.valueOf(arn, token);
    expect(pending).toHaveLength(32);
    await rotateFully(arn, token);
    expect(expectOneCurrent(await fx.vault.stages(arn))).toBe(token);
    expect(await fx.vault.valueAt(arn, 'AWSCURRENT')).toBe(pending);
  });
});

describe('rejected invocations change nothing', () => {
  async function expectUnchanged(arn: string, action: () => Promise<void>): Promise<void> {
    const before = [await fx.vault.stages(arn), await fx.vault.valueAt(arn, 'AWSCURRENT')];
    await action();
    expect([await fx.vault.stages(arn), await fx.vault.valueAt(arn, 'AWSCURRENT')]).toEqual(before);
  }

  test('an unknown step', async () => {
    const { arn, token } = await started();
    await expectUnchanged(arn, () =>
      expect(step('rotateSecret', arn, token)).rejects.toThrow(
        'invalid rotation event: unknown Step "rotateSecret"',
      ),
    );
  });

  test('an event without ClientRequestToken', async () => {
    const { arn } = await started();
    await expectUnchanged(arn, () =>
      expect(fx.handler({ Step: 'createSecret', SecretId: arn })).rejects.toThrow(
        'invalid rotation event: field ClientRequestToken is missing',
      ),
    );
  });

  test('a non-printable token', async () => {
    const { arn, token } = await started();
    await expectUnchanged(arn, () =>
      expect(step('createSecret', arn, `${token}\n`)).rejects.toThrow('outside printable ASCII'),
    );
  });

  test('a secret with rotation disabled', async () => {
    const arn = await newSecret();
    // An AWSPENDING version without RotateSecret: rotation was never enabled.
    const token = 'manual-pending-000000000000000000000';
    await fx.vault.client.send(
      new PutSecretValueCommand({
        SecretId: arn,
        ClientRequestToken: token,
        SecretString: 'x'.repeat(20),
        VersionStages: ['AWSPENDING'],
      }),
    );
    await expectUnchanged(arn, () =>
      expect(step('finishSecret', arn, token)).rejects.toThrow(`secret ${arn} is not enabled for rotation`),
    );
  });

  test('a token that is not a version of the secret', async () => {
    const { arn } = await started();
    await expectUnchanged(arn, () =>
      expect(step('createSecret', arn, 'not-a-version-1111111111111111111111')).rejects.toThrow(
        `the ClientRequestToken is not a version of secret ${arn}; start a new rotation with RotateSecret`,
      ),
    );
  });

  test.each(STEPS)('%s with a token that is only AWSPREVIOUS', async (s) => {
    const { arn, token } = await started();
    await rotateFully(arn, token);
    const next = await fx.vault.startRotation(arn);
    await rotateFully(arn, next);
    expect((await fx.vault.stages(arn))[token]).toEqual(['AWSPREVIOUS']);
    await expectUnchanged(arn, () =>
      expect(step(s, arn, token)).rejects.toThrow('is not staged AWSPENDING (it has stages AWSPREVIOUS)'),
    );
  });

  test('a SecretId this function is not bound to', async () => {
    const arn = await fx.vault.createSecret(fx.vault.uniqueName('elsewhere/secret'), OLD);
    const token = await fx.vault.startRotation(arn);
    await expectUnchanged(arn, () =>
      expect(step('createSecret', arn, token)).rejects.toThrow(
        `secret ${arn} is not in this rotation function's vault (allowed name prefix: "vault/"; allowed secret ARNs: none)`,
      ),
    );
    expect(await fx.vault.valueOf(arn, token)).toBeUndefined();
  });

  test('a secret tagged with another profile than the default rotates with neither: nothing written', async () => {
    const arn = await fx.vault.createSecret(fx.vault.uniqueName(`${VAULT_PREFIX}retagged`), OLD_JSON, 'json');
    const token = await fx.vault.startRotation(arn);
    await expectUnchanged(arn, () =>
      expect(fx.handler({ Step: 'createSecret', SecretId: arn, ClientRequestToken: token })).rejects.toThrow(
        `secret ${arn} carries secrets-vault:rotation-profile tag "json", but this deployment did not bind it, so it rotates with the default profile "api" only`,
      ),
    );
    expect(await fx.vault.valueOf(arn, token)).toBeUndefined();
  });

  test('a JSON secret whose current value is not JSON: nothing written', async () => {
    const { arn, token } = await started('not json at all', 'json');
    await expect(step('createSecret', arn, token)).rejects.toThrow(
      `the AWSCURRENT value of secret ${arn} is not a JSON object, but profile "json" rotates its field "password"`,
    );
    expect(await fx.vault.valueOf(arn, token)).toBeUndefined();
  });

  test('a JSON secret without the rotated key: nothing written', async () => {
    const { arn, token } = await started(JSON.stringify({ username: 'svc' }), 'json');
    await expect(step('createSecret', arn, token)).rejects.toThrow(`has no field "password"`);
    expect(await fx.vault.valueOf(arn, token)).toBeUndefined();
  });

  test('a secret with no AWSCURRENT version', async () => {
    const { arn, token, oldVersion } = await started();
    // AWS refuses to remove AWSCURRENT without moving it; moto allows it, which is the only way to
    // reach this state here.
    await fx.vault.removeStage(arn, 'AWSCURRENT', oldVersion);
    await expect(step('createSecret', arn, token)).rejects.toThrow(
      `secret ${arn} has no AWSCURRENT version to rotate from`,
    );
    expect(await fx.vault.valueOf(arn, token)).toBeUndefined();
  });
});

describe('interrupted and interfering rotations', () => {
  test('a stale AWSPENDING from an abandoned rotation is a clear error, and the named fix works', async () => {
    const { arn, token } = await started();
    await step('createSecret', arn, token);
    // Someone (or an abandoned rotation) labels another version AWSPENDING.
    const stray = 'stray-pending-0000000000000000000000';
    await fx.vault.client.send(
      new PutSecretValueCommand({
        SecretId: arn,
        ClientRequestToken: stray,
        SecretString: 'y'.repeat(20),
        VersionStages: ['AWSPENDING'],
      }),
    );
    for (const s of STEPS) {
      await expect(step(s, arn, token)).rejects.toThrow(
        /has a stale AWSPENDING label on another version .* run CancelRotateSecret, or remove the AWSPENDING label/,
      );
    }
    expect(await fx.vault.valueAt(arn, 'AWSCURRENT')).toBe(OLD);
    // The fix the message names: cancel, remove the label, rotate again.
    await fx.vault.client.send(new CancelRotateSecretCommand({ SecretId: arn }));
    await fx.vault.removeStage(arn, 'AWSPENDING', stray);
    const next = await fx.vault.startRotation(arn);
    await rotateFully(arn, next);
    expect(expectOneCurrent(await fx.vault.stages(arn))).toBe(next);
    expect(await fx.vault.valueAt(arn, 'AWSPREVIOUS')).toBe(OLD);
  });

  test('a new rotation after an abandoned one: the old token fails clearly, the new one completes', async () => {
    const { arn, token } = await started();
    await step('createSecret', arn, token);
    const next = await fx.vault.startRotation(arn);
    await expect(step('finishSecret', arn, token)).rejects.toThrow('stale AWSPENDING');
    await rotateFully(arn, next);
    expect(expectOneCurrent(await fx.vault.stages(arn))).toBe(next);
    expect(await fx.vault.valueAt(arn, 'AWSPREVIOUS')).toBe(OLD);
  });

  test('finishSecret retried after the stage moved succeeds without another move', async () => {
    const { arn, token, oldVersion } = await started();
    await rotateFully(arn, token);
    await step('finishSecret', arn, token);
    const stages = await fx.vault.stages(arn);
    expect(expectOneCurrent(stages)).toBe(token);
    expect(versionsWith(stages, 'AWSPREVIOUS')).toEqual([oldVersion]);
  });

  test('a function with no vault scope refuses every secret (fail closed)', async () => {
    const scopeless = loadBundle({ ...BUNDLE_ENV, VAULT_SECRET_NAME_PREFIX: '' });
    try {
      const { arn, token } = await started();
      await expect(
        scopeless({ Step: 'createSecret', SecretId: arn, ClientRequestToken: token }),
      ).rejects.toThrow('this rotation function has no vault scope');
      expect(await fx.vault.valueOf(arn, token)).toBeUndefined();
    } finally {
      Object.assign(process.env, BUNDLE_ENV);
    }
  });
});
