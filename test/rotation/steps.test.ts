import {
  DecryptionFailure,
  DescribeSecretCommand,
  GetRandomPasswordCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
  type DescribeSecretResponse,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { rotate } from '../../lambda/rotation/rotate';
import type { RotationConfig } from '../../lambda/rotation/config';
import {
  ARN,
  CURRENT_VALUE,
  GENERATED,
  JSON_NAME,
  OLD_VERSION,
  PENDING_VALUE,
  ROTATION_TOKEN,
  TOKEN,
  captureOutput,
  describeResponse,
  makeConfig,
  makeDeps,
  profiles,
  type Captured,
} from './helpers';

const sm = mockClient(SecretsManagerClient);
let out: Captured;

/** A JSON secret: bound by the deployment to the `json` profile, and tagged so. */
const JSON_SECRET = { Name: JSON_NAME, Tags: [{ Key: 'secrets-vault:rotation-profile', Value: 'json' }] };
const CURRENT_JSON = JSON.stringify({ username: 'svc', password: CURRENT_VALUE, host: 'db.internal' });

function notFound(message = `Secrets Manager can't find the specified secret value for VersionId: ${TOKEN}`) {
  return new ResourceNotFoundException({ message, $metadata: {} });
}

/** A secret mid-rotation: AWSCURRENT readable, the token's AWSPENDING version still empty. */
function givenSecret(describe: Partial<DescribeSecretResponse> = {}, current = CURRENT_VALUE): void {
  sm.on(DescribeSecretCommand).resolves(describeResponse(describe));
  sm.on(GetSecretValueCommand, { VersionStage: 'AWSCURRENT' }).resolves({ SecretString: current });
  sm.on(GetSecretValueCommand, { VersionStage: 'AWSPENDING', VersionId: TOKEN }).rejects(notFound());
  sm.on(GetRandomPasswordCommand).resolves({ RandomPassword: GENERATED });
  sm.on(PutSecretValueCommand).resolves({ ARN, VersionId: TOKEN });
  sm.on(UpdateSecretVersionStageCommand).resolves({ ARN });
}

function givenPendingValue(value = PENDING_VALUE): void {
  sm.on(GetSecretValueCommand, { VersionStage: 'AWSPENDING', VersionId: TOKEN }).resolves({
    SecretString: value,
  });
}

function run(Step: string, extra: Record<string, unknown> = {}, config?: RotationConfig): Promise<void> {
  return rotate({ Step, SecretId: ARN, ClientRequestToken: TOKEN, ...extra }, makeDeps(config));
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the step to fail');
}

const apiCalls = () =>
  sm.calls().map((call) => (call.args[0] as object).constructor.name.replace(/Command$/, ''));

beforeEach(() => {
  sm.reset();
  out = captureOutput();
});
afterEach(() => out.restore());

describe('createSecret', () => {
  test('first run: one GetRandomPassword and one put of the token as AWSPENDING', async () => {
    givenSecret();
    await run('createSecret');
    expect(sm.commandCalls(GetRandomPasswordCommand)).toHaveLength(1);
    const puts = sm.commandCalls(PutSecretValueCommand);
    expect(puts).toHaveLength(1);
    expect(puts[0].args[0].input).toEqual({
      SecretId: ARN,
      ClientRequestToken: TOKEN,
      SecretString: GENERATED,
      VersionStages: ['AWSPENDING'],
      RotationToken: undefined,
    });
  });

  test('reads the pending value by token and stage', async () => {
    givenSecret();
    await run('createSecret');
    expect(sm.commandCalls(GetSecretValueCommand)[0].args[0].input).toEqual({
      SecretId: ARN,
      VersionId: TOKEN,
      VersionStage: 'AWSPENDING',
    });
  });

  test('uses the default password options from ROTATION.md', async () => {
    givenSecret();
    await run('createSecret');
    expect(sm.commandCalls(GetRandomPasswordCommand)[0].args[0].input).toEqual({
      PasswordLength: 32,
      ExcludeCharacters: '/@"\'\\',
      ExcludePunctuation: false,
      ExcludeNumbers: false,
      ExcludeUppercase: false,
      ExcludeLowercase: false,
      IncludeSpace: false,
      RequireEachIncludedType: true,
    });
  });

  test("passes the profile's password options to GetRandomPassword", async () => {
    givenSecret();
    const config = makeConfig({
      profiles: profiles({
        api: {
          kind: 'generated',
          password: { length: 48, excludeCharacters: ':', excludePunctuation: true },
        },
      }),
    });
    await run('createSecret', {}, config);
    expect(sm.commandCalls(GetRandomPasswordCommand)[0].args[0].input).toMatchObject({
      PasswordLength: 48,
      ExcludeCharacters: ':',
      ExcludePunctuation: true,
    });
  });

  test('passes RotationToken on to PutSecretValue', async () => {
    givenSecret();
    await run('createSecret', { RotationToken: ROTATION_TOKEN });
    expect(sm.commandCalls(PutSecretValueCommand)[0].args[0].input.RotationToken).toBe(ROTATION_TOKEN);
  });

  test('a string secret needs no read of AWSCURRENT: 4 calls in all', async () => {
    givenSecret();
    await run('createSecret');
    expect(apiCalls()).toEqual(['DescribeSecret', 'GetSecretValue', 'GetRandomPassword', 'PutSecretValue']);
  });

  test('does nothing when the token already has a value (a retry after the put)', async () => {
    givenSecret();
    givenPendingValue();
    await run('createSecret');
    expect(sm.commandCalls(GetRandomPasswordCommand)).toHaveLength(0);
    expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });

  test('propagates AccessDenied from the pending read and writes nothing', async () => {
    givenSecret();
    const denied = Object.assign(new Error('User is not authorized to perform GetSecretValue'), {
      name: 'AccessDeniedException',
    });
    sm.on(GetSecretValueCommand, { VersionStage: 'AWSPENDING', VersionId: TOKEN }).rejects(denied);
    const error = await failure(run('createSecret'));
    expect(error.name).toBe('AccessDeniedException');
    expect(sm.commandCalls(GetRandomPasswordCommand)).toHaveLength(0);
    expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });

  test('propagates a KMS DecryptionFailure from reading AWSCURRENT (JSON) and writes nothing', async () => {
    givenSecret(JSON_SECRET, CURRENT_JSON);
    sm.on(GetSecretValueCommand, { VersionStage: 'AWSCURRENT' }).rejects(
      new DecryptionFailure({ message: 'KMS key is disabled', $metadata: {} }),
    );
    const error = await failure(run('createSecret'));
    expect(error.name).toBe('DecryptionFailure');
    expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });

  test('propagates a KMS error from the put', async () => {
    givenSecret();
    sm.on(PutSecretValueCommand).rejects(
      Object.assign(new Error('Access to KMS is not allowed'), { name: 'KMSAccessDeniedException' }),
    );
    await expect(run('createSecret')).rejects.toThrow('Access to KMS is not allowed');
  });

  test('fails when no version is AWSCURRENT', async () => {
    givenSecret({ VersionIdsToStages: { [TOKEN]: ['AWSPENDING'] } });
    await expect(run('createSecret')).rejects.toThrow(
      `secret ${ARN} has no AWSCURRENT version to rotate from`,
    );
    expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });

  test('propagates ResourceNotFound for a missing AWSCURRENT value (JSON)', async () => {
    givenSecret(JSON_SECRET);
    sm.on(GetSecretValueCommand, { VersionStage: 'AWSCURRENT' }).rejects(
      notFound("Secrets Manager can't find the specified secret value for staging label: AWSCURRENT"),
    );
    const error = await failure(run('createSecret'));
    expect(error.name).toBe('ResourceNotFoundException');
    expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });

  test('JSON: copies the current JSON and replaces only the rotated field', async () => {
    givenSecret(JSON_SECRET, CURRENT_JSON);
    await run('createSecret');
    const put = sm.commandCalls(PutSecretValueCommand)[0].args[0].input;
    expect(put.SecretString).toBe(
      JSON.stringify({ username: 'svc', password: GENERATED, host: 'db.internal' }),
    );
  });

  test('JSON: reads AWSCURRENT by stage', async () => {
    givenSecret(JSON_SECRET, CURRENT_JSON);
    await run('createSecret');
    expect(sm.commandCalls(GetSecretValueCommand, { VersionStage: 'AWSCURRENT' })[0].args[0].input).toEqual({
      SecretId: ARN,
      VersionStage: 'AWSCURRENT',
      VersionId: undefined,
    });
  });

  test('JSON: a current value that is not JSON fails, naming no value', async () => {
    givenSecret(JSON_SECRET, CURRENT_VALUE);
    const error = await failure(run('createSecret'));
    expect(error.message).toBe(
      `the AWSCURRENT value of secret ${ARN} is not a JSON object, but profile "json" rotates its field "password"`,
    );
    expect(sm.commandCalls(GetRandomPasswordCommand)).toHaveLength(0);
    expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });

  test('JSON: a current value that is a JSON array fails', async () => {
    // Each element counts as a secret and is redacted from the message: none of them is in its words.
    givenSecret(JSON_SECRET, '["an-element"]');
    const error = await failure(run('createSecret'));
    expect(error.message).toBe(
      `the AWSCURRENT value of secret ${ARN} is not a JSON object, but profile "json" rotates its field "password"`,
    );
    expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });

  test('JSON: a current value without the field fails, naming the field', async () => {
    givenSecret(JSON_SECRET, JSON.stringify({ username: 'svc', secret: CURRENT_VALUE }));
    const error = await failure(run('createSecret'));
    expect(error.message).toBe(
      `the AWSCURRENT value of secret ${ARN} has no field "password", which profile "json" rotates`,
    );
    expect(error.message).not.toContain(CURRENT_VALUE);
    expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });

  test('JSON: a binary AWSCURRENT fails', async () => {
    givenSecret(JSON_SECRET);
    sm.on(GetSecretValueCommand, { VersionStage: 'AWSCURRENT' }).resolves({
      SecretBinary: new Uint8Array([1]),
    });
    await expect(run('createSecret')).rejects.toThrow(
      `the AWSCURRENT version of secret ${ARN} has no SecretString (binary secrets are not supported)`,
    );
  });

  // moto accepts a second put of the same token with a different value; AWS refuses it with
  // ResourceExistsException, so the AWS behaviour is tested here against a mock.
  test('the same token put twice: AWS refuses the second value, and the stored one stands', async () => {
    givenSecret();
    sm.on(PutSecretValueCommand).rejects(
      new ResourceExistsException({
        message: `You can't use ClientRequestToken ${TOKEN} because that value is already in use for a version of secret ${ARN}.`,
        $metadata: {},
      }),
    );
    sm.on(GetSecretValueCommand, { VersionStage: 'AWSPENDING', VersionId: TOKEN })
      .rejectsOnce(notFound())
      .resolves({ SecretString: PENDING_VALUE });
    await run('createSecret');
    expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(1);
    expect(sm.commandCalls(GetSecretValueCommand, { VersionStage: 'AWSPENDING' })).toHaveLength(2);
  });

  test('ResourceExistsException with still no pending value propagates, token redacted', async () => {
    givenSecret();
    sm.on(PutSecretValueCommand).rejects(
      new ResourceExistsException({ message: `You can't use ClientRequestToken ${TOKEN}.`, $metadata: {} }),
    );
    const error = await failure(run('createSecret'));
    expect(error.name).toBe('ResourceExistsException');
    expect(error.message).toBe("You can't use ClientRequestToken <redacted>.");
  });
});

describe('createSecret: order, redaction and outcomes', () => {
  test('JSON: an unreadable AWSCURRENT fails even when the token already has a value', async () => {
    givenSecret(JSON_SECRET, CURRENT_JSON);
    givenPendingValue(CURRENT_JSON);
    sm.on(GetSecretValueCommand, { VersionStage: 'AWSCURRENT' }).rejects(notFound('no AWSCURRENT value'));
    await expect(run('createSecret')).rejects.toThrow('no AWSCURRENT value');
    expect(sm.commandCalls(GetSecretValueCommand, { VersionStage: 'AWSPENDING' })).toHaveLength(0);
  });

  test('a put that fails quoting the new value: the value is redacted from the error and the log', async () => {
    givenSecret();
    sm.on(PutSecretValueCommand).rejects(
      Object.assign(new Error(`value ${GENERATED} is not acceptable`), { name: 'InvalidRequestException' }),
    );
    const error = await failure(run('createSecret'));
    expect(error.message).toBe('value <redacted> is not acceptable');
    expect(out.text()).not.toContain(GENERATED);
    expect(out.text()).toContain('value <redacted> is not acceptable');
  });

  test('a put refused for another reason propagates, even if a value appeared for the token meanwhile', async () => {
    givenSecret();
    sm.on(PutSecretValueCommand).rejects(
      Object.assign(new Error('not allowed'), { name: 'AccessDeniedException' }),
    );
    sm.on(GetSecretValueCommand, { VersionStage: 'AWSPENDING', VersionId: TOKEN })
      .rejectsOnce(notFound())
      .resolves({ SecretString: PENDING_VALUE });
    const error = await failure(run('createSecret'));
    expect(error.name).toBe('AccessDeniedException');
    expect(sm.commandCalls(GetSecretValueCommand, { VersionStage: 'AWSPENDING' })).toHaveLength(1);
  });

  test.each([
    ['created', () => undefined],
    ['already-created', () => givenPendingValue()],
  ])('logs outcome %s', async (outcome, setup) => {
    givenSecret();
    setup();
    await run('createSecret');
    expect(out.records()).toContainEqual(expect.objectContaining({ step: 'createSecret', outcome }));
  });

  test('a lost race logs that the concurrent value stands', async () => {
    givenSecret();
    sm.on(PutSecretValueCommand).rejects(new ResourceExistsException({ message: 'in use', $metadata: {} }));
    sm.on(GetSecretValueCommand, { VersionStage: 'AWSPENDING', VersionId: TOKEN })
      .rejectsOnce(notFound())
      .resolves({ SecretString: PENDING_VALUE });
    await run('createSecret');
    expect(out.records()).toContainEqual(
      expect.objectContaining({
        message: 'a concurrent invocation stored the pending value first; keeping it',
        outcome: 'already-created',
      }),
    );
  });

  test('finishSecret logs outcome promoted', async () => {
    givenSecret();
    await run('finishSecret');
    expect(out.records()).toContainEqual(
      expect.objectContaining({ step: 'finishSecret', outcome: 'promoted' }),
    );
  });
});

describe('setSecret', () => {
  test('a generated secret has no target: DescribeSecret is the only call', async () => {
    givenSecret();
    await run('setSecret');
    expect(apiCalls()).toEqual(['DescribeSecret']);
  });
});

describe('testSecret', () => {
  test('reads the pending value by token and stage, and passes', async () => {
    givenSecret();
    givenPendingValue();
    await run('testSecret');
    expect(apiCalls()).toEqual(['DescribeSecret', 'GetSecretValue']);
    expect(sm.commandCalls(GetSecretValueCommand)[0].args[0].input).toEqual({
      SecretId: ARN,
      VersionId: TOKEN,
      VersionStage: 'AWSPENDING',
    });
  });

  test('fails while the token has no value, without quoting the token', async () => {
    givenSecret();
    const error = await failure(run('testSecret'));
    expect(error.name).toBe('ResourceNotFoundException');
    expect(error.message).toBe(
      "Secrets Manager can't find the specified secret value for VersionId: <redacted>",
    );
  });

  test('fails on an empty pending value', async () => {
    givenSecret();
    givenPendingValue('');
    await expect(run('testSecret')).rejects.toThrow(`the AWSPENDING value of secret ${ARN} is empty`);
  });

  test('JSON: passes with a non-empty string field', async () => {
    givenSecret(JSON_SECRET);
    givenPendingValue(JSON.stringify({ username: 'svc', password: PENDING_VALUE }));
    await expect(run('testSecret')).resolves.toBeUndefined();
  });

  test('JSON: fails when the pending value is not JSON', async () => {
    givenSecret(JSON_SECRET);
    givenPendingValue(PENDING_VALUE);
    await expect(run('testSecret')).rejects.toThrow(
      `the AWSPENDING value of secret ${ARN} is not a JSON object`,
    );
  });

  test.each([
    ['missing', { username: 'svc' }],
    ['empty', { password: '' }],
    ['not a string', { password: 42 }],
  ])('JSON: fails when the field is %s', async (_label, value) => {
    givenSecret(JSON_SECRET);
    givenPendingValue(JSON.stringify(value));
    await expect(run('testSecret')).rejects.toThrow(
      `the AWSPENDING value of secret ${ARN} has no non-empty string field "password"`,
    );
  });
});

describe('finishSecret', () => {
  test('moves AWSCURRENT to the token from the old current, reusing the pre-check DescribeSecret', async () => {
    givenSecret();
    await run('finishSecret');
    expect(apiCalls()).toEqual(['DescribeSecret', 'UpdateSecretVersionStage']);
    expect(sm.commandCalls(UpdateSecretVersionStageCommand)[0].args[0].input).toEqual({
      SecretId: ARN,
      VersionStage: 'AWSCURRENT',
      MoveToVersionId: TOKEN,
      RemoveFromVersionId: OLD_VERSION,
    });
  });

  test('promotes the event token, not another version', async () => {
    givenSecret({
      VersionIdsToStages: { [OLD_VERSION]: ['AWSCURRENT'], [TOKEN]: ['AWSPENDING'], other: ['AWSPREVIOUS'] },
    });
    await run('finishSecret');
    expect(sm.commandCalls(UpdateSecretVersionStageCommand)[0].args[0].input.MoveToVersionId).toBe(TOKEN);
  });

  test('after a manual PutSecretValue moved AWSCURRENT, finishSecret moves it from that version', async () => {
    givenSecret({
      VersionIdsToStages: { manual: ['AWSCURRENT'], [OLD_VERSION]: ['AWSPREVIOUS'], [TOKEN]: ['AWSPENDING'] },
    });
    await run('finishSecret');
    expect(sm.commandCalls(UpdateSecretVersionStageCommand)[0].args[0].input).toMatchObject({
      MoveToVersionId: TOKEN,
      RemoveFromVersionId: 'manual',
    });
  });

  test('propagates a failed stage move (a concurrent finish moved it first)', async () => {
    givenSecret();
    sm.on(UpdateSecretVersionStageCommand).rejects(
      Object.assign(new Error('The parameter RemoveFromVersionId does not match'), {
        name: 'InvalidParameterException',
      }),
    );
    await expect(run('finishSecret')).rejects.toThrow('RemoveFromVersionId does not match');
  });
});

describe('every step', () => {
  test.each(['createSecret', 'setSecret', 'testSecret', 'finishSecret'])(
    '%s succeeds at once when the token is already AWSCURRENT',
    async (step) => {
      givenSecret({ VersionIdsToStages: { [TOKEN]: ['AWSCURRENT'], [OLD_VERSION]: ['AWSPREVIOUS'] } });
      await run(step);
      expect(apiCalls()).toEqual(['DescribeSecret']);
    },
  );

  test.each(['createSecret', 'setSecret', 'testSecret', 'finishSecret'])(
    '%s fails for a token that is only AWSPREVIOUS, writing nothing',
    async (step) => {
      givenSecret({ VersionIdsToStages: { [OLD_VERSION]: ['AWSCURRENT'], [TOKEN]: ['AWSPREVIOUS'] } });
      await expect(run(step)).rejects.toThrow('is not staged AWSPENDING');
      expect(apiCalls()).toEqual(['DescribeSecret']);
    },
  );

  test('an invalid event fails before any API call', async () => {
    givenSecret();
    await expect(run('createSecret', { ClientRequestToken: undefined })).rejects.toThrow(
      'invalid rotation event: field ClientRequestToken is missing',
    );
    expect(sm.calls()).toHaveLength(0);
  });

  test('an unknown step fails before any API call', async () => {
    givenSecret();
    await expect(run('rotateSecret')).rejects.toThrow('unknown Step "rotateSecret"');
    expect(sm.calls()).toHaveLength(0);
  });

  test('a configuration error fails before any API call', async () => {
    givenSecret();
    const deps = {
      ...makeDeps(),
      config: () => {
        throw new Error('environment variable ROTATION_PROFILES is not valid JSON (3 characters)');
      },
    };
    await expect(
      rotate({ Step: 'createSecret', SecretId: ARN, ClientRequestToken: TOKEN }, deps),
    ).rejects.toThrow('ROTATION_PROFILES is not valid JSON');
    expect(sm.calls()).toHaveLength(0);
  });

  test('a secret outside the vault fails after DescribeSecret alone', async () => {
    givenSecret({ Name: 'elsewhere/api-key' });
    await expect(run('createSecret')).rejects.toThrow(
      `secret ${ARN} is not in this rotation function's vault`,
    );
    expect(apiCalls()).toEqual(['DescribeSecret']);
  });

  test('rotation disabled fails after DescribeSecret alone', async () => {
    givenSecret({ RotationEnabled: false });
    await expect(run('finishSecret')).rejects.toThrow(`secret ${ARN} is not enabled for rotation`);
    expect(apiCalls()).toEqual(['DescribeSecret']);
  });

  test('a tag that disagrees with the default profile of an unbound secret fails before any step call', async () => {
    givenSecret({ Tags: [{ Key: 'secrets-vault:rotation-profile', Value: 'json' }] });
    await expect(run('createSecret')).rejects.toThrow(
      'carries secrets-vault:rotation-profile tag "json", but this deployment did not bind it, so it rotates with the default profile "api" only',
    );
    expect(apiCalls()).toEqual(['DescribeSecret']);
  });
});

describe('API economy', () => {
  async function cleanRotation(describe: Partial<DescribeSecretResponse>, current: string): Promise<number> {
    givenSecret(describe, current);
    await run('createSecret');
    givenPendingValue(sm.commandCalls(PutSecretValueCommand)[0].args[0].input.SecretString);
    await run('setSecret');
    await run('testSecret');
    await run('finishSecret');
    return sm.calls().length;
  }

  test('a clean rotation of a string secret makes 9 calls (the AWS template makes more)', async () => {
    expect(await cleanRotation({}, CURRENT_VALUE)).toBe(9);
  });

  test('a clean rotation of a JSON secret makes 10 calls', async () => {
    expect(await cleanRotation(JSON_SECRET, CURRENT_JSON)).toBe(10);
  });

  test('every GetSecretValue names its stage', async () => {
    await cleanRotation(JSON_SECRET, CURRENT_JSON);
    for (const call of sm.commandCalls(GetSecretValueCommand)) {
      expect(call.args[0].input.VersionStage).toMatch(/^AWS(CURRENT|PENDING)$/);
    }
  });
});

describe('logs and metrics', () => {
  test('a successful step logs step, secret ARN and outcome, and emits Succeeded and Duration by Step', async () => {
    givenSecret();
    await run('createSecret');
    const records = out.records();
    expect(records).toContainEqual(
      expect.objectContaining({
        message: 'rotation step succeeded',
        step: 'createSecret',
        secretArn: ARN,
        outcome: 'succeeded',
      }),
    );
    const emf = records.find((r) => '_aws' in r) as Record<string, unknown>;
    expect(emf).toMatchObject({ Step: 'createSecret', RotationStepSucceeded: 1 });
    expect(typeof emf.RotationStepDuration).toBe('number');
    expect(emf._aws).toMatchObject({
      CloudWatchMetrics: [
        {
          Namespace: 'SecretsVault',
          Dimensions: [['Step']],
          Metrics: expect.arrayContaining([
            { Name: 'RotationStepSucceeded', Unit: 'Count' },
            { Name: 'RotationStepDuration', Unit: 'Milliseconds' },
          ]),
        },
      ],
    });
  });

  test('a failed step logs the outcome and emits RotationStepFailed, then rethrows', async () => {
    givenSecret({ RotationEnabled: false });
    await expect(run('setSecret')).rejects.toThrow('not enabled for rotation');
    const records = out.records();
    expect(records).toContainEqual(
      expect.objectContaining({ message: 'rotation step failed', outcome: 'failed' }),
    );
    expect(records.find((r) => '_aws' in r)).toMatchObject({ Step: 'setSecret', RotationStepFailed: 1 });
  });

  test('an invalid event is counted under Step "invalid"', async () => {
    await expect(run('x\u0001')).rejects.toThrow('outside printable ASCII');
    expect(out.records().find((r) => '_aws' in r)).toMatchObject({ Step: 'invalid', RotationStepFailed: 1 });
  });

  test('no token, rotation token or value appears in the output, even when an AWS error quotes them', async () => {
    givenSecret(JSON_SECRET, CURRENT_JSON);
    await run('createSecret', { RotationToken: ROTATION_TOKEN });
    givenPendingValue(sm.commandCalls(PutSecretValueCommand)[0].args[0].input.SecretString);
    await run('testSecret', { RotationToken: ROTATION_TOKEN });
    await run('finishSecret', { RotationToken: ROTATION_TOKEN });
    // A failing invocation: the error quotes the token and values this invocation read or made.
    givenSecret(JSON_SECRET, CURRENT_JSON);
    sm.on(PutSecretValueCommand).rejects(
      notFound(`Version ${TOKEN} of ${CURRENT_VALUE} with ${GENERATED} failed`),
    );
    const error = await failure(run('createSecret', { RotationToken: ROTATION_TOKEN }));
    expect(error.message).toBe('Version <redacted> of <redacted> with <redacted> failed');
    const text = out.text();
    expect(text).toContain('rotation step failed');
    for (const secret of [TOKEN, ROTATION_TOKEN, CURRENT_VALUE, GENERATED]) {
      expect(text).not.toContain(secret);
    }
  });
});
