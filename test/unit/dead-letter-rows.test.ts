import type { Change } from '../../src/core/change/change';
import { intentsFor } from '../../src/core/change/intents';
import { outboxStore, type OutboxEntry } from '../../src/core/deliver/outbox';
import type { KeyValueStore } from '../../src/core/ports';
import { newEntry } from '../../src/core/pipeline/stage';
import { MemoryStore } from '../../src/sandbox/memory-store';

// The dead letters' listing, newest first, over the store the sandbox's benchmarks and core tests use.

const at = Date.UTC(2026, 10, 20);
const now = () => at + 60_000;
const clock = { now };

function entry(pullRequestId: number): OutboxEntry {
  const change: Change = { edition: 'cloud', workspace: '{w}', repository: { uuid: '{r}' }, origin: 'reconcile', at: '2026-11-20T10:00:00Z', kind: 'pullrequest', action: 'created', pullRequestId };
  return newEntry(change, intentsFor(change).intents[0]!, at);
}

async function bury(store: KeyValueStore, count: number): Promise<string[]> {
  const outbox = outboxStore(store);
  const ids: string[] = [];
  for (let i = 1; i <= count; i++) {
    const buried = entry(i);
    await outbox.putDead({ entry: buried, reason: 'PanDev refused the payload (400)', deadAt: at + i });
    ids.push(buried.id);
  }
  return ids.reverse();
}

async function listAll(store: KeyValueStore, limit: number): Promise<Array<{ ids: string[]; cursor?: string }>> {
  const pages: Array<{ ids: string[]; cursor?: string }> = [];
  let cursor: string | undefined;
  do {
    const page = await outboxStore(store).listDeadNewestFirst({ cursor, limit }, now);
    pages.push({ ids: page.rows.map((row) => row.id), ...(page.cursor ? { cursor: page.cursor } : {}) });
    cursor = page.cursor;
  } while (cursor);
  return pages;
}

it('answers no cursor with the page that holds the last row, when the rows fill it exactly', async () => {
  const store = new MemoryStore(clock);
  const ids = await bury(store, 20);
  // The first listing indexes; the second finds the indexing done. Neither offers a page with nothing on it.
  expect(await listAll(store, 20)).toEqual([{ ids }]);
  expect(await listAll(store, 20)).toEqual([{ ids }]);
  const pages = await listAll(store, 10);
  expect(pages.map((page) => page.ids)).toEqual([ids.slice(0, 10), ids.slice(10)]);
});

it('still gives rows to letters kept before rows existed, and drops the mark an earlier version kept among the rows', async () => {
  const store = new MemoryStore(clock);
  const ids = await bury(store, 20);
  for (const { key } of (await store.list('dead-newest:', { limit: 100 })).entries) await store.delete(key);
  await store.set('dead-newest:indexed', { since: at, complete: true });

  expect((await listAll(store, 20)).flatMap((page) => page.ids)).toEqual(ids);
  expect(await listAll(store, 20)).toEqual([{ ids }]);
});

it('takes over the mark an earlier version kept among the rows: letters it indexed are not given their rows again', async () => {
  const store = new MemoryStore(clock);
  const ids = await bury(store, 20);
  // The earlier version finished indexing long ago, its mark after the rows.
  await store.set('dead-newest:indexed', { since: at - 86_400_000, complete: true });
  const writes: string[] = [];
  const counting: KeyValueStore = Object.assign(Object.create(store) as KeyValueStore, {
    set: (key: string, value: unknown, options?: { ttlSeconds?: number }) => {
      writes.push(key);
      return store.set(key, value, options);
    },
  });

  // The mark among the rows still gives this first listing a page with nothing on it, once.
  expect((await listAll(counting, 20)).flatMap((page) => page.ids)).toEqual(ids);
  expect(writes.filter((key) => key.startsWith('dead-newest:'))).toEqual([]);
  expect(await store.get('dead-newest:indexed')).toBeUndefined();
  expect(await listAll(store, 20)).toEqual([{ ids }]);
});

it('lists a letter two burials racing each other wrote once, and takes the stale row away', async () => {
  const memory = new MemoryStore(clock);
  const buried = entry(1);
  // Each burial reads the letter before the other has written it: neither sees a row of the other's to remove.
  let waiting: Array<() => void> = [];
  const racing: KeyValueStore = {
    get: async <T>(key: string) => {
      const value = await memory.get<T>(key);
      if (key === `dead:${buried.id}` && waiting.length < 2) {
        await new Promise<void>((resolve) => {
          waiting.push(resolve);
          if (waiting.length === 2) for (const go of waiting) go();
        });
      }
      return value;
    },
    set: (key, value, options) => memory.set(key, value, options),
    delete: (key) => memory.delete(key),
    list: (prefix, options) => memory.list(prefix, options),
  };
  const letter = { entry: buried, reason: 'PanDev refused the payload (400)' };
  await Promise.all([outboxStore(racing).putDead({ ...letter, deadAt: at + 1 }), outboxStore(racing).putDead({ ...letter, deadAt: at + 2 })]);
  waiting = [];
  const kept = (await outboxStore(memory).getDead(buried.id))!;

  const first = await outboxStore(memory).listDeadNewestFirst({ limit: 20 }, now);
  expect(first.rows.map((row) => [row.id, row.deadAt])).toEqual([[buried.id, kept.deadAt]]);
  expect((await memory.list('dead-newest:', { limit: 100 })).entries.map(({ value }) => value)).toEqual([expect.objectContaining({ id: buried.id, deadAt: kept.deadAt })]);
});
