import { parseEvent } from '../../lambda/rotation/event';
import { ARN, ROTATION_TOKEN, TOKEN } from './helpers';

const valid = { Step: 'createSecret', SecretId: ARN, ClientRequestToken: TOKEN };

describe('parseEvent', () => {
  test('accepts a complete event', () => {
    expect(parseEvent(valid)).toEqual({ ...valid, RotationToken: undefined });
  });

  test('keeps RotationToken when present', () => {
    expect(parseEvent({ ...valid, RotationToken: ROTATION_TOKEN }).RotationToken).toBe(ROTATION_TOKEN);
  });

  test.each(['createSecret', 'setSecret', 'testSecret', 'finishSecret'])('accepts step %s', (Step) => {
    expect(parseEvent({ ...valid, Step }).Step).toBe(Step);
  });

  test.each([null, 'createSecret', 42, [valid]])('rejects a non-object event (%p)', (raw) => {
    expect(() => parseEvent(raw)).toThrow(
      'invalid rotation event: expected an object with Step, SecretId and ClientRequestToken',
    );
  });

  test.each(['Step', 'SecretId', 'ClientRequestToken'])('rejects an event without %s', (name) => {
    const raw: Record<string, unknown> = { ...valid };
    delete raw[name];
    expect(() => parseEvent(raw)).toThrow(`invalid rotation event: field ${name} is missing`);
  });

  test('rejects a null field as missing', () => {
    expect(() => parseEvent({ ...valid, SecretId: null })).toThrow(
      'invalid rotation event: field SecretId is missing',
    );
  });

  test.each([
    ['a number', 7],
    ['an empty string', ''],
    ['an object', { id: 1 }],
  ])('rejects a ClientRequestToken that is %s', (_label, value) => {
    expect(() => parseEvent({ ...valid, ClientRequestToken: value })).toThrow(
      'invalid rotation event: field ClientRequestToken must be a non-empty string',
    );
  });

  test.each([
    ['a newline', `${TOKEN}\n`],
    ['a NUL byte', `${TOKEN}\u0000`],
    ['a non-ASCII letter', `${TOKEN}é`],
    ['a tab', `${TOKEN}\t`],
    ['DEL', `${TOKEN}\u007f`],
  ])('rejects a ClientRequestToken containing %s, without echoing it', (_label, value) => {
    let message = '';
    try {
      parseEvent({ ...valid, ClientRequestToken: value });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe(
      'invalid rotation event: field ClientRequestToken contains characters outside printable ASCII',
    );
    expect(message).not.toContain(TOKEN);
  });

  test('rejects a non-printable SecretId', () => {
    expect(() => parseEvent({ ...valid, SecretId: `${ARN}\r` })).toThrow(
      'invalid rotation event: field SecretId contains characters outside printable ASCII',
    );
  });

  test('rejects a non-printable RotationToken', () => {
    expect(() => parseEvent({ ...valid, RotationToken: 'rt\u2028x' })).toThrow(
      'invalid rotation event: field RotationToken contains characters outside printable ASCII',
    );
  });

  test('rejects an empty RotationToken', () => {
    expect(() => parseEvent({ ...valid, RotationToken: '' })).toThrow(
      'invalid rotation event: field RotationToken must be a non-empty string',
    );
  });

  test('rejects an overlong field', () => {
    expect(() => parseEvent({ ...valid, SecretId: 'a'.repeat(4097) })).toThrow(
      'invalid rotation event: field SecretId is longer than 4096 characters',
    );
  });

  test('rejects an unknown step, naming it and the known ones', () => {
    expect(() => parseEvent({ ...valid, Step: 'deleteSecret' })).toThrow(
      'invalid rotation event: unknown Step "deleteSecret" (expected one of createSecret, setSecret, testSecret, finishSecret)',
    );
  });

  test('rejects a step name differing only in case', () => {
    expect(() => parseEvent({ ...valid, Step: 'CreateSecret' })).toThrow('unknown Step "CreateSecret"');
  });

  test('truncates a long unknown step in the message', () => {
    expect(() => parseEvent({ ...valid, Step: 'x'.repeat(100) })).toThrow(
      `unknown Step "${'x'.repeat(64)}..."`,
    );
  });

  test('shows an unknown step of exactly 64 characters whole', () => {
    expect(() => parseEvent({ ...valid, Step: 'y'.repeat(64) })).toThrow(
      `unknown Step "${'y'.repeat(64)}" (expected`,
    );
  });

  test('accepts a field of exactly 4096 characters', () => {
    expect(parseEvent({ ...valid, SecretId: 'a'.repeat(4096) }).SecretId).toHaveLength(4096);
  });
});
