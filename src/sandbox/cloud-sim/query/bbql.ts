// A parser for the subset of BBQL (Bitbucket's `q=` filter language) that clients use:
//   comparisons `=  !=  >  >=  <  <=  ~  !~` on dotted fields, combined with AND / OR and parentheses;
//   "double-quoted strings", numbers, unquoted ISO dates, true, false and null.
import { parseIso, type Micros } from '../util/time';

export type Literal =
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'date'; value: Micros }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'null' };

export type Operator = '=' | '!=' | '>' | '>=' | '<' | '<=' | '~' | '!~';

export type Expression =
  | { type: 'and' | 'or'; left: Expression; right: Expression }
  | { type: 'compare'; field: string[]; op: Operator; value: Literal };

/** Bitbucket answers a bad filter with 400; the message says where parsing stopped. */
export class QueryError extends Error {
  override name = 'QueryError';
}

// A `+` in an unencoded query string arrives as a space, so `2023-01-01T00:00:00 00:00` is a date too.
const DATE = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+\- ]\d{2}:?\d{2})?)?/;
const NUMBER = /^-?\d+(?:\.\d+)?/;
const FIELD = /^[A-Za-z_][A-Za-z0-9_.]*/;
const OPERATOR = /^(?:!=|>=|<=|!~|=|>|<|~)/;

class Parser {
  private rest: string;

  constructor(private readonly source: string) {
    this.rest = source;
  }

  parse(): Expression {
    const expression = this.or();
    this.skipSpace();
    if (this.rest.length > 0) this.fail('unexpected input');
    return expression;
  }

  private or(): Expression {
    let left = this.and();
    while (this.keyword('OR')) left = { type: 'or', left, right: this.and() };
    return left;
  }

  private and(): Expression {
    let left = this.primary();
    while (this.keyword('AND')) left = { type: 'and', left, right: this.primary() };
    return left;
  }

  private primary(): Expression {
    this.skipSpace();
    if (this.rest.startsWith('(')) {
      this.rest = this.rest.slice(1);
      const inner = this.or();
      this.skipSpace();
      if (!this.rest.startsWith(')')) this.fail('expected ")"');
      this.rest = this.rest.slice(1);
      return inner;
    }
    const field = this.take(FIELD, 'expected a field name');
    this.skipSpace();
    const op = this.take(OPERATOR, 'expected an operator') as Operator;
    this.skipSpace();
    return { type: 'compare', field: field.split('.'), op, value: this.literal() };
  }

  private literal(): Literal {
    if (this.rest.startsWith('"')) {
      const match = /^"((?:[^"\\]|\\.)*)"/.exec(this.rest);
      if (!match) this.fail('unterminated string');
      this.rest = this.rest.slice(match[0].length);
      return { kind: 'string', value: (match[1] ?? '').replace(/\\(.)/g, '$1') };
    }
    const date = DATE.exec(this.rest);
    if (date && date[0].length > 4) {
      this.rest = this.rest.slice(date[0].length);
      const micros = parseIso(date[0].replace(/ (\d{2}:?\d{2})$/, '+$1'));
      if (micros === undefined) this.fail(`invalid date ${date[0]}`);
      return { kind: 'date', value: micros };
    }
    if (NUMBER.test(this.rest)) return { kind: 'number', value: Number(this.take(NUMBER, '')) };
    for (const [word, value] of [['true', true], ['false', false]] as const) {
      if (this.keyword(word)) return { kind: 'boolean', value };
    }
    if (this.keyword('null')) return { kind: 'null' };
    return this.fail('expected a value');
  }

  private keyword(word: string): boolean {
    this.skipSpace();
    const match = new RegExp(`^${word}(?![A-Za-z0-9_])`).exec(this.rest);
    if (match) this.rest = this.rest.slice(word.length);
    return match !== null;
  }

  private take(pattern: RegExp, message: string): string {
    const match = pattern.exec(this.rest);
    if (!match) this.fail(message);
    this.rest = this.rest.slice(match[0].length);
    return match[0];
  }

  private skipSpace(): void {
    this.rest = this.rest.replace(/^\s+/, '');
  }

  private fail(message: string): never {
    const position = this.source.length - this.rest.length;
    throw new QueryError(`Invalid filter expression: ${message} at position ${position} in '${this.source}'`);
  }
}

export function parseQuery(source: string): Expression {
  return new Parser(source).parse();
}
