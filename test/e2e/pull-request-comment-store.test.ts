import type { Change } from '../../src/core/change/change';
import { Preferences } from '../../src/core/config/settings';
import { cloudClient } from '../../src/core/enrich/cloud/client';
import { PullRequest } from '../../src/core/enrich/cloud/schema';
import { fetchCloudTransport } from '../../src/core/enrich/cloud/transport';
import { updateComments, type CommentDeps } from '../../src/core/metrics/comment';
import { COMMENT_MARKER } from '../../src/core/metrics/marker';
import { recordDelivered } from '../../src/core/metrics/recorder';
import { factsStore } from '../../src/core/metrics/store';
import { kvKey } from '../../src/core/keys';
import type { CloudSimulator } from '../../src/sandbox/cloud-sim';
import { MemoryStore } from '../../src/sandbox/memory-store';
import { BASE_TIME, firstRepository, startSim } from '../sandbox/cloud-sim/helpers';

// The comment job over the Cloud simulator, with the app's store on a clock the test moves (the local
// Forge host's storage keeps real time): what the comment costs in Bitbucket requests and store reads
// when its stored state has expired, and when a production deployment revisits the waiting ones.

const DAY = 86_400_000;
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
let sim: CloudSimulator;
let now: number;
let requests: string[];
/** Runs before each Bitbucket request of the comment job goes out: what happens elsewhere meanwhile. */
let meanwhile: ((request: string) => Promise<void>) | undefined;
beforeEach(async () => {
  now = BASE_TIME + 3_600_000;
  requests = [];
  meanwhile = undefined;
  sim = await startSim({ clock: { now: () => now }, repositories: 1 });
});
afterEach(() => sim.stop());

function deps(store: MemoryStore, preferences: Partial<Preferences> = {}, log: CommentDeps['ctx']['log'] = quiet): CommentDeps {
  const transport = fetchCloudTransport({ baseUrl: sim.url, authorization: () => `Bearer ${sim.credentials.appToken}` });
  const client = cloudClient(async (request) => {
    const label = 'endpoint' in request ? `${request.method ?? 'GET'} ${request.endpoint}` : /\/diffstat\//.test(request.next) ? 'GET diffstat' : 'GET next';
    requests.push(label);
    await meanwhile?.(label);
    return transport(request);
  });
  return {
    ctx: { store, clock: { now: () => now }, log },
    client,
    preferences: Preferences.parse({ commitStats: 'off', ...preferences }),
    connection: { baseUrl: 'https://pandev.example', activatedAt: BASE_TIME - 90 * DAY },
    workspace: sim.workspace.slug,
    // Each call is a try of one job: the post a try started is the next try's own.
    poster: 'the-job',
  };
}

/** Merges a new pull request in the simulator and records its fulfilled event as the app would (the API object is the body). */
async function merge(store: MemoryStore): Promise<number> {
  return (await mergeWithCommit(store)).id;
}

async function mergeWithCommit(store: MemoryStore): Promise<{ id: number; mergeCommit: string }> {
  const repo = firstRepository(sim);
  const { pullRequestId } = sim.actions.openPullRequest({ repository: repo.slug, title: 'Add request tracing', commits: 2 });
  const { mergeCommit } = sim.actions.mergePullRequest({ repository: repo.slug, pullRequestId });
  await recordFulfilled(store, pullRequestId);
  return { id: pullRequestId, mergeCommit };
}

/** A completed production deployment of `commit` in the simulator, recorded as its delivery's `pandev` part says it. */
async function deploy(store: MemoryStore, commit: string): Promise<string> {
  const repo = firstRepository(sim);
  const { deploymentUuid } = sim.actions.runDeployment({ repository: repo.slug, environment: 'Production', commit, outcome: 'SUCCESSFUL' });
  const production = repo.environments.find((env) => env.name === 'Production')!;
  const deployment = { uuid: deploymentUuid, action: 'completed', status: 'SUCCESSFUL', is_production: true, commit, completed_on: new Date(now).toISOString(), environment: { uuid: production.uuid, name: 'Production', type: 'Production' } };
  const change = { edition: 'cloud', workspace: sim.workspace.uuid, repository: { uuid: repo.uuid }, origin: 'trigger', at: deployment.completed_on, kind: 'deployment' } as unknown as Change;
  const work = await recordDelivered(store, 'pandev:deployment', change, JSON.stringify({ pandev: { deployment } }));
  expect(work).toEqual([{ deployment: deploymentUuid }]);
  return deploymentUuid;
}

