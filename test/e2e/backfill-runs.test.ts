import type { BackfillRecord } from '../../src/core/backfill/state';
import { settingsStore, type Preferences } from '../../src/core/config/settings';
import type { CloudSimulatorOptions } from '../../src/sandbox/cloud-sim';
import { hostStores } from '../../src/sandbox/host-store';
import { expectedBackfill } from './backfill-expectations';
import { backfillRecords, backfillSandbox, missing } from './backfill-sandbox';
import type { TestSandbox } from './helpers';
import { data, settingsCaller } from './settings-helpers';

// A backfill's working data (the commit graph, the pull requests it read) belongs to one run of it:
// a backfill asked for again with another window reads none of the earlier run's pages, and one whose
// data expired while it was stopped starts over instead of finishing with history missing.

let sb: TestSandbox;
const call = settingsCaller(() => sb);
const settings = () => settingsStore(hostStores(sb.host).store, hostStores(sb.host).secrets);
const record = async () => (await backfillRecords(sb))[0]!;

afterEach(() => sb.stop());

async function start(simulator: CloudSimulatorOptions, preferences: Partial<Preferences>) {
  sb = await backfillSandbox({ repositories: 1, ...simulator }, preferences);
  return [...sb.simulator.model.repositories.values()][0]!;
}

/** Activates with slow diffstats, and deselects the repository once its lifecycle phase is under way. */
async function stopInLifecycle(uuid: string): Promise<void> {
  const slow = sb.simulator.faults.add({ path: '/diffstat/', latencyMs: 150 });
  data(await call('connection/activate', {}));
  for (let i = 0; i < 400; i++) {
    const r = await record();
    if (r.cursor?.phase === 'lifecycle' && r.done >= 3) break;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  data(await call('repositories/select', { scope: 'repositories', repositories: [uuid], selected: false }));
  await sb.settle();
  sb.simulator.faults.remove(slow);
  expect(await record()).toMatchObject({ state: 'cancelled', cursor: { phase: 'lifecycle' } });
}

async function untilFinished(): Promise<BackfillRecord> {
  for (let i = 0; i < 400; i++) {
    await sb.settle();
    const r = await record();
    if (r.state === 'done' || r.state === 'failed') return r;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('backfill did not finish');
}

it('starts over from the commits when its working data expired while it was stopped', async () => {
  const repo = await start({ seed: 'runs-expired', pullRequestsPerRepository: 30 }, {});
  await stopInLifecycle(repo.uuid);
  // Weeks later: the stored graph, pull requests and page lists have expired.
  for (const key of sb.host.kvs.keys('bfdata:')) await sb.host.kvs.delete(key);
  data(await call('repositories/select', { scope: 'repositories', repositories: [repo.uuid], selected: true }));
  const r = await untilFinished();
  expect(r.state).toBe('done');
  expect(r.done).toBe(r.total);
  expect(sb.logs.some((line) => /working data expired/.test(line.message))).toBe(true);
  const expected = expectedBackfill(sb.simulator, [repo], Date.parse(r.since));
  expect(missing(sb, expected.ids)).toEqual([]);
  expect(sb.sink.deliveries().filter((d) => d.eventKey === 'repo:push')).toHaveLength(expected.refs.size);
}, 120_000);

it('asked for again with a shorter window, reads none of the longer run\'s pages', async () => {
  const repo = await start({ seed: 'runs-window', pullRequestsPerRepository: 150, historyDays: 90 }, { backfillDays: 90 });
  await stopInLifecycle(repo.uuid);
  // Too slow for the admin: a shorter window, and the repository selected again.
  await settings().savePreferences({ backfillDays: 30 });
  data(await call('repositories/select', { scope: 'repositories', repositories: [repo.uuid], selected: true }));
  const r = await untilFinished();
  const inWindow = [...repo.pullRequests.values()].filter((pr) => Math.floor(pr.updatedOn / 1000) >= Date.parse(r.since)).length;
  expect({ state: r.state, windowDays: r.windowDays, done: r.done, total: r.total }).toEqual({ state: 'done', windowDays: 30, done: inWindow, total: inWindow });
}, 120_000);
