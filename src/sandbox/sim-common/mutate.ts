// A small deterministic mutator for fuzz tests: real payloads in, broken variants out. Seeded so a
// failing case is replayed by its seed alone (no new dependency: prng.ts's mulberry32). Here,
// not under test/, because the simulators' `mutateAnswer` fault breaks their own answers with it.

import { seeded } from './prng';

export { seeded };
export type Random = () => number;

export interface Mutant {
  value: unknown;
  /** What was done where, e.g. `pullrequest.id: number as string`, for the failure message. */
  what: string[];
}

type Path = Array<string | number>;
type Operator = (value: unknown, random: Random) => { value: unknown; name: string } | undefined;

const pick = <T>(items: readonly T[], random: Random): T => items[Math.floor(random() * items.length)]!;

// Unicode Bitbucket lets through in names and texts, and some it should not: a lone surrogate (invalid
// UTF-16), NUL, right-to-left override, an emoji, combining marks, a BOM.
const ODD_TEXTS = ['\ud800', 'a\u0000b', '\u202egnp.exe', '🙂🚀', 'é\u0301\u0301', '\ufeff', '{}', '../../etc/passwd', ' '];

const nested = (depth: number): unknown => (depth === 0 ? 'bottom' : depth % 2 ? { deeper: nested(depth - 1) } : [nested(depth - 1)]);

const operators: Record<string, Operator> = {
  null: () => ({ value: null, name: 'null' }),
  'empty array': (v) => (Array.isArray(v) && v.length ? { value: [], name: 'emptied' } : undefined),
  'huge string': () => ({ value: 'x'.repeat(300_000), name: 'a 300 000-character string' }),
  unicode: (v, r) => {
    const odd = pick(ODD_TEXTS, r);
    return { value: typeof v === 'string' ? v + odd : odd, name: `unicode ${JSON.stringify(odd)}` };
  },
  'deep nesting': () => ({ value: nested(200), name: '200 levels deep' }),
  'number as string': (v) => (typeof v === 'number' ? { value: String(v), name: 'number as string' } : undefined),
  'odd number': (v, r) => {
    if (typeof v !== 'number') return undefined;
    const n = pick([0, -1, 1.5, 2 ** 53 + 2, 1e308, -0], r);
    return { value: n, name: `number ${n}` };
  },
  'other type': (v, r) => {
    const options = [42, 'text', true, {}, [], ['a']].filter((o) => typeof o !== typeof v || Array.isArray(o) !== Array.isArray(v));
    const value = pick(options, r);
    return { value, name: `type changed to ${JSON.stringify(value)}` };
  },
};

function paths(value: unknown, at: Path = [], into: Path[] = []): Path[] {
  into.push(at);
  if (Array.isArray(value)) value.slice(0, 20).forEach((item, i) => paths(item, [...at, i], into));
  else if (value && typeof value === 'object') for (const [key, item] of Object.entries(value)) paths(item, [...at, key], into);
  return into;
}

function get(root: unknown, path: Path): unknown {
  return path.reduce<unknown>((node, part) => (node as Record<string | number, unknown>)[part], root);
}

function set(root: unknown, path: Path, value: unknown, drop = false): unknown {
  if (path.length === 0) return value;
  const parent = get(root, path.slice(0, -1)) as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (drop && Array.isArray(parent)) parent.splice(last as number, 1);
  else if (drop) delete parent[last];
  else parent[last] = value;
  return root;
}

/**
 * One to three mutations of a copy of `value` at random places: a field dropped, nulled, of another
 * type, an array emptied, a huge or odd-unicode string, deep nesting, a number as a string or an odd
 * number, an extra field. `keep` names top-level fields left alone (say the event type that routes it).
 */
export function mutate(value: unknown, random: Random, keep: readonly string[] = []): Mutant {
  let root = structuredClone(value);
  const what: string[] = [];
  const count = 1 + Math.floor(random() * 3);
  for (let i = 0; i < count; i++) {
    const candidates = paths(root).filter((p) => p.length > 0 && !keep.includes(String(p[0])));
    if (!candidates.length) break;
    const path = pick(candidates, random);
    const name = path.join('.');
    const target = get(root, path);
    const roll = random();
    if (roll < 0.2) {
      root = set(root, path, undefined, true);
      what.push(`${name}: dropped`);
    } else if (roll < 0.3 && target && typeof target === 'object' && !Array.isArray(target)) {
      const key = pick(['extra', 'constructor', '__proto__x', 'toString', '🔑'], random);
      (target as Record<string, unknown>)[key] = pick([1, 'x', null, { a: [] }], random);
      what.push(`${name}: extra field ${key}`);
    } else {
      const usable = Object.entries(operators)
        .map(([, op]) => op(target, random))
        .filter((m): m is { value: unknown; name: string } => m !== undefined);
      const change = pick(usable, random);
      root = set(root, path, change.value);
      what.push(`${name}: ${change.name}`);
    }
  }
  return { value: root, what };
}
