import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Change } from '../../src/core/change/change';
import { figuresFor } from '../../src/core/metrics/compute';
import { recordDelivered } from '../../src/core/metrics/recorder';
import { factsStore } from '../../src/core/metrics/store';
import { MemoryStore } from '../../src/sandbox/memory-store';
import { sharedDir } from '../helpers/shared';

// A pull request from a fork names a branch of the fork: its pushes happen in another repository,
// which the app does not watch. jenkinsci's bitbucket-branch-source fixtures are one such story:
// cloudbeers/temp gets pull request #3 from stephenc/temp-fork's `main` into its own `main`.

const events = path.join(sharedDir, 'fixtures', 'jenkinsci-bitbucket-branch-source-plugin/src/test/resources/com/cloudbees/jenkins/plugins/bitbucket/client/events/BitbucketCloudPullRequestEventTest');
const present = existsSync(events);
if (!present) console.log(`skipped: ${events} is absent (the fork cases from real payloads need ../shared/fixtures)`);
const withFixtures = present ? it : it.skip;
const read = (name: string): any => JSON.parse(readFileSync(path.join(events, name), 'utf8'));

function change(repository: string, at: string, kind: 'pullrequest' | 'push' = 'pullrequest'): Change {
  return { edition: 'cloud', workspace: '{w}', repository: { uuid: repository }, origin: 'trigger', at, kind, action: 'fulfilled', pullRequestId: 3 } as unknown as Change;
}

/** The destination repository's own `main` gets a push: a week-old commit, as our push bodies list it. */
async function localMainPushed(kv: MemoryStore, repository: string) {
  const body = { push: { changes: [{ forced: false, created: false, closed: false }] }, pandev: { ref: { type: 'branch', name: 'main' }, commits: [{ hash: 'a'.repeat(40), date: '2017-02-27T09:00:00+00:00', parents: ['b'.repeat(40)] }] } };
  await recordDelivered(kv, 'repo:push', change(repository, '2017-03-06T09:00:00+00:00', 'push'), JSON.stringify(body));
}

withFixtures('a fork\'s pull request does not take the first commit of the destination\'s branch of the same name', async () => {
  const opened = read('createPayloadFork.json');
  const repository = opened.repository.uuid as string;
  expect(opened.pullrequest.source.repository.uuid).not.toBe(repository);
  const kv = new MemoryStore({ now: () => Date.UTC(2017, 2, 7) });
  const facts = factsStore(kv);
  await localMainPushed(kv, repository);

  await recordDelivered(kv, 'pullrequest:created', change(repository, opened.pullrequest.created_on), JSON.stringify(opened));
  const stored = (await facts.pullRequest(repository, 3))!;
  expect(stored.firstCommitOn).toBeUndefined();
  expect(stored.firstCommitUnavailable).toBe('fork');
  // Nor when the figures look the branch up again (the card, the comment).
  const figures = await figuresFor(facts, stored, Date.UTC(2017, 2, 7), true);
  expect(figures.pr.coding).toEqual({ unavailable: 'first commit not seen: the pull request comes from a fork, whose pushes the app does not see' });
});

withFixtures('closing a fork\'s pull request leaves the destination\'s branch of the same name as it was', async () => {
  const declined = read('rejectedPayload.json');
  const repository = declined.repository.uuid as string;
  const kv = new MemoryStore({ now: () => Date.UTC(2017, 2, 7) });
  const facts = factsStore(kv);
  await localMainPushed(kv, repository);
  const before = await facts.branch(repository, 'main');

  await recordDelivered(kv, 'pullrequest:rejected', change(repository, declined.pullrequest.updated_on), JSON.stringify(declined));
  // The local `main` keeps its life: a later pull request from it still counts its earlier pushes.
  expect(await facts.branch(repository, 'main')).toEqual(before);
});

withFixtures('a pull request from a branch of the repository itself still takes its branch\'s first commit', async () => {
  const opened = read('createPayloadOrigin.json');
  const repository = opened.repository.uuid as string;
  const kv = new MemoryStore({ now: () => Date.UTC(2017, 2, 7) });
  const body = { push: { changes: [{ created: true }] }, pandev: { ref: { type: 'branch', name: 'foo' }, commits: [{ hash: opened.pullrequest.source.commit.hash.padEnd(40, '0'), date: '2017-03-06T10:00:00+00:00', parents: [] }] } };
  await recordDelivered(kv, 'repo:push', change(repository, '2017-03-06T10:01:00+00:00', 'push'), JSON.stringify(body));
  await recordDelivered(kv, 'pullrequest:created', change(repository, opened.pullrequest.created_on), JSON.stringify(opened));
  expect((await factsStore(kv).pullRequest(repository, 1))?.firstCommitOn).toBe('2017-03-06T10:00:00+00:00');
});

withFixtures('a backfilled fork\'s pull request says it comes from a fork, not that its commits went unseen', async () => {
  // The backfill walks the destination's commit graph, which has none of the fork's commits.
  const opened = read('createPayloadFork.json');
  const repository = opened.repository.uuid as string;
  const kv = new MemoryStore({ now: () => Date.UTC(2017, 2, 7) });
  const facts = factsStore(kv);
  for (const unavailable of ['source-unknown', 'older-than-window']) {
    const body = { ...opened, pandev: { pullrequest: { commits: [], first_commit_at: null, first_commit_unavailable: unavailable } } };
    await recordDelivered(kv, 'pullrequest:created', change(repository, opened.pullrequest.created_on), JSON.stringify(body));
    const stored = (await facts.pullRequest(repository, 3))!;
    expect([unavailable, stored.firstCommitUnavailable]).toEqual([unavailable, 'fork']);
    const figures = await figuresFor(facts, stored, Date.UTC(2017, 2, 7), true);
    expect(figures.pr.coding).toEqual({ unavailable: 'first commit not seen: the pull request comes from a fork, whose pushes the app does not see' });
  }
});
