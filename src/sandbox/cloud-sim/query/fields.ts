// Partial responses (`fields=`): a comma list of dotted paths relative to the response. Plain paths
// keep only what they name; `+path` adds a field the endpoint hides by default; `-path` removes one.
// `*` matches every key at its level, and arrays are transparent (`values.id` means each value's id).

type Json = unknown;

const isObject = (value: Json): value is Record<string, Json> => value !== null && typeof value === 'object' && !Array.isArray(value);

/** A copy of only what `path` reaches, or undefined if it reaches nothing. */
function pick(value: Json, path: readonly string[]): Json | undefined {
  if (path.length === 0) return structuredClone(value);
  if (Array.isArray(value)) return value.map((item) => pick(item, path) ?? {});
  if (!isObject(value)) return undefined;
  const [head, ...rest] = path as [string, ...string[]];
  const out: Record<string, Json> = {};
  for (const key of head === '*' ? Object.keys(value) : [head]) {
    if (!(key in value)) continue;
    const sub = pick(value[key], rest);
    if (sub !== undefined) out[key] = sub;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function merge(base: Json, extra: Json | undefined): Json {
  if (extra === undefined) return base;
  if (Array.isArray(base) && Array.isArray(extra) && base.length === extra.length) return base.map((item, i) => merge(item, extra[i]));
  if (!isObject(base) || !isObject(extra)) return extra;
  const out = { ...base };
  for (const [key, value] of Object.entries(extra)) out[key] = key in out ? merge(out[key], value) : value;
  return out;
}

function remove(value: Json, path: readonly string[]): void {
  if (Array.isArray(value)) return value.forEach((item) => remove(item, path));
  if (!isObject(value) || path.length === 0) return;
  const [head, ...rest] = path as [string, ...string[]];
  for (const key of head === '*' ? Object.keys(value) : [head]) {
    if (rest.length === 0) delete value[key];
    else remove(value[key], rest);
  }
}

/**
 * Shapes one response. `hidden` lists paths the endpoint leaves out unless a `fields=` entry asks for
 * them (the pull request list hides reviewers and participants, as Bitbucket's does).
 */
export function applyFields(full: Json, fields: string | null, hidden: readonly string[] = []): Json {
  const specs = (fields ?? '').split(',').map((field) => field.trim()).filter((field) => field.length > 0);
  const paths = (prefix: string) => specs.filter((spec) => (prefix ? spec.startsWith(prefix) : !/^[+-]/.test(spec)))
    .map((spec) => spec.replace(/^[+-]/, '').split('.'));
  const only = paths('');
  let result: Json;
  if (only.length > 0) {
    result = only.reduce<Json>((acc, path) => merge(acc, pick(full, path)), {});
  } else {
    result = structuredClone(full);
    hidden.forEach((path) => remove(result, path.split('.')));
  }
  for (const path of paths('+')) result = merge(result, pick(full, path));
  for (const path of paths('-')) remove(result, path);
  return result;
}
