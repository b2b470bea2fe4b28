import { backfillEnded, backfillRecords, backfillSandbox } from './backfill-sandbox';
import type { TestSandbox } from './helpers';
import { data, settingsCaller } from './settings-helpers';

// A release branch's pull request can hold hundreds of commits. The backfill keeps each pull request's
// commits between its phases in one stored value (Forge: 240 KiB), and its deliveries carry them under
// `pandev.pullrequest.commits` within Bitbucket's 256 KB: neither may cost the pull request its events.

let sb: TestSandbox;
const call = settingsCaller(() => sb);
afterEach(() => sb.stop());

it('replays a merged pull request of 900 commits with its first commit, each commit list whole or said to be cut', async () => {
  sb = await backfillSandbox({ seed: 'release-train', repositories: 1, pullRequestsPerRepository: 0 }, {}, { timeScale: 0.0001 });
  const [repo] = [...sb.simulator.model.repositories.values()];
  const opened = sb.simulator.actions.openPullRequest({ repository: repo!.slug, title: 'Release train', commits: 1 });
  const { pullRequestId, sourceBranch } = opened;
  sb.advance(3600_000);
  // Ordinary messages of a few lines: 900 of them alone come to more than 256 KB.
  const messages = Array.from({ length: 50 }, (_, i) => `Fix ${i} of the release\n\n${'Adjust the settings page and its tests.\n'.repeat(6)}`);
  const pushed = Array.from({ length: 18 }, () => sb.simulator.actions.pushCommits({ repository: repo!.slug, branch: sourceBranch, commits: 50, messages }).commits).flat();
  // Git dates are whole seconds.
  const firstCommitOn = new Date(Math.floor(repo!.commits.get(opened.commits[0]!)!.date / 1_000_000) * 1000).toISOString();
  sb.simulator.actions.mergePullRequest({ repository: repo!.slug, pullRequestId });
  data(await call('connection/activate', {}));
  await backfillEnded(sb);
  const [record] = await backfillRecords(sb);
  expect(record).toMatchObject({ state: 'done', skipped: [], skippedCount: 0 });

  const ofIt = sb.sink.deliveries().filter((d) => (d.body as any).pullrequest?.id === pullRequestId);
  expect(ofIt.map((d) => d.eventKey)).toEqual(expect.arrayContaining(['pullrequest:created', 'pullrequest:fulfilled']));
  const all = [opened.commits[0], ...pushed];
  for (const delivery of ofIt.filter((d) => d.eventKey === 'pullrequest:created' || d.eventKey === 'pullrequest:fulfilled')) {
    const extras = (delivery.body as any).pandev.pullrequest;
    const listed = extras.commits.map((c: { hash: string }) => c.hash);
    // Every commit, or some of them (not the first) and a word that the list is cut; the first commit's time either way.
    if (listed.length === all.length) expect({ listed: [...listed].sort(), truncated: extras.commits_truncated }).toEqual({ listed: [...all].sort(), truncated: undefined });
    else expect({ outside: listed.filter((hash: string) => !all.includes(hash)), first: listed.includes(opened.commits[0]), truncated: extras.commits_truncated }).toEqual({ outside: [], first: false, truncated: true });
    expect(Date.parse(extras.first_commit_at)).toBe(Date.parse(firstCommitOn));
  }
}, 180_000);

