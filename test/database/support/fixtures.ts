/**
 * Fixtures the database strategies' and drivers' unit tests share (units.test.ts, drivers.test.ts,
 * secret-checks.test.ts, strategy-mutants.test.ts, test/rotation/database-pinning.test.ts): the
 * rotated secret, a PostgreSQL secret's value, the context a strategy step is given, with a fake
 * Secrets Manager client, and the error a driver call fails with.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { DatabaseError } from '../../../lambda/rotation/strategies/database/database-error';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SecretMetadata } from '../../../lambda/rotation/metadata';
import type { StrategyContext } from '../../../lambda/rotation/strategies/strategy';
import type { SecretValues } from '../../../lambda/rotation/values';

/** The secret being rotated. */
export const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:vault/db-AbCdEf';

/** Where a parsed value came from, as messages name it. */
export const WHERE = 'the AWSCURRENT value of secret X';

/**
 * A PostgreSQL secret's value as RDS writes it, for db.internal:5432/app and user app_user (password
 * current-pw); `fields` replace or add fields (`undefined` leaves one out).
 */
export function pgSecret(fields: Record<string, unknown> = {}): string {
  return JSON.stringify({
    engine: 'postgres',
    host: 'db.internal',
    port: 5432,
    dbname: 'app',
    username: 'app_user',
    password: 'current-pw',
    ...fields,
  });
}

/** The stage values a step may read; AWSPENDING is '' and AWSPREVIOUS absent unless given. */
export interface StageValues {
  readonly current: string;
  readonly pending?: string;
  readonly previous?: string;
  /** Called with each value the step asks to be redacted from its logs. */
  readonly remember?: (text: string) => void;
}

/**
 * The context a strategy step gets for secret `ARN` (token `token`, a silent logger, passwords always
 * generated as `generated-pw`), whose Secrets Manager client answers every command with `send`.
 */
export function strategyContext<Command>(
  send: (command: Command) => Promise<unknown>,
  values: StageValues,
): StrategyContext {
  return {
    client: { send } as unknown as SecretsManagerClient,
    logger: new Logger({ serviceName: 'unit', logLevel: 'SILENT' }),
    secret: {
      arn: ARN,
      name: 'vault/db',
      rotationEnabled: true,
      versionIdsToStages: {},
      tags: {},
    } as SecretMetadata,
    token: 'token',
    values: {
      current: async () => values.current,
      pending: async () => values.pending ?? '',
      previous: async () => values.previous,
      remember: values.remember ?? (() => undefined),
    } as unknown as SecretValues,
    generatePassword: async () => 'generated-pw',
  };
}

/** The DatabaseError `promise` rejects with; fails the test if it resolves. */
export async function failure(promise: Promise<unknown>): Promise<DatabaseError> {
  try {
    await promise;
  } catch (error) {
    return error as DatabaseError;
  }
  throw new Error('expected a failure');
}
