import { expectedBackfill } from './backfill-expectations';
import { backfillEnded, backfillRecords, backfillSandbox, missing } from './backfill-sandbox';
import type { SimTypes } from '../../src/sandbox/cloud-sim';
import type { TestSandbox } from './helpers';
import { data, settingsCaller } from './settings-helpers';

// One pull request Bitbucket lists in an unexpected shape must not cost the backfill the rest of its
// list: the others are replayed whole, and that one is read on its own, or, malformed there too, left
// out and named with its reason.

/** A skip's reason matching `pattern`, followed by what to do about it. */
const ADVICE = (pattern: string) => new RegExp(`${pattern}.*\\. The backfill does not read it again: if Bitbucket keeps answering so, report it \\(this reason\\) to Atlassian support`);

let sb: TestSandbox;
const call = settingsCaller(() => sb);
afterEach(() => sb.stop());

async function backfillWithBadListItem(seed: string, alsoAlone: boolean) {
  sb = await backfillSandbox({ seed, repositories: 1, pullRequestsPerRepository: 12 });
  const [repo] = [...sb.simulator.model.repositories.values()];
  const since = Date.now() - 29 * 86_400_000;
  // One well inside the window, so its created event is replayed.
  const bad = [...repo!.pullRequests.values()].filter((pr) => Math.floor(pr.createdOn / 1000) >= since)[1]!;
  const where = `(${repo!.uuid.replace(/[{}]/g, '')}[^/]*|/${repo!.slug})/pullrequests`;
  sb.simulator.faults.add({ method: 'GET', path: `${where}$`, corruptItem: { id: bad.id, set: { updated_on: 1_700_000_000_000 } } });
  if (alsoAlone) sb.simulator.faults.add({ method: 'GET', path: `${where}/${bad.id}$`, status: 200, body: `{"type": "pullrequest", "id": ${bad.id}, "updated_on": 17}` });
  data(await call('connection/activate', {}));
  await backfillEnded(sb);
  const [record] = await backfillRecords(sb);
  const expected = expectedBackfill(sb.simulator, [repo!], Date.parse(record!.since)).ids;
  const ofBad = (what: string) => what.includes(`pullrequest:${repo!.uuid}:${bad.id} `) || what.includes(`pullrequest:${repo!.uuid}:${bad.id}:`);
  return { record: record!, bad, missed: missing(sb, expected), ofBad, expected: [...expected.values()] };
}

it('replays every pull request of a list that holds one malformed one, reading that one on its own', async () => {
  const { record, missed, expected, ofBad } = await backfillWithBadListItem('backfill-bad-item', false);
  expect(record.state).toBe('done');
  expect(expected.filter(ofBad).length).toBeGreaterThan(0);
  expect(missed).toEqual([]);
  expect(record.skipped).toEqual([]);
}, 120_000);

it('leaves out only a pull request malformed on its own endpoint too, and says why', async () => {
  const { record, missed, ofBad, bad } = await backfillWithBadListItem('backfill-bad-item-2', true);
  expect(record.state).toBe('done');
  expect(missed.filter((what) => !ofBad(what))).toEqual([]);
  expect(record.skipped).toEqual([{ phase: 'pullrequests', what: `pull request #${bad.id} (none of its events were sent)`, reason: expect.stringMatching(ADVICE('unexpected shape')) }]);
  // The settings page's row says it, with what to do.
  const status = data(await call('status/get'));
  expect(status.backfill.active.find((row) => row.repository === record.repository)?.skipped?.recent).toEqual([expect.stringMatching(ADVICE(`#${bad.id} .*unexpected shape`))]);
}, 120_000);

