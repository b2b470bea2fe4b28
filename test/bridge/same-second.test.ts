import { inProcessBridge, oneRepositoryBridge, postWebhook, settledPass, webhooksHandled, type DcEnv } from './helpers';

// Data Center 10 prints a pull request's updatedDate to the second. A change in the same second as the
// one a pass read (a bot approving and merging at once) leaves updatedDate as that pass saw it: the poll
// must not take "same updatedDate" for "nothing new" then. The simulator's clock stands still here, so
// every change lands in one second, as it would between two reads that close together.

let env: DcEnv;
let running: Awaited<ReturnType<typeof inProcessBridge>>;
let repository: string;
let stop: () => Promise<void>;
const second = Math.floor(Date.now() / 1000) * 1000;
// Moved on (never back) only by the tests of changes in two seconds.
let now = second;
beforeAll(async () => ({ env, running, repository, stop } = await oneRepositoryBridge({ seed: 'same-second', pullRequestsPerRepository: 2, dateFormat: '10.x', baseTime: second - 60_000, clock: { now: () => now } })));
afterAll(() => stop());

const eventKeysOf = (id: number) => env.sink.deliveries().filter((d) => d.eventKey.startsWith('pr:') && (d.body as any).pullRequest.id === id).map((d) => d.eventKey);

// A quiet repository's pass reads one feed, pull requests and branches in turn, and the tags in place
// of one every tenth pass (poll/repository-pass.ts): three passes read its pull requests at least once.
const passes = async () => {
  for (let i = 0; i < 3; i++) await settledPass(running);
};

describe('a pull request changed again within the second a pass read it', () => {
  it('has the later change delivered too (10.x dates)', async () => {
    const a = env.sim.actions;
    const pr = a.openPullRequest({ repository, title: 'Approved and merged at once' });
    await passes();
    expect(eventKeysOf(pr.pullRequestId)).toEqual(['pr:opened']);
    a.approvePullRequest({ repository, pullRequestId: pr.pullRequestId });
    a.mergePullRequest({ repository, pullRequestId: pr.pullRequestId });
    await passes();
    expect(eventKeysOf(pr.pullRequestId)).toEqual(['pr:opened', 'pr:reviewer:approved', 'pr:merged']);
    expect(env.sink.duplicates()).toBe(0);
  });
});

describe('an edit within the second its pull request was opened, its webhook lost', () => {
  it('is reported once by the poll, against the title the opening\'s webhook delivered (10.x dates)', async () => {
    const a = env.sim.actions;
    const pr = a.openPullRequest({ repository, title: 'Opened and renamed at once' });
    expect((await postWebhook(running, pr.events.find((e) => e.eventKey === 'pr:opened')!)).status).toBe(202);
    await webhooksHandled(running);
    // updatedDate stays the opening's: the poll must read the pull request all the same.
    const [edit] = a.updatePullRequest({ repository, pullRequestId: pr.pullRequestId, title: 'Renamed within the second' }).events;
    await passes();
    expect(eventKeysOf(pr.pullRequestId)).toEqual(['pr:opened', 'pr:modified']);
    expect((await postWebhook(running, edit!)).status).toBe(202);
    await webhooksHandled(running);
    expect(eventKeysOf(pr.pullRequestId)).toEqual(['pr:opened', 'pr:modified']);
    expect(env.sink.duplicates()).toBe(0);
  });
});

