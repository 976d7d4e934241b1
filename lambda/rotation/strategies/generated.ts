import { ConfigurationError } from '../env';
import { RotationError } from '../errors';
import { parsePasswordOptions, type PasswordOptions } from '../password';
import type { ProfileBase, RotationStrategy, StrategyContext, StrategyDefinition } from './strategy';

/**
 * A secret with no external target (an API key, a signing token): the value is a fresh
 * GetRandomPassword, either the whole SecretString or one field of a JSON SecretString.
 */
export interface GeneratedProfile extends ProfileBase {
  readonly kind: 'generated';
  /** The JSON field to replace; absent means the whole SecretString is the password. */
  readonly jsonField?: string;
  readonly password: PasswordOptions;
}

const KNOWN_KEYS = ['kind', 'jsonField', 'password'];

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
    ? (parsed as Record<string, unknown>)
    : undefined;
}

class GeneratedStrategy implements RotationStrategy {
  public readonly needsCurrentValue: boolean;

  constructor(private readonly profile: GeneratedProfile) {
    this.needsCurrentValue = profile.jsonField !== undefined;
  }

  public async createPendingValue(ctx: StrategyContext): Promise<string> {
    const field = this.profile.jsonField;
    if (field === undefined) {
      return ctx.generatePassword(this.profile.password);
    }
    // Validate the current JSON before spending a GetRandomPassword call on it.
    const current = parseJsonObject(await ctx.values.current());
    if (current === undefined) {
      throw new RotationError(
        `the AWSCURRENT value of secret ${ctx.secret.arn} is not a JSON object, but profile "${this.profile.id}" rotates its field "${field}"`,
      );
    }
    if (!Object.prototype.hasOwnProperty.call(current, field)) {
      throw new RotationError(
        `the AWSCURRENT value of secret ${ctx.secret.arn} has no field "${field}", which profile "${this.profile.id}" rotates`,
      );
    }
    const password = await ctx.generatePassword(this.profile.password);
    // Every other field is copied as it is; key order is kept.
    return JSON.stringify({ ...current, [field]: password });
  }

  public async setSecret(ctx: StrategyContext): Promise<void> {
    ctx.logger.info('generated secret has no external target; nothing to set');
  }

  public async testSecret(ctx: StrategyContext): Promise<void> {
    const pending = await ctx.values.pending();
    const field = this.profile.jsonField;
    if (field === undefined) {
      if (pending.length === 0) {
        throw new RotationError(`the AWSPENDING value of secret ${ctx.secret.arn} is empty`);
      }
      return;
    }
    const parsed = parseJsonObject(pending);
    if (parsed === undefined) {
      throw new RotationError(`the AWSPENDING value of secret ${ctx.secret.arn} is not a JSON object`);
    }
    const value = parsed[field];
    if (typeof value !== 'string' || value.length === 0) {
      throw new RotationError(
        `the AWSPENDING value of secret ${ctx.secret.arn} has no non-empty string field "${field}"`,
      );
    }
  }
}

export const generatedStrategy: StrategyDefinition<GeneratedProfile> = {
  kind: 'generated',
  parseProfile(id, raw, where) {
    const unknown = Object.keys(raw).filter((k) => !KNOWN_KEYS.includes(k));
    if (unknown.length > 0) {
      throw new ConfigurationError(
        `${where} has unknown key(s) ${unknown.map((k) => JSON.stringify(k)).join(', ')} (allowed for kind "generated": ${KNOWN_KEYS.join(', ')})`,
      );
    }
    const jsonField = raw.jsonField;
    if (jsonField !== undefined && (typeof jsonField !== 'string' || jsonField.length === 0)) {
      throw new ConfigurationError(`${where}.jsonField must be a non-empty string`);
    }
    return {
      id,
      kind: 'generated',
      jsonField,
      password: parsePasswordOptions(raw.password, `${where}.password`),
    };
  },
  checkTarget(_profile, target) {
    return target === undefined ? undefined : 'a generated value has no database target';
  },
  create(profile) {
    return new GeneratedStrategy(profile);
  },
};
