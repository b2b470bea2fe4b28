import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fixturesDir, fixturesPresent } from '../helpers/shared';
import { testSandbox, type TestSandbox } from '../e2e/helpers';
import { keyPaths, missingKeyPaths, type PathTypes } from './key-paths';

// Issue 2, item 10: for every Bitbucket Cloud webhook fixture in ../shared/fixtures (real payloads from
// drone/go-scm and the Jenkins Bitbucket plugin), the body our app delivers for the same event key
// contains every key path of the real one, with the same JSON types. Our bodies come from the whole
// pipeline: simulator → Forge event → local Forge host → real app → PanDev receiver.

const goScm = 'drone-go-scm/scm/driver/bitbucket/testdata/webhooks';
const jenkins = 'jenkinsci-bitbucket-branch-source-plugin/src/test/resources/com/cloudbees/jenkins/plugins/bitbucket';
const fixtures: Record<string, string> = {
  [`${goScm}/pr_created.json`]: 'pullrequest:created',
  [`${goScm}/pr_updated.json`]: 'pullrequest:updated',
  [`${goScm}/pr_fulfilled.json`]: 'pullrequest:fulfilled',
  [`${goScm}/pr_declined.json`]: 'pullrequest:rejected',
  [`${goScm}/pr_comment_created.json`]: 'pullrequest:comment_created',
  [`${goScm}/pr_comment_deleted.json`]: 'pullrequest:comment_deleted',
  [`${goScm}/push.json`]: 'repo:push',
  [`${goScm}/push_branch_create.json`]: 'repo:push',
  [`${goScm}/push_branch_delete.json`]: 'repo:push',
  [`${goScm}/push_tag_create.json`]: 'repo:push',
  [`${goScm}/push_tag_delete.json`]: 'repo:push',
  [`${goScm}/pipeline_hook_created.json`]: 'repo:commit_status_created',
  [`${goScm}/pipeline_hook_update.json`]: 'repo:commit_status_updated',
  [`${jenkins}/impl/webhook/cloud/pullrequest_created.json`]: 'pullrequest:created',
  [`${jenkins}/impl/webhook/cloud/pullrequest_updated.json`]: 'pullrequest:updated',
  [`${jenkins}/impl/webhook/cloud/pullrequest_rejected.json`]: 'pullrequest:rejected',
  [`${jenkins}/impl/webhook/cloud/commit_created.json`]: 'repo:push',
  [`${jenkins}/impl/webhook/cloud/branch_created.json`]: 'repo:push',
  [`${jenkins}/impl/webhook/cloud/branch_deleted.json`]: 'repo:push',
  [`${jenkins}/impl/webhook/cloud/tag_created.json`]: 'repo:push',
  [`${jenkins}/impl/webhook/cloud/annotated_tag_created.json`]: 'repo:push',
  [`${jenkins}/impl/webhook/cloud/tag_deleted.json`]: 'repo:push',
  [`${jenkins}/impl/webhook/cloud/signed_payload.json`]: 'repo:push',
  [`${jenkins}/client/events/BitbucketCloudPushEventTest/createPayload.json`]: 'repo:push',
  [`${jenkins}/client/events/BitbucketCloudPushEventTest/updatePayload.json`]: 'repo:push',
  [`${jenkins}/client/events/BitbucketCloudPushEventTest/newTagPayload.json`]: 'repo:push',
  [`${jenkins}/client/events/BitbucketCloudPushEventTest/multipleChangesPayload.json`]: 'repo:push',
  [`${jenkins}/client/events/BitbucketCloudPushEventTest/emptyPayload.json`]: 'repo:push',
  [`${jenkins}/client/events/BitbucketCloudPullRequestEventTest/createPayloadOrigin.json`]: 'pullrequest:created',
  [`${jenkins}/client/events/BitbucketCloudPullRequestEventTest/createPayloadFork.json`]: 'pullrequest:created',
  [`${jenkins}/client/events/BitbucketCloudPullRequestEventTest/updatePayload_newCommit.json`]: 'pullrequest:updated',
  [`${jenkins}/client/events/BitbucketCloudPullRequestEventTest/updatePayload_newDestination.json`]: 'pullrequest:updated',
  [`${jenkins}/client/events/BitbucketCloudPullRequestEventTest/updatePayload_newDestinationCommit.json`]: 'pullrequest:updated',
  [`${jenkins}/client/events/BitbucketCloudPullRequestEventTest/fulfilledPayload.json`]: 'pullrequest:fulfilled',
  [`${jenkins}/client/events/BitbucketCloudPullRequestEventTest/rejectedPayload.json`]: 'pullrequest:rejected',
};

