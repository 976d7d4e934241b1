import type { TargetSpec } from '../../../../lib/contract/rotation-contract';
import type { RotationStrategy, StrategyContext } from '../strategy';
import { DatabaseError, isDatabaseError } from './database-error';
import { CONNECT_TIMEOUT_MS, type DatabaseDriver, type Endpoint } from './driver';
import type { EngineSpec } from './engine';
import type { DatabaseProfile } from './profile';
import { withRetry } from './retry';
import { describeValue, parseDatabaseSecret, pinnedEndpoint, type DatabaseSecret } from './secret';

/**
 * The half of a database rotation both user schemes share: createSecret copies the current JSON with a
 * new password (and, for alternating users, the other username); testSecret logs in with the pending
 * value. setSecret is each scheme's own.
 */
export abstract class DatabaseStrategy implements RotationStrategy {
  public readonly needsCurrentValue = true;
  /** Where every login goes: the deployment's pinned target, never a secret's value. */
  protected readonly endpoint: Endpoint;

  constructor(
    protected readonly spec: EngineSpec,
    protected readonly profile: DatabaseProfile,
    protected readonly target: TargetSpec,
  ) {
    this.endpoint = pinnedEndpoint(target, spec);
  }

  /** The username the pending value must have, given the current value. Throws if there is none. */
  protected abstract pendingUsername(current: DatabaseSecret, ctx: StrategyContext): string;

  public abstract setSecret(ctx: StrategyContext): Promise<void>;

  public async createPendingValue(ctx: StrategyContext): Promise<string> {
    // Everything that can be wrong with the current value fails here, before a password is generated.
    const current = await this.current(ctx);
    const username = this.pendingUsername(current, ctx);
    const password = await ctx.generatePassword(this.profile.password);
    // Every other field (host, port, dbname, ssl, masterarn, anything else) is copied as it is: the
    // connection fields were just checked against the pinned target.
    return JSON.stringify({ ...current.raw, username, password });
  }

  public async testSecret(ctx: StrategyContext): Promise<void> {
    const pending = await this.pending(ctx);
    const driver = await this.spec.loadDriver();
    const { username } = pending.credentials;
    await withRetry(
      async () => {
        const session = await driver.connect(this.endpoint, pending.credentials);
        try {
          await session.ping();
        } finally {
          await session.close();
        }
      },
      {
        budgetMs: this.profile.testTimeoutSeconds * 1000,
        // A login and SELECT 1 take at most the connect timeout in practice (a refused password is quick).
        attemptMs: CONNECT_TIMEOUT_MS,
        // A TLS setup that failed once fails again: say so now instead of after the whole budget.
        retryable: (error) => !isDatabaseError(error, 'tls'),
        onRetry: (error, attempt, delayMs) =>
          ctx.logger.warn('pending credential does not work yet; retrying', {
            attempt,
            delayMs,
            reason: error instanceof Error ? error.message : String(error),
          }),
      },
    ).catch((error: unknown) => {
      if (!isDatabaseError(error)) throw error;
      throw new DatabaseError(
        error.failure,
        `the AWSPENDING credential of secret ${ctx.secret.arn} does not work: ${error.message}`,
      );
    });
    ctx.logger.info('pending credential logs in', {
      username,
      host: this.endpoint.host,
      outcome: 'tested',
    });
  }

  protected async current(ctx: StrategyContext): Promise<DatabaseSecret> {
    return this.parse(await ctx.values.current(), 'AWSCURRENT', ctx);
  }

  protected async pending(ctx: StrategyContext): Promise<DatabaseSecret> {
    return this.parse(await ctx.values.pending(), 'AWSPENDING', ctx);
  }

  /** A value of this secret, checked against the pinned target (or a RotationError, before any login). */
  protected parse(text: string, stage: string, ctx: StrategyContext): DatabaseSecret {
    return parseDatabaseSecret(text, this.spec, this.target, describeValue(stage, ctx.secret.arn), {
      arn: ctx.secret.arn,
    });
  }

  protected driver(): Promise<DatabaseDriver> {
    return this.spec.loadDriver();
  }
}
