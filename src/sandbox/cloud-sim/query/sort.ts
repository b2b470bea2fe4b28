// `sort=field` / `sort=-field` on a dotted path of the rendered objects. Dates compare as instants (the
// API mixes `+00:00` and `Z` notations), missing values sort last, and ties keep the natural order.
import { parseIso } from '../util/time';
import { valuesAt } from './json-path';

function compare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === undefined || a === null) return 1;
  if (b === undefined || b === null) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const dateA = typeof a === 'string' ? parseIso(a) : undefined;
  const dateB = typeof b === 'string' ? parseIso(b) : undefined;
  if (dateA !== undefined && dateB !== undefined) return dateA - dateB;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

export function applySort<T>(items: T[], sort: string | null): T[] {
  if (!sort) return items;
  const descending = sort.startsWith('-');
  const path = sort.replace(/^[-+]/, '').split('.');
  return items
    .map((item, index) => ({ item, index, key: valuesAt(item, path)[0] }))
    .sort((x, y) => {
      const missing = (x.key === undefined || x.key === null) !== (y.key === undefined || y.key === null);
      const base = compare(x.key, y.key);
      return (missing || !descending ? base : -base) || x.index - y.index;
    })
    .map(({ item }) => item);
}
