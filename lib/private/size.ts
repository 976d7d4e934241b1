/**
 * How long a resolved CloudFormation value will be once deployed, for checks against AWS's size
 * limits at synth. A reference (`Ref`, `Fn::GetAtt`, an import) counts as a typical ARN.
 */
export const REFERENCE_LENGTH_ESTIMATE = 100;

export function deployedLength(value: unknown): number {
  if (value === null || value === undefined) return 0;
  if (typeof value === 'string') return value.length;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value).length;
  if (Array.isArray(value)) return value.reduce((sum: number, v) => sum + deployedLength(v) + 3, 2);
  const object = value as Record<string, unknown>;
  const keys = Object.keys(object);
  if (keys.length === 1) {
    const [key] = keys;
    if (key === 'Fn::Join') {
      const [separator, parts] = object[key] as [string, unknown[]];
      return (
        parts.reduce((sum: number, p) => sum + deployedLength(p), 0) + separator.length * (parts.length - 1)
      );
    }
    if (key === 'Ref' || key.startsWith('Fn::')) return REFERENCE_LENGTH_ESTIMATE;
  }
  return keys.reduce((sum, k) => sum + k.length + 4 + deployedLength(object[k]), 2);
}

/** Lambda allows 4 KB of environment variables per function, keys and values together. */
export const MAX_LAMBDA_ENVIRONMENT_BYTES = 4096;

/** IAM allows 6,144 characters (white space not counted) in a customer-managed policy. */
export const MAX_MANAGED_POLICY_CHARACTERS = 6144;
