// Dotted paths over rendered JSON, where arrays are transparent: `reviewers.uuid` reads every reviewer's
// uuid. Shared by BBQL filters, sorting and `fields=` selection.

export function valuesAt(value: unknown, path: readonly string[]): unknown[] {
  if (Array.isArray(value)) return value.flatMap((item) => valuesAt(item, path));
  if (path.length === 0) return [value];
  if (value === null || typeof value !== 'object') return [];
  const [head, ...rest] = path as [string, ...string[]];
  return valuesAt((value as Record<string, unknown>)[head], rest);
}