// Data Center versions a pr:declined by its time to the second (core/change/datacenter-intents.ts): a
// decline, a reopen and a decline again within one second gave the two declines one delivery id, and
// PanDev dropped the second as a copy of the first.
describe('a pull request declined, reopened and declined again within one second', () => {
  const declines = (id: number) => env.sink.deliveries().filter((d) => d.eventKey === 'pr:declined' && (d.body as any).pullRequest.id === id);

  it.each([
    ['in one pass', false],
    ['across two passes', true],
  ])('is two pr:declined under two ids, found by the poll %s (10.x dates)', async (_, passBetween) => {
    const a = env.sim.actions;
    const pr = a.openPullRequest({ repository, title: `Declined twice in a second, ${passBetween ? 'a pass between' : 'one pass'}` });
    await passes();
    a.declinePullRequest({ repository, pullRequestId: pr.pullRequestId });
    if (passBetween) await passes();
    a.reopenPullRequest({ repository, pullRequestId: pr.pullRequestId });
    a.declinePullRequest({ repository, pullRequestId: pr.pullRequestId });
    await passes();
    expect(new Set(declines(pr.pullRequestId).map((d) => d.id)).size).toBe(2);
    expect(env.sink.duplicates()).toBe(0);
  });

  it('is two pr:declined from its two webhooks, under the ids the poll then finds them by (10.x dates)', async () => {
    const a = env.sim.actions;
    const pr = a.openPullRequest({ repository, title: 'Declined twice in a second, by webhook' });
    await passes();
    const [first] = a.declinePullRequest({ repository, pullRequestId: pr.pullRequestId }).events;
    a.reopenPullRequest({ repository, pullRequestId: pr.pullRequestId });
    const [second] = a.declinePullRequest({ repository, pullRequestId: pr.pullRequestId }).events;
    for (const webhook of [first!, second!]) expect((await postWebhook(running, webhook)).status).toBe(202);
    await webhooksHandled(running);
    expect(declines(pr.pullRequestId).map((d) => d.headers['x-pandev-origin'])).toEqual(['webhook', 'webhook']);
    expect(new Set(declines(pr.pullRequestId).map((d) => d.id)).size).toBe(2);

    await passes();
    expect(declines(pr.pullRequestId)).toHaveLength(2);
    expect(env.sink.duplicates()).toBe(0);
  });
});

