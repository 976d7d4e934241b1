import {
  assertInVault,
  assertRotationEnabled,
  checkTokenStage,
  resolveBinding,
} from '../../lambda/rotation/checks';
import { toSecretMetadata, type SecretMetadata } from '../../lambda/rotation/metadata';
import { postgresSingleStrategy } from '../../lambda/rotation/strategies/postgres';
import { secretNameKey, type TargetSpec } from '../../lib/contract/rotation-contract';
import {
  ARN,
  NAME,
  OLD_VERSION,
  PREVIOUS_VERSION,
  TOKEN,
  describeResponse,
  makeConfig,
  profiles,
} from './helpers';

function secret(overrides: Parameters<typeof describeResponse>[0] = {}): SecretMetadata {
  return toSecretMetadata(describeResponse(overrides), ARN);
}

describe('assertInVault', () => {
  test('accepts a secret whose name starts with the prefix', () => {
    expect(() => assertInVault(secret(), { namePrefix: 'vault/', secretArns: new Set() })).not.toThrow();
  });

  test('accepts a secret listed by exact ARN', () => {
    expect(() => assertInVault(secret(), { secretArns: new Set([ARN]) })).not.toThrow();
  });

  test('matches the prefix against the Name, not the ARN', () => {
    const other = secret({ Name: 'team/vault/api-key' });
    expect(() => assertInVault(other, { namePrefix: 'vault/', secretArns: new Set() })).toThrow(
      `secret ${ARN} is not in this rotation function's vault (allowed name prefix: "vault/"; allowed secret ARNs: none)`,
    );
  });

  test('rejects a secret outside both, listing a short ARN allow-list', () => {
    expect(() =>
      assertInVault(secret(), { namePrefix: 'other/', secretArns: new Set(['arn:one', 'arn:two']) }),
    ).toThrow(
      `secret ${ARN} is not in this rotation function's vault (allowed name prefix: "other/"; allowed secret ARNs: arn:one, arn:two)`,
    );
  });

  test('lists an allow-list of exactly three ARNs', () => {
    expect(() => assertInVault(secret(), { secretArns: new Set(['arn:1', 'arn:2', 'arn:3']) })).toThrow(
      '(allowed name prefix: none; allowed secret ARNs: arn:1, arn:2, arn:3)',
    );
  });

  test('without a name prefix, no name matches one (not even "undefined...")', () => {
    const named = toSecretMetadata(describeResponse({ Name: 'undefined-secret' }), ARN);
    expect(() => assertInVault(named, { secretArns: new Set(['arn:other']) })).toThrow(
      "is not in this rotation function's vault",
    );
  });

  test('counts a long ARN allow-list instead of listing it', () => {
    const arns = new Set(['arn:1', 'arn:2', 'arn:3', 'arn:4']);
    expect(() => assertInVault(secret(), { secretArns: arns })).toThrow(
      '(allowed name prefix: none; allowed secret ARNs: 4 ARNs)',
    );
  });

  test('does not treat a similar ARN as listed', () => {
    expect(() => assertInVault(secret(), { secretArns: new Set([`${ARN}x`]) })).toThrow(
      'is not in this rotation',
    );
  });
});

describe('assertRotationEnabled', () => {
  test('accepts a secret with rotation enabled', () => {
    expect(() => assertRotationEnabled(secret())).not.toThrow();
  });

  test('rejects a secret with rotation disabled', () => {
    expect(() => assertRotationEnabled(secret({ RotationEnabled: false }))).toThrow(
      `secret ${ARN} is not enabled for rotation`,
    );
  });

  test('treats a missing RotationEnabled as disabled', () => {
    expect(() => assertRotationEnabled(secret({ RotationEnabled: undefined }))).toThrow(
      'is not enabled for rotation',
    );
  });
});

