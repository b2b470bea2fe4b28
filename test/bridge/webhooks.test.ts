import { inShard } from '../../src/bridge/config/selection';
import { stale } from '../../src/bridge/runner';
import { refStateStore } from '../../src/core/pipeline/ref-state';
import { signature } from '../../src/sandbox/dc-sim';
import { dcEnv, projectRepositories, inProcessBridge, until, WEBHOOK_SECRET, type DcEnv } from './helpers';

// Issue 6, items 4 and 6: Data Center webhooks at POST /webhooks/bitbucket are verified (401 otherwise)
// and forwarded at once; the poll that follows finds the same events under the same ids and sends
// nothing again. The same port serves /healthz and /metrics.

let env: DcEnv;
beforeAll(async () => (env = await dcEnv({ seed: 'webhooks', projects: 1, repositoriesPerProject: 2, pullRequestsPerRepository: 4, corruptPullRequest: false })));
afterAll(() => env.stop());

describe('Data Center webhooks', () => {
  it('refuses a bad or missing signature with 401, and forwards signed events that the poll then does not send again', async () => {
    const running = await inProcessBridge(env.config());
    try {
      await running.runPass();
      await running.bridge.queue.idle();
      const hook = `${running.ops.url}/webhooks/bitbucket`;
      const body = JSON.stringify({ eventKey: 'pr:opened' });
      // Each refusal says which of the three it is: a webhook without a secret set in Bitbucket, a header
      // some other scheme wrote, or the wrong secret.
      const refusals: Array<[Record<string, string>, RegExp]> = [
        [{ 'X-Hub-Signature': signature('not-the-secret', body) }, /^X-Hub-Signature does not match the body and BRIDGE_WEBHOOK_SECRET/],
        [{}, /^X-Hub-Signature is missing: set the webhook's Secret in Bitbucket to BRIDGE_WEBHOOK_SECRET/],
        [{ 'X-Hub-Signature': 'sha1=0123abcd' }, /^X-Hub-Signature is not sha256=<64 hex digits>/],
      ];
      for (const [headers, message] of refusals) {
        const response = await fetch(hook, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Event-Key': 'pr:opened', ...headers }, body });
        expect(response.status).toBe(401);
        expect(((await response.json()) as { message: string }).message).toMatch(message);
      }

      env.sim.webhooks.register(hook, WEBHOOK_SECRET);
      const before = env.sink.deliveries().length;
      const repository = `${projectRepositories(env.sim)[0]!.projectKey}/${projectRepositories(env.sim)[0]!.slug}`;
      const a = env.sim.actions;
      const { pullRequestId } = a.openPullRequest({ repository, title: 'Webhooks first' });
      const { reviewer } = a.approvePullRequest({ repository, pullRequestId });
      a.unapprovePullRequest({ repository, pullRequestId, reviewer });
      a.needsWork({ repository, pullRequestId });
      const { commentId } = a.addComment({ repository, pullRequestId, text: 'Please add a test' });
      a.editComment({ repository, pullRequestId, commentId, text: 'Please add two tests' });
      a.deleteComment({ repository, pullRequestId, commentId });
      a.pushToPullRequest({ repository, pullRequestId });
      a.mergePullRequest({ repository, pullRequestId });
      const other = a.openPullRequest({ repository, title: 'Declined soon' });
      a.declinePullRequest({ repository, pullRequestId: other.pullRequestId });
      a.pushCommits({ repository, commits: 2 });
      await env.sim.webhooks.idle();
      await settle(running);

      const sent = env.sim.webhooks.deliveries();
      expect(sent.every((d) => d.status === 202 || d.status === 200)).toBe(true);
      const forwarded = env.sink.deliveries().slice(before);
      const keys = new Set(forwarded.map((d) => d.eventKey));
      for (const key of ['pr:opened', 'pr:reviewer:approved', 'pr:reviewer:needs_work', 'pr:comment:added', 'pr:comment:edited', 'pr:comment:deleted', 'pr:from_ref_updated', 'pr:reviewer:unapproved', 'pr:merged', 'pr:declined', 'repo:refs_changed']) {
        expect({ key, forwarded: keys.has(key) }).toEqual({ key, forwarded: true });
      }
      expect(forwarded.every((d) => d.headers['x-pandev-origin'] === 'webhook')).toBe(true);
      // Forwarded bodies are Bitbucket's, with `pandev` added.
      const merged = forwarded.find((d) => d.eventKey === 'pr:merged')!.body as any;
      expect(merged.pullRequest.id).toBe(pullRequestId);
      expect(merged.pandev.entity).toMatch(/^pullrequest:\d+:\d+$/);

      // The poll reads the same activities and ref moves: every one is already delivered.
      const pass = await running.runPass();
      await settle(running);
      expect(pass.staged).toBe(0);
      expect(env.sink.deliveries().length).toBe(before + forwarded.length);
      expect(env.sink.duplicates()).toBe(0);
    } finally {
      await running.stop();
    }
  });

  it('sends pr:modified once for one modification, whichever of the webhook and the poll sees it first', async () => {
    const running = await inProcessBridge(env.config({ BRIDGE_DB: `${env.dir}/modified.db` }));
    const hook = `${running.ops.url}/webhooks/bitbucket`;
    const post = (event: { eventKey: string; body: unknown }) => {
      const body = JSON.stringify(event.body);
      return fetch(hook, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Event-Key': event.eventKey, 'X-Hub-Signature': signature(WEBHOOK_SECRET, body) }, body });
    };
    // Two passes: each feed is read at least once (a quiet repository reads one per pass).
    const twoPasses = async () => {
      for (let i = 0; i < 2; i++) await running.runPass();
      await running.bridge.queue.idle();
    };
    const modified = (id: number) => env.sink.deliveries().filter((d) => d.eventKey === 'pr:modified' && (d.body as any).pullRequest.id === id);
    const second = () => new Promise((resolve) => setTimeout(resolve, 1100));
    try {
      await running.runPass();
      await settle(running);
      // A fresh state file over the same receiver: its backfill re-sent what the test above delivered.
      const duplicates = env.sink.duplicates();
      const repository = `${projectRepositories(env.sim)[1]!.projectKey}/${projectRepositories(env.sim)[1]!.slug}`;
      const a = env.sim.actions;

      // The webhook first; a comment a second later moves updatedDate past the modification's, so the
      // poll's own dating of it would differ from the webhook's.
      const early = a.openPullRequest({ repository, title: 'Webhook first' });
      await twoPasses();
      const edit = a.updatePullRequest({ repository, pullRequestId: early.pullRequestId, title: 'Webhook first, renamed' });
      expect((await post(edit.events[0]!)).status).toBe(202);
      await settle(running);
      await second();
      a.addComment({ repository, pullRequestId: early.pullRequestId, text: 'after the rename' });
      await twoPasses();
      expect(modified(early.pullRequestId)).toHaveLength(1);
      expect(modified(early.pullRequestId)[0]!.headers['x-pandev-origin']).toBe('webhook');

      // The poll first; the webhook arrives late (a slow or retried delivery) and adds nothing.
      const late = a.openPullRequest({ repository, title: 'Poll first' });
      await twoPasses();
      const rename = a.updatePullRequest({ repository, pullRequestId: late.pullRequestId, description: 'Now with a description' });
      await second();
      a.addComment({ repository, pullRequestId: late.pullRequestId, text: 'after the edit' });
      await twoPasses();
      expect(modified(late.pullRequestId)).toHaveLength(1);
      expect(modified(late.pullRequestId)[0]!.headers['x-pandev-origin']).toBe('poll');
      expect((await post(rename.events[0]!)).status).toBe(202);
      await settle(running);
      await twoPasses();
      expect(modified(late.pullRequestId)).toHaveLength(1);

      // A second, different modification is a second event.
      a.updatePullRequest({ repository, pullRequestId: late.pullRequestId, title: 'Poll first, renamed' });
      await twoPasses();
      expect(modified(late.pullRequestId)).toHaveLength(2);
      expect(env.sink.duplicates()).toBe(duplicates);
    } finally {
      await running.stop();
    }
  });

  it('takes the event key from the signed body, and refuses a header that disagrees with it', async () => {
    const running = await inProcessBridge(env.config({ BRIDGE_DB: `${env.dir}/eventkey.db` }));
    try {
      await running.runPass();
      await settle(running);
      const repo = projectRepositories(env.sim)[0]!;
      const opened = env.sim.actions.openPullRequest({ repository: `${repo.projectKey}/${repo.slug}`, title: 'Still open' });
      const event = opened.events.find((e) => e.eventKey === 'pr:opened')!;
      // X-Hub-Signature covers the body only: a captured pr:opened must not pass as a merge or a deletion.
      for (const forged of ['pr:merged', 'pr:deleted']) {
        const response = await signedPost(running.ops.url, forged, event.body);
        expect(response.status).toBe(400);
        expect(((await response.json()) as { message: string }).message).toContain(`X-Event-Key (${forged}) disagrees with the signed body's eventKey (pr:opened)`);
      }
      expect((await signedPost(running.ops.url, 'pr:opened', event.body)).status).toBe(202);
      await settle(running);
      const keys = env.sink.deliveries().filter((d) => (d.body as any).pullRequest?.id === opened.pullRequestId && (d.body as any).pullRequest.toRef.repository.id === repo.id).map((d) => d.eventKey);
      expect(keys).toEqual(['pr:opened']);
    } finally {
      await running.stop();
    }
  });

  it('takes webhooks for repositories another shard polls (one Service fronts every shard)', async () => {
    const repo = projectRepositories(env.sim)[0]!;
    const elsewhere = [0, 1].find((index) => !inShard(String(repo.id), { index, count: 2 }))!;
    const running = await inProcessBridge(env.config({ BRIDGE_DB: `${env.dir}/shard.db`, BRIDGE_SHARD: `${elsewhere}/2` }));
    try {
      const repository = `${repo.projectKey}/${repo.slug}`;
      const opened = env.sim.actions.openPullRequest({ repository, title: 'Polled by another shard' });
      const pushed = env.sim.actions.pushCommits({ repository, commits: 1 });
      for (const event of [...opened.events, ...pushed.events]) expect((await signedPost(running.ops.url, event.eventKey, event.body)).status).toBe(202);
      await settle(running);
      const mine = env.sink.deliveries().filter((d) => d.headers['x-pandev-origin'] === 'webhook' && (d.body as any).pandev.entity.includes(String(repo.id)));
      expect(mine.some((d) => d.eventKey === 'pr:opened' && (d.body as any).pullRequest.id === opened.pullRequestId)).toBe(true);
      expect(mine.some((d) => d.eventKey === 'repo:refs_changed' && (d.body as any).changes[0].toHash === pushed.commits[pushed.commits.length - 1])).toBe(true);
      // The owner's poll keeps the pull request's record; one here would only sit in this shard's state.
      expect(running.bridge.store.count('dc:pr:')).toBe(0);
    } finally {
      await running.stop();
    }
  });

  it('drops a push the poll delivered first, and sends one that skipped a lost webhook from the recorded tip', async () => {
    const running = await inProcessBridge(env.config({ BRIDGE_DB: `${env.dir}/late.db` }));
    const repo = projectRepositories(env.sim)[1]!;
    const repository = `${repo.projectKey}/${repo.slug}`;
    const pushes = () => env.sink.deliveries().filter((d) => d.eventKey === 'repo:refs_changed' && (d.body as any).repository.id === repo.id).map((d) => d.body as any);
    const tip = async () => (await refStateStore(running.bridge.store).get(String(repo.id), 'branch', repo.defaultBranch))?.tip;
    const twoPasses = async () => {
      for (let i = 0; i < 2; i++) await running.runPass();
      await settle(running);
    };
    try {
      await twoPasses();
      // A fresh state file over the same receiver: its backfill re-sent what earlier tests delivered.
      const duplicates = env.sink.duplicates();
      // Two pushes the poll finds as one move; their webhooks come after it (queued behind its lock).
      const first = env.sim.actions.pushCommits({ repository, commits: 1 });
      const second = env.sim.actions.pushCommits({ repository, commits: 1 });
      await twoPasses();
      const delivered = pushes().length;
      expect(await tip()).toBe(second.commits[0]);
      for (const event of [...first.events, ...second.events]) expect((await signedPost(running.ops.url, event.eventKey, event.body)).status).toBe(202);
      await settle(running);
      expect(pushes()).toHaveLength(delivered);
      expect(await tip()).toBe(second.commits[0]);

      // The webhook of a third push is lost; the fourth's is sent from the last tip delivered, with both commits.
      const third = env.sim.actions.pushCommits({ repository, commits: 1 });
      const fourth = env.sim.actions.pushCommits({ repository, commits: 1 });
      for (const event of fourth.events) expect((await signedPost(running.ops.url, event.eventKey, event.body)).status).toBe(202);
      await settle(running);
      const sent = pushes().slice(delivered);
      expect(sent.map((p) => [p.changes[0].fromHash, p.changes[0].toHash, p.pandev.commits.map((c: { id: string }) => c.id)])).toEqual([[second.commits[0], fourth.commits[0], [fourth.commits[0], third.commits[0]]]]);
      await twoPasses();
      expect(pushes()).toHaveLength(delivered + 1);
      expect(env.sink.duplicates()).toBe(duplicates);
    } finally {
      await running.stop();
    }
  });

  it('saves a webhook before answering 202, handles it once the repository is free, and answers 503 past the backlog', async () => {
    const activities = () => env.sim.stats().byRoute['GET /rest/api/1.0/projects/{projectKey}/repos/{repositorySlug}/pull-requests/{pullRequestId}/activities'] ?? 0;
    const running = await inProcessBridge(env.config({ BRIDGE_DB: `${env.dir}/inbox.db`, BRIDGE_WEBHOOK_BACKLOG: '2' }));
    try {
      const repo = projectRepositories(env.sim)[0]!;
      const repository = `${repo.projectKey}/${repo.slug}`;
      // Deletions: only webhooks report them, so what reaches PanDev came from the saved webhooks.
      const names = ['saved/1', 'saved/2', 'saved/3'];
      for (const name of names) env.sim.actions.createBranch({ repository, name });
      const events = names.map((name) => env.sim.actions.deleteBranch({ repository, name }).events[0]!);
      // A slow backfill holds the repository's lock: the webhooks wait for it, on disk.
      const started = activities();
      env.sim.faults.add({ path: '/activities$', latencyMs: 1000 });
      const pass = running.runPass();
      await until(() => activities() > started, 30_000, 'the backfill reading activities');
      expect((await signedPost(running.ops.url, events[0]!.eventKey, events[0]!.body)).status).toBe(202);
      expect((await signedPost(running.ops.url, events[1]!.eventKey, events[1]!.body)).status).toBe(202);
      expect(running.bridge.store.count('dc:inbox:')).toBe(2);
      const refused = await signedPost(running.ops.url, events[2]!.eventKey, events[2]!.body);
      expect(refused.status).toBe(503);
      expect(((await refused.json()) as { message: string }).message).toContain('BRIDGE_WEBHOOK_BACKLOG');
      env.sim.faults.clear();
      await pass;
      await settle(running);
      expect(running.bridge.store.count('dc:inbox:')).toBe(0);
      const deleted = env.sink.deliveries().filter((d) => d.eventKey === 'repo:refs_changed' && (d.body as any).repository.id === repo.id && (d.body as any).changes[0].type === 'DELETE').map((d) => (d.body as any).changes[0].ref.displayId);
      expect(deleted.filter((name) => name.startsWith('saved/')).sort()).toEqual(['saved/1', 'saved/2']);
    } finally {
      env.sim.faults.clear();
      await running.stop();
    }
  });

  it('serves /healthz and /metrics on BRIDGE_LISTEN', async () => {
    const running = await inProcessBridge(env.config({ BRIDGE_DB: `${env.dir}/ops.db` }));
    try {
      await running.runPass();
      const health = await fetch(`${running.ops.url}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'ok', edition: 'datacenter', lastPass: { failed: 0 } });
      const metrics = await fetch(`${running.ops.url}/metrics`);
      expect(metrics.headers.get('content-type')).toContain('text/plain');
      const text = await metrics.text();
      for (const name of ['pandev_bridge_deliveries_total', 'pandev_bridge_outbox_depth', 'pandev_bridge_bitbucket_requests_total', 'pandev_bridge_bitbucket_rate_limited_total', 'pandev_bridge_last_successful_poll_timestamp_seconds']) {
        expect(text).toContain(`# TYPE ${name}`);
      }
    } finally {
      await running.stop();
    }
  });
});

function signedPost(base: string, eventKey: string, payload: unknown, secret = WEBHOOK_SECRET): Promise<Response> {
  const body = JSON.stringify(payload);
  return fetch(`${base}/webhooks/bitbucket`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Event-Key': eventKey, 'X-Hub-Signature': signature(secret, body) }, body });
}

async function settle(running: Awaited<ReturnType<typeof inProcessBridge>>): Promise<void> {
  // Webhook work runs after the 202; give it a moment to be staged, then wait for the queue.
  for (let i = 0; i < 40; i++) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    await running.bridge.queue.idle();
  }
}

describe('/healthz', () => {
  it('is unhealthy when stuck, not when a long first pass is still getting answers', () => {
    const minute = 60_000;
    const base = { startedAt: 0, pollSeconds: 60, lastAnswerAt: 0 };
    expect(stale({ ...base, now: 7 * minute, passRunning: true })).toBe(false);
    expect(stale({ ...base, now: 9 * minute, passRunning: true })).toBe(true);
    // Two hours into its first pass, Bitbucket answering a moment ago: busy, not stuck.
    expect(stale({ ...base, now: 120 * minute, passRunning: true, lastAnswerAt: 120 * minute - 1000 })).toBe(false);
    // Between passes, answers (webhook reads) do not count: passes must keep finishing.
    expect(stale({ ...base, now: 120 * minute, passRunning: false, lastAnswerAt: 120 * minute - 1000, lastPassAt: 100 * minute })).toBe(true);
    expect(stale({ ...base, now: 120 * minute, passRunning: false, lastPassAt: 119 * minute })).toBe(false);
  });
});