// The same loss for everything else Data Center versions by its second: a reviewer approving, taking it
// back and approving again, a pull request edited twice, a comment edited twice, all within one second.
// The sink keeps one delivery per id, so each second change under the first one's id is missing there.
describe('a change made twice within one second', () => {
  const delivered = (id: number, eventKey: string) => env.sink.deliveries().filter((d) => d.eventKey === eventKey && (d.body as any).pullRequest.id === id);
  const opened = async (title: string) => {
    const pr = env.sim.actions.openPullRequest({ repository, title });
    await passes();
    return pr.pullRequestId;
  };
  const posted = async (webhooks: Array<{ eventKey: string; body: unknown }>) => {
    const answers = [];
    for (const webhook of webhooks) answers.push((await postWebhook(running, webhook)).status);
    await webhooksHandled(running);
    return answers;
  };

  describe.each([
    ['in one pass', false],
    ['across two passes', true],
  ])('found by the poll %s (10.x dates)', (_, passBetween) => {
    it('is two pr:reviewer:approved when a reviewer approves, unapproves and approves again', async () => {
      const a = env.sim.actions;
      const id = await opened(`Approved twice in a second, ${passBetween}`);
      const { reviewer } = a.approvePullRequest({ repository, pullRequestId: id });
      if (passBetween) await passes();
      a.unapprovePullRequest({ repository, pullRequestId: id, reviewer });
      a.approvePullRequest({ repository, pullRequestId: id, reviewer });
      await passes();
      expect(delivered(id, 'pr:reviewer:approved')).toHaveLength(2);
      expect(delivered(id, 'pr:reviewer:unapproved')).toHaveLength(1);
      expect(env.sink.duplicates()).toBe(0);
    });

    it('is two pr:comment:edited when a comment is edited twice', async () => {
      const a = env.sim.actions;
      const id = await opened(`Comment edited twice in a second, ${passBetween}`);
      const { commentId } = a.addComment({ repository, pullRequestId: id, text: 'first words' });
      a.editComment({ repository, pullRequestId: id, commentId, text: 'second words' });
      if (passBetween) await passes();
      a.editComment({ repository, pullRequestId: id, commentId, text: 'third words' });
      await passes();
      // One pass holds the comment as it is now: both edits carry its last text.
      expect(delivered(id, 'pr:comment:edited').map((d) => (d.body as any).comment.text)).toEqual(passBetween ? ['second words', 'third words'] : ['third words', 'third words']);
      expect(env.sink.duplicates()).toBe(0);
    });
  });

  it('is two pr:modified when the poll reads each edit of a pull request edited twice (10.x dates)', async () => {
    const a = env.sim.actions;
    const id = await opened('Edited twice in a second');
    a.updatePullRequest({ repository, pullRequestId: id, title: 'First rename' });
    await passes();
    a.updatePullRequest({ repository, pullRequestId: id, title: 'Second rename' });
    await passes();
    expect(delivered(id, 'pr:modified').map((d) => (d.body as any).pullRequest.title)).toEqual(['First rename', 'Second rename']);
    expect(env.sink.duplicates()).toBe(0);
  });

  it('is each change once, from its webhooks and then the poll, for all three (10.x dates)', async () => {
    const a = env.sim.actions;
    const id = await opened('Everything twice in a second, by webhook');
    const { reviewer, events: approved } = a.approvePullRequest({ repository, pullRequestId: id });
    const { events: unapproved } = a.unapprovePullRequest({ repository, pullRequestId: id, reviewer });
    const { events: approvedAgain } = a.approvePullRequest({ repository, pullRequestId: id, reviewer });
    const { commentId, events: commented } = a.addComment({ repository, pullRequestId: id, text: 'first words' });
    const { events: edited } = a.editComment({ repository, pullRequestId: id, commentId, text: 'second words' });
    const { events: editedAgain } = a.editComment({ repository, pullRequestId: id, commentId, text: 'third words' });
    const { events: renamed } = a.updatePullRequest({ repository, pullRequestId: id, title: 'First rename' });
    const { events: renamedAgain } = a.updatePullRequest({ repository, pullRequestId: id, title: 'Second rename' });
    // A review does not move the pull request's version: the second approval's webhook is the first one's
    // bytes, which the bridge takes for a replay and turns away. The poll reports it.
    expect(JSON.stringify(approvedAgain[0]!.body)).toBe(JSON.stringify(approved[0]!.body));
    expect(await posted([...approved, ...unapproved, ...approvedAgain, ...commented, ...edited, ...editedAgain, ...renamed, ...renamedAgain])).toEqual([202, 202, 200, 202, 202, 202, 202, 202]);
    expect(delivered(id, 'pr:reviewer:approved')).toHaveLength(1);
    const expected = () => {
      expect(delivered(id, 'pr:comment:edited').map((d) => (d.body as any).comment.text)).toEqual(['second words', 'third words']);
      expect(delivered(id, 'pr:modified').map((d) => (d.body as any).pullRequest.title)).toEqual(['First rename', 'Second rename']);
    };
    expected();
    await passes();
    expected();
    expect(delivered(id, 'pr:reviewer:approved').map((d) => d.headers['x-pandev-origin'])).toEqual(['webhook', 'poll']);
    expect(env.sink.duplicates()).toBe(0);
  });

  it('is the second pr:modified from the poll when its webhook is lost, after the first one\'s webhook (10.x dates)', async () => {
    const a = env.sim.actions;
    const id = await opened('Edited twice in a second, the second webhook lost');
    await posted(a.updatePullRequest({ repository, pullRequestId: id, title: 'First rename' }).events);
    a.updatePullRequest({ repository, pullRequestId: id, title: 'Second rename' });
    await passes();
    expect(delivered(id, 'pr:modified').map((d) => (d.body as any).pullRequest.title)).toEqual(['First rename', 'Second rename']);
    expect(env.sink.duplicates()).toBe(0);
  });

  // The poll counts the modifications it reports, the webhook path the webhooks it handled: a webhook of
  // the second edit, the first one's lost, is the first the webhook path counts, though the poll reported
  // the first edit in that second already.
  it('is the second pr:modified from its webhook, the poll having reported the first one whose webhook was lost (10.x dates)', async () => {
    const a = env.sim.actions;
    const id = await opened('Edited twice in a second, the first webhook lost');
    a.updatePullRequest({ repository, pullRequestId: id, title: 'First rename' });
    await passes();
    expect(await posted(a.updatePullRequest({ repository, pullRequestId: id, title: 'Second rename' }).events)).toEqual([202]);
    await passes();
    expect(delivered(id, 'pr:modified').map((d) => (d.body as any).pullRequest.title)).toEqual(['First rename', 'Second rename']);
    expect(env.sink.duplicates()).toBe(0);
  });

  // Webhooks can be handled out of order: one of an earlier second, handled between two of a later one,
  // must not make the webhook path forget what it counted in the later one (the second would take the
  // first one's id, and PanDev drop it as a copy).
  it('is each pr:comment:edited once, from its webhook, when an earlier second\'s is handled between two of one second (10.x dates)', async () => {
    const a = env.sim.actions;
    const id = await opened('Comment edited in two seconds, webhooks out of order');
    const { commentId } = a.addComment({ repository, pullRequestId: id, text: 'first words' });
    const early = a.editComment({ repository, pullRequestId: id, commentId, text: 'earlier words' }).events;
    now += 10_000;
    const first = a.editComment({ repository, pullRequestId: id, commentId, text: 'second words' }).events;
    const second = a.editComment({ repository, pullRequestId: id, commentId, text: 'third words' }).events;
    expect(await posted([...first, ...early, ...second])).toEqual([202, 202, 202]);
    expect(delivered(id, 'pr:comment:edited').map((d) => (d.body as any).comment.text)).toEqual(['second words', 'earlier words', 'third words']);
    await passes();
    expect(delivered(id, 'pr:comment:edited')).toHaveLength(3);
    expect(env.sink.duplicates()).toBe(0);
  });

  // A merged pull request's record keeps no memory (nothing about it can be reopened or modified), but its
  // comments can still be edited.
  it('is two pr:comment:edited when a comment of a merged pull request is edited twice, a pass between (10.x dates)', async () => {
    const a = env.sim.actions;
    const id = await opened('Merged, then a comment edited twice in a second');
    a.mergePullRequest({ repository, pullRequestId: id });
    const { commentId } = a.addComment({ repository, pullRequestId: id, text: 'first words' });
    a.editComment({ repository, pullRequestId: id, commentId, text: 'second words' });
    await passes();
    a.editComment({ repository, pullRequestId: id, commentId, text: 'third words' });
    await passes();
    expect(delivered(id, 'pr:comment:edited').map((d) => (d.body as any).comment.text)).toEqual(['second words', 'third words']);
    expect(env.sink.duplicates()).toBe(0);
  });
});

