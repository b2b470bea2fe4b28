import { RateBudget } from '../../src/core/budget/rate-budget';
import type { Change } from '../../src/core/change/change';
import { intentsFor } from '../../src/core/change/intents';
import { secretKeys, settingsStore } from '../../src/core/config/settings';
import { encodeBody, outboxStore } from '../../src/core/deliver/outbox';
import { DeliveryStats, recentOutcomes } from '../../src/core/deliver/stats';
import type { ForwardContext } from '../../src/core/pipeline/context';
import { factsStore } from '../../src/core/metrics/store';
import { processEntries, type CommentTask } from '../../src/core/pipeline/deliver-entries';
import { credentialsDigest } from '../../src/core/pipeline/pause';
import { newEntry } from '../../src/core/pipeline/stage';
import { MemoryStore } from '../../src/sandbox/memory-store';
import { startPanDevSink, type PanDevSink } from '../../src/sandbox/pandev-sink';

// A batch (a sweep's or a retry's message of up to 50 outbox ids) is moved forward entry by entry: a
// storage call Forge refuses for one of them (its quota is per installation) is that entry's trouble.

const SECRET = 'batch-signing-secret';
const TOKEN = 'batch-token';
let sink: PanDevSink;
beforeEach(async () => (sink = await startPanDevSink({ secret: SECRET, token: TOKEN })));
afterEach(() => sink.stop());

/** Storage that refuses, once each, the writes of keys the test names, as Forge's does past its quota. */
class RefusingStore extends MemoryStore {
  refuse = new Set<(key: string) => boolean>();
  override async set(key: string, value: unknown, options?: { ttlSeconds?: number }): Promise<void> {
    for (const rule of this.refuse) {
      if (!rule(key)) continue;
      this.refuse.delete(rule);
      throw new Error('Too many storage requests');
    }
    return super.set(key, value, options);
  }
}

const change = (commentId: number): Change => ({ edition: 'cloud', workspace: '{w}', repository: { uuid: '{r}' }, origin: 'trigger', at: '2026-11-20T10:00:00Z', kind: 'comment', action: 'created', pullRequestId: 1, commentId });

const now = Date.parse('2026-11-20T10:00:00Z');

/** A context connected to the sink, over storage the test can have refuse writes. */
async function batchContext(extra: Partial<ForwardContext> = {}): Promise<{ ctx: ForwardContext; store: RefusingStore }> {
  const clock = { now: () => now };
  const store = new RefusingStore(clock);
  const values = new Map<string, string>([[secretKeys.token, TOKEN], [secretKeys.signingSecret, SECRET]]);
  const secrets = { get: async (key: string) => values.get(key), set: async (key: string, value: string) => void values.set(key, value), delete: async (key: string) => void values.delete(key) };
  await settingsStore(store, secrets).saveConnection({ baseUrl: sink.url, activatedAt: now });
  const ctx: ForwardContext = {
    store, clock, secrets, log: { debug() {}, info() {}, warn() {}, error() {} },
    send: (url, init) => fetch(url, init),
    buildBody: async () => '{}',
    userAgent: 'pandev-bitbucket/test',
    stats: new DeliveryStats(store, clock),
    budget: new RateBudget(store, clock, { limitPerHour: async () => 1000 }),
    ...extra,
  };
  return { ctx, store };
}

it('goes on past an entry whose storage write is refused, and retries that entry alone', async () => {
  const { ctx, store } = await batchContext();
  const ids: string[] = [];
  for (const commentId of [1, 2, 3]) {
    const entry = { ...newEntry(change(commentId), intentsFor(change(commentId)).intents[0]!, now), body: encodeBody('{}') };
    await outboxStore(store).put(entry);
    ids.push(entry.id);
  }
  const [first, second, third] = ids as [string, string, string];
  // The first delivery's note for the status page, and the second's ledger record, are refused.
  store.refuse.add((key) => key.startsWith('activity'));
  store.refuse.add((key) => key.includes(second) && key.startsWith('delivered:'));

  const result = await processEntries(ids, ctx);
  expect(result.outcomes).toEqual({ [first]: 'delivered', [second]: 'waiting', [third]: 'delivered' });
  expect(result.retries.flatMap((group) => group.ids)).toEqual([second]);
  expect(sink.deliveries().map((d) => d.id).sort()).toEqual([...ids].sort());

  // The retry finds it sent (PanDev has it) or sends it again: PanDev deduplicates, the outbox ends empty.
  const retry = await processEntries([second], ctx);
  expect(retry.outcomes[second]).toBe('delivered');
  expect((await store.list('outbox:')).entries).toEqual([]);
  expect(sink.deliveries()).toHaveLength(3);
});

/** Pushes to main that each bring a commit, staged with their bodies. */
async function stagePushes(store: RefusingStore, hashes: string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const [index, hash] of hashes.entries()) {
    const push: Change = { edition: 'cloud', workspace: '{w}', repository: { uuid: '{r}' }, origin: 'backfill', at: `2026-11-20T09:0${index}:00Z`, kind: 'push', ref: { name: 'main', type: 'branch' }, before: null, after: hash.repeat(40), created: false, closed: false, forced: false };
    const body = { push: { changes: [{}] }, pandev: { ref: { type: 'branch', name: 'main' }, commits: [{ hash: hash.repeat(40), date: push.at, parents: [] }] } };
    const entry = { ...newEntry(push, intentsFor(push).intents[0]!, now), body: encodeBody(JSON.stringify(body)) };
    await outboxStore(store).put(entry);
    ids.push(entry.id);
  }
  return ids;
}

