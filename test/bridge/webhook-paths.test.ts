import { signature } from '../../src/sandbox/dc-sim';
import { dcEnv, inProcessBridge, postWebhook, projectRepositories, settledPass, WEBHOOK_SECRET, webhooksHandled, type DcEnv } from './helpers';

// The two paths to PanDev, the webhook and the poll, where webhooks.test.ts does not look: the poll
// first and every webhook late, webhooks out of order, the listener down while Data Center sends, Data Center's "Test connection", and webhooks
// the bridge does not take (another repository, a shape it does not know).

let env: DcEnv;
/** How far Data Center's clock runs ahead of real time: moved on where a test needs changes seconds apart. */
let ahead = 0;
beforeAll(async () => (env = await dcEnv({ seed: 'webhook-paths', projects: 1, repositoriesPerProject: 2, pullRequestsPerRepository: 2, corruptPullRequest: false, clock: { now: () => Date.now() + ahead } })));
afterAll(() => env.stop());

type Running = Awaited<ReturnType<typeof inProcessBridge>>;
type DcEvent = { eventKey: string; body: unknown };

const post = (running: Running, eventKey: string, body: string, signed?: string) => postWebhook(running, { eventKey, body }, signed);
const postEvent = (running: Running, event: DcEvent) => postWebhook(running, event);
const handled = webhooksHandled;

const repository = (index: number) => {
  const repo = projectRepositories(env.sim)[index]!;
  return { repo, name: `${repo.projectKey}/${repo.slug}` };
};

/** Every pull-request event the simulator records for one pull request, as Data Center would send them. */
function pullRequestLife(name: string): { pullRequestId: number; events: DcEvent[] } {
  const a = env.sim.actions;
  const opened = a.openPullRequest({ repository: name, title: 'Life of a pull request' });
  const pullRequestId = opened.pullRequestId;
  const approved = a.approvePullRequest({ repository: name, pullRequestId });
  const steps = [
    opened,
    a.updatePullRequest({ repository: name, pullRequestId, title: 'Life of a pull request, renamed' }),
    approved,
    a.unapprovePullRequest({ repository: name, pullRequestId, reviewer: approved.reviewer }),
    a.needsWork({ repository: name, pullRequestId }),
  ];
  const comment = a.addComment({ repository: name, pullRequestId, text: 'a first look' });
  steps.push(comment, a.editComment({ repository: name, pullRequestId, commentId: comment.commentId, text: 'a second look' }));
  steps.push(a.deleteComment({ repository: name, pullRequestId, commentId: comment.commentId }), a.pushToPullRequest({ repository: name, pullRequestId }));
  steps.push(a.mergePullRequest({ repository: name, pullRequestId }));
  return { pullRequestId, events: steps.flatMap((step) => step.events) };
}

const deliveredFor = (repoId: number, pullRequestId: number) =>
  env.sink.deliveries().filter((d) => (d.body as any).pullRequest?.id === pullRequestId && (d.body as any).pullRequest.toRef.repository.id === repoId);

describe('the poll first, every webhook late', () => {
  it('delivers each event once when the webhooks arrive after the poll saw the pull request (queued behind its lock, say)', async () => {
    const running = await inProcessBridge(env.config({ BRIDGE_DB: `${env.dir}/late.db` }));
    try {
      await settledPass(running);
      const duplicates = env.sink.duplicates();
      const { repo, name } = repository(0);
      const life = pullRequestLife(name);
      const pushed = env.sim.actions.pushCommits({ repository: name, commits: 1 });
      await settledPass(running);
      await settledPass(running);
      const delivered = () => deliveredFor(repo.id, life.pullRequestId);
      expect(delivered().find((d) => d.eventKey === 'pr:opened')?.headers['x-pandev-origin']).toBe('poll');

      for (const event of [...life.events, ...pushed.events]) expect({ key: event.eventKey, status: (await postEvent(running, event)).status }).toEqual({ key: event.eventKey, status: 202 });
      await handled(running);
      await settledPass(running);
      // Opened and renamed between two passes, the pull request was new to the poll, which had no
      // earlier title to compare with: only the webhook can report the rename.
      expect(delivered().map((d) => d.eventKey).sort()).toEqual(['pr:comment:added', 'pr:comment:deleted', 'pr:comment:edited', 'pr:from_ref_updated', 'pr:merged', 'pr:modified', 'pr:opened', 'pr:reviewer:approved', 'pr:reviewer:needs_work', 'pr:reviewer:unapproved']);
      expect(env.sink.duplicates()).toBe(duplicates);
    } finally {
      await running.stop();
    }
  });
});