async function recordFulfilled(store: MemoryStore, id: number): Promise<void> {
  const repo = firstRepository(sim);
  const client = cloudClient(fetchCloudTransport({ baseUrl: sim.url, authorization: () => `Bearer ${sim.credentials.appToken}` }));
  const pullrequest = await client.get({ endpoint: 'pullRequest', params: { workspace: sim.workspace.slug, repo_slug: repo.uuid, pull_request_id: id } }, PullRequest);
  const change = { edition: 'cloud', workspace: sim.workspace.uuid, repository: { uuid: repo.uuid }, origin: 'backfill', at: pullrequest.updated_on, kind: 'pullrequest', action: 'fulfilled', pullRequestId: id } as Change;
  await recordDelivered(store, 'pullrequest:fulfilled', change, JSON.stringify({ pullrequest }));
}

function ours(id: number) {
  return firstRepository(sim).pullRequests.get(id)!.comments.filter((c) => !c.deleted && c.userUuid === sim.model.app.uuid);
}

it('finds its comment again when the merge is replayed after the comment\'s stored state expired', async () => {
  const store = new MemoryStore({ now: () => now });
  const repository = firstRepository(sim).uuid;
  const id = await merge(store);
  // A fresh merge: the first post costs the post alone.
  expect(await updateComments(repository, { pullRequestId: id }, deps(store))).toEqual([{ pullRequestId: id, done: 'posted' }]);
  expect(requests).toEqual(['POST pullRequestComments']);

  // Two months on, the stored state (45 days) and the ledger (35) are gone, and a backfill replays the merge.
  now += 60 * DAY;
  requests = [];
  await recordFulfilled(store, id);
  const [outcome] = await updateComments(repository, { pullRequestId: id }, deps(store));
  expect(ours(id)).toHaveLength(1);
  expect(outcome).toEqual({ pullRequestId: id, done: 'edited' });
  expect(requests).toEqual(['GET pullRequestComments', 'PUT pullRequestComment']);
});

it('keeps a review recorded while the merge\'s comment reads the pull request\'s size', async () => {
  const store = new MemoryStore({ now: () => now });
  const repo = firstRepository(sim);
  const { pullRequestId: id } = sim.actions.openPullRequest({ repository: repo.slug, title: 'Add request tracing', commits: 2 });
  now += 2 * 3_600_000;
  sim.actions.mergePullRequest({ repository: repo.slug, pullRequestId: id });
  await recordFulfilled(store, id);
  const client = cloudClient(fetchCloudTransport({ baseUrl: sim.url, authorization: () => `Bearer ${sim.credentials.appToken}` }));
  const merged = await client.get({ endpoint: 'pullRequest', params: { workspace: sim.workspace.slug, repo_slug: repo.uuid, pull_request_id: id } }, PullRequest);
  const reviewer = sim.model.users.find((user) => user.uuid !== merged.author?.uuid)!;
  const approvedAt = new Date(Date.parse(merged.created_on) + 3_600_000).toISOString();
  // An approval given before the merge, its delivery retried: recorded by another job while this one waits for the diffstat.
  meanwhile = async (request) => {
    if (request !== 'GET diffstat') return;
    const body = { pullrequest: { ...merged, state: 'OPEN', updated_on: approvedAt }, approval: { date: approvedAt, user: { uuid: reviewer.uuid } } };
    const change = { edition: 'cloud', workspace: sim.workspace.uuid, repository: { uuid: repo.uuid }, origin: 'trigger', at: approvedAt, kind: 'pullrequest', action: 'updated', pullRequestId: id } as Change;
    await recordDelivered(store, 'pullrequest:approved', change, JSON.stringify(body));
  };
  expect(await updateComments(repo.uuid, { pullRequestId: id }, deps(store, { commitStats: 'pullrequest' }))).toEqual([{ pullRequestId: id, done: 'posted' }]);
  const stored = await factsStore(store).pullRequest(repo.uuid, id);
  expect(stored?.firstReview).toEqual({ at: approvedAt, by: reviewer.uuid, kind: 'approval' });
  expect(stored?.size).toEqual(expect.objectContaining({ files: expect.any(Number) }));
  // The comment tells the review too: it is written from the facts as they are after the size was read.
  expect(ours(id)[0]!.raw).toMatch(/\| Pickup time \| 1 h \|/);
});

