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

function record(into: PathTypes, path: string, item: unknown) {
  const types = into.get(path) ?? new Set<JsonType>();
  types.add(jsonType(item));
  into.set(path, types);
  keyPaths(item, into, path);
}
