/**
 * An evaluator of exactly the subset of CloudWatch Logs JSON filter patterns the audit writes, for
 * checking its patterns against CloudTrail records (moto does not evaluate filter patterns).
 *
 *   pattern    := '{' expression '}'
 *   expression := term ( '&&' term )*  |  term ( '||' term )*     (mixing needs parentheses)
 *   term       := '(' expression ')' | selector '=' string | selector '!=' string | selector 'NOT EXISTS'
 *               | selector 'IS TRUE' | selector 'IS FALSE'
 *   selector   := '$' ( '.' name | '[' index ']' )+
 *   string     := '"' characters '"', where `*` matches any run of characters (also none)
 *
 * `IS TRUE` / `IS FALSE` hold only for a JSON boolean (CloudTrail's `readOnly`), never for the
 * strings "true" / "false". Anything else is a syntax error, so a pattern that drifts outside the subset fails its test
 * instead of being evaluated loosely. Mixing `&&` and `||` without parentheses is refused too: the
 * audit's patterns must not depend on operator precedence.
 */
type Node =
  | { kind: 'and' | 'or'; terms: Node[] }
  | { kind: 'eq' | 'ne'; path: (string | number)[]; value: string }
  | { kind: 'notExists'; path: (string | number)[] }
  | { kind: 'is'; path: (string | number)[]; value: boolean };

export class FilterPatternSyntaxError extends Error {}

export function matchesFilterPattern(pattern: string, record: unknown): boolean {
  return evaluate(parseFilterPattern(pattern), record);
}

export function parseFilterPattern(pattern: string): Node {
  const parser = new Parser(pattern);
  parser.expect('{');
  const node = parser.expression();
  parser.expect('}');
  parser.end();
  return node;
}

function evaluate(node: Node, record: unknown): boolean {
  switch (node.kind) {
    case 'and':
      return node.terms.every((t) => evaluate(t, record));
    case 'or':
      return node.terms.some((t) => evaluate(t, record));
    case 'notExists':
      return lookup(record, node.path) === undefined;
    case 'is':
      return lookup(record, node.path) === node.value;
    case 'eq': {
      const value = lookup(record, node.path);
      return typeof value === 'string' && glob(node.value).test(value);
    }
    case 'ne': {
      const value = lookup(record, node.path);
      return typeof value === 'string' && !glob(node.value).test(value);
    }
  }
}

function lookup(record: unknown, path: (string | number)[]): unknown {
  let current: unknown = record;
  for (const step of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[step];
  }
  return current;
}

function glob(value: string): RegExp {
  const source = value
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`, 's');
}

class Parser {
  private position = 0;

  constructor(private readonly text: string) {}

  public expression(): Node {
    const terms = [this.term()];
    let operator: '&&' | '||' | undefined;
    for (;;) {
      this.skipSpace();
      const next = this.text.startsWith('&&', this.position)
        ? '&&'
        : this.text.startsWith('||', this.position)
          ? '||'
          : undefined;
      if (!next) break;
      if (operator && operator !== next) {
        this.fail(`mixes && and || without parentheses`);
      }
      operator = next;
      this.position += 2;
      terms.push(this.term());
    }
    if (terms.length === 1) return terms[0];
    return { kind: operator === '&&' ? 'and' : 'or', terms };
  }

  public expect(token: string): void {
    this.skipSpace();
    if (!this.text.startsWith(token, this.position)) this.fail(`expected "${token}"`);
    this.position += token.length;
  }

  public end(): void {
    this.skipSpace();
    if (this.position !== this.text.length) this.fail('unexpected text after the pattern');
  }

  private term(): Node {
    this.skipSpace();
    if (this.text[this.position] === '(') {
      this.position += 1;
      const inner = this.expression();
      this.expect(')');
      return inner;
    }
    const path = this.selector();
    this.skipSpace();
    if (this.text.startsWith('NOT EXISTS', this.position)) {
      this.position += 'NOT EXISTS'.length;
      return { kind: 'notExists', path };
    }
    for (const [keyword, value] of [
      ['IS TRUE', true],
      ['IS FALSE', false],
    ] as const) {
      if (this.text.startsWith(keyword, this.position)) {
        this.position += keyword.length;
        return { kind: 'is', path, value };
      }
    }
    if (this.text.startsWith('!=', this.position)) {
      this.position += 2;
      return { kind: 'ne', path, value: this.string() };
    }
    if (this.text[this.position] === '=') {
      this.position += 1;
      return { kind: 'eq', path, value: this.string() };
    }
    return this.fail('expected =, !=, NOT EXISTS, IS TRUE or IS FALSE');
  }

  private selector(): (string | number)[] {
    this.skipSpace();
    if (this.text[this.position] !== '$') this.fail('expected a selector starting with $');
    this.position += 1;
    const path: (string | number)[] = [];
    for (;;) {
      const rest = this.text.slice(this.position);
      const name = /^\.([A-Za-z_][A-Za-z0-9_]*)/.exec(rest);
      const index = /^\[(\d+)\]/.exec(rest);
      if (name) {
        path.push(name[1]);
        this.position += name[0].length;
      } else if (index) {
        path.push(Number(index[1]));
        this.position += index[0].length;
      } else {
        break;
      }
    }
    if (path.length === 0) this.fail('empty selector');
    return path;
  }

  private string(): string {
    this.skipSpace();
    if (this.text[this.position] !== '"') this.fail('expected a quoted string');
    const close = this.text.indexOf('"', this.position + 1);
    if (close < 0) this.fail('unterminated string');
    const value = this.text.slice(this.position + 1, close);
    if (value.includes('\\')) this.fail('escapes are outside the supported subset');
    this.position = close + 1;
    return value;
  }

  private skipSpace(): void {
    while (this.text[this.position] === ' ') this.position += 1;
  }

  private fail(message: string): never {
    throw new FilterPatternSyntaxError(`${message} at ${this.position} in: ${this.text}`);
  }
}
