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
beforeAll(async () => ({ env, running, repository, stop } = await oneRepositoryBridge({ seed: 'same-second', pullRequestsPerRepository: 2, dateFormat: '10.x', baseTime: second - 60_000, clock: { now: () => second } })));
afterAll(() => stop());

const eventKeysOf = (id: number) => env.sink.deliveries().filter((d) => d.eventKey.startsWith('pr:') && (d.body as any).pullRequest.id === id).map((d) => d.eventKey);

describe('a pull request changed again within the second a pass read it', () => {
  it('has the later change delivered too (10.x dates)', async () => {
    const a = env.sim.actions;
    const pr = a.openPullRequest({ repository, title: 'Approved and merged at once' });
    for (let i = 0; i < 2; i++) await settledPass(running);
    expect(eventKeysOf(pr.pullRequestId)).toEqual(['pr:opened']);
    a.approvePullRequest({ repository, pullRequestId: pr.pullRequestId });
    a.mergePullRequest({ repository, pullRequestId: pr.pullRequestId });
    for (let i = 0; i < 2; i++) await settledPass(running);
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
    for (let i = 0; i < 2; i++) await settledPass(running);
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
    for (let i = 0; i < 2; i++) await settledPass(running);
    a.declinePullRequest({ repository, pullRequestId: pr.pullRequestId });
    if (passBetween) for (let i = 0; i < 2; i++) await settledPass(running);
    a.reopenPullRequest({ repository, pullRequestId: pr.pullRequestId });
    a.declinePullRequest({ repository, pullRequestId: pr.pullRequestId });
    for (let i = 0; i < 2; i++) await settledPass(running);
    expect(new Set(declines(pr.pullRequestId).map((d) => d.id)).size).toBe(2);
    expect(env.sink.duplicates()).toBe(0);
  });

  it('is two pr:declined from its two webhooks, under the ids the poll then finds them by (10.x dates)', async () => {
    const a = env.sim.actions;
    const pr = a.openPullRequest({ repository, title: 'Declined twice in a second, by webhook' });
    for (let i = 0; i < 2; i++) await settledPass(running);
    const [first] = a.declinePullRequest({ repository, pullRequestId: pr.pullRequestId }).events;
    a.reopenPullRequest({ repository, pullRequestId: pr.pullRequestId });
    const [second] = a.declinePullRequest({ repository, pullRequestId: pr.pullRequestId }).events;
    for (const webhook of [first!, second!]) expect((await postWebhook(running, webhook)).status).toBe(202);
    await webhooksHandled(running);
    expect(declines(pr.pullRequestId).map((d) => d.headers['x-pandev-origin'])).toEqual(['webhook', 'webhook']);
    expect(new Set(declines(pr.pullRequestId).map((d) => d.id)).size).toBe(2);

    for (let i = 0; i < 2; i++) await settledPass(running);
    expect(declines(pr.pullRequestId)).toHaveLength(2);
    expect(env.sink.duplicates()).toBe(0);
  });
});
