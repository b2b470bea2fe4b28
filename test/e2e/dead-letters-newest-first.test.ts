import type { DeadLetterItem } from '../../src/contract/resolvers';
import { deadLetterRows } from '../../src/core/deliver/dead-letter-rows';
import { hostStores } from '../../src/sandbox/host-store';
import { refuseDeliveries, acceptDeliveries, testSandbox, type TestSandbox } from './helpers';
import { data, replayAll, settingsCaller } from './settings-helpers';

// The settings page lists dead letters 20 at a time: the one that just failed must be on the first
// page, whatever its id. Letters an older version kept (under their id alone) are listed in their place too.

let sb: TestSandbox;
beforeAll(async () => {
  sb = await testSandbox({ simulator: { repositories: 3, pullRequestsPerRepository: 0 } });
  refuseDeliveries(sb);
});
afterAll(() => sb.stop());
const call = settingsCaller(() => sb);

async function deadIds(): Promise<Set<string>> {
  return new Set((await sb.outbox().listDead(undefined, 1000)).entries.map(({ value }) => value.entry.id));
}

/** Opens pull requests PanDev refuses, each a dead letter, all buried after every earlier one. */
async function bury(count: number): Promise<string[]> {
  const before = await deadIds();
  const latest = Math.max(0, ...(await sb.outbox().listDead(undefined, 1000)).entries.map(({ value }) => value.deadAt));
  // A later burial must fall on a later millisecond than any earlier one.
  while (Date.now() <= latest) await new Promise((resolve) => setImmediate(resolve));
  const repositories = [...sb.simulator.model.repositories.values()];
  for (let i = 0; i < count; i++) sb.simulator.actions.openPullRequest({ repository: repositories[i % repositories.length]!.slug });
  await sb.settle();
  return [...(await deadIds())].filter((id) => !before.has(id));
}

async function listAll(): Promise<{ first: DeadLetterItem[]; all: DeadLetterItem[] }> {
  const first = data(await call('deadLetters/list', { limit: 20 }));
  const all = [...first.items];
  for (let cursor = first.cursor; cursor; ) {
    const page = data(await call('deadLetters/list', { limit: 20, cursor }));
    all.push(...page.items);
    cursor = page.cursor;
  }
  return { first: first.items, all };
}

function expectNewestFirst(items: DeadLetterItem[]): void {
  const times = items.map((item) => item.deadAt);
  expect(times).toEqual([...times].sort((a, b) => b - a));
}

let older: string[] = [];
let newest: string[] = [];

it('shows the newest dead letters on the first page, the rest following newest first', async () => {
  older = await bury(30);
  newest = await bury(3);
  expect(older.length).toBeGreaterThan(20);
  expect(newest.length).toBeGreaterThanOrEqual(3);
  expect(newest.length).toBeLessThan(20);

  const { first, all } = await listAll();
  expect(first).toHaveLength(20);
  expect(first.slice(0, newest.length).map((item) => item.id).sort()).toEqual([...newest].sort());
  expectNewestFirst(all);
  expect(all.map((item) => item.id).sort()).toEqual([...older, ...newest].sort());
});

it('lists, counts and replays letters kept under their id alone, as an installation upgraded in place has them', async () => {
  // What an older version left: the letters, and none of the rows that order them.
  for (const key of sb.host.kvs.keys('dead-newest:')) await sb.host.kvs.delete(key);

  const { first, all } = await listAll();
  expect(first.slice(0, newest.length).map((item) => item.id).sort()).toEqual([...newest].sort());
  expectNewestFirst(all);
  expect(all).toHaveLength(older.length + newest.length);
  expect(data(await call('status/get')).deadLetters).toEqual({ count: older.length + newest.length, more: false });

  acceptDeliveries(sb);
  expect(data(await call('deadLetters/replay', { id: newest[0]! }))).toEqual({ outcome: 'queued' });
  await sb.settle();
  expect((await listAll()).all.map((item) => item.id)).not.toContain(newest[0]);

  const replayed = (await replayAll(call)).reduce((sum, answer) => sum + answer.replayed, 0);
  await sb.settle();
  expect(replayed).toBe(older.length + newest.length - 1);
  expect((await listAll()).all).toEqual([]);
  expect(data(await call('status/get')).deadLetters).toEqual({ count: 0, more: false });
  const delivered = new Set(sb.sink.deliveries().map((d) => d.id));
  for (const id of [...older, ...newest]) expect(delivered).toContain(id);
});

it('lists a letter two burials left two rows of once, and takes the row replayed away with its letter, or when the letter is gone', async () => {
  refuseDeliveries(sb);
  const [twice, apart, gone] = await bury(3);
  expect(gone).toBeDefined();
  // Two senders buried one entry at once (no lease keeps them apart): each wrote a row at its own time.
  const rows = deadLetterRows(hostStores(sb.host).store, 90 * 24 * 3600);
  const letter = (await sb.outbox().getDead(twice!))!;
  await rows.put({ ...letter, deadAt: letter.deadAt - 1_000 });
  // The same for another, whose rows an earlier listing showed on two pages: its replay names the stale one.
  const second = (await sb.outbox().getDead(apart!))!;
  await rows.put({ ...second, deadAt: second.deadAt - 1_000 });
  acceptDeliveries(sb);
  expect(data(await call('deadLetters/replay', { id: apart!, deadAt: second.deadAt - 1_000 }))).toEqual({ outcome: 'queued' });
  // A replay by an older version's invocation, after a listing gave its letter a row.
  await sb.host.kvs.delete(`dead:${gone}`);

  const listed = (await listAll()).all;
  expect(listed.filter((item) => item.id === twice).map((item) => item.deadAt)).toEqual([letter.deadAt]);
  expect(listed.map((item) => item.id)).not.toContain(apart);
  const orphan = listed.find((item) => item.id === gone)!;
  expect(data(await call('deadLetters/replay', { id: twice!, deadAt: letter.deadAt }))).toEqual({ outcome: 'queued' });
  expect(data(await call('deadLetters/replay', { id: orphan.id, deadAt: orphan.deadAt }))).toEqual({ outcome: 'not-found' });
  await sb.settle();
  const left = (await listAll()).all.map((item) => item.id);
  for (const id of [twice, apart, gone]) expect(left).not.toContain(id);
  const delivered = sb.sink.deliveries().map((d) => d.id);
  expect(delivered).toContain(twice);
  expect(delivered).toContain(apart);
});
