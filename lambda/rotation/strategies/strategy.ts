import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { TargetSpec } from '../../../lib/contract/rotation-contract';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { SecretMetadata } from '../metadata';
import type { PasswordOptions } from '../password';
import type { SecretValues } from '../values';

/** Every profile in ROTATION_PROFILES has an id (its key) and a kind that picks its strategy. */
export interface ProfileBase {
  readonly id: string;
  readonly kind: string;
}

/**
 * What a strategy gets for one step of one secret. Database strategies will use the same context:
 * `values` reads current / pending / previous at most once each, `client` reaches other secrets
 * (an admin secret for alternating users), `secret` is the step's DescribeSecret.
 */
export interface StrategyContext {
  readonly client: SecretsManagerClient;
  readonly logger: Logger;
  readonly secret: SecretMetadata;
  /** The event's ClientRequestToken: the pending version's id. Never log it. */
  readonly token: string;
  readonly values: SecretValues;
  /** GetRandomPassword with the given options. */
  generatePassword(options: PasswordOptions): Promise<string>;
}

/** The target-specific half of a rotation; the protocol half (stages, puts, promotion) lives in steps.ts. */
export interface RotationStrategy {
  /**
   * True when createSecret needs AWSCURRENT's value (to copy JSON fields, or a username and host).
   * When false, createSecret only checks from DescribeSecret that an AWSCURRENT version exists.
   */
  readonly needsCurrentValue: boolean;
  /** The new value for the pending version. Called only when that version has no value yet. */
  createPendingValue(ctx: StrategyContext): Promise<string>;
  /** Makes the target accept the pending value; must be safe to repeat. */
  setSecret(ctx: StrategyContext): Promise<void>;
  /** Proves the pending value works; throws (naming no value) when it does not. */
  testSecret(ctx: StrategyContext): Promise<void>;
}

/** One per kind. A new target kind is a new file exporting one of these, listed in strategies/index.ts. */
export interface StrategyDefinition<P extends ProfileBase = ProfileBase> {
  readonly kind: string;
  /** Validates one ROTATION_PROFILES entry; `where` names it in errors, e.g. `ROTATION_PROFILES["api"]`. */
  parseProfile(id: string, raw: Record<string, unknown>, where: string): P;
  /**
   * Why `target` cannot serve a secret bound to `profile` (a database kind needs a target of its
   * engine; a generated kind none), or undefined when it can. Checked once, when the environment is read.
   */
  checkTarget(profile: P, target: TargetSpec | undefined): string | undefined;
  /** The strategy for one secret; `target` is the one the deployment pinned for it (checkTarget passed). */
  create(profile: P, target: TargetSpec | undefined): RotationStrategy;
}