it('queues one revisit of the deployment that waits for commits however many pushes of the batch bring some, and lets it go once queued', async () => {
  const queued: CommentTask[][] = [];
  const { ctx, store } = await batchContext({ queueComments: async (tasks) => void queued.push(tasks) });
  const facts = factsStore(store);
  await facts.putUndecided('{r}', '{d}');
  const ids = await stagePushes(store, ['a', 'b', 'c']);

  const result = await processEntries(ids, ctx);
  expect(Object.values(result.outcomes)).toEqual(['delivered', 'delivered', 'delivered']);
  expect(queued).toEqual([[{ workspace: '{w}', repository: '{r}', work: { deployment: '{d}' } }]]);
  expect(await facts.undecided('{r}')).toBeUndefined();
});

it('counts a delivery whose comment hand-over failed as retried, and as delivered once the retry records it', async () => {
  let refuse = true;
  const { ctx, store } = await batchContext({
    queueComments: async () => {
      if (refuse) throw new Error('Too many storage requests');
    },
  });
  await factsStore(store).putUndecided('{r}', '{d}');
  const [id] = (await stagePushes(store, ['a'])) as [string];
  const counts = async () => {
    await ctx.stats.flush();
    const { delivered, retried } = await recentOutcomes(store, now);
    return { delivered, retried };
  };

  const first = await processEntries([id], ctx);
  expect(first.outcomes[id]).toBe('waiting');
  expect(first.retries.flatMap((group) => group.ids)).toEqual([id]);
  expect(await counts()).toEqual({ delivered: 0, retried: 1 });

  refuse = false;
  expect((await processEntries([id], ctx)).outcomes[id]).toBe('delivered');
  expect(await counts()).toEqual({ delivered: 1, retried: 1 });
});

/** What the settings page's save writes: the token, then the connection with its new URL (the rest kept). */
async function adminSaves(ctx: ForwardContext, baseUrl: string, token: string): Promise<void> {
  const settings = settingsStore(ctx.store, ctx.secrets);
  await ctx.secrets.set(secretKeys.token, token);
  await settings.saveConnection({ ...(await settings.connection())!, baseUrl });
}

it("leaves alone a PanDev URL an admin saved while the batch ran, and sends the rest of the batch there", async () => {
  // Host A refuses the token the batch read at its start; while that attempt is on its way, the admin
  // moves PanDev to host B with B's token. The refusal is A's: it must neither pause deliveries nor put A back.
  const hostB = await startPanDevSink({ secret: SECRET, token: 'token-for-b' });
  try {
    let saving = true;
    const { ctx, store } = await batchContext({
      send: async (url, init) => {
        if (saving) {
          saving = false;
          await adminSaves(ctx, hostB.url, 'token-for-b');
        }
        return fetch(url, init);
      },
    });
    await ctx.secrets.set(secretKeys.token, 'token-a-no-longer-takes');
    const ids: string[] = [];
    for (const commentId of [1, 2]) {
      const entry = { ...newEntry(change(commentId), intentsFor(change(commentId)).intents[0]!, now), body: encodeBody('{}') };
      await outboxStore(store).put(entry);
      ids.push(entry.id);
    }
    const [first, second] = ids as [string, string];

    const result = await processEntries(ids, ctx);
    expect(result.outcomes).toEqual({ [first]: 'waiting', [second]: 'delivered' });
    expect(result.retries.flatMap((group) => group.ids)).toEqual([first]);
    const saved = await settingsStore(store, ctx.secrets).connection();
    expect(saved?.baseUrl).toBe(hostB.url);
    expect(saved?.disabled).toBeUndefined();
    expect(sink.deliveries()).toEqual([]);

    expect((await processEntries([first], ctx)).outcomes[first]).toBe('delivered');
    expect(hostB.deliveries().map((d) => d.id).sort()).toEqual([...ids].sort());
  } finally {
    await hostB.stop();
  }
});

it('ends a pause on the connection saved now, not on the copy the batch read: a URL saved meanwhile stays', async () => {
  // PanDev refused an older token; the token saved since is taken, which ends the pause. Meanwhile the
  // admin points PanDev elsewhere: ending the pause must not put the batch's URL back.
  let moving = true;
  const { ctx, store } = await batchContext({
    send: async (url, init) => {
      if (moving) {
        moving = false;
        await adminSaves(ctx, 'https://pandev-elsewhere.example.com', 'token-for-elsewhere');
      }
      return fetch(url, init);
    },
  });
  const settings = settingsStore(store, ctx.secrets);
  const refused = credentialsDigest({ token: 'an-older-token', signingSecret: SECRET });
  await settings.saveConnection({ baseUrl: sink.url, activatedAt: now, disabled: { at: now - 60_000, reason: 'token refused', cause: 'token', refused } });
  const entry = { ...newEntry(change(1), intentsFor(change(1)).intents[0]!, now), body: encodeBody('{}') };
  await outboxStore(store).put(entry);

  expect((await processEntries([entry.id], ctx)).outcomes[entry.id]).toBe('delivered');
  expect((await settings.connection())?.baseUrl).toBe('https://pandev-elsewhere.example.com');
});
