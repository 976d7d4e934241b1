import { RotationError } from './errors';

export const STEP_NAMES = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
export type StepName = (typeof STEP_NAMES)[number];

/** What Secrets Manager sends, once validated. */
export interface RotationEvent {
  readonly Step: StepName;
  readonly SecretId: string;
  readonly ClientRequestToken: string;
  /** Present for assumed-role or cross-account rotation; passed on to PutSecretValue. */
  readonly RotationToken?: string;
}

const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;
// Generous bounds: a secret ARN is at most 2048 characters, tokens are 32-64 (RotationToken longer).
const MAX_FIELD_LENGTH = 4096;

function field(raw: Record<string, unknown>, name: string, required: boolean): string | undefined {
  const value = raw[name];
  if (value === undefined && !required) return undefined;
  if (value === undefined || value === null) {
    throw new RotationError(`invalid rotation event: field ${name} is missing`);
  }
  if (typeof value !== 'string' || value.length === 0) {
    throw new RotationError(`invalid rotation event: field ${name} must be a non-empty string`);
  }
  if (value.length > MAX_FIELD_LENGTH) {
    throw new RotationError(
      `invalid rotation event: field ${name} is longer than ${MAX_FIELD_LENGTH} characters`,
    );
  }
  // The value is never echoed: it may be a token.
  if (!PRINTABLE_ASCII.test(value)) {
    throw new RotationError(
      `invalid rotation event: field ${name} contains characters outside printable ASCII`,
    );
  }
  return value;
}

function isStepName(value: string): value is StepName {
  return (STEP_NAMES as readonly string[]).includes(value);
}

/**
 * Checks every field before any API call (docs/ROTATION.md "Before any step" 1, and the unknown-step part
 * of 6, which needs no API call either).
 */
export function parseEvent(raw: unknown): RotationEvent {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new RotationError(
      'invalid rotation event: expected an object with Step, SecretId and ClientRequestToken',
    );
  }
  const record = raw as Record<string, unknown>;
  const step = field(record, 'Step', true) as string;
  const secretId = field(record, 'SecretId', true) as string;
  const token = field(record, 'ClientRequestToken', true) as string;
  const rotationToken = field(record, 'RotationToken', false);
  if (!isStepName(step)) {
    // Step names are not secret, and this one is already known to be short printable ASCII.
    const shown = step.length > 64 ? `${step.slice(0, 64)}...` : step;
    throw new RotationError(
      `invalid rotation event: unknown Step "${shown}" (expected one of ${STEP_NAMES.join(', ')})`,
    );
  }
  return { Step: step, SecretId: secretId, ClientRequestToken: token, RotationToken: rotationToken };
}
