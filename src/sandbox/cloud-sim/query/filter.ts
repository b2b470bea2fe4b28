// Evaluates a parsed BBQL expression against rendered objects.
import { parseIso } from '../util/time';
import { parseQuery, type Expression, type Literal, type Operator } from './bbql';
import { valuesAt } from './json-path';

function order(op: Operator, difference: number): boolean {
  switch (op) {
    case '=': return difference === 0;
    case '!=': return difference !== 0;
    case '>': return difference > 0;
    case '>=': return difference >= 0;
    case '<': return difference < 0;
    case '<=': return difference <= 0;
    default: return false;
  }
}

function matches(actual: unknown, op: Operator, literal: Literal): boolean {
  switch (literal.kind) {
    case 'null':
      return op === '=' ? actual === null || actual === undefined : op === '!=' && actual !== null && actual !== undefined;
    case 'boolean':
      return op === '=' ? actual === literal.value : op === '!=' && actual !== literal.value;
    case 'number':
      return typeof actual === 'number' && order(op, actual - literal.value);
    case 'date': {
      const micros = typeof actual === 'string' ? parseIso(actual) : undefined;
      return micros !== undefined && order(op, micros - literal.value);
    }
    case 'string': {
      if (typeof actual !== 'string') return false;
      if (op === '~' || op === '!~') return actual.toLowerCase().includes(literal.value.toLowerCase()) === (op === '~');
      return order(op, actual === literal.value ? 0 : actual < literal.value ? -1 : 1);
    }
  }
}

function evaluate(expression: Expression, item: unknown): boolean {
  if (expression.type !== 'compare') {
    const left = evaluate(expression.left, item);
    return expression.type === 'and' ? left && evaluate(expression.right, item) : left || evaluate(expression.right, item);
  }
  const values = valuesAt(item, expression.field);
  // Negative operators hold when no value contradicts them; the others when some value satisfies them.
  if (expression.op === '!=' || expression.op === '!~') {
    const positive: Operator = expression.op === '!=' ? '=' : '~';
    return !values.some((value) => matches(value, positive, expression.value));
  }
  if (values.length === 0) return matches(undefined, expression.op, expression.value);
  return values.some((value) => matches(value, expression.op, expression.value));
}

/** Filters items with a `q=` expression; throws QueryError on a malformed one. */
export function applyQuery<T>(items: T[], q: string | null): T[] {
  if (!q) return items;
  const expression = parseQuery(q);
  return items.filter((item) => evaluate(expression, item));
}
