/** A rotation that cannot go on: the secret, its versions or its value break the protocol. */
export class RotationError extends Error {
  public override readonly name = 'RotationError';
}

/** True for an AWS SDK error of the given exception name (SDK v3 sets `name` to the shape name). */
export function isAwsError(error: unknown, name: string): boolean {
  return error instanceof Error && error.name === name;
}

const REDACTED = '<redacted>';

/**
 * AWS error messages quote the ClientRequestToken ("can't find the specified secret value for
 * VersionId: ...", "You can't use ClientRequestToken ..."), and neither tokens nor values may reach a
 * log or CloudTrail's RotationFailed message. The error keeps its name and type so callers and
 * retries still see what failed.
 */
export function redactError(error: unknown, sensitive: readonly (string | undefined)[]): void {
  if (!(error instanceof Error)) return;
  // Very short strings would mangle ordinary words; tokens are 32-64 chars and values are passwords.
  const needles = sensitive.filter((s): s is string => typeof s === 'string' && s.length >= 6);
  if (needles.length === 0) return;
  const scrub = (text: string): string =>
    needles.reduce((acc, needle) => acc.split(needle).join(REDACTED), text);
  try {
    error.message = scrub(error.message);
    if (error.stack) error.stack = scrub(error.stack);
  } catch {
    // A frozen error object: nothing safe to do but leave it; the caller still logs only the message.
  }
}
