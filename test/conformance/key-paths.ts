// Every key path of a JSON value with the JSON types seen there; array elements share one `[]` path.

export type JsonType = 'object' | 'array' | 'string' | 'number' | 'boolean' | 'null';
export type PathTypes = Map<string, Set<JsonType>>;

export function jsonType(value: unknown): JsonType {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value as JsonType;
}

export function keyPaths(value: unknown, into: PathTypes = new Map(), at = ''): PathTypes {
  if (Array.isArray(value)) {
    for (const item of value) record(into, `${at}[]`, item);
  } else if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) record(into, at ? `${at}.${key}` : key, item);
  }
  return into;
}

/**
 * The key paths of a real payload that ours lacks, or holds with other JSON types, each as
 * `path: types (ours: types)`; `ignore` names paths the product itself stopped sending.
 */
export function missingKeyPaths(real: PathTypes, ours: PathTypes, ignore?: RegExp): string[] {
  const missing: string[] = [];
  for (const [keyPath, types] of real) {
    if (ignore?.test(keyPath)) continue;
    const have = ours.get(keyPath);
    // A real null says "no value here this time" (an open pull request's closed_by, a repository
    // without a website): the key path must exist in ours, with any type.
    const absent = [...types].filter((type) => !have?.has(type) && !(type === 'null' && have));
    if (absent.length) missing.push(`${keyPath}: ${absent.join('|')} (ours: ${have ? [...have].join('|') : 'absent'})`);
  }
  return missing;
}

function record(into: PathTypes, path: string, item: unknown) {
  const types = into.get(path) ?? new Set<JsonType>();
  types.add(jsonType(item));
  into.set(path, types);
  keyPaths(item, into, path);
}
