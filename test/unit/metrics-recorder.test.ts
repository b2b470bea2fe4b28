import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Change } from '../../src/core/change/change';
import { figuresFor } from '../../src/core/metrics/compute';
import { COMMENT_MARKER } from '../../src/core/metrics/marker';
import { isRevertTitle, recordDelivered } from '../../src/core/metrics/recorder';
import { factsStore } from '../../src/core/metrics/store';
import { MemoryStore } from '../../src/sandbox/memory-store';
import { sharedDir } from '../helpers/shared';

// The recorder keeps the metrics' facts from delivered bodies: real Bitbucket Cloud webhook bodies
// (drone/go-scm's fixtures, the native shape our bodies share) and the `pandev` additions of our own.

const webhooks = path.join(sharedDir, 'fixtures', 'drone-go-scm/scm/driver/bitbucket/testdata/webhooks');
const present = existsSync(webhooks);
if (!present) console.log(`skipped: ${webhooks} is absent (the recorder cases from real payloads need ../shared/fixtures)`);
const withFixtures = present ? it : it.skip;
const read = (name: string): string => readFileSync(path.join(webhooks, name), 'utf8');

const store = () => new MemoryStore({ now: () => Date.UTC(2026, 10, 25) });
function change(repository: string, at: string, kind: 'pullrequest' | 'push' | 'deployment' = 'pullrequest'): Change {
  return { edition: 'cloud', workspace: '{w}', repository: { uuid: repository }, origin: 'live', at, kind, action: 'fulfilled', pullRequestId: 1 } as unknown as Change;
}

withFixtures('keeps a merged pull request from the real fulfilled webhook and asks for its comment', async () => {
  const body = JSON.parse(read('pr_fulfilled.json'));
  const repository = body.repository.uuid as string;
  const kv = store();
  const work = await recordDelivered(kv, 'pullrequest:fulfilled', change(repository, body.pullrequest.updated_on), JSON.stringify(body));
  expect(work).toEqual([{ pullRequestId: body.pullrequest.id }]);
  const facts = await factsStore(kv).pullRequest(repository, body.pullrequest.id);
  expect(facts).toMatchObject({
    state: 'MERGED',
    createdOn: body.pullrequest.created_on,
    mergedOn: body.pullrequest.updated_on,
    mergeCommit: body.pullrequest.merge_commit.hash,
    author: body.pullrequest.author.uuid,
    sourceBranch: body.pullrequest.source.branch.name,
    // The live path never saw the branch's first push.
    firstCommitUnavailable: 'source-unknown',
  });
});

withFixtures('takes a comment by someone else as the first review, and the author\'s own as none', async () => {
  const body = JSON.parse(read('pr_comment_created.json'));
  const repository = body.repository.uuid as string;
  const kv = store();
  const own = { ...body, comment: { ...body.comment, user: body.pullrequest.author } };
  await recordDelivered(kv, 'pullrequest:comment_created', change(repository, body.comment.created_on), JSON.stringify(own));
  expect((await factsStore(kv).pullRequest(repository, body.pullrequest.id))?.firstReview).toBeUndefined();
  // Nor is the app's own DORA comment, whoever Bitbucket says wrote it.
  const ours = { ...body, comment: { ...body.comment, user: { uuid: '{the-app}' }, content: { raw: `${COMMENT_MARKER}\n\nfigures` } } };
  await recordDelivered(kv, 'pullrequest:comment_created', change(repository, body.comment.created_on), JSON.stringify(ours));
  expect((await factsStore(kv).pullRequest(repository, body.pullrequest.id))?.firstReview).toBeUndefined();
  const other = { ...body, comment: { ...body.comment, user: { uuid: '{someone-else}' } } };
  await recordDelivered(kv, 'pullrequest:comment_created', change(repository, body.comment.created_on), JSON.stringify(other));
  expect((await factsStore(kv).pullRequest(repository, body.pullrequest.id))?.firstReview).toEqual({ at: body.comment.created_on, by: '{someone-else}', kind: 'comment' });
});

