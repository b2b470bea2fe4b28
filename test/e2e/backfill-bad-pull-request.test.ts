import { expectedBackfill } from './backfill-expectations';
import { backfillRecords, backfillSandbox, missing } from './backfill-sandbox';
import type { TestSandbox } from './helpers';
import { data, settingsCaller } from './settings-helpers';

// One pull request Bitbucket keeps failing on must not hold up its repository's backfill nor spend
// its budget every half minute: after a few tries, later and later, the backfill leaves out what it
// cannot get (the size, or the rest of a feed), sends the rest, and says what it left out and why.

let sb: TestSandbox;
const call = settingsCaller(() => sb);
const records = () => backfillRecords(sb);

afterEach(() => sb.stop());

it('leaves out the size of a pull request whose diffstat always fails, and the rest of a feed that always fails, and says so', async () => {
  sb = await backfillSandbox({ seed: 'bad-pr', repositories: 2, pullRequestsPerRepository: 12 });
  const [first, second] = [...sb.simulator.model.repositories.values()];
  // Created well inside the window, so their created events are replayed.
  const since = Date.now() - 29 * 86_400_000;
  const [huge, garbled] = [...first!.pullRequests.values()].filter((pr) => Math.floor(pr.createdOn / 1000) >= since);
  const diffstatOf = (pr: typeof huge) => `/diffstat/.*:${pr!.source.hash.slice(0, 12)}`;
  // One pull request's diffstat Bitbucket cannot compute, another's it answers with garbage, and a
  // deployments feed that always fails.
  sb.simulator.faults.add({ path: diffstatOf(huge), status: 500, body: 'Internal Server Error' });
  sb.simulator.faults.add({ path: diffstatOf(garbled), status: 200, body: '{"values": [' });
  sb.simulator.faults.add({ path: `${second!.uuid.replace(/[{}]/g, '')}.*/deployments`, status: 503, body: 'Service Unavailable' });
  data(await call('connection/activate', {}));
  // A backfill stuck on a bad pull request never lets the app go quiet: poll, for half a minute at most.
  for (let i = 0; i < 60 && !(await records()).every((r) => r.state === 'done' || r.state === 'failed'); i++) {
    await Promise.race([sb.settle(), new Promise((resolve) => setTimeout(resolve, 500))]);
  }
  const states = async () => new Map((await records()).map((r) => [r.repository, r]));
  expect([...(await states()).values()].map((r) => `${r.state} ${r.cursor?.phase ?? ''}`)).toEqual(['done ', 'done ']);
  await sb.settle();
  const one = (await states()).get(first!.uuid)!;
  const two = (await states()).get(second!.uuid)!;
  expect(one.done).toBe(one.total);
  expect(one.skipped.map((s) => s.what).sort()).toEqual([huge, garbled].map((pr) => `the size of pull request #${pr!.id} (its events went without it)`).sort());
  expect(one.skipped.find((s) => s.what.includes(`#${huge!.id} `))!.reason).toMatch(/answered 500/);
  expect(one.skipped.find((s) => s.what.includes(`#${garbled!.id} `))!.reason).toMatch(/malformed JSON.*report it \(this reason\) to Atlassian support/);
  // A 500 is no answer in a wrong form: nothing for Atlassian support in its reason.
  expect(one.skipped.find((s) => s.what.includes(`#${huge!.id} `))!.reason).not.toMatch(/Atlassian/);
  expect(two.skipped).toEqual([{ phase: 'deployments', what: 'the rest of the deployments', reason: expect.stringMatching(/answered 503/) }]);

  // Tried later and later, a few times each (the one leaving the rest of a feed out once more).
  const requests = sb.simulator.stats().byRoute;
  const routes = (tail: string) => Object.entries(requests).filter(([route]) => route.endsWith(tail)).reduce((sum, [, n]) => sum + n, 0);
  expect(routes('/deployments')).toBe(1 + 6 + 1);
  expect(routes('/diffstat/{spec}')).toBe(one.total! + two.total! - 2 + 6 + 3);
  expect(sb.logs.filter((line) => /interrupted/.test(line.message)).length).toBe(6 + 3 + 7);

  // Everything else arrived, and the two pull requests' events went without their size.
  expect(missing(sb, expectedBackfill(sb.simulator, [first!], Date.parse(one.since)).ids)).toEqual([]);
  const created = (pr: typeof huge) => sb.sink.deliveries().find((d) => d.eventKey === 'pullrequest:created' && (d.body as any).pandev.entity === `pullrequest:${first!.uuid}:${pr!.id}`)!;
  expect((created(huge).body as any).pandev.pullrequest.size).toBeUndefined();
  expect((created(garbled).body as any).pandev.pullrequest.size).toBeUndefined();
  expect(sb.sink.deliveries().filter((d) => d.eventKey === 'pullrequest:created' && (d.body as any).pandev.pullrequest.size).length).toBeGreaterThan(0);

  // The settings page shows what was left out.
  const status = data(await call('status/get'));
  expect(status.backfill.active.find((row) => row.repository === first!.uuid)?.skipped).toEqual({ count: 2, recent: expect.arrayContaining([expect.stringMatching(new RegExp(`#${huge!.id} .*answered 500`))]) });
}, 120_000);

it('gives every further pull request a single try once its diffstats keep failing one after the other', async () => {
  sb = await backfillSandbox({ seed: 'bad-diffstats', repositories: 1, pullRequestsPerRepository: 10 });
  sb.simulator.faults.add({ path: '/diffstat/', status: 500, body: 'Internal Server Error' });
  data(await call('connection/activate', {}));
  for (let i = 0; i < 60 && (await records()).some((r) => r.state !== 'done'); i++) await Promise.race([sb.settle(), new Promise((resolve) => setTimeout(resolve, 500))]);
  const [r] = await records();
  expect(r).toMatchObject({ state: 'done', skippedCount: r!.total });
  const diffstats = Object.entries(sb.simulator.stats().byRoute).filter(([route]) => route.includes('/diffstat/')).reduce((sum, [, n]) => sum + n, 0);
  expect(diffstats).toBe(6 + 6 + (r!.total! - 2));
  await sb.settle();
}, 120_000);
