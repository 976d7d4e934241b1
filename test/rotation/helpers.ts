import { SecretsManagerClient, type DescribeSecretResponse } from '@aws-sdk/client-secrets-manager';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { RotationConfig } from '../../lambda/rotation/config';
import { generatedStrategy } from '../../lambda/rotation/strategies/generated';
import type { ProfileBase } from '../../lambda/rotation/strategies';
import type { Dependencies } from '../../lambda/rotation/rotate';
import { secretNameKey } from '../../lib/contract/rotation-contract';

export const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:vault/api-key-AbCdEf';
export const NAME = 'vault/api-key';
/** A secret the deployment bound to the `json` profile (NAME is unbound: it rotates with the default, `api`). */
export const JSON_NAME = 'vault/json-key';
export const TOKEN = 'tok00000-1111-4222-8333-444444444444';
export const ROTATION_TOKEN = 'rot-token-5555-6666-7777-888888888888';
export const OLD_VERSION = 'old00000-1111-4222-8333-444444444444';
export const PREVIOUS_VERSION = 'prv00000-1111-4222-8333-444444444444';
export const CURRENT_VALUE = 'current-secret-value-Zx9!';
export const PENDING_VALUE = 'pending-secret-value-Qw3#';
export const GENERATED = 'generated-password-Lk7$Lk7$Lk7$Lk7$';

export function describeResponse(overrides: Partial<DescribeSecretResponse> = {}): DescribeSecretResponse {
  return {
    ARN,
    Name: NAME,
    RotationEnabled: true,
    VersionIdsToStages: { [OLD_VERSION]: ['AWSCURRENT'], [TOKEN]: ['AWSPENDING'] },
    Tags: [{ Key: 'secrets-vault:rotation-profile', Value: 'api' }],
    ...overrides,
  };
}

export function profiles(raw: Record<string, Record<string, unknown>>): Map<string, ProfileBase> {
  return new Map(
    Object.entries(raw).map(([id, entry]) => [
      id,
      generatedStrategy.parseProfile(id, entry, `ROTATION_PROFILES["${id}"]`),
    ]),
  );
}

/** A deployment's configuration: `api` is the default profile, JSON_NAME is bound to `json`. */
export function makeConfig(overrides: Partial<RotationConfig> = {}): RotationConfig {
  return {
    targets: new Map(),
    bindings: new Map([[secretNameKey(JSON_NAME), { profileId: 'json' }]]),
    vault: { namePrefix: 'vault/', secretArns: new Set() },
    profiles: profiles({
      api: { kind: 'generated' },
      json: { kind: 'generated', jsonField: 'password' },
    }),
    defaultProfile: 'api',
    ...overrides,
  };
}

export function makeDeps(config: RotationConfig = makeConfig()): Dependencies {
  const metrics = new Metrics({ namespace: 'SecretsVault' });
  metrics.clearDefaultDimensions();
  return {
    client: new SecretsManagerClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    }),
    logger: new Logger({ serviceName: 'unit' }),
    metrics,
    config: () => config,
  };
}

export interface Captured {
  text(): string;
  /** Parsed JSON lines (Powertools logs and EMF metrics). */
  records(): Record<string, unknown>[];
  restore(): void;
}

/**
 * Powertools writes straight to process.stdout and process.stderr (errors), not through console, so
 * jest does not capture it; this swallows and keeps both (Lambda sends both to CloudWatch Logs), so
 * tests can assert on them and the run stays quiet.
 */
export function captureOutput(): Captured {
  const chunks: string[] = [];
  const streams = [process.stdout, process.stderr];
  const originals = streams.map((stream) => stream.write);
  for (const stream of streams) {
    stream.write = ((chunk: string | Uint8Array) => {
      chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    }) as typeof stream.write;
  }
  return {
    text: () => chunks.join(''),
    records: () =>
      chunks
        .join('')
        .split('\n')
        .filter((line) => line.trim().startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    restore: () => {
      streams.forEach((stream, i) => {
        stream.write = originals[i];
      });
    },
  };
}
