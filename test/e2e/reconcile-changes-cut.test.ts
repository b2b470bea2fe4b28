import { settingsStore } from '../../src/core/config/settings';
import { hostStores } from '../../src/sandbox/host-store';
import { CLOCK_ALLOWANCE_MS } from '../../src/core/reconcile/clock-allowance';
import { reconcileNow, reconcilePasses, testSandbox, type TestSandbox } from './helpers';
import { data, settingsCaller } from './settings-helpers';

// The workspace query that says which repositories were pushed to stops at 50 pages. Cut there, the
// repositories it did not reach were taken as not pushed and their watermarks moved on: a push whose
// product event was lost never reached PanDev. Here the simulator answers one repository a page, so
// 52 pushed repositories are two past the cap.

const REPOSITORIES = 52;
let sb: TestSandbox;
beforeAll(async () => {
  sb = await testSandbox({ liveEvents: false, scheduledTriggers: false, simulator: { seed: 'changes-cut', repositories: REPOSITORIES, pullRequestsPerRepository: 0, historyDays: 1, rateLimitPerHour: 0, pagelenMax: 1 } });
  // One page a repository makes every pass dear: the hour's budget must not be what stops it here.
  await settingsStore(hostStores(sb.host).store, hostStores(sb.host).secrets).savePreferences({ requestsPerHour: 100_000 });
}, 60_000);
afterAll(() => sb.stop());

const cutLines = () => sb.logs.filter((line) => /stopped at its cap of 50 pages/.test(line.message)).map((line) => JSON.parse(line.message) as { level: string; msg: string });

it('finds the pushes of repositories the capped query did not reach, and says why the pass cost more', async () => {
  await reconcileNow(sb);
  sb.sink.clear();
  const pushed = new Map<string, string[]>();
  // Product events are off: only the reconciliation can bring these pushes.
  for (const repo of sb.simulator.model.repositories.values()) pushed.set(repo.slug, sb.simulator.actions.pushCommits({ repository: repo.slug, commits: 1 }).commits);

  await reconcileNow(sb);

  const delivered = new Set(sb.sink.deliveries().filter((d) => d.eventKey === 'repo:push').flatMap((d) => ((d.body as any).pandev.commits as Array<{ hash: string }>).map((c) => c.hash)));
  expect([...pushed].filter(([, commits]) => commits.some((hash) => !delivered.has(hash))).map(([slug]) => slug)).toEqual([]);
  expect(cutLines()).toHaveLength(1);
  expect(cutLines()[0]).toMatchObject({ level: 'warn' });
  expect(cutLines()[0]!.msg).toMatch(/after 50 repositories, with more to come\. Nothing is lost: the repositories it did not reach are read as if pushed/);
  const status = data(await settingsCaller(() => sb)('status/get'));
  expect(status.notes).toContainEqual({ severity: 'warning', text: cutLines()[0]!.msg });

  // Once every repository has had a pass since, the query is whole again and the note goes. The pushes
  // are still in the next query's overlap (clock-allowance.ts): its passes are moved past it.
  for (const key of reconcilePasses(sb)) {
    const state = (await sb.host.kvs.get(key)) as { watermark: number };
    await sb.host.kvs.set(key, { ...state, watermark: state.watermark + CLOCK_ALLOWANCE_MS + 60_000 });
  }
  await reconcileNow(sb);
  expect(data(await settingsCaller(() => sb)('status/get')).notes).toEqual([]);
  expect(cutLines()).toHaveLength(1);
}, 120_000);
