import { settingsStore } from '../../src/core/config/settings';
import { hostStores } from '../../src/sandbox/host-store';
import { backfillEnded, backfillRecords, backfillSandbox } from './backfill-sandbox';
import { reconcileNow, type TestSandbox } from './helpers';
import { data, settingsCaller } from './settings-helpers';

// The window is widened after a backfill finished (30 days, then 90; the page applies it to
// repositories selected again): branches that moved in the first window keep their delivered tips, and
// the commits between the two edges must still reach PanDev.

let sb: TestSandbox;
const call = settingsCaller(() => sb);
afterAll(() => sb.stop());

const DAY = 86_400_000;

it('sends the commits between the old and the new edge of a window widened twice, on branches delivered before, once', async () => {
  sb = await backfillSandbox({ seed: 'backfill-widened', repositories: 1, historyDays: 90 }, { backfillDays: 30 });
  const repo = [...sb.simulator.model.repositories.values()][0]!;
  data(await call('connection/activate', {}));
  await backfillEnded(sb);
  const since30 = Date.parse((await backfillRecords(sb))[0]!.since);

  // Widened twice: each run sends what lies between its edge and the one before, not the first run's.
  const { store, secrets } = hostStores(sb.host);
  for (const backfillDays of [60, 90]) {
    await settingsStore(store, secrets).savePreferences({ backfillDays });
    data(await call('repositories/select', { scope: 'repositories', repositories: [repo.uuid], selected: false }));
    data(await call('repositories/select', { scope: 'repositories', repositories: [repo.uuid], selected: true }));
    await backfillEnded(sb);
  }
  const since90 = Date.parse((await backfillRecords(sb))[0]!.since);
  expect(since30 - since90).toBeGreaterThan(59 * DAY);

  // The main branch's commits of the older part, by its history.
  const mainTip = repo.branches.get(repo.mainBranch)!;
  const older = new Set<string>();
  const stack = [mainTip];
  while (stack.length) {
    const hash = stack.pop()!;
    const commit = repo.commits.get(hash);
    if (!commit || older.has(hash) || commit.date / 1000 < since90) continue;
    if (commit.date / 1000 < since30) older.add(hash);
    stack.push(...commit.parents);
  }
  expect(older.size).toBeGreaterThan(0);
  const pushed = sb.sink.deliveries().filter((d) => d.eventKey === 'repo:push').flatMap((d) => ((d.body as { pandev: { commits: Array<{ hash: string }> } }).pandev.commits).map((c) => c.hash));
  expect([...older].filter((hash) => !pushed.includes(hash))).toEqual([]);
  expect(sb.sink.duplicates()).toBe(0);
  // Each of main's commits goes in one of main's pushes, not in two.
  const onMain = sb.sink.deliveries()
    .filter((d) => d.eventKey === 'repo:push' && (d.body as { pandev: { ref: { name: string } } }).pandev.ref.name === repo.mainBranch)
    .flatMap((d) => ((d.body as { pandev: { commits: Array<{ hash: string }> } }).pandev.commits).map((c) => c.hash));
  expect(onMain.filter((hash, i) => onMain.indexOf(hash) !== i)).toEqual([]);
  // The older part moved no recorded tip back: the reconciliation finds nothing to send.
  const before = sb.sink.deliveries().length;
  await reconcileNow(sb);
  expect(sb.sink.deliveries().slice(before).map((d) => d.eventKey)).toEqual([]);
}, 240_000);
