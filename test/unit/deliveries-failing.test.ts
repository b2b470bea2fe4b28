import { currentFailure, deliveryAnswerNoter } from '../../src/core/deliver/failing';
import { outboxStore } from '../../src/core/deliver/outbox';
import type { KeyValueStore } from '../../src/core/ports';
import { MemoryStore } from '../../src/sandbox/memory-store';

// The settings page's "PanDev failing" record, as Forge keeps it: one store object in a warm function
// instance reaches whichever installation the invocation runs for, so each installation has its noter.

let now = Date.UTC(2026, 10, 20);
const clock = { now: () => now };
let current = 'A';
const installations: Record<string, MemoryStore> = {};
const installation = () => (installations[current] ??= new MemoryStore(clock));
let reads = 0;
const shared: KeyValueStore = {
  get: (key) => {
    reads += 1;
    return installation().get(key);
  },
  set: (key, value, options) => installation().set(key, value, options),
  delete: (key) => installation().delete(key),
  list: (prefix, options) => installation().list(prefix, options),
};
const noters: Record<string, ReturnType<typeof deliveryAnswerNoter>> = { A: deliveryAnswerNoter(), B: deliveryAnswerNoter() };
const note = (who: string, outcomes: Parameters<ReturnType<typeof deliveryAnswerNoter>>[2]) => {
  current = who;
  return noters[who]!(shared, now, outcomes);
};

it("clears an installation's record when its deliveries are taken, whatever another installation cleared just before", async () => {
  current = 'B';
  await outboxStore(shared).put({
    id: 'b1', eventKey: 'repo:push', entity: 'e', version: 'v', origin: 'trigger', attempts: 1, enrichAttempts: 0, createdAt: now, nextAttemptAt: now, lastError: 'PanDev answered 503',
    change: { edition: 'cloud', workspace: '{w}', repository: { uuid: '{r}' }, origin: 'trigger', at: '2026-11-20T10:00:00Z', kind: 'pullrequest', action: 'created', pullRequestId: 1 },
  });
  now -= 40 * 60_000;
  await note('B', { b1: 'waiting' });
  now += 40 * 60_000 - 1_000;
  await note('B', { b1: 'waiting' });
  now += 1_000;
  current = 'B';
  expect(await currentFailure(shared, now)).toMatchObject({ lastError: 'PanDev answered 503' });

  await note('A', { a1: 'delivered' });
  now += 30_000;
  await note('B', { b1: 'delivered' });
  current = 'B';
  expect(await currentFailure(shared, now)).toBeUndefined();

  // Within one installation the check stays at most once a minute: the delivered path reads nothing more.
  reads = 0;
  now += 10_000;
  await note('B', { b2: 'delivered' });
  expect(reads).toBe(0);
});
