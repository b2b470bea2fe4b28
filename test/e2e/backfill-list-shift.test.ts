import { deliveryId } from '../../src/core/change/delivery-id';
import { pullRequestEntity } from '../../src/core/change/intent-maker';
import { expectedBackfill } from './backfill-expectations';
import { backfillRecords, backfillSandbox, missing } from './backfill-sandbox';
import type { TestSandbox } from './helpers';
import { data, settingsCaller } from './settings-helpers';

// The backfill reads the pull requests updated in its window newest first, a page at a time. One
// updated while those pages are read jumps to the first page, already read: the activity phase finds
// its history without it and reads it on its own, so nothing of it is lost.

let sb: TestSandbox;
const call = settingsCaller(() => sb);
const record = async () => (await backfillRecords(sb))[0]!;

afterEach(() => sb.stop());

/** A backfill whose list of pull requests misses `victim`, updated while the list's pages were read. */
async function listShifted(seed: string, onVictim: (repository: string, id: number) => void = () => undefined) {
  sb = await backfillSandbox({ seed, repositories: 1, pullRequestsPerRepository: 120 });
  // The list's pages answer slowly: the update lands after its first page was read.
  const slow = sb.simulator.faults.add({ path: '/pullrequests$', latencyMs: 1000 });
  data(await call('connection/activate', {}));
  for (let i = 0; i < 400 && !((await record()).cursor?.phase === 'pullrequests' && (await record()).cursor?.page === 1); i++) await new Promise((resolve) => setTimeout(resolve, 25));
  const since = Date.parse((await record()).since);
  const repo = [...sb.simulator.model.repositories.values()][0]!;
  const inWindow = [...repo.pullRequests.values()].filter((pr) => Math.floor(pr.updatedOn / 1000) >= since);
  expect(inWindow.length).toBeGreaterThan(100);
  // The least recently updated of those created in the window: on the list's last page, until now.
  const victim = inWindow.filter((pr) => Math.floor(pr.createdOn / 1000) >= since).sort((a, b) => a.updatedOn - b.updatedOn)[0]!;
  sb.simulator.actions.addComment({ repository: repo.slug, pullRequestId: victim.id });
  onVictim(repo.uuid, victim.id);
  sb.simulator.faults.remove(slow);
  for (let i = 0; i < 400 && !['done', 'failed'].includes((await record()).state); i++) {
    await sb.settle();
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return { repo, since, inWindow };
}

it('replays a pull request updated while the pull-request list is read, and counts each pull request once', async () => {
  const { repo, since, inWindow } = await listShifted('list-shift');
  const r = await record();
  expect({ state: r.state, done: r.done, total: r.total }).toEqual({ state: 'done', done: inWindow.length, total: inWindow.length });
  expect(r.listedAt).toBeGreaterThan(since);
  // The comment made after the list was read is the live path's, or the reconciliation's when its
  // event is lost (as here, live events off): the first pass after activation reads it.
  await sb.host.runScheduled('five-minute-tick');
  await sb.settle();
  expect(missing(sb, expectedBackfill(sb.simulator, [repo], since).ids)).toEqual([]);
  expect(sb.logs.filter((line) => /updated while the list was read/.test(line.message))).toHaveLength(1);
}, 120_000);

it('replays such a pull request whole when its piece stopped after keeping it, before staging its created event', async () => {
  // The first storage call on the created event's delivery (staging asks the outbox for it) is
  // refused: the piece stops with the pull request read and kept, its created event not staged.
  const { repo, since } = await listShifted('list-shift-stopped', (repository, id) => {
    const created = deliveryId({ edition: 'cloud', workspace: sb.simulator.workspace.uuid, entity: pullRequestEntity(repository, id), eventKey: 'pullrequest:created', version: 'created' });
    sb.host.throttleStorage((key) => key === `outbox:${created}`, 1);
  });
  expect((await record()).state).toBe('done');
  expect(sb.logs.some((line) => /backfill piece interrupted/.test(line.message) && /RATE_LIMIT|Too many storage/i.test(JSON.stringify(line)))).toBe(true);
  await sb.host.runScheduled('five-minute-tick');
  await sb.settle();
  expect(missing(sb, expectedBackfill(sb.simulator, [repo], since).ids)).toEqual([]);
}, 120_000);
