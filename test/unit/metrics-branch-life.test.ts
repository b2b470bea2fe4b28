import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Change } from '../../src/core/change/change';
import { figuresFor } from '../../src/core/metrics/compute';
import { recordDelivered } from '../../src/core/metrics/recorder';
import { factsStore } from '../../src/core/metrics/store';
import { MemoryStore } from '../../src/sandbox/memory-store';
import { sharedDir } from '../helpers/shared';

// A pull request's first commit, live, from the pushes to its source branch, when the branch name is
// used again: drone/go-scm's webhooks are one repository's story (`develop` created, pull request #1
// from it merged, #2 from the same branch opened and declined, `develop` deleted). The `pandev`
// additions are what our push bodies carry beside the native ones: the ref and the commits listed.

const webhooks = path.join(sharedDir, 'fixtures', 'drone-go-scm/scm/driver/bitbucket/testdata/webhooks');
const present = existsSync(webhooks);
if (!present) console.log(`skipped: ${webhooks} is absent (the branch cases from real payloads need ../shared/fixtures)`);
const withFixtures = present ? it : it.skip;
const read = (name: string): any => JSON.parse(readFileSync(path.join(webhooks, name), 'utf8'));

function change(repository: string, at: string, kind: 'pullrequest' | 'push' = 'pullrequest'): Change {
  return { edition: 'cloud', workspace: '{w}', repository: { uuid: repository }, origin: 'trigger', at, kind, action: 'fulfilled', pullRequestId: 1 } as unknown as Change;
}

/** A native push body with the `pandev` part our body builder adds: the ref and its commits with parents. */
function pushBody(native: any, name: string, commits: Array<{ hash: string; date: string; parents: Array<{ hash: string }> }>) {
  return JSON.stringify({ ...native, pandev: { ref: { type: 'branch', name }, commits: commits.map((c) => ({ hash: c.hash, date: c.date, parents: c.parents.map((p) => p.hash) })) } });
}
const nativeCommits = (native: any) => native.push.changes[0].commits;

/** A pull request webhook from the story, recorded as delivered at its own `updated_on`. */
async function deliver(kv: MemoryStore, eventKey: string, fixture: string): Promise<any> {
  const body = read(fixture);
  await recordDelivered(kv, eventKey, change(body.repository.uuid, body.pullrequest.updated_on), JSON.stringify(body));
  return body;
}

/** The story's start: `develop` is created with two commits (20:22 and 20:26). */
async function developCreated() {
  const created = read('push_branch_create.json');
  const repository = created.repository.uuid as string;
  const kv = new MemoryStore({ now: () => Date.UTC(2018, 6, 3) });
  await recordDelivered(kv, 'repo:push', change(repository, '2018-07-02T20:27:00+00:00', 'push'), pushBody(created, 'develop', nativeCommits(created)));
  return { created, repository, kv, facts: factsStore(kv) };
}

withFixtures('a second pull request from a reused branch starts at the first push after the first one closed', async () => {
  // `develop` is created, and pull request #1 merges it into master.
  const { repository, kv, facts } = await developCreated();
  await deliver(kv, 'pullrequest:created', 'pr_created.json');
  const merged = await deliver(kv, 'pullrequest:fulfilled', 'pr_fulfilled.json');
  expect((await facts.pullRequest(repository, 1))?.firstCommitOn).toBe('2018-07-02T20:22:41+00:00');

  // Work for the next release: one commit pushed to `develop` after the merge (the real push, moved).
  const push = read('push.json');
  const next = { ...nativeCommits(push)[0], hash: 'e'.repeat(40), date: '2018-07-03T01:35:00+00:00', parents: [{ hash: merged.pullrequest.merge_commit.hash }] };
  await recordDelivered(kv, 'repo:push', change(repository, '2018-07-03T01:35:10+00:00', 'push'), pushBody(push, 'develop', [next]));
  // Pull request #2 from `develop`, opened 01:39 and declined 01:44.
  await deliver(kv, 'pullrequest:rejected', 'pr_declined.json');
  const second = (await facts.pullRequest(repository, 2))!;
  expect(second.firstCommitOn).toBe('2018-07-03T01:35:00+00:00');
  // #1 keeps its own, even when the figures look the branch up again.
  const figures = await figuresFor(facts, (await facts.pullRequest(repository, 1))!, Date.UTC(2018, 6, 4));
  expect(figures.pr.coding).toEqual({ seconds: 3600 + 28 * 60 + 58 }); // 20:22:41 → 21:51:39.5
});