it('says in words which field a pull request listed without a numeric id lacks, and what to do', async () => {
  sb = await backfillSandbox({ seed: 'backfill-bad-item-id', repositories: 1, pullRequestsPerRepository: 12 });
  const [repo] = [...sb.simulator.model.repositories.values()];
  const bad = [...repo!.pullRequests.values()][1]!;
  sb.simulator.faults.add({ method: 'GET', path: `(${repo!.uuid.replace(/[{}]/g, '')}[^/]*|/${repo!.slug})/pullrequests$`, corruptItem: { id: bad.id, set: { id: `#${bad.id}` } } });
  data(await call('connection/activate', {}));
  await backfillEnded(sb);
  const [record] = await backfillRecords(sb);
  expect(record!.skipped).toEqual([{ phase: 'pullrequests', what: 'pull request #? (none of its events were sent)', reason: expect.stringMatching(ADVICE('without a numeric id \\(id: a string, where the app needs a number\\)')) }]);
}, 120_000);

it('leaves out only a malformed entry of the activity log, not the rest of the log', async () => {
  sb = await backfillSandbox({ seed: 'backfill-bad-entry', repositories: 1, pullRequestsPerRepository: 12 });
  const [repo] = [...sb.simulator.model.repositories.values()];
  const where = `(${repo!.uuid.replace(/[{}]/g, '')}[^/]*|/${repo!.slug})/pullrequests/activity$`;
  // Each page's first entry: a comment whose creation date is of another type.
  sb.simulator.faults.add({ method: 'GET', path: where, corruptItem: { index: 0, set: { comment: { id: 1, created_on: 17 } } } });
  data(await call('connection/activate', {}));
  await backfillEnded(sb);
  const [record] = await backfillRecords(sb);
  expect(record!.state).toBe('done');
  const missed = missing(sb, expectedBackfill(sb.simulator, [repo!], Date.parse(record!.since)).ids);
  // One entry per page read, each left out alone and named with why; the rest of the log was replayed.
  const pages = sb.simulator.stats().byRoute['GET /repositories/{workspace}/{repo_slug}/pullrequests/activity']!;
  expect(missed).toHaveLength(pages);
  expect(record!.skipped).toHaveLength(pages);
  for (const what of missed) {
    const id = /pullrequest:\{[^}]+\}:(\d+)/.exec(what)![1];
    expect(record!.skipped).toContainEqual({ phase: 'activity', what: `an entry of pull request #${id}'s activity (its event was not sent)`, reason: expect.stringMatching(ADVICE('unexpected shape \\(comment\\.created_on')) });
  }
}, 120_000);

// The other feeds the backfill reads (the commit graph, branches and tags, build statuses,
// deployments) are checked item by item too: one item in an unexpected shape is left out alone and
// named with why; the rest of its feed is replayed.

interface BadItem { path: string; where: Record<string, string>; set: Record<string, unknown>; skip: { phase: string; what: string; reason: RegExp } }