it('reports a production deployment recorded while the merge\'s comment is being posted', async () => {
  const store = new MemoryStore({ now: () => now });
  const repository = firstRepository(sim).uuid;
  const { id, mergeCommit } = await mergeWithCommit(store);
  now += 60_000;
  // Production gets the merge while the post is on its way: the deployment's own job finds no comment id to edit yet.
  meanwhile = async (request) => {
    if (request !== 'POST pullRequestComments') return;
    meanwhile = undefined;
    const deployment = await deploy(store, mergeCommit);
    expect(await updateComments(repository, { deployment }, deps(store))).toEqual([]);
  };
  expect(await updateComments(repository, { pullRequestId: id }, deps(store))).toEqual([{ pullRequestId: id, done: 'posted' }]);
  expect(ours(id)).toHaveLength(1);
  expect(ours(id)[0]!.raw).toMatch(/\| Deploy time \| 1 min \|/);
  expect(await factsStore(store).comment(repository, id)).toEqual(expect.objectContaining({ deployed: true }));
});

/** A person's comment on the pull request, as written in Bitbucket's editor. */
function personComments(id: number, raw: string): number {
  const author = sim.model.users[0]!.uuid;
  return sim.actions.addComment({ repository: firstRepository(sim).slug, pullRequestId: id, author, content: raw }).commentId;
}
/** A pull request merged after `copies` whole pastes of the app's comment on an earlier one; its own comment not yet made. */
async function mergedAfterPastes(copies: number): Promise<{ store: MemoryStore; repository: string; id: number }> {
  const store = new MemoryStore({ now: () => now });
  const repo = firstRepository(sim);
  const first = await merge(store);
  await updateComments(repo.uuid, { pullRequestId: first }, deps(store));
  const { pullRequestId: id } = sim.actions.openPullRequest({ repository: repo.slug, title: 'Tune the cache', commits: 2 });
  const pasted = ours(first)[0]!.raw;
  for (let i = 0; i < copies; i++) personComments(id, pasted);
  sim.actions.mergePullRequest({ repository: repo.slug, pullRequestId: id });
  await recordFulfilled(store, id);
  return { store, repository: repo.uuid, id };
}

const quoted = (raw: string) => raw.trimEnd().split('\n').map((line) => `> ${line}`).join('\n') + '\n\nDeploy time looks long here.';

it('takes neither a person\'s paste nor quote of its comment for its own when its stored state has expired', async () => {
  const store = new MemoryStore({ now: () => now });
  const repository = firstRepository(sim).uuid;
  const first = await merge(store);
  await updateComments(repository, { pullRequestId: first }, deps(store));
  // Before the next pull request is merged, someone pastes the first one's comment into it, and another quotes it.
  const repo = firstRepository(sim);
  const { pullRequestId: id } = sim.actions.openPullRequest({ repository: repo.slug, title: 'Tune the cache', commits: 2 });
  const pasted = ours(first)[0]!.raw;
  const paste = personComments(id, pasted);
  const quote = personComments(id, quoted(pasted));
  sim.actions.mergePullRequest({ repository: repo.slug, pullRequestId: id });
  await recordFulfilled(store, id);
  expect(await updateComments(repository, { pullRequestId: id }, deps(store))).toEqual([{ pullRequestId: id, done: 'posted' }]);
  const [own] = ours(id);

  // Two months on the stored state is gone and a backfill replays the merge: the app edits its own comment.
  now += 60 * DAY;
  await recordFulfilled(store, id);
  expect(await updateComments(repository, { pullRequestId: id }, deps(store))).toEqual([{ pullRequestId: id, done: 'edited' }]);
  expect(ours(id).map((c) => c.id)).toEqual([own!.id]);
  const comments = firstRepository(sim).pullRequests.get(id)!.comments;
  expect(comments.find((c) => c.id === paste)!.raw).toBe(pasted);
  expect(comments.find((c) => c.id === quote)!.raw).toBe(quoted(pasted));
});

/** The app's comment as another workspace's installation wrote it, which a person may quote or paste here. */
const elsewhere = `${COMMENT_MARKER}\n\n**PanDev Metrics · DORA**\n\n| This pull request | Value |\n|---|---|\n| Coding time | 2 h |\n`;