withFixtures('a pull request opened after its branch closed a life, with no push since, has no first commit rather than the old one', async () => {
  const { repository, kv, facts } = await developCreated();
  await deliver(kv, 'pullrequest:fulfilled', 'pr_fulfilled.json');
  await deliver(kv, 'pullrequest:rejected', 'pr_declined.json');
  expect(await facts.pullRequest(repository, 2)).toMatchObject({ firstCommitUnavailable: 'source-unknown' });
  expect((await facts.pullRequest(repository, 2))?.firstCommitOn).toBeUndefined();
});

withFixtures('a deleted and recreated branch forgets its force push and its old first commit; a late push of the old life changes nothing', async () => {
  const { created, repository, kv, facts } = await developCreated();
  const push = read('push.json');
  const forced = { ...push, push: { changes: [{ ...push.push.changes[0], forced: true }] } };
  await recordDelivered(kv, 'repo:push', change(repository, '2018-07-02T20:40:00+00:00', 'push'), pushBody(forced, 'develop', nativeCommits(push)));
  expect(await facts.branch(repository, 'develop')).toMatchObject({ forced: true, firstCommitOn: '2018-07-02T20:22:41+00:00' });

  const deleted = read('push_branch_delete.json');
  await recordDelivered(kv, 'repo:push', change(repository, '2018-07-03T09:00:00+00:00', 'push'), pushBody(deleted, 'develop', []));
  const again = { ...nativeCommits(created)[0], hash: 'f'.repeat(40), date: '2018-07-03T09:30:00+00:00' };
  await recordDelivered(kv, 'repo:push', change(repository, '2018-07-03T09:31:00+00:00', 'push'), pushBody(created, 'develop', [again]));
  expect(await facts.branch(repository, 'develop')).toMatchObject({ forced: false, firstCommitOn: '2018-07-03T09:30:00+00:00', since: '2018-07-03T09:31:00+00:00' });
  // The old life's force push, delivered late, is not this life's.
  await recordDelivered(kv, 'repo:push', change(repository, '2018-07-02T20:40:00+00:00', 'push'), pushBody(forced, 'develop', nativeCommits(push)));
  expect(await facts.branch(repository, 'develop')).toMatchObject({ forced: false, firstCommitOn: '2018-07-03T09:30:00+00:00' });
});

withFixtures('a branch made from develop is measured against the pull request\'s destination, not the main branch', async () => {
  // The first push of feature/x lists its commits the main branch lacks: develop's two unreleased
  // commits (d1, d2) and its own (f1). Its pull request goes into develop, whose head is d2.
  const created = read('push_branch_create.json');
  const repository = created.repository.uuid as string;
  const kv = new MemoryStore({ now: () => Date.UTC(2018, 6, 3) });
  const base = nativeCommits(created)[0];
  const commit = (c: string, date: string, parent: string) => ({ ...base, hash: c.repeat(40), date, parents: [{ hash: parent.repeat(40) }] });
  const listed = [commit('f', '2018-07-02T20:30:00+00:00', 'd'), commit('d', '2018-07-01T12:00:00+00:00', 'c'), commit('c', '2018-06-30T12:00:00+00:00', '0')];
  await recordDelivered(kv, 'repo:push', change(repository, '2018-07-02T20:31:00+00:00', 'push'), pushBody(created, 'feature/x', listed));
  const opened = read('pr_created.json');
  const pr = { ...opened.pullrequest, source: { ...opened.pullrequest.source, branch: { name: 'feature/x' }, commit: { hash: 'f'.repeat(12) } }, destination: { ...opened.pullrequest.destination, branch: { name: 'develop' }, commit: { hash: 'd'.repeat(12) } } };
  await recordDelivered(kv, 'pullrequest:created', change(repository, pr.created_on), JSON.stringify({ ...opened, pullrequest: pr }));
  // Delivering it reads no commits; its figures (the comment, the card) measure it against develop.
  const stored = (await factsStore(kv).pullRequest(repository, pr.id))!;
  const figures = await figuresFor(factsStore(kv), stored, Date.UTC(2018, 6, 3));
  expect(figures.pr.coding).toEqual({ seconds: Math.floor(Date.parse(pr.created_on) / 1000) - Date.parse('2018-07-02T20:30:00+00:00') / 1000 });
});