withFixtures('takes a reply that quotes the app\'s DORA comment as a review: the quote is the person\'s', async () => {
  const body = JSON.parse(read('pr_comment_created.json'));
  const repository = body.repository.uuid as string;
  const kv = store();
  // Bitbucket's quote: every line of the raw text, marker included, behind "> ".
  const quote = { ...body, comment: { ...body.comment, user: { uuid: '{someone-else}' }, content: { raw: `> ${COMMENT_MARKER}\n>\n> figures\n\nWhy so long?` } } };
  await recordDelivered(kv, 'pullrequest:comment_created', change(repository, body.comment.created_on), JSON.stringify(quote));
  expect((await factsStore(kv).pullRequest(repository, body.pullrequest.id))?.firstReview).toEqual({ at: body.comment.created_on, by: '{someone-else}', kind: 'comment' });
});

withFixtures('keeps a merged pull request merged when an approval built before the merge is delivered after it', async () => {
  // The approval's body was built while the pull request was open (pr_updated.json, updated_on 21:54),
  // then waited in the outbox for a retry; the merge (updated_on 01:28 the next day) got through first.
  const merged = JSON.parse(read('pr_fulfilled.json'));
  const repository = merged.repository.uuid as string;
  const mergedAt = merged.pullrequest.updated_on as string;
  const kv = store();
  await recordDelivered(kv, 'pullrequest:fulfilled', change(repository, mergedAt), JSON.stringify(merged));
  const approval = { ...JSON.parse(read('pr_updated.json')), approval: { date: '2018-07-02T22:00:00+00:00', user: { uuid: '{reviewer}' } } };
  expect(approval.pullrequest.state).toBe('OPEN');
  await recordDelivered(kv, 'pullrequest:approved', change(repository, '2018-07-02T22:00:00+00:00'), JSON.stringify(approval));
  const facts = factsStore(kv);
  const stored = (await facts.pullRequest(repository, merged.pullrequest.id))!;
  expect(stored).toMatchObject({ state: 'MERGED', mergedOn: mergedAt, mergeCommit: merged.pullrequest.merge_commit.hash, updatedOn: mergedAt });
  // The late body still tells its review.
  expect(stored.firstReview).toEqual({ at: '2018-07-02T22:00:00+00:00', by: '{reviewer}', kind: 'approval' });
  // And the pull request still counts among the merged ones.
  const figures = await figuresFor(facts, stored, Date.parse('2018-07-10T00:00:00Z'));
  expect(figures.repo.leadTime).toMatchObject({ unavailable: expect.stringMatching(/the pull request merged in the last 30 days/) });
  expect(figures.pr.review).toEqual({ seconds: 3 * 3600 + 28 * 60 + 5 }); // 22:00:00 → 01:28:05.9
});

withFixtures('dates the merge by the merge event when a comment made after it is delivered first', async () => {
  // Merged at 01:28; someone comments 40 minutes later, and that comment's delivery lands before the
  // merge's (Forge does not order events; retries after an outage land in any order). The comment's
  // body already says MERGED, with updated_on at the comment.
  const merged = JSON.parse(read('pr_fulfilled.json'));
  const repository = merged.repository.uuid as string;
  const mergedAt = merged.pullrequest.updated_on as string;
  const commentedAt = '2018-07-03T02:08:00.123456+00:00';
  const comment = { ...merged, pullrequest: { ...merged.pullrequest, updated_on: commentedAt }, comment: { created_on: commentedAt, user: { uuid: '{someone-else}' }, content: { raw: 'Thanks!' } } };
  const kv = store();
  await recordDelivered(kv, 'pullrequest:comment_created', change(repository, commentedAt), JSON.stringify(comment));
  // The merge's own body is read when its delivery is built, after the comment: the same updated_on.
  await recordDelivered(kv, 'pullrequest:fulfilled', change(repository, mergedAt), JSON.stringify({ ...merged, pullrequest: { ...merged.pullrequest, updated_on: commentedAt } }));
  const stored = (await factsStore(kv).pullRequest(repository, merged.pullrequest.id))!;
  expect(stored.mergedOn).toBe(mergedAt);
});

