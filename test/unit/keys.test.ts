import { kvKey, nameKey } from '../../src/core/keys';
import { factsStore } from '../../src/core/metrics/store';
import { refStateStore } from '../../src/core/pipeline/ref-state';
import { MemoryStore } from '../../src/sandbox/memory-store';

// Branch and tag names are free text: two names must never share a key.

it('gives names that folding would merge keys of their own, within Forge key rules', () => {
  const names = ['release/1.0', 'Release/1.0', 'release_1.0', 'фича-1', 'ёжик-1', 'main', 'v2.0.0', 'a'.repeat(400)];
  const keys = names.map(nameKey);
  expect(new Set(keys).size).toBe(names.length);
  for (const key of keys) expect(key).toMatch(/^[a-zA-Z0-9:._\s#-]{1,100}$/);
  // Plain names keep their spelling.
  expect(nameKey('main')).toBe('main');
  expect(nameKey('v2.0.0')).toBe('v2.0.0');
});

it('finds a ref kept under its folded name before names got keys of their own', async () => {
  const store = new MemoryStore();
  await store.set(kvKey('ref', '{r}', 'branch', 'feature/Login'), { tip: 'abc', at: 1, origin: 'trigger' });
  const refs = refStateStore(store);
  expect(await refs.get('{r}', 'branch', 'feature/Login')).toMatchObject({ tip: 'abc' });
  await refs.set('{r}', 'branch', 'feature/Login', { tip: 'def', at: 2, origin: 'trigger' });
  expect(await refs.get('{r}', 'branch', 'feature/Login')).toMatchObject({ tip: 'def' });
});

it('never reads a key longer than Forge allows (500), however long the branch name', async () => {
  // Forge answers KEY_TOO_LONG to any call with such a key, a read included.
  const store = new MemoryStore();
  const strict = Object.assign(Object.create(store) as MemoryStore, {
    get: (key: string) => (key.length > 500 ? Promise.reject(new Error(`KEY_TOO_LONG: ${key.length}`)) : store.get(key)),
  });
  const name = `feature/${'x'.repeat(600)}`;
  const refs = refStateStore(strict);
  await expect(refs.get('{r}', 'branch', name)).resolves.toBeUndefined();
  await refs.set('{r}', 'branch', name, { tip: 'abc', at: 1, origin: 'trigger' });
  await expect(refs.get('{r}', 'branch', name)).resolves.toMatchObject({ tip: 'abc' });
  const facts = factsStore(strict);
  await expect(facts.branch('{r}', name)).resolves.toBeUndefined();
});
