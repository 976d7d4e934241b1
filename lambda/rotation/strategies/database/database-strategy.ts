import { DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import {
  pinnedSecretFields,
  type HostTargetSpec,
  type TargetSpec,
} from '../../../../lib/contract/rotation-contract';
import type { RotationStrategy, StrategyContext } from '../strategy';
import { DatabaseError, isDatabaseError } from './database-error';
import { CONNECT_TIMEOUT_MS, type DatabaseDriver, type Endpoint } from './driver';
import type { EngineSpec } from './engine';
import type { DatabaseProfile } from './profile';
import { withRetry } from './retry';
import { describeValue, parseDatabaseSecret, pinnedEndpoint, type DatabaseSecret } from './secret';

/** Where a target's secrets connect, once known, and the engine value new versions carry. */
interface Location {
  readonly target: HostTargetSpec;
  /** RDS's own engine value for a target pinned by RDS identifier. */
  readonly rdsEngine?: string;
}

/**
 * The half of a database rotation both user schemes share: createSecret copies the current JSON with a
 * new password (and, for alternating users, the other username) and the pinned connection fields;
 * testSecret logs in with the pending value. setSecret is each scheme's own.
 *
 * Values are read against the pinned target (see parseDatabaseSecret): one that names a former
 * endpoint the deployment declared (`movedFrom`) is accepted, but every login goes to the pin, and the
 * version createSecret writes names the pin.
 *
 * A strategy serves one step of one secret (rotate.ts makes one per invocation), so a target pinned by
 * RDS identifier is looked up once per step, before any value is read against it.
 */
export abstract class DatabaseStrategy implements RotationStrategy {
  public readonly needsCurrentValue = true;
  private location?: Promise<Location>;

  constructor(
    protected readonly spec: EngineSpec,
    protected readonly profile: DatabaseProfile,
    protected readonly target: TargetSpec,
  ) {}

  /** The username the pending value must have, given the current value. Throws if there is none. */
  protected abstract pendingUsername(current: DatabaseSecret, ctx: StrategyContext): string;

  public abstract setSecret(ctx: StrategyContext): Promise<void>;

  public async createPendingValue(ctx: StrategyContext): Promise<string> {
    // Everything that can be wrong with the current value fails here, before a password is generated.
    const current = await this.current(ctx);
    const username = this.pendingUsername(current, ctx);
    const password = await ctx.generatePassword(this.profile.password);
    const { target, rdsEngine } = await this.located(ctx);
    // The value's own engine when it names this one (it was just checked: "mariadb" stays "mariadb").
    const claimed = current.raw.engine;
    const engine =
      rdsEngine ?? (typeof claimed === 'string' && claimed !== '' ? claimed : this.spec.engineValues[0]);
    // Every other field is copied as it is; the pinned connection fields are written whatever the
    // current value says (its generated template may hold only the username).
    const copied = { ...current.raw };
    if (current.formerEndpoint !== undefined) {
      // The value names where the database was (the deployment declared the move): the new version
      // names the pin, with no database left over from there when the pin names none.
      if (target.dbname === undefined) delete copied.dbname;
      ctx.logger.info('the current value names a former endpoint; the new version names the pinned one', {
        from: `${current.formerEndpoint.host}:${current.formerEndpoint.port}`,
        to: `${target.host}:${target.port}`,
      });
    }
    return JSON.stringify({ ...copied, ...pinnedSecretFields(target, engine), username, password });
  }

  public async testSecret(ctx: StrategyContext): Promise<void> {
    const pending = await this.pending(ctx);
    const endpoint = await this.endpoint(ctx);
    const driver = await this.spec.loadDriver();
    const { username } = pending.credentials;
    await withRetry(
      async () => {
        const session = await driver.connect(endpoint, pending.credentials);
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
      host: endpoint.host,
      outcome: 'tested',
    });
  }

  /** Where every login goes: the deployment's pinned target (or the RDS API's answer for it), never a value. */
  protected async endpoint(ctx: StrategyContext): Promise<Endpoint> {
    return pinnedEndpoint((await this.located(ctx)).target, this.spec);
  }

  /**
   * The target with its host and port: as pinned, or, for a target pinned by RDS identifier, as the RDS
   * API reports that database now. With an admin secret, that secret's `aws:rds:*` tag (which only AWS
   * can write) must name the same database. Both before any value is read against the target.
   */
  protected located(ctx: StrategyContext): Promise<Location> {
    this.location ??= this.locate(ctx);
    return this.location;
  }

  private async locate(ctx: StrategyContext): Promise<Location> {
    const target = this.target;
    if (target.rds === undefined) return { target };
    // Loaded only here: functions without an RDS target never read the RDS client.
    const { checkManagedSecretTag, describeRdsEndpoint, rdsClient } = await import('./rds-endpoint');
    const found = await describeRdsEndpoint(await rdsClient(), target.rds, this.spec);
    if (target.admin !== undefined) {
      const described = await ctx.client.send(new DescribeSecretCommand({ SecretId: target.admin }));
      const tags = Object.fromEntries(
        (described.Tags ?? [])
          .filter((tag) => tag.Key !== undefined)
          .map((tag) => [tag.Key as string, tag.Value ?? '']),
      );
      checkManagedSecretTag(tags, target.rds, found, target.admin);
    }
    ctx.logger.info('found the database through the RDS API', {
      rds: `${target.rds.kind} ${target.rds.identifier}`,
      host: found.host,
      port: found.port,
    });
    const { engine, dbname, tls, admin } = target;
    return {
      target: { engine, host: found.host, port: found.port, dbname, tls, admin },
      rdsEngine: found.engine,
    };
  }

  protected async current(ctx: StrategyContext): Promise<DatabaseSecret> {
    return this.parse(await ctx.values.current(), 'AWSCURRENT', ctx);
  }

  protected async pending(ctx: StrategyContext): Promise<DatabaseSecret> {
    return this.parse(await ctx.values.pending(), 'AWSPENDING', ctx);
  }

  /** A value of this secret, checked against the pinned target (or a RotationError, before any login). */
  protected async parse(text: string, stage: string, ctx: StrategyContext): Promise<DatabaseSecret> {
    const { target } = await this.located(ctx);
    return parseDatabaseSecret(text, this.spec, target, describeValue(stage, ctx.secret.arn), {
      arn: ctx.secret.arn,
    });
  }

  protected driver(): Promise<DatabaseDriver> {
    return this.spec.loadDriver();
  }
}
