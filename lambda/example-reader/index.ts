/**
 * The example application: reads its secret by ARN and uses it, the way the README recommends. It
 * never logs or returns the value. Powertools Parameters keeps the value for `SECRET_CACHE_TTL_SECONDS`
 * (one SDK client, created once per execution environment) and asks for AWSCURRENT by name, so the
 * function needs no change when the secret or its key rotates: the first read after the cache expires
 * returns the new current value, and the key's old material still decrypts old versions.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';

const logger = new Logger({ serviceName: 'example-reader' });

function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}

const secretArn = requireEnv('SECRET_ARN');
const maxAge = Number(process.env.SECRET_CACHE_TTL_SECONDS ?? '60');

/** The current value, from Powertools' cache while it is younger than `maxAge` seconds. */
export async function readSecret(): Promise<string> {
  const value = await getSecret(secretArn, { maxAge, sdkOptions: { VersionStage: 'AWSCURRENT' } });
  if (typeof value !== 'string') throw new Error(`secret ${secretArn} has no string value in AWSCURRENT`);
  return value;
}

/** Stands for the application's real work with the secret (calling an API with the key). */
function useSecret(value: string): boolean {
  return value.length > 0;
}

export const handler = async (): Promise<{ ok: boolean }> => {
  const ok = useSecret(await readSecret());
  logger.info('read secret', { secretArn, ok });
  return { ok };
};
