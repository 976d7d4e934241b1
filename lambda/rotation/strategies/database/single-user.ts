import { RotationError } from '../../errors';
import type { StrategyContext } from '../strategy';
import { DatabaseStrategy } from './database-strategy';
import { plaintextHint } from './database-error';
import type { Session } from './driver';
import { tryLogin, loginWorks } from './login';
import { assertPendingUser, describeEndpoint, type DatabaseSecret } from './secret';

/**
 * One database user changes its own password. Between setSecret and finishSecret the database already
 * wants the new password while AWSCURRENT still holds the old one: clients that fail to log in should
 * re-read the secret (and do, with AWSCURRENT, once finishSecret has run).
 */
export class SingleUserStrategy extends DatabaseStrategy {
  protected pendingUsername(current: DatabaseSecret): string {
    return current.credentials.username;
  }

  public async setSecret(ctx: StrategyContext): Promise<void> {
    // Both values must agree with the pinned target before any connection (parse checks them).
    const current = await this.current(ctx);
    const pending = await this.pending(ctx);
    const { username } = current.credentials;
    const endpoint = await this.endpoint(ctx);
    assertPendingUser(pending, username, ctx.secret.arn, endpoint);
    const driver = await this.driver();
    const log = { username, host: endpoint.host, port: endpoint.port };

    if (await loginWorks(driver, endpoint, pending.credentials)) {
      ctx.logger.info('database already accepts the pending password; nothing to set', {
        ...log,
        outcome: 'already-set',
      });
      return;
    }

    let session: Session | undefined = await tryLogin(driver, endpoint, current.credentials);
    let via = 'AWSCURRENT';
    if (session === undefined) {
      const previous = await this.previous(ctx);
      // The previous password counts only for the same user on the same (pinned) database.
      if (previous !== undefined && previous.credentials.username === username) {
        session = await tryLogin(driver, endpoint, previous.credentials);
        via = 'AWSPREVIOUS';
      }
    }
    if (session === undefined) {
      throw new RotationError(
        `setSecret: could not log in to ${this.spec.name} at ${describeEndpoint(endpoint)} as user "${username}" with the AWSPENDING, AWSCURRENT or AWSPREVIOUS password of secret ${ctx.secret.arn}; set the user's password to the AWSCURRENT value by hand, then rotate again${plaintextHint(endpoint)}`,
      );
    }
    try {
      await session.setOwnPassword(username, pending.credentials.password);
    } finally {
      await session.close();
    }
    ctx.logger.info('set the pending password in the database', { ...log, via, outcome: 'set' });
  }

  /** AWSPREVIOUS, when there is one that parses and agrees with the pinned target (else it cannot help). */
  private async previous(ctx: StrategyContext): Promise<DatabaseSecret | undefined> {
    const text = await ctx.values.previous();
    if (text === undefined) return undefined;
    try {
      return await this.parse(text, 'AWSPREVIOUS', ctx);
    } catch (error) {
      ctx.logger.warn('ignoring the AWSPREVIOUS value', { reason: (error as Error).message });
      return undefined;
    }
  }
}
