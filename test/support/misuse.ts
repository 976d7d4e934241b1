/**
 * The shapes of test/misuse.test.ts's rows and how each is checked, shared with the row modules in
 * test/misuse/ (one table, split by construct so that several people can add rows at once).
 */
import { Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';

export interface Refusal {
  /** What the user wrote. */
  readonly input: string;
  readonly act: () => unknown;
  /** The construct path (or the factory) the message starts with. */
  readonly where: string;
  /** The prop the user wrote. */
  readonly prop: string;
  /** The value received, as the message shows it. */
  readonly received: string;
  /** What the message says is allowed, or what to change. */
  readonly allowed: string;
}

/** The thrown error, which must be a plain Error with our message, never a TypeError. */
export function errorOf(act: () => unknown): Error {
  try {
    act();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the input to be refused, but it was accepted');
}

export function expectRefusal({ act, where, prop, received, allowed }: Refusal) {
  const error = errorOf(act);
  expect(error).toBeInstanceOf(Error);
  expect(error).not.toBeInstanceOf(TypeError);
  expect(error.message).toMatch(new RegExp(`^${escape(where)}: `));
  expect(error.message).toContain(`invalid \`${prop}\``);
  expect(error.message).toContain(`received ${received};`);
  expect(error.message).toContain(allowed);
}

export function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export interface MemberRefusal {
  readonly input: string;
  readonly act: () => unknown;
  /** The construct path the message starts with. */
  readonly where: string;
  /** The member as the message names it, with the arguments it shows. */
  readonly member: string;
  /** What the message says to use instead. */
  readonly instead: string;
}

export function expectMemberRefusal({ act, where, member, instead }: MemberRefusal) {
  const error = errorOf(act);
  expect(error).toBeInstanceOf(Error);
  expect(error).not.toBeInstanceOf(TypeError);
  expect(error.message).toMatch(new RegExp(`^${escape(where)}: ${escape(member)}.* is refused: `));
  expect(error.message).toContain(instead);
}

/** A warning: the construct it is attached to, and the parts of its message, in order. */
export interface Warned {
  readonly input: string;
  readonly act: () => Stack;
  readonly path: string;
  readonly says: string[];
}

export function expectWarning({ act, path, says }: Warned) {
  Annotations.fromStack(act()).hasWarning(path, Match.stringLikeRegexp(says.map(escape).join('.*')));
}

/** A row module of test/misuse/: its refusals, refusals of inherited members, and warnings. */
export interface RowModule {
  readonly refusals: Refusal[];
  readonly memberRefusals: MemberRefusal[];
  readonly warnings: Warned[];
}

/** Runs one row module's rows as the main table runs its own (an empty list adds no test). */
export function runRows(name: string, rows: RowModule): void {
  describe(`${name} refuses`, () => {
    if (rows.refusals.length > 0) test.each(rows.refusals)('$input', (row) => expectRefusal(row));
    if (rows.memberRefusals.length > 0) {
      test.each(rows.memberRefusals)('$input', (row) => expectMemberRefusal(row));
    }
  });
  describe(`${name} warns`, () => {
    if (rows.warnings.length > 0) test.each(rows.warnings)('$input', (row) => expectWarning(row));
  });
}
