import {
  assertInVault,
  assertRotationEnabled,
  checkTokenStage,
  resolveProfile,
} from '../../lambda/rotation/checks';
import { toSecretMetadata, type SecretMetadata } from '../../lambda/rotation/metadata';
import { ARN, OLD_VERSION, PREVIOUS_VERSION, TOKEN, describeResponse, makeConfig } from './helpers';

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

describe('resolveProfile', () => {
  const config = makeConfig();

  test('the tag picks the profile', () => {
    const s = secret({ Tags: [{ Key: 'secrets-vault:rotation-profile', Value: 'json' }] });
    expect(resolveProfile(s, config).id).toBe('json');
  });

  test('the default profile applies when the tag is absent', () => {
    expect(resolveProfile(secret({ Tags: [] }), { ...config, defaultProfile: 'api' }).id).toBe('api');
  });

  test('the tag wins over the default profile', () => {
    const s = secret({ Tags: [{ Key: 'secrets-vault:rotation-profile', Value: 'json' }] });
    expect(resolveProfile(s, { ...config, defaultProfile: 'api' }).id).toBe('json');
  });

  test('rejects a secret without the tag when there is no default, naming the tag and known ids', () => {
    expect(() => resolveProfile(secret({ Tags: undefined }), config)).toThrow(
      `secret ${ARN} has no secrets-vault:rotation-profile tag and this function has no default profile; tag it with one of "api", "json"`,
    );
  });

  test('rejects a tag naming a profile the function does not define', () => {
    const s = secret({ Tags: [{ Key: 'secrets-vault:rotation-profile', Value: 'weak' }] });
    expect(() => resolveProfile(s, { ...config, defaultProfile: 'api' })).toThrow(
      `secret ${ARN} selects rotation profile "weak" with its secrets-vault:rotation-profile tag, which this function does not define; known profiles: "api", "json"`,
    );
  });

  test('cannot reach an inherited object property through the tag', () => {
    const s = secret({ Tags: [{ Key: 'secrets-vault:rotation-profile', Value: 'constructor' }] });
    expect(() => resolveProfile(s, config)).toThrow('selects rotation profile "constructor"');
  });
});
