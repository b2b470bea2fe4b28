import { factsStore } from '../../src/core/metrics/store';
import { hostStores } from '../../src/sandbox/host-store';
import { backfillEnded, backfillSandbox } from './backfill-sandbox';
import type { TestSandbox } from './helpers';
import { data, settingsCaller } from './settings-helpers';

// A commit's date is passed on as Bitbucket sends it (schema.ts, `passedOn`): one answered in another
// type is kept without it. The pull request's first commit must still be its oldest dated commit, not
// whichever the sort happened to leave first around the undated one.

let sb: TestSandbox;
const call = settingsCaller(() => sb);
afterEach(() => sb.stop());

const HOUR = 3_600_000;

it("measures a pull request from its oldest commit when Bitbucket answers another commit's date in another type", async () => {
  sb = await backfillSandbox({ seed: 'commit-date', repositories: 1 });
  const repo = [...sb.simulator.model.repositories.values()][0]!;
  const actions = sb.simulator.actions;
  // Three commits an hour apart: the oldest, one whose date Bitbucket answers as a number, the newest.
  const pr = actions.openPullRequest({ repository: repo.slug, sourceBranch: 'feature/dates', commits: 1, closeSourceBranch: false });
  const commits = [...pr.commits];
  for (let i = 0; i < 2; i++) {
    sb.advance(HOUR);
    commits.push(...actions.pushToPullRequest({ repository: repo.slug, pullRequestId: pr.pullRequestId, commits: 1 }).commits);
  }
  sb.simulator.faults.add({ method: 'GET', path: `(${repo.uuid.replace(/[{}]/g, '')}[^/]*|/${repo.slug})/commits$`, corruptItem: { where: { hash: commits[1]! }, set: { date: 17 } } });
  // Git dates are whole seconds.
  const oldest = new Date(Math.floor(repo.commits.get(commits[0]!)!.date / 1_000_000) * 1000).toISOString();

  data(await call('connection/activate', {}));
  await backfillEnded(sb);
  const created = sb.sink.deliveries().find((d) => d.eventKey === 'pullrequest:created' && (d.body as { pullrequest: { id: number } }).pullrequest.id === pr.pullRequestId)!;
  const delivered = (created.body as { pandev: { pullrequest: { first_commit_at: string; commits: Array<{ hash: string }> } } }).pandev.pullrequest;
  expect(delivered.commits.map((c) => c.hash).sort()).toEqual([...commits].sort());
  expect(Date.parse(delivered.first_commit_at)).toBe(Date.parse(oldest));
});

it('says why a pull request has no first-commit time when Bitbucket answers every one of its commits without a date', async () => {
  sb = await backfillSandbox({ seed: 'commit-undated', repositories: 1 });
  const repo = [...sb.simulator.model.repositories.values()][0]!;
  const pr = sb.simulator.actions.openPullRequest({ repository: repo.slug, sourceBranch: 'feature/undated', commits: 2, closeSourceBranch: false });
    // Every commit of the feed dated null: passed on as no date (schema.ts, `passedOn`).
  sb.simulator.faults.add({ method: 'GET', path: `(${repo.uuid.replace(/[{}]/g, '')}[^/]*|/${repo.slug})/commits$`, corruptItem: { where: { type: 'commit' }, set: { date: null } } });

  data(await call('connection/activate', {}));
  await backfillEnded(sb);
  const created = sb.sink.deliveries().find((d) => d.eventKey === 'pullrequest:created' && (d.body as { pullrequest: { id: number } }).pullrequest.id === pr.pullRequestId)!;
  const delivered = (created.body as { pandev: { pullrequest: { first_commit_at: string | null; first_commit_unavailable?: string; commits: Array<{ hash: string }> } } }).pandev.pullrequest;
  expect(delivered.commits.map((c) => c.hash).sort()).toEqual([...pr.commits].sort());
  expect([delivered.first_commit_at, delivered.first_commit_unavailable]).toEqual([null, 'undated']);
  expect((await factsStore(hostStores(sb.host).store).pullRequest(repo.uuid, pr.pullRequestId))?.firstCommitUnavailable).toBe('undated');
  const said = sb.logs.filter((line) => /none of the pull request.s commits a date/.test(line.message) && line.message.includes(`"pullRequest":${pr.pullRequestId},`));
  expect(said).toHaveLength(1);
});
