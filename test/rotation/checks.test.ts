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

describe('resolveBinding', () => {
  const config = makeConfig();

  test('the tag picks the profile', () => {
    const s = secret({ Tags: [{ Key: 'secrets-vault:rotation-profile', Value: 'json' }] });
    expect(resolveBinding(s, config).profile.id).toBe('json');
  });

  test('the default profile applies when the tag is absent', () => {
    expect(resolveBinding(secret({ Tags: [] }), { ...config, defaultProfile: 'api' }).profile.id).toBe('api');
  });

  test('the tag wins over the default profile', () => {
    const s = secret({ Tags: [{ Key: 'secrets-vault:rotation-profile', Value: 'json' }] });
    expect(resolveBinding(s, { ...config, defaultProfile: 'api' }).profile.id).toBe('json');
  });

  test('rejects a secret without the tag when there is no default, naming the tag and known ids', () => {
    expect(() => resolveBinding(secret({ Tags: undefined }), config)).toThrow(
      `secret ${ARN} is not bound to a profile by this deployment, has no secrets-vault:rotation-profile tag and this function has no default profile; tag it with one of "api", "json"`,
    );
  });

  test('rejects a tag naming a profile the function does not define', () => {
    const s = secret({ Tags: [{ Key: 'secrets-vault:rotation-profile', Value: 'weak' }] });
    expect(() => resolveBinding(s, { ...config, defaultProfile: 'api' })).toThrow(
      `secret ${ARN} selects rotation profile "weak" with its secrets-vault:rotation-profile tag, which this function does not define; known profiles: "api", "json"`,
    );
  });

  test('cannot reach an inherited object property through the tag', () => {
    const s = secret({ Tags: [{ Key: 'secrets-vault:rotation-profile', Value: 'constructor' }] });
    expect(() => resolveBinding(s, config)).toThrow('selects rotation profile "constructor"');
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