it('learns a branch\'s first commit and the commit graph from pushes, and reads it for a pull request recorded first', async () => {
  const kv = store();
  const repository = '{r}';
  const pr = { pullrequest: { id: 7, title: 'Tracing', state: 'OPEN', author: { uuid: '{a}' }, created_on: '2026-11-24T10:00:00Z', source: { branch: { name: 'feature/tracing' } } } };
  // Forge does not order events: the pull request arrives before its branch's push.
  await recordDelivered(kv, 'pullrequest:created', change(repository, '2026-11-24T10:00:00Z'), JSON.stringify(pr));
  const push = {
    push: { changes: [{ forced: false }] },
    pandev: {
      ref: { type: 'branch', name: 'feature/tracing' },
      commits: [
        { hash: 'b'.repeat(40), date: '2026-11-24T09:30:00Z', parents: ['a'.repeat(40)] },
        { hash: 'a'.repeat(40), date: '2026-11-24T08:00:00Z', parents: ['0'.repeat(40)] },
      ],
    },
  };
  expect(await recordDelivered(kv, 'repo:push', change(repository, '2026-11-24T09:31:00Z', 'push'), JSON.stringify(push))).toEqual([]);
  const facts = factsStore(kv);
  expect(await facts.branch(repository, 'feature/tracing')).toMatchObject({ firstCommitOn: '2026-11-24T08:00:00Z', forced: false });
  expect((await facts.commits(repository)).get('b'.repeat(12))).toEqual({ parents: ['a'.repeat(40)], date: '2026-11-24T09:30:00Z' });
  const figures = await figuresFor(facts, (await facts.pullRequest(repository, 7))!, Date.parse('2026-11-24T12:00:00Z'), true);
  expect(figures.pr.coding).toEqual({ seconds: 2 * 3600 });

  // A force push: the first commit seen may be gone from the branch, and the figure says so.
  const forced = { ...push, push: { changes: [{ forced: true }] }, pandev: { ...push.pandev, commits: [push.pandev.commits[0]] } };
  await recordDelivered(kv, 'repo:push', change(repository, '2026-11-24T11:00:00Z', 'push'), JSON.stringify(forced));
  const after = await figuresFor(facts, (await facts.pullRequest(repository, 7))!, Date.parse('2026-11-24T12:00:00Z'), true);
  expect(after.pr.coding).toEqual({ unavailable: expect.stringMatching(/force-pushed/) });
});