describe("an edit's webhook lost after the opening's was delivered", () => {
  it('has the poll report the edit once, against the opened title, and the late webhook add nothing', async () => {
    const running = await inProcessBridge(env.config({ BRIDGE_DB: `${env.dir}/lost-edit.db` }));
    try {
      await settledPass(running);
      const duplicates = env.sink.duplicates();
      const { repo, name } = repository(1);
      const a = env.sim.actions;
      const opened = a.openPullRequest({ repository: name, title: 'Opened in real time' });
      expect((await postEvent(running, opened.events.find((e) => e.eventKey === 'pr:opened')!)).status).toBe(202);
      await handled(running);
      // The bridge was down, or its backlog full: Data Center does not send this one again.
      const [edit] = a.updatePullRequest({ repository: name, pullRequestId: opened.pullRequestId, title: 'Opened in real time, renamed' }).events;
      await settledPass(running);
      await settledPass(running);
      const delivered = () => deliveredFor(repo.id, opened.pullRequestId);
      const modified = () => delivered().filter((d) => d.eventKey === 'pr:modified').map((d) => [(d.body as any).previousTitle, (d.body as any).pullRequest.title, d.headers['x-pandev-origin']]);
      expect(modified()).toEqual([['Opened in real time', 'Opened in real time, renamed', 'poll']]);

      // Kept by a proxy and sent after all: the poll's report stands for it.
      expect((await postEvent(running, edit!)).status).toBe(202);
      await handled(running);
      await settledPass(running);
      expect(delivered().map((d) => `${d.eventKey} ${d.headers['x-pandev-origin']}`).sort()).toEqual(['pr:modified poll', 'pr:opened webhook']);
      expect(env.sink.duplicates()).toBe(duplicates);
    } finally {
      await running.stop();
    }
  });
});

describe('webhooks out of order', () => {
  it('delivers an edit once when its webhook comes before the opening\'s and a later change moved updatedDate on', async () => {
    const running = await inProcessBridge(env.config({ BRIDGE_DB: `${env.dir}/edit-first.db` }));
    try {
      await settledPass(running);
      const duplicates = env.sink.duplicates();
      const { repo, name } = repository(0);
      const a = env.sim.actions;
      const opened = a.openPullRequest({ repository: name, title: 'Edited before opened' });
      const [edit] = a.updatePullRequest({ repository: name, pullRequestId: opened.pullRequestId, title: 'Edited before opened, renamed' }).events;
      // The poll dates an edit by the updatedDate it reads, here two seconds on: had it reported this
      // edit too, the delivery id would differ from the webhook's.
      ahead += 2000;
      const [comment] = a.addComment({ repository: name, pullRequestId: opened.pullRequestId, text: 'two seconds later' }).events;
      for (const event of [comment!, edit!, opened.events.find((e) => e.eventKey === 'pr:opened')!]) expect((await postEvent(running, event)).status).toBe(202);
      await handled(running);
      await settledPass(running);
      await settledPass(running);
      const modified = deliveredFor(repo.id, opened.pullRequestId).filter((d) => d.eventKey === 'pr:modified');
      expect(modified.map((d) => [(d.body as any).previousTitle, (d.body as any).pullRequest.title, d.headers['x-pandev-origin']])).toEqual([['Edited before opened', 'Edited before opened, renamed', 'webhook']]);
      expect(env.sink.duplicates()).toBe(duplicates);
    } finally {
      await running.stop();
    }
  });

  it('delivers each event once when the approval comes before the opening and the poll follows', async () => {
    const running = await inProcessBridge(env.config({ BRIDGE_DB: `${env.dir}/order.db` }));
    try {
      await settledPass(running);
      const duplicates = env.sink.duplicates();
      const { repo, name } = repository(1);
      const life = pullRequestLife(name);
      for (const event of [...life.events].reverse()) expect((await postEvent(running, event)).status).toBe(202);
      await handled(running);
      const keys = () => deliveredFor(repo.id, life.pullRequestId).map((d) => d.eventKey).sort();
      const byWebhook = keys();
      expect(byWebhook).toEqual(['pr:comment:added', 'pr:comment:deleted', 'pr:comment:edited', 'pr:from_ref_updated', 'pr:merged', 'pr:modified', 'pr:opened', 'pr:reviewer:approved', 'pr:reviewer:needs_work', 'pr:reviewer:unapproved']);
      await settledPass(running);
      await settledPass(running);
      expect(keys()).toEqual(byWebhook);
      expect(env.sink.duplicates()).toBe(duplicates);
    } finally {
      await running.stop();
    }
  });
});

