import { Duration, Token } from 'aws-cdk-lib';

/** Characters Secrets Manager accepts in a secret name. */
const SECRET_NAME_CHARS = /^[A-Za-z0-9/_+=.@-]+$/;
export const SECRET_NAME_MAX_LENGTH = 512;

/** Throws an Error that names the prop, the value received and what is allowed. */
export function invalid(owner: string, prop: string, received: unknown, allowed: string): never {
  throw new Error(`${owner}: invalid \`${prop}\`: received ${describe(received)}; ${allowed}.`);
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return JSON.stringify(value);
  if (value instanceof Duration) return value.toHumanString();
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : `a list of ${value.length}`;
  return String(value);
}

/** Validates a whole number of days of a Duration within [min, max]; tokens are left to CloudFormation. */
export function validateDays(
  owner: string,
  prop: string,
  value: Duration | undefined,
  min: number,
  max: number,
) {
  if (value === undefined || Token.isUnresolved(value.toSeconds())) return;
  const seconds = value.toSeconds();
  const days = seconds / 86400;
  if (!Number.isInteger(days) || days < min || days > max) {
    invalid(owner, prop, value, `allowed: a whole number of days from ${min} to ${max}`);
  }
}

/** Validates a Secrets Manager secret name, or a prefix of one. */
export function validateSecretName(owner: string, prop: string, name: string | undefined) {
  if (name === undefined || Token.isUnresolved(name)) return;
  if (name.length === 0 || name.length > SECRET_NAME_MAX_LENGTH) {
    invalid(owner, prop, name, `allowed: 1 to ${SECRET_NAME_MAX_LENGTH} characters`);
  }
  if (!SECRET_NAME_CHARS.test(name)) {
    invalid(owner, prop, name, 'allowed characters: letters, digits and / _ + = . @ -');
  }
}