it.each([
  ['a quote of', quoted(elsewhere)],
  ['a whole paste of', elsewhere],
])('does not take %s its comment for its own when a post\'s answer was lost before the app knew who it writes as', async (_, copy) => {
  const store = new MemoryStore({ now: () => now });
  const repo = firstRepository(sim);
  const { pullRequestId: id } = sim.actions.openPullRequest({ repository: repo.slug, title: 'Tune the cache', commits: 2 });
  // Before the app's first post in the installation, someone copies a comment of the app's from elsewhere.
  const copied = personComments(id, copy);
  now += 10 * 60_000;
  sim.actions.mergePullRequest({ repository: repo.slug, pullRequestId: id });
  await recordFulfilled(store, id);
  sim.faults.add({ method: 'POST', path: '/comments$', drop: true, afterHandling: true, times: 1 });
  await expect(updateComments(repo.uuid, { pullRequestId: id }, deps(store))).rejects.toThrow(/did not answer/);
  const [lost] = ours(id);
  // Forge retries the job: the app finds the comment its lost post made, and the copy stays the person's.
  expect(await updateComments(repo.uuid, { pullRequestId: id }, deps(store))).toEqual([{ pullRequestId: id, done: 'unchanged' }]);
  expect(ours(id).map((c) => c.id)).toEqual([lost!.id]);
  expect((await factsStore(store).comment(repo.uuid, id))?.commentId).toBe(lost!.id);
  expect(firstRepository(sim).pullRequests.get(id)!.comments.find((c) => c.id === copied)!.raw).toBe(copy);
});

it('a production deployment reads the stored facts once and asks for sizes only for the comments it completes', async () => {
  const store = new MemoryStore({ now: () => now });
  const repository = firstRepository(sim).uuid;
  // Three merges, each commented without its size (file stats were off then).
  const merged = [await mergeWithCommit(store), await mergeWithCommit(store), await mergeWithCommit(store)];
  for (const { id } of merged) await updateComments(repository, { pullRequestId: id }, deps(store));
  now += 60_000;
  // Production gets the first merge only: the other two comments keep waiting.
  const deployment = await deploy(store, merged[0]!.mergeCommit);
  requests = [];
  const lists = jest.spyOn(store, 'list');
  const outcomes = await updateComments(repository, { deployment }, deps(store, { commitStats: 'pullrequest' }));
  expect(outcomes.sort((a, b) => a.pullRequestId - b.pullRequestId)).toEqual([
    { pullRequestId: merged[0]!.id, done: 'edited' },
    { pullRequestId: merged[1]!.id, done: 'unchanged' },
    { pullRequestId: merged[2]!.id, done: 'unchanged' },
  ]);
  expect(requests).toEqual(['GET diffstat', 'PUT pullRequestComment']);
  // The waiting comments, then the repository's deployments, commits and pull requests: once each.
  expect(lists).toHaveBeenCalledTimes(4);
  expect(ours(merged[0]!.id)[0]!.raw).toMatch(/\| Size \| \+\d+ −\d+ lines/);
});

it('asks for a size Bitbucket would not give only once', async () => {
  const store = new MemoryStore({ now: () => now });
  const repository = firstRepository(sim).uuid;
  sim.faults.add({ method: 'GET', path: '/diffstat/', status: 404 });
  const id = await merge(store);
  expect(await updateComments(repository, { pullRequestId: id }, deps(store, { commitStats: 'pullrequest' }))).toEqual([{ pullRequestId: id, done: 'posted' }]);
  expect(requests).toEqual(['GET diffstat', 'POST pullRequestComments']);
  expect(ours(id)[0]!.raw).toMatch(/size not available/i);
  // The merge reported again (Forge may deliver a trigger twice): nothing is asked again.
  requests = [];
  await recordFulfilled(store, id);
  expect(await updateComments(repository, { pullRequestId: id }, deps(store, { commitStats: 'pullrequest' }))).toEqual([{ pullRequestId: id, done: 'unchanged' }]);
  expect(requests).toEqual([]);
});

it('learns who it writes as from an edit\'s answer, and then refuses a person\'s paste when a lost post is looked for', async () => {
  const store = new MemoryStore({ now: () => now });
  const repository = firstRepository(sim).uuid;
  const first = await mergeWithCommit(store);
  await updateComments(repository, { pullRequestId: first.id }, deps(store));
  // An installation from before the app kept its author: a comment id, and no author stored.
  await store.delete(kvKey('metrics', 'comment-author'));
  now += 60_000;
  const deployment = await deploy(store, first.mergeCommit);
  expect(await updateComments(repository, { deployment }, deps(store))).toEqual([{ pullRequestId: first.id, done: 'edited' }]);
  expect(await store.get(kvKey('metrics', 'comment-author'))).toEqual({ uuid: sim.model.app.uuid });

  // Someone pastes that comment whole into the next pull request before its merge; the app's post
  // there is made but its answer lost, so it teaches nothing: the retry looks for the comment.
  const repo = firstRepository(sim);
  const { pullRequestId: id } = sim.actions.openPullRequest({ repository: repo.slug, title: 'Tune the cache', commits: 2 });
  const pasted = ours(first.id)[0]!.raw;
  const paste = personComments(id, pasted);
  sim.actions.mergePullRequest({ repository: repo.slug, pullRequestId: id });
  await recordFulfilled(store, id);
  sim.faults.add({ method: 'POST', path: '/comments$', drop: true, afterHandling: true, times: 1 });
  await expect(updateComments(repository, { pullRequestId: id }, deps(store))).rejects.toThrow(/did not answer/);
  const [lost] = ours(id);
  expect(await updateComments(repository, { pullRequestId: id }, deps(store))).toEqual([{ pullRequestId: id, done: 'unchanged' }]);
  expect((await factsStore(store).comment(repository, id))?.commentId).toBe(lost!.id);
  expect(firstRepository(sim).pullRequests.get(id)!.comments.find((c) => c.id === paste)!.raw).toBe(pasted);
});