const inWindow = (micros: number) => Math.floor(micros / 1000) >= Date.now() - 29 * 86_400_000;
const feeds: Array<[string, (repo: SimTypes.Repository) => BadItem]> = [
  ['a branch', (repo) => {
    const [name] = [...repo.branches].find(([branch, tip]) => branch !== repo.mainBranch && inWindow(repo.commits.get(tip)!.date))!;
    return { path: '/refs$', where: { name }, set: { type: 17 }, skip: { phase: 'refs', what: `the branch or tag "${name}" (its push was not sent)`, reason: /unexpected shape \(type/ } };
  }],
  ['a commit', (repo) => {
    const [hash] = [...repo.commits].find(([, commit]) => inWindow(commit.date))!;
    return { path: '/commits$', where: { hash }, set: { parents: 17 }, skip: { phase: 'commits', what: expect.stringContaining(`commit ${hash.slice(0, 12)} (left out of the commit graph`), reason: /unexpected shape \(parents/ } };
  }],
  ['a build status', (repo) => {
    const head = [...repo.pullRequests.values()].find((pr) => inWindow(pr.updatedOn))!.source.hash;
    // Set now, so in the window whatever the seed's dates.
    sb.simulator.actions.setBuildStatus({ repository: repo.slug, commit: head, key: 'bad-ci', state: 'SUCCESSFUL' });
    return { path: '/commit/[^/]+/statuses$', where: { key: 'bad-ci' }, set: { state: 17 }, skip: { phase: 'statuses', what: `build status "bad-ci" of commit ${head.slice(0, 12)} (its event was not sent)`, reason: /unexpected shape \(state/ } };
  }],
  ['a deployment', (repo) => {
    const { uuid } = repo.deployments.find((deployment) => inWindow(deployment.updatedOn))!;
    return { path: '/deployments/?$', where: { uuid }, set: { state: 17 }, skip: { phase: 'deployments', what: `deployment ${uuid} (its events were not sent)`, reason: /unexpected shape \(state/ } };
  }],
];

it.each(feeds)('leaves out only %s in an unexpected shape, not the rest of its feed', async (_, pick) => {
  sb = await backfillSandbox({ seed: 'backfill-bad-feed-item', repositories: 1, pullRequestsPerRepository: 12 }, { backfillBuildStatuses: true });
  const [repo] = [...sb.simulator.model.repositories.values()];
  const bad = pick(repo!);
  sb.simulator.faults.add({ method: 'GET', path: `(${repo!.uuid.replace(/[{}]/g, '')}[^/]*|/${repo!.slug})${bad.path}`, corruptItem: { where: bad.where, set: bad.set } });
  data(await call('connection/activate', {}));
  await backfillEnded(sb);
  const [record] = await backfillRecords(sb);
  expect(record!.state).toBe('done');
  expect(record!.skipped).toEqual([{ ...bad.skip, reason: expect.stringMatching(ADVICE(bad.skip.reason.source)) }]);
  const expected = expectedBackfill(sb.simulator, [repo!], Date.parse(record!.since));
  const ofBad = (what: string) => bad.where.uuid !== undefined && what.includes(bad.where.uuid);
  expect(missing(sb, expected.ids).filter((what) => !ofBad(what))).toEqual([]);
  // Every other branch and tag moved in the window arrives as its push.
  const pushed = new Set(sb.sink.deliveries().filter((d) => d.eventKey === 'repo:push').map((d) => `${(d.body as any).push.changes[0].new?.type} ${(d.body as any).push.changes[0].new?.name}`));
  expect([...expected.refs.keys()].map((ref) => ref.split(' ').slice(1).join(' ')).filter((ref) => ref !== `branch ${bad.where.name}` && !pushed.has(ref))).toEqual([]);
}, 120_000);

it("replays commits whose author Bitbucket matched to an account without a type, with the raw name, saying why the account went", async () => {
  sb = await backfillSandbox({ seed: 'backfill-author-type', repositories: 1, pullRequestsPerRepository: 0 });
  const [repo] = [...sb.simulator.model.repositories.values()];
  const raw = 'Dana Developer <dana@example.com>';
  const { commits } = sb.simulator.actions.pushCommits({ repository: repo!.slug, commits: 2 });
  const feed = `(${repo!.uuid.replace(/[{}]/g, '')}[^/]*|/${repo!.slug})/commits$`;
  sb.simulator.faults.add({ method: 'GET', path: feed, corruptItem: { where: { hash: commits[1]! }, set: { author: { type: 'author', raw, user: { uuid: '{4d1f0c2e-0000-4000-8000-00000000a17e}', type: null } } } } });
  data(await call('connection/activate', {}));
  await backfillEnded(sb);
  const [record] = await backfillRecords(sb);
  expect(record).toMatchObject({ state: 'done', skipped: [] });
  const pushed = sb.sink.deliveries().flatMap((d) => ((d.body as any).pandev?.commits ?? []) as Array<{ hash: string; author: unknown }>);
  expect(pushed.filter((c) => c.hash === commits[1])).toEqual([expect.objectContaining({ author: { raw, uuid: null, account_id: null } })]);
  const said = sb.logs.filter((line) => line.message.includes(`commit ${commits[1]!.slice(0, 12)}: its author's account left out`));
  expect(said.map((line) => line.message)).toEqual([expect.stringContaining('type: null, where the app needs a string')]);
});
