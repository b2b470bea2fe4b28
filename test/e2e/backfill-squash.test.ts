import { figuresFor } from '../../src/core/metrics/compute';
import { factsStore } from '../../src/core/metrics/store';
import { hostStores } from '../../src/sandbox/host-store';
import { backfillEnded, backfillSandbox } from './backfill-sandbox';
import type { TestSandbox } from './helpers';
import { data, settingsCaller } from './settings-helpers';

// A branch made from a feature branch that Bitbucket squash-merged first: the squash commit's only
// parent is main's old head, so main never reaches the feature branch's commits by hash. The backfill
// must not count them as the second pull request's work too.

let sb: TestSandbox;
const call = settingsCaller(() => sb);
afterEach(() => sb.stop());

const HOUR = 3_600_000;


it('a pull request made from a squash-merged feature branch is measured from its own first commit', async () => {
  sb = await backfillSandbox({ seed: 'squash', repositories: 1 });
  const repo = [...sb.simulator.model.repositories.values()][0]!;
  const actions = sb.simulator.actions;
  // feature/a: two commits, pull request #a. feature/b, made from a's head a day later: one commit.
  const a = actions.openPullRequest({ repository: repo.slug, sourceBranch: 'feature/a', commits: 2, closeSourceBranch: false });
  sb.advance(24 * HOUR);
  actions.createBranch({ repository: repo.slug, name: 'feature/b', from: 'feature/a' });
  const b = actions.openPullRequest({ repository: repo.slug, sourceBranch: 'feature/b', commits: 1, closeSourceBranch: false });
  sb.advance(HOUR);
  actions.mergePullRequest({ repository: repo.slug, pullRequestId: a.pullRequestId, strategy: 'squash' });
  sb.advance(HOUR);
  actions.mergePullRequest({ repository: repo.slug, pullRequestId: b.pullRequestId, strategy: 'squash' });
  // Git dates are whole seconds.
  const ownFirst = new Date(Math.floor(repo.commits.get(b.commits[0]!)!.date / 1_000_000) * 1000).toISOString();

  data(await call('connection/activate', {}));
  await backfillEnded(sb);
  const created = sb.sink.deliveries().find((d) => d.eventKey === 'pullrequest:created' && (d.body as any).pullrequest.id === b.pullRequestId)!;
  expect(Date.parse((created.body as any).pandev.pullrequest.first_commit_at)).toBe(Date.parse(ownFirst));
  expect((created.body as any).pandev.pullrequest.commits.map((c: { hash: string }) => c.hash)).toEqual(b.commits);
  // And its coding time, as the comment and the card show it.
  const facts = factsStore(hostStores(sb.host).store);
  const stored = (await facts.pullRequest(repo.uuid, b.pullRequestId))!;
  const figures = await figuresFor(facts, stored, Date.now() + 2 * 24 * HOUR);
  expect(figures.pr.coding).toEqual({ seconds: Math.max(0, Math.floor((Date.parse(stored.createdOn) - Date.parse(ownFirst)) / 1000)) });
});

it('a fast-forwarded pull request is measured from its first commit, all its commits counted', async () => {
  sb = await backfillSandbox({ seed: 'fast-forward', repositories: 1 });
  const repo = [...sb.simulator.model.repositories.values()][0]!;
  const actions = sb.simulator.actions;
  // Three commits on a branch made from main's head, merged with no merge commit: main moves to its head.
  const opened = actions.openPullRequest({ repository: repo.slug, sourceBranch: 'feature/ff', commits: 3, closeSourceBranch: false });
  sb.advance(HOUR);
  const { mergeCommit } = actions.mergePullRequest({ repository: repo.slug, pullRequestId: opened.pullRequestId, strategy: 'fast_forward' });
  expect(mergeCommit).toBe(opened.commits.at(-1));
  const ownFirst = new Date(Math.floor(repo.commits.get(opened.commits[0]!)!.date / 1_000_000) * 1000).toISOString();

  data(await call('connection/activate', {}));
  await backfillEnded(sb);
  const created = sb.sink.deliveries().find((d) => d.eventKey === 'pullrequest:created' && (d.body as any).pullrequest.id === opened.pullRequestId)!;
  expect((created.body as any).pandev.pullrequest.commits.map((c: { hash: string }) => c.hash).sort()).toEqual([...opened.commits].sort());
  expect(Date.parse((created.body as any).pandev.pullrequest.first_commit_at)).toBe(Date.parse(ownFirst));
});
