/** A rotation that cannot go on: the secret, its versions or its value break the protocol. */
export class RotationError extends Error {
  public override readonly name = 'RotationError';
}

/** True for an AWS SDK error of the given exception name (SDK v3 sets `name` to the shape name). */
export function isAwsError(error: unknown, name: string): boolean {
  return error instanceof Error && error.name === name;
}

const REDACTED = '<redacted>';

/** What a log line may say about an error: its name and its redacted message, nothing else. */
export interface LoggedError {
  readonly name: string;
  readonly message: string;
}

/**
 * AWS error messages quote the ClientRequestToken ("can't find the specified secret value for
 * VersionId: ...", "You can't use ClientRequestToken ..."), and neither tokens nor values may reach a
 * log or CloudTrail's RotationFailed message. Every known secret is cut out of the message and the
 * stack, however short (a short password is still a password; longest first, so a value that
 * contains another is cut whole). Returns what may be logged: name and message only, never the
 * error's other properties or its `cause`, which drivers and the SDK fill with request details.
 */
export function redactError(error: unknown, sensitive: readonly (string | undefined)[]): LoggedError {
  const needles = [
    ...new Set(sensitive.filter((s): s is string => typeof s === 'string' && s.length > 0)),
  ].sort((a, b) => b.length - a.length);
  const scrub = (text: string): string =>
    needles.reduce((acc, needle) => acc.split(needle).join(REDACTED), text);
  if (!(error instanceof Error)) {
    return { name: 'Error', message: scrub(String(error)) };
  }
  const message = scrub(error.message);
  try {
    error.message = message;
    if (error.stack) error.stack = scrub(error.stack);
  } catch {
    // A frozen error object: the log line below still carries only the redacted message.
  }
  return { name: scrub(error.name), message };
}
