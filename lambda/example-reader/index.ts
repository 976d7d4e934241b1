/**
 * The example application: reads its secret by ARN with GetSecretValue and uses it. It never logs
 * or returns the value. It asks for AWSCURRENT explicitly and keeps the value for a short time, so
 * it needs no change when the secret or its key rotates: the next read after the cache expires
 * returns the new current value, and the key's old material still decrypts old versions.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

const logger = new Logger({ serviceName: 'example-reader' });
const client = new SecretsManagerClient({});

function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}

const secretArn = requireEnv('SECRET_ARN');
const cacheTtlMs = Number(process.env.SECRET_CACHE_TTL_SECONDS ?? '60') * 1000;

interface CachedSecret {
  readonly value: string;
  readonly versionId: string;
  readonly readAt: number;
}
let cached: CachedSecret | undefined;

/** Reads AWSCURRENT, or returns the cached copy while it is fresh (or when `refresh` is false). */
export async function readSecret(refresh = false): Promise<CachedSecret> {
  if (!refresh && cached && Date.now() - cached.readAt < cacheTtlMs) return cached;
  const out = await client.send(
    new GetSecretValueCommand({ SecretId: secretArn, VersionStage: 'AWSCURRENT' }),
  );
  if (out.SecretString === undefined || out.VersionId === undefined) {
    throw new Error(`secret ${secretArn} has no string value in AWSCURRENT`);
  }
  cached = { value: out.SecretString, versionId: out.VersionId, readAt: Date.now() };
  logger.info('read secret', { secretArn, versionId: out.VersionId });
  return cached;
}

/** Stands for the application's real work with the secret (calling an API with the key). */
function useSecret(value: string): boolean {
  return value.length > 0;
}

export const handler = async (): Promise<{ ok: boolean; versionId: string }> => {
  const secret = await readSecret();
  return { ok: useSecret(secret.value), versionId: secret.versionId };
};