it('posts once when two copies of a merge\'s job find nothing stored at the same moment', async () => {
  const store = new MemoryStore({ now: () => now });
  const repository = firstRepository(sim).uuid;
  const id = await merge(store);
  // Forge delivered the job twice and runs both: each reads the comment's state before either writes it.
  const outcomes = await Promise.all([
    updateComments(repository, { pullRequestId: id }, { ...deps(store), poster: 'one copy' }),
    updateComments(repository, { pullRequestId: id }, { ...deps(store), poster: 'another copy' }),
  ]);
  expect(ours(id)).toHaveLength(1);
  // The other finds the first one's post under way, or made already.
  expect(outcomes.flat().filter((o) => 'done' in o && o.done === 'posted')).toHaveLength(1);
  expect(requests.filter((r) => r.startsWith('POST'))).toHaveLength(1);
});

it('finds its comment behind more than a page of people\'s copies of it when its stored state has expired', async () => {
  // A busy pull request: its comment pasted whole from the first one over and over before the merge
  // (Bitbucket lists comments oldest first), and quoted as often after the app's own.
  const { store, repository, id } = await mergedAfterPastes(110);
  expect(await updateComments(repository, { pullRequestId: id }, deps(store))).toEqual([{ pullRequestId: id, done: 'posted' }]);
  const [own] = ours(id);
  for (let i = 0; i < 60; i++) personComments(id, quoted(own!.raw));

  // Two months on the stored state is gone and a backfill replays the merge: the app edits its own comment.
  now += 60 * DAY;
  requests = [];
  await recordFulfilled(store, id);
  expect(await updateComments(repository, { pullRequestId: id }, deps(store))).toEqual([{ pullRequestId: id, done: 'edited' }]);
  expect(ours(id).map((c) => c.id)).toEqual([own!.id]);
  expect(requests).toEqual(['GET pullRequestComments', 'GET next', 'PUT pullRequestComment']);
});

it('stops looking for its comment after a thousand copies of it, says so, and posts anew', async () => {
  const { store, repository, id } = await mergedAfterPastes(1000);
  await updateComments(repository, { pullRequestId: id }, deps(store));

  now += 60 * DAY;
  requests = [];
  const warnings: string[] = [];
  await recordFulfilled(store, id);
  const log = { ...quiet, warn: (_: object, message: string) => void warnings.push(message) };
  expect(await updateComments(repository, { pullRequestId: id }, deps(store, {}, log))).toEqual([{ pullRequestId: id, done: 'posted' }]);
  expect(requests.filter((r) => r.startsWith('GET'))).toHaveLength(10);
  expect(ours(id)).toHaveLength(2);
  expect(warnings).toEqual([expect.stringMatching(/after 1000 comments carrying its marker.*two of them/)]);
});

it('takes nothing for its own, at no request, when its stored state has expired before it ever wrote in the installation', async () => {
  const store = new MemoryStore({ now: () => now });
  const repository = firstRepository(sim).uuid;
  const repo = firstRepository(sim);
  const { pullRequestId: id } = sim.actions.openPullRequest({ repository: repo.slug, title: 'Tune the cache', commits: 2 });
  const paste = personComments(id, elsewhere);
  sim.actions.mergePullRequest({ repository: repo.slug, pullRequestId: id });
  // A merge of two days ago with no comment state: comments were off then, say, and a backfill replays it.
  now += 2 * DAY;
  await recordFulfilled(store, id);
  expect(await updateComments(repository, { pullRequestId: id }, deps(store))).toEqual([{ pullRequestId: id, done: 'posted' }]);
  expect(requests).toEqual(['POST pullRequestComments']);
  expect(ours(id)).toHaveLength(1);
  expect(firstRepository(sim).pullRequests.get(id)!.comments.find((c) => c.id === paste)!.raw).toBe(elsewhere);
});