describe('checkTokenStage', () => {
  test('a token staged AWSPENDING is pending', () => {
    expect(checkTokenStage(secret(), TOKEN)).toBe('pending');
  });

  test('a token staged AWSCURRENT is already current, even if it still has AWSPENDING', () => {
    const s = secret({
      VersionIdsToStages: { [TOKEN]: ['AWSCURRENT', 'AWSPENDING'], [OLD_VERSION]: ['AWSPREVIOUS'] },
    });
    expect(checkTokenStage(s, TOKEN)).toBe('already-current');
  });

  test('rejects a token that is not a version, without quoting it', () => {
    let message = '';
    try {
      checkTokenStage(secret({ VersionIdsToStages: { [OLD_VERSION]: ['AWSCURRENT'] } }), TOKEN);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe(
      `the ClientRequestToken is not a version of secret ${ARN}; start a new rotation with RotateSecret`,
    );
    expect(message).not.toContain(TOKEN);
  });

  test('rejects a token that is only AWSPREVIOUS', () => {
    const s = secret({ VersionIdsToStages: { [OLD_VERSION]: ['AWSCURRENT'], [TOKEN]: ['AWSPREVIOUS'] } });
    expect(() => checkTokenStage(s, TOKEN)).toThrow(
      `the ClientRequestToken's version of secret ${ARN} is not staged AWSPENDING (it has stages AWSPREVIOUS); start a new rotation with RotateSecret`,
    );
  });

  test('rejects a token version with no stage', () => {
    const s = secret({ VersionIdsToStages: { [OLD_VERSION]: ['AWSCURRENT'], [TOKEN]: [] } });
    expect(() => checkTokenStage(s, TOKEN)).toThrow('is not staged AWSPENDING (it has no stage)');
  });

  test('names the fix when a stale AWSPENDING sits on another version', () => {
    const s = secret({
      VersionIdsToStages: { [OLD_VERSION]: ['AWSCURRENT'], [TOKEN]: [], [PREVIOUS_VERSION]: ['AWSPENDING'] },
    });
    expect(() => checkTokenStage(s, TOKEN)).toThrow(
      `secret ${ARN} has a stale AWSPENDING label on another version (an abandoned or concurrent rotation); ` +
        'run CancelRotateSecret, or remove the AWSPENDING label from that version (UpdateSecretVersionStage with RemoveFromVersionId), then rotate again',
    );
  });

  test('does not call a leftover AWSPENDING on the current version stale', () => {
    const s = secret({
      VersionIdsToStages: { [OLD_VERSION]: ['AWSCURRENT', 'AWSPENDING'], [TOKEN]: ['AWSPREVIOUS'] },
    });
    expect(() => checkTokenStage(s, TOKEN)).toThrow('is not staged AWSPENDING (it has stages AWSPREVIOUS)');
  });
});

describe('resolveBinding: secrets the deployment did not bind (the default profile)', () => {
  const TAG = 'secrets-vault:rotation-profile';
  const config = makeConfig();
  const tagged = (value: string) => secret({ Tags: [{ Key: TAG, Value: value }] });

  test('an unbound secret without a tag rotates with the default profile', () => {
    expect(resolveBinding(secret({ Tags: undefined }), config)).toEqual({
      profile: expect.objectContaining({ id: 'api' }),
    });
  });

  test('an unbound secret tagged with the default profile rotates with it', () => {
    expect(resolveBinding(tagged('api'), config).profile.id).toBe('api');
  });

  test('a tag naming another generated profile fails: a writer cannot retag an unbound secret to another profile', () => {
    expect(() => resolveBinding(tagged('json'), config)).toThrow(
      `secret ${ARN} carries secrets-vault:rotation-profile tag "json", but this deployment did not bind it, so it rotates with the default profile "api" only; a tag cannot change how a secret rotates: restore or remove the tag (or add the secret to the rotation function with its strategy and deploy), then rotate again`,
    );
  });

  test('a tag naming a profile the function does not define fails the same way', () => {
    expect(() => resolveBinding(tagged('weak'), config)).toThrow(
      'carries secrets-vault:rotation-profile tag "weak", but this deployment did not bind it, so it rotates with the default profile "api" only',
    );
  });

  test('cannot reach an inherited object property through the tag', () => {
    expect(() => resolveBinding(tagged('constructor'), config)).toThrow(
      'carries secrets-vault:rotation-profile tag "constructor", but this deployment did not bind it',
    );
  });

  test('without a default profile an unbound secret fails, untagged or tagged', () => {
    const none = makeConfig({ defaultProfile: undefined });
    expect(() => resolveBinding(secret({ Tags: undefined }), none)).toThrow(
      `secret ${ARN} is not bound to a profile by this deployment, and this function has no default profile (it rotates database secrets only); add the secret to the rotation function (RotationFunction.addSecret, or a vault's addSecret) and deploy`,
    );
    expect(() => resolveBinding(tagged('api'), none)).toThrow(
      `secret ${ARN} carries secrets-vault:rotation-profile tag "api", but this deployment did not bind it and this function has no default profile; a tag cannot choose how a secret rotates`,
    );
  });

  test('a default profile the function does not define fails, naming the known ones', () => {
    expect(() => resolveBinding(secret({ Tags: undefined }), makeConfig({ defaultProfile: 'gone' }))).toThrow(
      `this function's default profile "gone" is not among its profiles ("api", "json")`,
    );
  });
});

describe('resolveBinding: secrets the deployment bound', () => {
  const TAG = 'secrets-vault:rotation-profile';
  const target: TargetSpec = { engine: 'postgres', host: 'db.internal', port: 5432, tls: 'verified' };
  const pg = postgresSingleStrategy.parseProfile(
    'pg',
    { kind: 'postgres-single' },
    'ROTATION_PROFILES["pg"]',
  );
  const bound = (binding: { profileId: string; targetId?: string }, by: 'name' | 'arn' = 'name') =>
    makeConfig({
      profiles: new Map([
        ...profiles({ api: { kind: 'generated' }, json: { kind: 'generated' } }),
        ['pg', pg],
      ]),
      targets: new Map([['db', target]]),
      bindings: new Map([[by === 'name' ? secretNameKey(NAME) : ARN, binding]]),
      defaultProfile: 'api',
    });

  test('a secret bound by its name gets its profile and pinned target, with no tag', () => {
    expect(resolveBinding(secret({ Tags: [] }), bound({ profileId: 'pg', targetId: 'db' }))).toEqual({
      profile: pg,
      target,
    });
  });

  test('a secret bound by its ARN (synth did not know its name) gets its profile and target', () => {
    expect(resolveBinding(secret({ Tags: [] }), bound({ profileId: 'pg', targetId: 'db' }, 'arn'))).toEqual({
      profile: pg,
      target,
    });
  });

  test('a tag that agrees with the binding is fine', () => {
    const s = secret({ Tags: [{ Key: TAG, Value: 'pg' }] });
    expect(resolveBinding(s, bound({ profileId: 'pg', targetId: 'db' })).profile).toBe(pg);
  });

  test('a generated secret bound without a target has none', () => {
    expect(resolveBinding(secret({ Tags: [] }), bound({ profileId: 'json' }))).toEqual({
      profile: expect.objectContaining({ id: 'json' }),
      target: undefined,
    });
  });

  test('a tag that disagrees with the binding fails: a writer cannot retag a secret to another profile', () => {
    const s = secret({ Tags: [{ Key: TAG, Value: 'api' }] });
    expect(() => resolveBinding(s, bound({ profileId: 'pg', targetId: 'db' }))).toThrow(
      `secret ${ARN} carries secrets-vault:rotation-profile tag "api", but this deployment bound it to profile "pg"; a tag cannot change how a secret rotates: restore the tag (or redeploy), then rotate again`,
    );
  });

  test('a disagreeing tag of exactly 128 characters is shown whole', () => {
    const s = secret({ Tags: [{ Key: TAG, Value: 'y'.repeat(128) }] });
    expect(() => resolveBinding(s, bound({ profileId: 'pg', targetId: 'db' }))).toThrow(
      `carries secrets-vault:rotation-profile tag "${'y'.repeat(128)}", but`,
    );
  });

  test('a disagreeing tag is shown cut at 128 characters', () => {
    const s = secret({ Tags: [{ Key: TAG, Value: 'x'.repeat(200) }] });
    expect(() => resolveBinding(s, bound({ profileId: 'pg', targetId: 'db' }))).toThrow(
      `carries secrets-vault:rotation-profile tag "${'x'.repeat(128)}...", but`,
    );
  });

  test('the name is looked up by its key: another name under the prefix is not bound', () => {
    const s = toSecretMetadata(
      describeResponse({ Name: `${NAME}-2`, Tags: [{ Key: TAG, Value: 'pg' }] }),
      ARN.replace('api-key', 'api-key-2'),
    );
    expect(() => resolveBinding(s, bound({ profileId: 'pg', targetId: 'db' }))).toThrow(
      'is not bound to a database target by this deployment, so profile "pg" (postgres-single) cannot rotate it: add the secret to the rotation function with its database',
    );
  });

  test('an unbound secret tagged with a database profile is refused, even as the default profile', () => {
    const config = {
      ...bound({ profileId: 'pg', targetId: 'db' }),
      bindings: new Map(),
      defaultProfile: 'pg',
    };
    expect(() => resolveBinding(secret({ Tags: [] }), config)).toThrow(
      `secret ${ARN} is not bound to a database target by this deployment, so profile "pg" (postgres-single) cannot rotate it`,
    );
  });
});
