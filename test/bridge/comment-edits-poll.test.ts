import { dcEnv, inProcessBridge, postWebhook, projectRepositories, settledPass, webhooksHandled, type DcEnv } from './helpers';

// A comment edited while its webhook was lost (or webhooks are off) reaches PanDev by the poll, under
// the id the webhook would have had. Whether Data Center lists the edit as an activity of its own is
// not in its spec (RestPullRequestActivity models neither `commentAction` nor `comment`), and the
// captured feeds (go-scm stash/testdata/pr_comments.json) show ADDED items only, each with the comment
// as it is now (`version`, `updatedDate`: RestComment). Both kinds of instance are played here.

type Running = Awaited<ReturnType<typeof inProcessBridge>>;

describe.each([
  ['lists edits as activities of their own (javadoc: COMMENTED is "added, deleted, edited or replied to")', true],
  ['lists only the ADDED item, the comment in it as now (as the captured feeds show)', false],
])('an instance that %s', (_name, commentEditActivities) => {
  let env: DcEnv;
  let running: Running;
  /** How far Data Center's clock runs ahead of real time, so an edit is a second after its comment. */
  let ahead = 0;
  beforeAll(async () => {
    env = await dcEnv({ seed: 'comment-edits', projects: 1, repositoriesPerProject: 1, pullRequestsPerRepository: 2, corruptPullRequest: false, commentEditActivities, clock: { now: () => Date.now() + ahead } });
    running = await inProcessBridge(env.config());
    await settledPass(running);
  });
  afterAll(async () => {
    await running.stop();
    await env.stop();
  });

  it('has the poll report an edit made between two passes once, and the late webhook of that edit add nothing', async () => {
    const repo = projectRepositories(env.sim)[0]!;
    const repository = `${repo.projectKey}/${repo.slug}`;
    const a = env.sim.actions;
    const { pullRequestId } = a.openPullRequest({ repository, title: 'A comment is edited' });
    const { commentId } = a.addComment({ repository, pullRequestId, text: 'Please add a test' });
    ahead += 2000;
    const [edit] = a.editComment({ repository, pullRequestId, commentId, text: 'Please add two tests' }).events;
    await settledPass(running);
    await settledPass(running);

    const delivered = () => env.sink.deliveries().filter((d) => (d.body as any).pullRequest?.id === pullRequestId && (d.body as any).pullRequest.toRef.repository.id === repo.id);
    const comments = () => delivered().filter((d) => d.eventKey.startsWith('pr:comment:')).map((d) => `${d.eventKey} ${d.headers['x-pandev-origin']}`).sort();
    expect(comments()).toEqual(['pr:comment:added poll', 'pr:comment:edited poll']);
    const edited = delivered().find((d) => d.eventKey === 'pr:comment:edited')!.body as any;
    expect([edited.comment.id, edited.comment.text, edited.comment.version]).toEqual([commentId, 'Please add two tests', 1]);
    // The webhook's `date` is the edit's; the poll dates it the same way.
    expect(edited.date).toBe((edit!.body as any).date);

    const duplicates = env.sink.duplicates();
    expect((await postWebhook(running, edit!)).status).toBe(202);
    await webhooksHandled(running);
    await settledPass(running);
    expect(comments()).toEqual(['pr:comment:added poll', 'pr:comment:edited poll']);
    expect(env.sink.duplicates()).toBe(duplicates);
  });
});
