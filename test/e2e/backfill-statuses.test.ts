import { backfillRecords, backfillSandbox } from './backfill-sandbox';
import type { TestSandbox } from './helpers';
import { data, settingsCaller } from './settings-helpers';

// Build statuses have no repository-wide feed on Bitbucket Cloud: with the option on, the backfill
// reads the statuses of each pull request's head commit, one request each, the pull requests the list
// missed (read on their own by the activity phase) included.

let sb: TestSandbox;
const call = settingsCaller(() => sb);
const record = async () => (await backfillRecords(sb))[0]!;

afterEach(() => sb.stop());

async function finish(): Promise<void> {
  for (let i = 0; i < 400 && !['done', 'failed'].includes((await record()).state); i++) {
    await sb.settle();
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  await sb.settle();
}

const deliveredStatuses = () => new Set(sb.sink.deliveries().filter((d) => d.eventKey.startsWith('repo:commit_status_')).map((d) => {
  const status = (d.body as { commit_status: { key: string; commit: { hash: string } } }).commit_status;
  return `${status.commit.hash} ${status.key}`;
}));

it('delivers the build statuses of every pull request\'s head commit, one request each, when asked to', async () => {
  sb = await backfillSandbox({ seed: 'statuses', repositories: 1, pullRequestsPerRepository: 12 }, { backfillBuildStatuses: true });
  const repo = [...sb.simulator.model.repositories.values()][0]!;
  // One more status on each pull request's head, beside those the seed made.
  for (const hash of new Set([...repo.pullRequests.values()].map((pr) => pr.source.hash))) sb.simulator.actions.setBuildStatus({ repository: repo.slug, commit: hash, key: `ci-${hash.slice(0, 6)}`, state: 'SUCCESSFUL' });
  sb.simulator.resetStats();
  data(await call('connection/activate', {}));
  await finish();
  expect((await record()).state).toBe('done');
  const since = Date.parse((await record()).since);
  const listed = [...repo.pullRequests.values()].filter((pr) => Math.floor(pr.updatedOn / 1000) >= since);
  expect(listed.length).toBeGreaterThan(0);
  // Each listed pull request's head, statuses read once per pull request.
  const expected = [...new Set(listed.map((pr) => pr.source.hash))].flatMap((hash) => [...(repo.statuses.get(hash)?.values() ?? [])].filter((status) => Math.floor(status.updatedOn / 1000) >= since).map((status) => `${hash} ${status.key}`));
  expect(expected.length).toBeGreaterThan(listed.length / 2);
  expect([...deliveredStatuses()].sort()).toEqual(expected.sort());
  expect(sb.simulator.stats().byRoute['GET /repositories/{workspace}/{repo_slug}/commit/{commit}/statuses']).toBe(listed.length);
}, 120_000);

it('reads the build statuses of a pull request updated while the list was read, which the list missed', async () => {
  sb = await backfillSandbox({ seed: 'list-shift', repositories: 1, pullRequestsPerRepository: 120 }, { backfillBuildStatuses: true });
  const repo = [...sb.simulator.model.repositories.values()][0]!;
  const slow = sb.simulator.faults.add({ path: '/pullrequests$', latencyMs: 1000 });
  data(await call('connection/activate', {}));
  for (let i = 0; i < 400 && !((await record()).cursor?.phase === 'pullrequests' && (await record()).cursor?.page === 1); i++) await new Promise((resolve) => setTimeout(resolve, 25));
  const since = Date.parse((await record()).since);
  // The least recently updated pull request of the window, on the list's last page until now: a
  // comment moves it to the first page, already read.
  const victim = [...repo.pullRequests.values()].filter((pr) => Math.floor(pr.createdOn / 1000) >= since).sort((a, b) => a.updatedOn - b.updatedOn)[0]!;
  const { commit } = sb.simulator.actions.setBuildStatus({ repository: repo.slug, commit: victim.source.hash, key: 'victim-ci', state: 'FAILED' });
  sb.simulator.actions.addComment({ repository: repo.slug, pullRequestId: victim.id });
  sb.simulator.faults.remove(slow);
  await finish();
  expect(sb.logs.filter((line) => /updated while the list was read/.test(line.message))).toHaveLength(1);
  expect(deliveredStatuses()).toContain(`${commit} victim-ci`);
}, 120_000);
