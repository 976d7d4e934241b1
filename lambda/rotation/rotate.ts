import { DescribeSecretCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { assertInVault, assertRotationEnabled, checkTokenStage, resolveBinding } from './checks';
import type { RotationConfig } from './config';
import { redactError } from './errors';
import { parseEvent, type RotationEvent } from './event';
import { toSecretMetadata } from './metadata';
import { generatePassword } from './password';
import { STEPS } from './steps';
import { STRATEGIES } from './strategies';
import { SecretValues } from './values';

export interface Dependencies {
  readonly client: SecretsManagerClient;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** The parsed environment; throws a ConfigurationError while it is invalid. */
  readonly config: () => RotationConfig;
}

export const METRICS = {
  succeeded: 'RotationStepSucceeded',
  failed: 'RotationStepFailed',
  duration: 'RotationStepDuration',
} as const;

/** Runs one rotation step: validate, one DescribeSecret, the checks, then the step itself. */
export async function rotate(rawEvent: unknown, deps: Dependencies): Promise<void> {
  const { client, logger, metrics } = deps;
  const started = performance.now();
  // An invalid event gets a fixed dimension value: never an attacker-chosen or unprintable one.
  let stepDimension = 'invalid';
  let event: RotationEvent | undefined;
  let values: SecretValues | undefined;
  try {
    event = parseEvent(rawEvent);
    stepDimension = event.Step;
    logger.appendKeys({ step: event.Step, secretArn: event.SecretId });
    const config = deps.config();

    const described = await client.send(new DescribeSecretCommand({ SecretId: event.SecretId }));
    const secret = toSecretMetadata(described, event.SecretId);
    assertInVault(secret, config.vault);
    assertRotationEnabled(secret);
    if (checkTokenStage(secret, event.ClientRequestToken) === 'already-current') {
      logger.info('version is already AWSCURRENT; nothing to do', { outcome: 'already-current' });
    } else {
      const { profile, target } = resolveBinding(secret, config);
      const strategy = STRATEGIES[profile.kind].create(profile, target);
      logger.appendKeys({ profile: profile.id });
      const secretValues = new SecretValues(client, secret.arn, event.ClientRequestToken);
      values = secretValues;
      await STEPS[event.Step]({
        client,
        logger,
        secret,
        token: event.ClientRequestToken,
        rotationToken: event.RotationToken,
        values: secretValues,
        strategy,
        generatePassword: async (options) => {
          const password = await generatePassword(client, options);
          secretValues.remember(password);
          return password;
        },
      });
    }
    metrics.addMetric(METRICS.succeeded, MetricUnit.Count, 1);
    logger.info('rotation step succeeded', { outcome: 'succeeded' });
  } catch (error) {
    const logged = redactError(error, [
      event?.ClientRequestToken,
      event?.RotationToken,
      ...(values?.sensitiveValues() ?? []),
    ]);
    metrics.addMetric(METRICS.failed, MetricUnit.Count, 1);
    // Name and redacted message only: the logger would print every property of an Error, and `cause`.
    logger.error('rotation step failed', { outcome: 'failed', error: logged });
    throw error;
  } finally {
    metrics.addDimension('Step', stepDimension);
    metrics.addMetric(METRICS.duration, MetricUnit.Milliseconds, Math.round(performance.now() - started));
    metrics.publishStoredMetrics();
    logger.resetKeys();
  }
}
