import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { loadConfig, type RotationConfig } from './config';
import { getEnv } from './env';
import { rotate } from './rotate';

// Created once per execution environment and reused by every invocation (Powertools style).
// The client honours AWS_ENDPOINT_URL, which is how tests point this exact bundle at moto.
const client = new SecretsManagerClient({});
const logger = new Logger({ serviceName: getEnv('POWERTOOLS_SERVICE_NAME') ?? 'secrets-vault-rotation' });
const metrics = new Metrics({ namespace: getEnv('POWERTOOLS_METRICS_NAMESPACE') ?? 'SecretsVault' });
// The only dimension is Step: a per-service default dimension would split every series.
metrics.clearDefaultDimensions();

// Parsed on first use and kept, error included: the environment cannot change under a running function,
// and a bad one then fails every invocation with the same clear message (fail closed).
let config: { value: RotationConfig } | { error: unknown } | undefined;
function getConfig(): RotationConfig {
  if (config === undefined) {
    try {
      config = { value: loadConfig() };
    } catch (error) {
      config = { error };
    }
  }
  if ('error' in config) throw config.error;
  return config.value;
}

export const handler = async (event: unknown, context?: Context): Promise<void> => {
  if (context?.awsRequestId) logger.addContext(context);
  await rotate(event, { client, logger, metrics, config: getConfig });
};
