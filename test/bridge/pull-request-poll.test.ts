import { inProcessBridge, oneRepositoryBridge, settledPass, type DcEnv } from './helpers';

// What the poll makes of a pull request's life between two passes, read from the simulator's activity
// feed and REST answers only (no webhooks): each event as Data Center's own webhook would have shown it.

let env: DcEnv;
let running: Awaited<ReturnType<typeof inProcessBridge>>;
let repository: string;
let stop: () => Promise<void>;
beforeAll(async () => ({ env, running, repository, stop } = await oneRepositoryBridge({ seed: 'pull-request-poll', pullRequestsPerRepository: 3 })));
afterAll(() => stop());

/** Enough passes that a quiet repository reads its pull requests at least once. */
async function passes(): Promise<void> {
  for (let i = 0; i < 2; i++) await settledPass(running);
}

const eventsOf = (id: number, eventKey: string) => env.sink.deliveries().filter((d) => d.eventKey === eventKey && (d.body as any).pullRequest.id === id).map((d) => d.body as any);

describe('a pull request declined and reopened', () => {
  it('still has its later title change found (pr:modified), against the title it had before', async () => {
    const a = env.sim.actions;
    const pr = a.openPullRequest({ repository, title: 'Reopen me' });
    await passes();
    a.declinePullRequest({ repository, pullRequestId: pr.pullRequestId });
    await passes();
    a.reopenPullRequest({ repository, pullRequestId: pr.pullRequestId });
    a.updatePullRequest({ repository, pullRequestId: pr.pullRequestId, title: 'Reopened and renamed' });
    await passes();
    const modified = eventsOf(pr.pullRequestId, 'pr:modified');
    expect(modified.map((body) => [body.previousTitle, body.pullRequest.title])).toEqual([['Reopen me', 'Reopened and renamed']]);
    expect(env.sink.duplicates()).toBe(0);
  });

  it('declined again is a second pr:declined, under an id of its own', async () => {
    const a = env.sim.actions;
    const pr = a.openPullRequest({ repository, title: 'Declined twice' });
    await passes();
    a.declinePullRequest({ repository, pullRequestId: pr.pullRequestId });
    await passes();
    a.reopenPullRequest({ repository, pullRequestId: pr.pullRequestId });
    // Data Center 10.x dates to the second: a later second is what tells the two declines apart.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    a.declinePullRequest({ repository, pullRequestId: pr.pullRequestId });
    await passes();
    const declined = env.sink.deliveries().filter((d) => d.eventKey === 'pr:declined' && (d.body as any).pullRequest.id === pr.pullRequestId);
    expect(declined).toHaveLength(2);
    expect(new Set(declined.map((d) => d.id)).size).toBe(2);
    expect(env.sink.duplicates()).toBe(0);
  });
});

describe('pushes to a pull request between two passes', () => {
  it('are one pr:from_ref_updated each, whose pull request shows the source tip that push made', async () => {
    const a = env.sim.actions;
    const pr = a.openPullRequest({ repository, title: 'Two pushes', commits: 1 });
    const opened = pr.commits.at(-1);
    const first = a.pushToPullRequest({ repository, pullRequestId: pr.pullRequestId, commits: 1 }).commits.at(-1);
    const second = a.pushToPullRequest({ repository, pullRequestId: pr.pullRequestId, commits: 1 }).commits.at(-1);
    await passes();
    expect(eventsOf(pr.pullRequestId, 'pr:opened').map((body) => body.pullRequest.fromRef.latestCommit)).toEqual([opened]);
    const updates = eventsOf(pr.pullRequestId, 'pr:from_ref_updated').map((body) => [body.previousFromHash, body.pullRequest.fromRef.latestCommit]);
    expect(updates).toEqual([[opened, first], [first, second]]);
  });
});

describe('a reply to a comment', () => {
  it('is a pr:comment:added, as its webhook is, though Data Center records it as a REPLIED activity', async () => {
    const a = env.sim.actions;
    const pr = a.openPullRequest({ repository, title: 'Discussed' });
    const { commentId } = a.addComment({ repository, pullRequestId: pr.pullRequestId, text: 'Why retry here?' });
    const reply = a.addComment({ repository, pullRequestId: pr.pullRequestId, text: 'The API is flaky.', parentId: commentId });
    await passes();
    expect(eventsOf(pr.pullRequestId, 'pr:comment:added').map((body) => body.comment.id).sort()).toEqual([commentId, reply.commentId].sort());
  });
});
