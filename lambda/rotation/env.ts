/**
 * The one way this function reads its environment. Empty values count as unset, so a construct
 * that renders an optional variable as '' cannot silently widen what the function accepts.
 */
export function getEnv(name: string, options: { required: true }): string;
export function getEnv(name: string, options?: { required?: false }): string | undefined;
export function getEnv(name: string, options: { required?: boolean } = {}): string | undefined {
  const value = process.env[name];
  if (value === undefined || value.trim() === '') {
    if (options.required) {
      throw new ConfigurationError(`environment variable ${name} is required but is not set`);
    }
    return undefined;
  }
  return value;
}

/** A problem with the function's own configuration (its environment), not with the secret. */
export class ConfigurationError extends Error {
  public override readonly name = 'ConfigurationError';
}