describe('a deleted pull request', () => {
  it('reaches PanDev once, by its webhook, and the poll that no longer finds the pull request fails nothing', async () => {
    const running = await inProcessBridge(env.config({ BRIDGE_DB: `${env.dir}/deleted.db` }));
    try {
      await settledPass(running);
      const { repo, name } = repository(0);
      const { pullRequestId } = env.sim.actions.openPullRequest({ repository: name, title: 'Deleted soon' });
      await settledPass(running);
      const [deleted] = env.sim.actions.deletePullRequest({ repository: name, pullRequestId }).events;
      expect((await postEvent(running, deleted!)).status).toBe(202);
      await handled(running);
      const pass = await settledPass(running);
      expect(pass.failed).toBe(0);
      expect(deliveredFor(repo.id, pullRequestId).map((d) => `${d.eventKey} ${d.headers['x-pandev-origin']}`)).toEqual(['pr:opened poll', 'pr:deleted webhook']);
    } finally {
      await running.stop();
    }
  });
});

describe('the listener down while Data Center sends', () => {
  it('leaves the poll after the restart to deliver what the lost webhooks carried, once', async () => {
    const config = env.config({ BRIDGE_DB: `${env.dir}/restart.db` });
    const { repo, name } = repository(1);
    const a = env.sim.actions;
    let running = await inProcessBridge(config);
    const hook = env.sim.webhooks.register(`${running.ops.webhookUrl}/webhooks/bitbucket`, WEBHOOK_SECRET);
    try {
      await settledPass(running);
      const duplicates = env.sink.duplicates();
      const { pullRequestId } = a.openPullRequest({ repository: name, title: 'Across a restart' });
      await env.sim.webhooks.idle();
      await handled(running);
      // The poll has seen it too: a rename is found by comparing with the title it saw.
      await settledPass(running);
      await running.stop();

      // Data Center sends each once: these reach nobody.
      const sent = env.sim.webhooks.deliveries().length;
      const approved = a.approvePullRequest({ repository: name, pullRequestId });
      a.unapprovePullRequest({ repository: name, pullRequestId, reviewer: approved.reviewer });
      a.updatePullRequest({ repository: name, pullRequestId, title: 'Across a restart, renamed' });
      a.addComment({ repository: name, pullRequestId, text: 'while the bridge was down' });
      a.pushToPullRequest({ repository: name, pullRequestId });
      a.mergePullRequest({ repository: name, pullRequestId });
      await env.sim.webhooks.idle();
      expect(env.sim.webhooks.deliveries().slice(sent).every((d) => d.status === null)).toBe(true);

      running = await inProcessBridge(config);
      await settledPass(running);
      await settledPass(running);
      const keys = deliveredFor(repo.id, pullRequestId).map((d) => `${d.eventKey} ${d.headers['x-pandev-origin']}`).sort();
      expect(keys).toEqual(['pr:comment:added poll', 'pr:from_ref_updated poll', 'pr:merged poll', 'pr:modified poll', 'pr:opened webhook', 'pr:reviewer:approved poll', 'pr:reviewer:unapproved poll']);
      expect(env.sink.duplicates()).toBe(duplicates);
    } finally {
      env.sim.webhooks.remove(hook);
      await running.stop();
    }
  });
});