/** Fields Bitbucket itself stopped sending: `username` was removed from every account object in 2019 (GDPR). */
const removedByBitbucket = /(^|\.)username$/;


let sb: TestSandbox;
const ours = new Map<string, PathTypes>();

beforeAll(async () => {
  if (!fixturesPresent) return;
  sb = await testSandbox({ simulator: { seed: 'conformance', repositories: 5 } });
  const a = sb.simulator.actions;
  // A repository with a website: webhooks show it as a string (and as null where there is none).
  const repository = [...sb.simulator.model.repositories.values()].find((r) => r.website)!.slug;
  const users = sb.simulator.model.users.map((u) => u.uuid);
  const step = async (fn: () => unknown) => {
    fn();
    await sb.settle();
  };
  const pr = a.openPullRequest({ repository, reviewers: users.slice(1, 3), description: 'Closes #1' });
  const id = pr.pullRequestId;
  await sb.settle();
  await step(() => a.approvePullRequest({ repository, pullRequestId: id }));
  await step(() => a.updatePullRequest({ repository, pullRequestId: id, title: 'A better title' }));
  const { commentId } = a.addComment({ repository, pullRequestId: id, content: 'Nice work' });
  await sb.settle();
  await step(() => a.deleteComment({ repository, pullRequestId: id, commentId }));
  await step(() => a.mergePullRequest({ repository, pullRequestId: id }));
  const other = a.openPullRequest({ repository });
  await sb.settle();
  await step(() => a.declinePullRequest({ repository, pullRequestId: other.pullRequestId }));
  const pushed = a.pushCommits({ repository, commits: 3 });
  await sb.settle();
  await step(() => a.createBranch({ repository, name: 'feature/conformance' }));
  await step(() => a.pushCommits({ repository, branch: 'feature/conformance', commits: 1 }));
  await step(() => a.deleteBranch({ repository, name: 'feature/conformance' }));
  await step(() => a.createTag({ repository, name: 'conformance-1' }));
  await step(() => a.createTag({ repository, name: 'conformance-2', message: 'Release 1.1' }));
  await step(() => a.deleteTag({ repository, name: 'conformance-1' }));
  await step(() => a.setBuildStatus({ repository, commit: pushed.commits[2]!, key: 'pipeline', state: 'INPROGRESS', refname: 'main' }));
  await step(() => a.setBuildStatus({ repository, commit: pushed.commits[2]!, key: 'pipeline', state: 'SUCCESSFUL', refname: 'main' }));
  for (const delivery of sb.sink.deliveries()) keyPaths(delivery.body, ours.get(delivery.eventKey) ?? ours.set(delivery.eventKey, new Map()).get(delivery.eventKey));
}, 60_000);
afterAll(() => sb?.stop());

describe.each(Object.entries(fixtures))('%s', (fixture, eventKey) => {
  it(`our ${eventKey} body has every key path of the real payload, with the same types`, () => {
    if (!fixturesPresent) return console.warn(`skipped: ${fixturesDir} is absent`);
    const real = keyPaths(JSON.parse(readFileSync(path.join(fixturesDir, fixture), 'utf8')));
    const mine = ours.get(eventKey);
    expect(mine).toBeDefined();
    expect(missingKeyPaths(real, mine!, removedByBitbucket)).toEqual([]);
  });
});
