import { PutSecretValueCommand, UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import { RotationError, isAwsError } from './errors';
import type { StepName } from './event';
import { AWSCURRENT, AWSPENDING, versionsWithStage } from './metadata';
import type { RotationStrategy, StrategyContext } from './strategies';

/** A step's context: the strategy's, plus what only the protocol half needs. */
export interface StepContext extends StrategyContext {
  readonly strategy: RotationStrategy;
  /** Passed on to PutSecretValue for assumed-role or cross-account rotation. Never log it. */
  readonly rotationToken?: string;
}

/**
 * Puts a new AWSPENDING value for the token, exactly once: a token that already has a value keeps it,
 * and only ResourceNotFound from reading it means "generate".
 */
export async function createSecret(ctx: StepContext): Promise<void> {
  // AWSCURRENT must exist (and be readable when the strategy needs its value) before anything is written.
  if (ctx.strategy.needsCurrentValue) {
    await ctx.values.current();
  } else if (versionsWithStage(ctx.secret, AWSCURRENT).length === 0) {
    throw new RotationError(`secret ${ctx.secret.arn} has no AWSCURRENT version to rotate from`);
  }

  if (await pendingValueExists(ctx)) {
    ctx.logger.info('pending version already has a value; keeping it', { outcome: 'already-created' });
    return;
  }

  const value = await ctx.strategy.createPendingValue(ctx);
  ctx.values.remember(value);
  try {
    await ctx.client.send(
      new PutSecretValueCommand({
        SecretId: ctx.secret.arn,
        ClientRequestToken: ctx.token,
        SecretString: value,
        VersionStages: [AWSPENDING],
        RotationToken: ctx.rotationToken,
      }),
    );
  } catch (error) {
    // Secrets Manager refuses a second, different value for a version id. That happens when a
    // concurrent invocation with the same token won the race: its value stands, and this step is done.
    if (isAwsError(error, 'ResourceExistsException')) {
      ctx.values.forgetPending();
      if (await pendingValueExists(ctx)) {
        ctx.logger.info('a concurrent invocation stored the pending value first; keeping it', {
          outcome: 'already-created',
        });
        return;
      }
    }
    throw error;
  }
  ctx.logger.info('stored a new pending value', { outcome: 'created' });
}

async function pendingValueExists(ctx: StepContext): Promise<boolean> {
  try {
    await ctx.values.pending();
    return true;
  } catch (error) {
    if (isAwsError(error, 'ResourceNotFoundException')) return false;
    throw error;
  }
}

/** Makes the target accept the pending value (nothing to do for a generated secret). */
export async function setSecret(ctx: StepContext): Promise<void> {
  await ctx.strategy.setSecret(ctx);
}

/** Proves the pending value works; AWSCURRENT is untouched if it does not. */
export async function testSecret(ctx: StepContext): Promise<void> {
  await ctx.strategy.testSecret(ctx);
}

/**
 * Moves AWSCURRENT to the event's token (never to "whichever version holds AWSPENDING"); Secrets
 * Manager moves AWSPREVIOUS to the old version itself. The pre-step DescribeSecret already told us
 * where AWSCURRENT is, and that the token is not it.
 */
export async function finishSecret(ctx: StepContext): Promise<void> {
  const [oldCurrent] = versionsWithStage(ctx.secret, AWSCURRENT);
  await ctx.client.send(
    new UpdateSecretVersionStageCommand({
      SecretId: ctx.secret.arn,
      VersionStage: AWSCURRENT,
      MoveToVersionId: ctx.token,
      RemoveFromVersionId: oldCurrent,
    }),
  );
  ctx.logger.info('promoted the pending version to AWSCURRENT', { outcome: 'promoted' });
}

export const STEPS: Readonly<Record<StepName, (ctx: StepContext) => Promise<void>>> = {
  createSecret,
  setSecret,
  testSecret,
  finishSecret,
};