describe('webhooks the bridge does not forward', () => {
  it('answers Data Center\'s "Test connection" 200 when signed, 401 when not', async () => {
    const running = await inProcessBridge(env.config({ BRIDGE_DB: `${env.dir}/ping.db` }));
    try {
      const id = env.sim.webhooks.register(`${running.ops.webhookUrl}/webhooks/bitbucket`, WEBHOOK_SECRET);
      env.sim.webhooks.ping(id);
      await env.sim.webhooks.idle();
      env.sim.webhooks.remove(id);
      expect(env.sim.webhooks.deliveries().filter((d) => d.webhookId === id).map((d) => [d.eventKey, d.status])).toEqual([['diagnostics:ping', 200]]);
      expect((await post(running, 'diagnostics:ping', '{"test":true}', signature('another-secret', '{"test":true}'))).status).toBe(401);
      // What an operator sees of it without reading the log.
      const metrics = await (await fetch(`${running.ops.url}/metrics`)).text();
      expect(metrics).toContain('pandev_bridge_webhooks_total{status="200"} 1');
      expect(metrics).toContain('pandev_bridge_webhooks_total{status="401"} 1');
    } finally {
      await running.stop();
    }
  });

  it('ignores a webhook for a repository not selected, with 200 and a reason', async () => {
    const { repo: selected } = repository(0);
    const { repo, name } = repository(1);
    const running = await inProcessBridge(env.config({ BRIDGE_DB: `${env.dir}/unselected.db`, BITBUCKET_REPOS: `${selected.projectKey}/${selected.slug}` }));
    try {
      const opened = env.sim.actions.openPullRequest({ repository: name, title: 'Not selected' });
      const response = await postEvent(running, opened.events.find((e) => e.eventKey === 'pr:opened')!);
      expect(response.status).toBe(200);
      expect(((await response.json()) as { message: string }).message).toContain('not selected');
      await handled(running);
      expect(deliveredFor(repo.id, opened.pullRequestId)).toEqual([]);
    } finally {
      await running.stop();
    }
  });

  it('refuses a signed body of a shape it does not know with 400, says so in the log, and the poll still delivers the change', async () => {
    const lines: string[] = [];
    const running = await inProcessBridge(env.config({ BRIDGE_DB: `${env.dir}/shape.db` }), lines);
    try {
      await settledPass(running);
      const { repo, name } = repository(0);
      const opened = env.sim.actions.openPullRequest({ repository: name, title: 'An odd shape' });
      const event = opened.events.find((e) => e.eventKey === 'pr:opened')!;
      const odd = { ...(event.body as object), pullRequest: { id: opened.pullRequestId } };
      const response = await post(running, event.eventKey, JSON.stringify(odd));
      expect(response.status).toBe(400);
      expect(((await response.json()) as { message: string }).message).toContain('malformed pr:opened payload');
      const logged = lines.map((line) => JSON.parse(line) as { msg: string; reason?: string }).filter((l) => l.msg.includes('webhook'));
      expect(logged.some((l) => l.reason?.includes('malformed pr:opened payload'))).toBe(true);
      await settledPass(running);
      expect(deliveredFor(repo.id, opened.pullRequestId).map((d) => [d.eventKey, d.headers['x-pandev-origin']])).toEqual([['pr:opened', 'poll']]);
    } finally {
      await running.stop();
    }
  });
});