// Both paths keep their counts in the bridge's database: a restart between them changes no id.
describe('a pull request declined, reopened and declined again within one second, the bridge restarted', () => {
  it('is two pr:declined, the first from its webhook before the restart, both found by the poll and the second\'s webhook after it (10.x dates)', async () => {
    const a = env.sim.actions;
    const pr = a.openPullRequest({ repository, title: 'Declined twice in a second, a restart between' });
    await passes();
    const [first] = a.declinePullRequest({ repository, pullRequestId: pr.pullRequestId }).events;
    a.reopenPullRequest({ repository, pullRequestId: pr.pullRequestId });
    const [second] = a.declinePullRequest({ repository, pullRequestId: pr.pullRequestId }).events;
    expect((await postWebhook(running, first!)).status).toBe(202);
    await webhooksHandled(running);
    await running.stop();
    running = await inProcessBridge(env.config());
    stop = async () => {
      await running.stop();
      await env.stop();
    };
    await passes();
    expect((await postWebhook(running, second!)).status).toBe(202);
    await webhooksHandled(running);
    const declines = env.sink.deliveries().filter((d) => d.eventKey === 'pr:declined' && (d.body as any).pullRequest.id === pr.pullRequestId);
    expect(declines.map((d) => d.headers['x-pandev-origin'])).toEqual(['webhook', 'poll']);
    expect(env.sink.duplicates()).toBe(0);
  });
});
