import { testSandbox, type TestSandbox } from './helpers';

// Issue 2: bad input never crashes a handler and never vanishes. Each case ends delivered, parked as a
// dead letter, or dropped on purpose with a counted reason, and says why in the log.

let sb: TestSandbox;
// The tick is run by drain() alone, after the host is idle: with a sweep grace of 0, the host's own
// fast tick re-queued an entry still being enriched, which then was dropped (or buried) twice.
beforeAll(async () => (sb = await testSandbox({ scheduledTriggers: false, tuning: { deliveryTimeoutMs: 400, maxEnrichAttempts: 3, sweepGraceSeconds: 0 } })));
afterAll(() => sb.stop());
beforeEach(() => {
  sb.sink.clear();
  sb.simulator.faults.clear();
});

async function drain() {
  for (let round = 0; round < 10; round++) {
    await sb.settle();
    if (sb.host.kvs.keys('outbox:').length === 0) return;
    await sb.host.runScheduled('five-minute-tick');
  }
}

async function records(prefix: 'dropped:' | 'dead:') {
  return Promise.all(sb.host.kvs.keys(prefix).map(async (key) => (await sb.host.kvs.get(key)) as any));
}

const repo = () => [...sb.simulator.model.repositories.values()][2]!;
const event = (extra: Record<string, unknown>) => ({
  eventType: 'avi:bitbucket:created:pullrequest',
  timestamp: new Date().toISOString(),
  selfGenerated: false,
  actor: { type: 'user', accountId: 'x', uuid: '{00000000-0000-4000-8000-000000000001}' },
  repository: { uuid: repo().uuid, slug: repo().slug },
  project: { uuid: '{00000000-0000-4000-8000-000000000002}' },
  workspace: { uuid: sb.simulator.workspace.uuid },
  ...extra,
});
const logged = (pattern: RegExp) => sb.logs.some((line) => pattern.test(line.message));

it('drops an event with missing or mistyped fields, counting the reason and naming the field', async () => {
  await sb.host.fireEvent(event({ pullrequest: { id: 'seven' } }));
  await sb.host.fireEvent(event({ workspace: undefined, pullrequest: { id: 7 } }));
  await drain();
  const invalid = (await records('dropped:')).filter((r) => r.reason === 'invalid-event');
  expect(invalid.map((r) => r.detail)).toEqual(expect.arrayContaining([expect.stringMatching(/pullrequest\.id/), expect.stringMatching(/workspace/)]));
  expect(logged(/event dropped on purpose.*invalid-event/)).toBe(true);
  expect(sb.sink.received()).toBe(0);
});

it('drops an event with a text too long to queue or keep, naming the field, instead of failing the trigger', async () => {
  // 300 000 characters passed the schema, then overflowed the queue (200 KB) and the parking store
  // (240 KiB): the trigger threw and the event was gone without a reason.
  await sb.host.fireEvent(event({ timestamp: 'x'.repeat(300_000), pullrequest: { id: 7 } }));
  await drain();
  const invalid = (await records('dropped:')).filter((r) => r.reason === 'invalid-event');
  expect(invalid.map((r) => r.detail)).toContainEqual(expect.stringMatching(/^malformed avi:bitbucket:created:pullrequest event: timestamp: Too big/));
  expect(sb.logs.filter((line) => /^invocation-failed/.test(line.message))).toEqual([]);
});

it('drops an event about a pull request Bitbucket no longer has (404), with its reason', async () => {
  await sb.host.fireEvent(event({ pullrequest: { id: 99999, state: 'OPEN' } }));
  await drain();
  const gone = (await records('dropped:')).filter((r) => r.reason === 'source-gone');
  expect(gone).toHaveLength(1);
  expect(gone[0].detail).toMatch(/404/);
  expect(logged(/dropped: Bitbucket no longer has it/)).toBe(true);
});

it('delivers an event whose actor Bitbucket cannot show (an app\'s account, a deleted one), naming the actor by its ids', async () => {
  const pr = [...repo().pullRequests.values()][0]!;
  const ghost = { type: 'user', accountId: 'ghost-account', uuid: '{0badc0de-0000-4000-8000-000000000009}' };
  await sb.host.fireEvent(event({ eventType: 'avi:bitbucket:updated:pullrequest', actor: ghost, pullrequest: { id: pr.id, state: pr.state } }));
  await drain();
  const delivered = sb.sink.deliveries().filter((d) => d.eventKey === 'pullrequest:updated');
  expect(delivered).toHaveLength(1);
  expect((delivered[0]!.body as any).actor).toMatchObject({ uuid: ghost.uuid, account_id: ghost.accountId });
  expect((delivered[0]!.body as any).pullrequest.id).toBe(pr.id);
});

it('parks an event of a repository the app cannot read (403) as a dead letter that says what to do', async () => {
  sb.simulator.faults.add({ path: `/pullrequests/`, status: 403, body: '{"type":"error","error":{"message":"forbidden"}}' });
  sb.simulator.actions.openPullRequest({ repository: repo().slug });
  await drain();
  const dead = await records('dead:');
  expect(dead).toHaveLength(1);
  expect(dead[0].reason).toMatch(/403.*cannot read this repository.*replay/);
  expect(logged(/dead letter/)).toBe(true);
  // The admin fixes access and replays: it goes through.
  sb.simulator.faults.clear();
  const admin = { accountId: sb.simulator.credentials.admin.user.account_id as string };
  await sb.host.invokeResolver('settings-resolver', 'deadLetters/replay', { id: dead[0].entry.id }, admin);
  await drain();
  expect(sb.sink.deliveries().map((d) => d.id)).toContain(dead[0].entry.id);
});

it('retries malformed JSON from Bitbucket and delivers once Bitbucket answers properly', async () => {
  sb.simulator.faults.add({ path: `/pullrequests/\\d+$`, status: 200, body: '{"type": "pullrequest", "id": ', times: 2 });
  sb.simulator.actions.openPullRequest({ repository: repo().slug });
  await drain();
  expect(sb.sink.deliveries().map((d) => d.eventKey)).toContain('pullrequest:created');
  expect(logged(/enrichment failed, will retry/)).toBe(true);
});

it('gives up on a pull request that stays malformed and keeps it as a dead letter', async () => {
  const before = (await records('dead:')).length;
  sb.simulator.faults.add({ path: `/pullrequests/\\d+$`, status: 200, body: '{"id": "not a number", "type": "pullrequest"}' });
  sb.simulator.actions.openPullRequest({ repository: repo().slug });
  await drain();
  const dead = await records('dead:');
  expect(dead.length).toBe(before + 1);
  expect(dead.some((d) => /gave up after 3 tries.*unexpected shape \(id:/.test(d.reason))).toBe(true);
});

it("trims a body over Bitbucket's 256 KB webhook limit and says what it cut", async () => {
  const huge = 'A very long description. '.repeat(12_000);
  sb.simulator.actions.openPullRequest({ repository: repo().slug, description: huge });
  await drain();
  const created = sb.sink.deliveries().find((d) => d.eventKey === 'pullrequest:created')!;
  expect(Buffer.byteLength(created.raw)).toBeLessThanOrEqual(256 * 1024);
  expect((created.body as any).pandev.truncated).toEqual(expect.arrayContaining(['pullrequest.rendered']));
});
