import type { Change } from '../../src/core/change/change';
import { intentsFor } from '../../src/core/change/intents';
import { outboxStore } from '../../src/core/deliver/outbox';
import type { KeyValueStore } from '../../src/core/ports';
import { alreadyKnown, newEntry } from '../../src/core/pipeline/stage';
import { MemoryStore } from '../../src/sandbox/memory-store';

// Staging skips what is already under way, delivered or a dead letter, read so that a delivery finishing while it
// looks is never staged (and sent) a second time.

const change: Change = { edition: 'cloud', workspace: '{w}', repository: { uuid: '{r}' }, origin: 'reconcile', at: '2026-11-20T10:00:00Z', kind: 'pullrequest', action: 'created', pullRequestId: 7 };
const intent = intentsFor(change).intents[0]!;

it('tells a new delivery from one under way and one delivered', async () => {
  const store = new MemoryStore();
  const outbox = outboxStore(store);
  expect(await alreadyKnown(outbox, intent.id)).toBeUndefined();
  await outbox.put(newEntry(change, intent, 0));
  expect(await alreadyKnown(outbox, intent.id)).toBe('alreadyQueued');
  await outbox.markDelivered(intent.id, { at: 1, eventKey: intent.eventKey, repository: '{r}', attempts: 1 });
  await outbox.remove(intent.id);
  expect(await alreadyKnown(outbox, intent.id)).toBe('alreadyDelivered');
});

it('tells a dead letter, which only a replay sends again', async () => {
  const outbox = outboxStore(new MemoryStore());
  const entry = newEntry(change, intent, 0);
  await outbox.put(entry);
  // Buried as deliver-entries does: the letter first, then out of the outbox.
  await outbox.putDead({ entry, reason: 'PanDev refused the ingest token (401)', deadAt: 1 });
  await outbox.remove(intent.id);
  expect(await alreadyKnown(outbox, intent.id)).toBe('alreadyDead');
});

it('sees a delivery that finishes between its two reads', async () => {
  const memory = new MemoryStore();
  const outbox = outboxStore(memory);
  await outbox.put(newEntry(change, intent, 0));
  // The consumer finishes the delivery right after the first read (ledger first, then out of the outbox).
  let reads = 0;
  const racing: KeyValueStore = {
    get: async <T>(key: string) => {
      const value = await memory.get<T>(key);
      if (reads++ === 0) {
        await outbox.markDelivered(intent.id, { at: 1, eventKey: intent.eventKey, repository: '{r}', attempts: 1 });
        await outbox.remove(intent.id);
      }
      return value;
    },
    set: (key, value, options) => memory.set(key, value, options),
    delete: (key) => memory.delete(key),
    list: (prefix, options) => memory.list(prefix, options),
  };
  expect(await alreadyKnown(outboxStore(racing), intent.id)).toBeDefined();
});