/** Every order of `items`: Forge may report a branch's events in any of them. */
function orders<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, i) => orders([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

const pushed = (name: string, change: { forced?: boolean; created?: boolean; closed?: boolean }, commits: Array<{ hash: string; date: string }>) =>
  JSON.stringify({ push: { changes: [change] }, pandev: { ref: { type: 'branch', name }, commits: commits.map((c) => ({ ...c, parents: ['0'.repeat(40)] })) } });

it('keeps the work pushed to a recreated branch, made before the branch was, whatever order the deletion, creation and push arrive in', async () => {
  const repository = '{r}';
  // The old life of feature/x, force-pushed; deleted at 10:00 and made again in Bitbucket at 11:00;
  // work committed locally at 10:30 pushed to it at 11:05.
  const events: Array<[string, string]> = [
    ['2026-11-24T10:00:00Z', pushed('feature/x', { closed: true }, [])],
    ['2026-11-24T11:00:00Z', pushed('feature/x', { created: true }, [])],
    ['2026-11-24T11:05:00Z', pushed('feature/x', {}, [{ hash: 'c'.repeat(40), date: '2026-11-24T10:30:00Z' }])],
  ];
  for (const order of orders(events)) {
    const kv = store();
    await recordDelivered(kv, 'repo:push', change(repository, '2026-11-24T09:00:00Z', 'push'), pushed('feature/x', { forced: true }, [{ hash: 'a'.repeat(40), date: '2026-11-24T08:00:00Z' }]));
    for (const [at, body] of order) await recordDelivered(kv, 'repo:push', change(repository, at, 'push'), body);
    expect(await factsStore(kv).branch(repository, 'feature/x')).toMatchObject({ forced: false, firstCommitOn: '2026-11-24T10:30:00Z', since: '2026-11-24T11:00:00Z' });
  }
});

it('gives the next pull request from a branch the work pushed after the last one merged, when the push is reported before the merge', async () => {
  const repository = '{r}';
  const body = (id: number, state: string, created: string, updated: string) => JSON.stringify({ pullrequest: { id, title: `#${id}`, state, author: { uuid: '{a}' }, created_on: created, updated_on: updated, source: { branch: { name: 'develop' } } } });
  const merge: [string, string, string] = ['pullrequest:fulfilled', '2026-11-24T10:00:00Z', body(1, 'MERGED', '2026-11-24T09:00:00Z', '2026-11-24T10:00:00Z')];
  // Committed at 09:50, while #1 was in review, and pushed after it merged.
  const push: [string, string, string] = ['repo:push', '2026-11-24T10:05:00Z', pushed('develop', {}, [{ hash: 'd'.repeat(40), date: '2026-11-24T09:50:00Z' }])];
  const results: Array<string | undefined> = [];
  for (const order of orders([merge, push])) {
    const kv = store();
    await recordDelivered(kv, 'repo:push', change(repository, '2026-11-24T08:30:00Z', 'push'), pushed('develop', {}, [{ hash: 'b'.repeat(40), date: '2026-11-24T08:00:00Z' }]));
    await recordDelivered(kv, 'pullrequest:created', change(repository, '2026-11-24T09:00:00Z'), body(1, 'OPEN', '2026-11-24T09:00:00Z', '2026-11-24T09:00:00Z'));
    for (const [key, at, payload] of order) await recordDelivered(kv, key, change(repository, at, key === 'repo:push' ? 'push' : 'pullrequest'), payload);
    await recordDelivered(kv, 'pullrequest:created', change(repository, '2026-11-24T11:00:00Z'), body(2, 'OPEN', '2026-11-24T11:00:00Z', '2026-11-24T11:00:00Z'));
    results.push((await factsStore(kv).pullRequest(repository, 2))?.firstCommitOn);
  }
  expect(results).toStrictEqual(['2026-11-24T09:50:00Z', '2026-11-24T09:50:00Z']);
});

it('counts a branch merged into staging first from its first commit when it goes to main, and the next one into staging from after the merge, in either order', async () => {
  const repository = '{r}';
  const body = (id: number, into: string, state: string, created: string, updated: string) =>
    JSON.stringify({ pullrequest: { id, title: `#${id}`, state, author: { uuid: '{a}' }, created_on: created, updated_on: updated, source: { branch: { name: 'feature/x' } }, destination: { branch: { name: into } } } });
  const merge: [string, string, string] = ['pullrequest:fulfilled', '2026-11-24T10:00:00Z', body(1, 'staging', 'MERGED', '2026-11-24T09:00:00Z', '2026-11-24T10:00:00Z')];
  const push: [string, string, string] = ['repo:push', '2026-11-24T10:05:00Z', pushed('feature/x', {}, [{ hash: 'd'.repeat(40), date: '2026-11-24T10:04:00Z' }])];
  const results: Array<Array<string | undefined>> = [];
  for (const order of orders([merge, push])) {
    const kv = store();
    await recordDelivered(kv, 'repo:push', change(repository, '2026-11-24T08:30:00Z', 'push'), pushed('feature/x', { created: true }, [{ hash: 'b'.repeat(40), date: '2026-11-24T08:00:00Z' }]));
    await recordDelivered(kv, 'pullrequest:created', change(repository, '2026-11-24T09:00:00Z'), body(1, 'staging', 'OPEN', '2026-11-24T09:00:00Z', '2026-11-24T09:00:00Z'));
    for (const [key, at, payload] of order) await recordDelivered(kv, key, change(repository, at, key === 'repo:push' ? 'push' : 'pullrequest'), payload);
    await recordDelivered(kv, 'pullrequest:created', change(repository, '2026-11-24T11:00:00Z'), body(2, 'main', 'OPEN', '2026-11-24T11:00:00Z', '2026-11-24T11:00:00Z'));
    await recordDelivered(kv, 'pullrequest:created', change(repository, '2026-11-24T11:00:00Z'), body(3, 'staging', 'OPEN', '2026-11-24T11:00:00Z', '2026-11-24T11:00:00Z'));
    results.push([(await factsStore(kv).pullRequest(repository, 2))?.firstCommitOn, (await factsStore(kv).pullRequest(repository, 3))?.firstCommitOn]);
  }
  expect(results).toStrictEqual([
    ['2026-11-24T08:00:00Z', '2026-11-24T10:04:00Z'],
    ['2026-11-24T08:00:00Z', '2026-11-24T10:04:00Z'],
  ]);
});

it('keeps completed deployments and asks to revisit comments only for a successful production one', async () => {
  const kv = store();
  const deployment = (status: string, type: string) => ({
    pandev: { deployment: { uuid: `{d-${status}-${type}}`, action: 'completed', status, is_production: type === 'Production', commit: 'c'.repeat(40), completed_on: '2026-11-24T12:00:00Z', environment: { uuid: '{e}', name: type, type } } },
  });
  expect(await recordDelivered(kv, 'pandev:deployment', change('{r}', '2026-11-24T12:00:00Z', 'deployment'), JSON.stringify(deployment('SUCCESSFUL', 'Staging')))).toEqual([]);
  expect(await recordDelivered(kv, 'pandev:deployment', change('{r}', '2026-11-24T12:00:00Z', 'deployment'), JSON.stringify(deployment('FAILED', 'Production')))).toEqual([]);
  expect(await recordDelivered(kv, 'pandev:deployment', change('{r}', '2026-11-24T12:00:00Z', 'deployment'), JSON.stringify(deployment('SUCCESSFUL', 'Production')))).toEqual([{ deployment: '{d-SUCCESSFUL-Production}' }]);
  expect((await factsStore(kv).deployments('{r}')).map((d) => d.result).sort()).toEqual(['FAILED', 'SUCCESSFUL', 'SUCCESSFUL']);
});

it('takes a pull request for a revert by its title, with or without an issue key before it', () => {
  const reverts = ['Revert "Cache prices" (pull request #41)', 'revert: cache prices', 'PROJ-12 Revert "Cache prices"', '[PROJ-12] Revert: cache prices', 'PROJ-12: revert cache prices'];
  const others = ['Reverted layout spacing fix', 'Add revert button', 'PROJ-12 Cache prices', 'Prevent reverts of signed tags', ''];
  expect(reverts.filter((title) => !isRevertTitle(title))).toEqual([]);
  expect(others.filter(isRevertTitle)).toEqual([]);
});


it('keeps a push delivered again (its ledger record refused) as it kept it once', async () => {
  const repository = '{r}';
  const push = pushed('develop', {}, [{ hash: 'e'.repeat(40), date: '2026-11-24T09:50:00Z' }]);
  const once = store();
  const twice = store();
  await recordDelivered(once, 'repo:push', change(repository, '2026-11-24T10:05:00Z', 'push'), push);
  for (let i = 0; i < 2; i++) await recordDelivered(twice, 'repo:push', change(repository, '2026-11-24T10:05:00Z', 'push'), push);
  expect(await factsStore(twice).branch(repository, 'develop')).toEqual(await factsStore(once).branch(repository, 'develop'));
});
