import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { RotationError } from '../../errors';
import type { StrategyContext } from '../strategy';
import { DatabaseStrategy } from './database-strategy';
import { loginWorks, tryLogin } from './login';
import { assertPendingUser, describeEndpoint, parseDatabaseSecret, type DatabaseSecret } from './secret';
import { alternateUsername } from './usernames';

/**
 * Two users take turns, `user` and `user_clone`: each rotation gives the one that is not current a new
 * password (with the admin secret the deployment pinned for the target) and makes it current. The
 * current credential keeps working throughout, and the previous one until the rotation after next.
 * A `masterarn` field in the value must name that same admin secret; it never chooses one.
 */
export class AlternatingUsersStrategy extends DatabaseStrategy {
  protected pendingUsername(current: DatabaseSecret, ctx: StrategyContext): string {
    this.masterArn(current, ctx);
    return alternateUsername(current.credentials.username, this.spec);
  }

  public async setSecret(ctx: StrategyContext): Promise<void> {
    const current = await this.current(ctx);
    const pending = await this.pending(ctx);
    const expected = alternateUsername(current.credentials.username, this.spec);
    const endpoint = await this.endpoint(ctx);
    assertPendingUser(pending, expected, ctx.secret.arn, endpoint);
    const masterArn = this.masterArn(current, ctx);
    const driver = await this.driver();
    const log = { username: expected, host: endpoint.host, port: endpoint.port };

    if (await loginWorks(driver, endpoint, pending.credentials)) {
      ctx.logger.info('database already accepts the pending credential; nothing to set', {
        ...log,
        outcome: 'already-set',
      });
      return;
    }

    // The current credential must work before the admin credential is used on its behalf: otherwise a
    // secret anyone can write would let this function create users with the admin's rights.
    const currentSession = await tryLogin(driver, endpoint, current.credentials);
    if (currentSession === undefined) {
      throw new RotationError(
        `setSecret: the AWSCURRENT credential of secret ${ctx.secret.arn} (user "${current.credentials.username}") does not log in to ${this.spec.name} at ${describeEndpoint(endpoint)}; refusing to use the admin secret for it`,
      );
    }
    let templateHost: string | undefined;
    try {
      templateHost = await currentSession.accountHost();
    } finally {
      await currentSession.close();
    }

    const admin = await this.admin(ctx, masterArn);
    // Admin credentials travel over verified TLS only, whatever else the target allows (the contract
    // refuses an admin on any other target; this keeps it so even if that check went away).
    const adminSession = await tryLogin(driver, { ...endpoint, tls: 'verified' }, admin.credentials);
    if (adminSession === undefined) {
      throw new RotationError(
        `setSecret: the admin secret ${masterArn} (user "${admin.credentials.username}") does not log in to ${this.spec.name} at ${describeEndpoint(endpoint)}`,
      );
    }
    let outcome: 'created' | 'updated';
    try {
      outcome = await adminSession.upsertClone({
        template: current.credentials.username,
        templateHost,
        username: expected,
        password: pending.credentials.password,
      });
    } finally {
      await adminSession.close();
    }
    ctx.logger.info(
      outcome === 'created'
        ? "created the alternate user with the current user's grants"
        : 'set a new password for the alternate user',
      { ...log, outcome },
    );
  }

  /** The pinned admin secret; a `masterarn` in the value must name the same one. */
  private masterArn(current: DatabaseSecret, ctx: StrategyContext): string {
    const pinned = this.target.admin as string;
    const claimed = current.raw.masterarn;
    if (claimed !== undefined && claimed !== null && claimed !== pinned) {
      throw new RotationError(
        `the AWSCURRENT value of secret ${ctx.secret.arn} names admin secret ${JSON.stringify(String(claimed).slice(0, 2048))} in "masterarn", but this deployment pinned ${pinned}; refusing to use any admin secret (fix the value, or deploy the new admin secret, then rotate again)`,
      );
    }
    return pinned;
  }

  /** The admin secret's AWSCURRENT value: same engine, same (pinned) server as the rotated user. */
  private async admin(ctx: StrategyContext, arn: string): Promise<DatabaseSecret> {
    const response = await ctx.client.send(
      new GetSecretValueCommand({ SecretId: arn, VersionStage: 'AWSCURRENT' }),
    );
    const text = response.SecretString;
    if (text === undefined) {
      throw new RotationError(`the admin secret ${arn} has no SecretString`);
    }
    // Its password must never reach a log or an error either.
    ctx.values.remember(text);
    const { target } = await this.located(ctx);
    return parseDatabaseSecret(text, this.spec, target, `the AWSCURRENT value of admin secret ${arn}`, {
      arn: ctx.secret.arn,
      checkDbname: false,
    });
  }
}
