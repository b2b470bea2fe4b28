import { forgeMocks, resetForgeMocks } from '../helpers/forge-mocks';
import { onBitbucketEvent } from '../../src/forge/triggers/on-bitbucket-event';
import { forward } from '../../src/forge/consumers/forward';
import { tick } from '../../src/forge/scheduled/tick';
import { secretKeys } from '../../src/core/config/settings';

const workspace = '{11111111-1111-4111-8111-111111111111}';
const repo = '{22222222-2222-4222-8222-222222222222}';
const prEvent = (extra: Record<string, unknown> = {}) => ({
  eventType: 'avi:bitbucket:created:pullrequest',
  timestamp: '2026-11-20T10:00:00.000Z',
  selfGenerated: false,
  actor: { type: 'user', accountId: 'acc-1', uuid: '{33333333-3333-4333-8333-333333333333}' },
  repository: { uuid: repo, slug: 'api' },
  project: { uuid: '{44444444-4444-4444-8444-444444444444}' },
  workspace: { uuid: workspace },
  pullrequest: { id: 5, state: 'OPEN', source: { branch: 'f', commit: { hash: 'abc' } }, destination: { branch: 'main', commit: { hash: 'def' } } },
  somethingNew: { tolerated: true },
  ...extra,
});

function activate(selection: 'all' | 'selected' = 'all') {
  forgeMocks.kv.set('config:connection', { value: { baseUrl: 'https://ingest.pandev-metrics.com', activatedAt: 1 } });
  forgeMocks.kv.set('config:selection', { value: { mode: selection } });
  forgeMocks.secrets.set(secretKeys.token, 'tok-123456');
  forgeMocks.secrets.set(secretKeys.signingSecret, 'sec-abcdef');
}

/** Counted reasons, from the per-instance hourly stats records. */
const dropReasons = () =>
  [...forgeMocks.kv.entries()].filter(([k]) => k.startsWith('stats:')).flatMap(([, v]) => Object.keys((v.value as { droppedBy: Record<string, number> }).droppedBy));
const keptDrops = () => [...forgeMocks.kv.entries()].filter(([k]) => k.startsWith('dropped:')).map(([, v]) => (v.value as { reason: string }).reason);

// The Forge context (and its hourly stats, which write at most every 30 s) lives per function instance,
// that is per module here: each test starts a minute later than the previous one.
let clock = Date.now();
beforeEach(() => {
  resetForgeMocks();
  // The tick reads the workspace's repositories for the reconciliation: an empty workspace here.
  forgeMocks.bitbucketResponse = (call) => (call.path.startsWith('/2.0/repositories/{') && !call.path.includes('/', 20) ? { status: 200, body: { values: [], pagelen: 100 } } : { status: 200, body: {} });
  clock += 60_000;
  jest.spyOn(Date, 'now').mockImplementation(() => clock);
});

describe('product trigger', () => {
  it('queues a change for a selected repository, tolerating unknown fields', async () => {
    activate();
    await onBitbucketEvent(prEvent());
    expect(forgeMocks.pushed).toHaveLength(1);
    expect(forgeMocks.pushed[0]!.queue).toBe('pandev-forward');
    expect(forgeMocks.pushed[0]!.events).toEqual([
      { body: { change: expect.objectContaining({ kind: 'pullrequest', action: 'created', pullRequestId: 5, workspace, origin: 'trigger' }) } },
    ]);
  });

  it.each([
    ['self-generated', () => activate(), prEvent({ selfGenerated: true })],
    ['not-activated', () => undefined, prEvent()],
    ['repository-not-selected', () => activate('selected'), prEvent()],
    ['invalid-event', () => activate(), prEvent({ pullrequest: { id: 'five' } })],
    ['invalid-event', () => activate(), prEvent({ eventType: 'avi:bitbucket:exploded:pullrequest' })],
  ])('drops on purpose and counts the reason: %s', async (reason, setup, event) => {
    setup();
    await expect(onBitbucketEvent(event)).resolves.toBeUndefined();
    expect(forgeMocks.pushed).toHaveLength(0);
    expect(dropReasons()).toContain(reason);
    // Malformed events are also kept with their detail; expected drops are only counted.
    expect(keptDrops()).toEqual(reason === 'invalid-event' ? [reason] : []);
  });

  it('serializes reviewer changes of one pull request', async () => {
    activate();
    await onBitbucketEvent(prEvent({ eventType: 'avi:bitbucket:updated:pullrequest-reviewer-status', reviewers: { value: [{ user: { uuid: '{r1}' }, status: 'approved', timestamp: 't' }] } }));
    expect(forgeMocks.pushed[0]!.events[0]).toMatchObject({ concurrency: { key: 'reviewer-22222222-2222-4222-8222-222222222222-5', limit: 1 } });
  });

  it('parks the change when the queue refuses it, and the tick queues it later', async () => {
    activate();
    forgeMocks.failPushes = 1;
    await expect(onBitbucketEvent(prEvent())).resolves.toBeUndefined();
    expect(forgeMocks.pushed).toHaveLength(0);
    expect([...forgeMocks.kv.keys()].filter((k) => k.startsWith('inbox:'))).toHaveLength(1);
    await tick({}, { installContext: 'ari:cloud:bitbucket::workspace/11111111-1111-4111-8111-111111111111' });
    expect(forgeMocks.pushed).toEqual([{ queue: 'pandev-forward', events: [{ body: { change: expect.objectContaining({ kind: 'pullrequest', pullRequestId: 5 }) } }] }]);
    expect([...forgeMocks.kv.keys()].filter((k) => k.startsWith('inbox:'))).toHaveLength(0);
  });

  it('parks the change when Forge takes only part of the push (202, PartialSuccessError), and the tick queues it later', async () => {
    activate();
    forgeMocks.partialPushes = 1;
    await expect(onBitbucketEvent(prEvent())).resolves.toBeUndefined();
    expect(forgeMocks.pushed).toHaveLength(0);
    expect([...forgeMocks.kv.keys()].filter((k) => k.startsWith('inbox:'))).toHaveLength(1);
    await tick({}, { installContext: 'ari:cloud:bitbucket::workspace/11111111-1111-4111-8111-111111111111' });
    expect(forgeMocks.pushed).toEqual([{ queue: 'pandev-forward', events: [{ body: { change: expect.objectContaining({ kind: 'pullrequest', pullRequestId: 5 }) } }] }]);
  });

  it('queues parked changes together: one push request for up to 50 (Forge counts them per lineage)', async () => {
    activate();
    forgeMocks.failPushes = 3;
    for (const id of [5, 6, 7]) await onBitbucketEvent(prEvent({ pullrequest: { ...prEvent().pullrequest, id } }));
    expect([...forgeMocks.kv.keys()].filter((k) => k.startsWith('inbox:'))).toHaveLength(3);
    await tick({}, { installContext: 'ari:cloud:bitbucket::workspace/11111111-1111-4111-8111-111111111111' });
    expect(forgeMocks.pushed.map((push) => push.events.length)).toEqual([3]);
    expect([...forgeMocks.kv.keys()].filter((k) => k.startsWith('inbox:'))).toHaveLength(0);
  });

  it('forwards a selected repository when the selection is explicit', async () => {
    activate('selected');
    forgeMocks.kv.set('selected:0:22222222-2222-4222-8222-222222222222', { value: true });
    await onBitbucketEvent(prEvent());
    expect(forgeMocks.pushed).toHaveLength(1);
  });
});

afterEach(() => jest.restoreAllMocks());

/** Bitbucket as the consumer reads it: the pull request, and the repository for the cache. */
const pullRequestAndRepository: typeof forgeMocks.bitbucketResponse = (call) =>
  call.path.includes('/pullrequests/')
    ? { status: 200, body: { type: 'pullrequest', id: 5, state: 'OPEN', created_on: 'x', updated_on: 'y', source: {}, destination: {} } }
    : { status: 200, body: { type: 'repository', uuid: repo, full_name: 'w/api', name: 'api' } };

describe('queue consumer', () => {
  it('returns an InvocationError carrying the outbox ids when PanDev must be retried', async () => {
    activate();
    forgeMocks.bitbucketResponse = pullRequestAndRepository;
    forgeMocks.fetchResponse = () => ({ status: 503, body: 'busy', headers: { 'retry-after': '120' } });
    await onBitbucketEvent(prEvent());
    const body = (forgeMocks.pushed[0]!.events[0] as { body: unknown }).body;
    const result = (await forward({ body, queueName: 'pandev-forward', jobId: 'j', eventId: 'e' })) as { _retry: boolean; retryOptions: { retryAfter: number; retryReason: string; retryData: { ids: string[] } } };
    expect(result._retry).toBe(true);
    expect(result.retryOptions.retryAfter).toBeGreaterThanOrEqual(120);
    expect(result.retryOptions.retryReason).toBe('FUNCTION_RETRY_REQUEST');
    expect(result.retryOptions.retryData.ids).toHaveLength(1);
    const sent = forgeMocks.fetchCalls[0]!;
    expect(sent.url).toBe('https://ingest.pandev-metrics.com/v1/bitbucket/webhook/merge-request');
    expect(sent.init.headers['X-Attempt-Number']).toBe('1');

    // The retry resumes the same delivery (same id, next attempt number) without re-reading Bitbucket.
    forgeMocks.fetchResponse = () => ({ status: 202 });
    const readsBefore = forgeMocks.bitbucketCalls.length;
    clock += 242_000;
    const again = await forward({ body, retryContext: { retryCount: 1, retryReason: 'FUNCTION_RETRY_REQUEST', retryData: result.retryOptions.retryData } });
    expect(again).toBeUndefined();
    expect(forgeMocks.bitbucketCalls.length).toBe(readsBefore);
    expect(forgeMocks.fetchCalls[1]!.init.headers['X-Attempt-Number']).toBe('2');
    expect(forgeMocks.fetchCalls[1]!.init.headers['X-Request-UUID']).toBe(sent.init.headers['X-Request-UUID']);
    const ledger = [...forgeMocks.kv.entries()].find(([k]) => k.startsWith('delivered:'))!;
    expect(ledger[1].ttl).toEqual({ value: 35 * 24 * 3600, unit: 'SECONDS' });
    expect([...forgeMocks.kv.keys()].some((k) => k.startsWith('outbox:'))).toBe(false);
  });

  it('retries each delivery at its own pace: later ones go back on the queue with their own delay', async () => {
    activate();
    forgeMocks.bitbucketResponse = pullRequestAndRepository;
    forgeMocks.fetchResponse = () => ({ status: 503, body: 'busy' });
    await onBitbucketEvent(prEvent());
    await onBitbucketEvent(prEvent({ pullrequest: { id: 6, state: 'OPEN' } }));
    const ids: string[] = [];
    for (const push of forgeMocks.pushed.splice(0)) {
      const result = (await forward({ body: (push.events[0] as { body: unknown }).body })) as { retryOptions: { retryData: { ids: string[] } } };
      ids.push(...result.retryOptions.retryData.ids);
    }
    // One of them is many attempts in (the sweep hands such stragglers over beside fresh ones).
    const [old, fresh] = ids as [string, string];
    const stored = forgeMocks.kv.get(`outbox:${old}`)!;
    forgeMocks.kv.set(`outbox:${old}`, { ...stored, value: { ...(stored.value as object), attempts: 8 } });
    clock += 3_600_000;
    const result = (await forward({ body: { ids: [old, fresh] } })) as { retryOptions: { retryAfter: number; retryData: { ids: string[] } } };
    expect(result.retryOptions.retryData.ids).toEqual([fresh]);
    expect(result.retryOptions.retryAfter).toBeLessThanOrEqual(60);
    expect(forgeMocks.pushed).toEqual([{ queue: 'pandev-forward', events: [{ body: { ids: [old] }, delayInSeconds: expect.any(Number) }] }]);
    expect((forgeMocks.pushed[0]!.events[0] as { delayInSeconds: number }).delayInSeconds).toBeGreaterThanOrEqual(450);
  });

  it('hands the deliveries it has no time left for back as its retry, instead of running past its 120 s', async () => {
    activate();
    forgeMocks.bitbucketResponse = pullRequestAndRepository;
    forgeMocks.fetchResponse = () => ({ status: 503, body: 'busy' });
    for (const id of [1, 2, 3, 4, 5, 6]) await onBitbucketEvent(prEvent({ pullrequest: { id, state: 'OPEN' } }));
    const ids: string[] = [];
    for (const push of forgeMocks.pushed.splice(0)) {
      const result = (await forward({ body: (push.events[0] as { body: unknown }).body })) as { retryOptions: { retryData: { ids: string[] } } };
      ids.push(...result.retryOptions.retryData.ids);
    }
    expect(ids).toHaveLength(6);
    clock += 3_600_000;
    // PanDev takes each delivery, 30 s after it was sent: the invocation, 120 s long (Forge cannot say
    // how long it has left outside its runtime), has time for four with the 25 s it keeps back.
    forgeMocks.fetchResponse = () => {
      clock += 30_000;
      return { status: 202 };
    };
    const result = (await forward({ body: { ids } })) as { _retry: boolean; retryOptions: { retryAfter: number; retryData: { ids: string[] } } };
    expect(forgeMocks.fetchCalls.filter((c) => c.init.headers['X-Attempt-Number'] === '2').length).toBe(4);
    expect(result.retryOptions.retryData.ids).toEqual(ids.slice(4));
    expect(result.retryOptions.retryAfter).toBe(1);
    expect(forgeMocks.pushed).toEqual([]);

    // The retry, a fresh invocation, delivers them.
    const again = await forward({ body: { ids }, retryContext: { retryCount: 1, retryReason: 'FUNCTION_RETRY_REQUEST', retryData: result.retryOptions.retryData } });
    expect(again).toBeUndefined();
    expect([...forgeMocks.kv.keys()].some((k) => k.startsWith('outbox:'))).toBe(false);
  });

  it('leaves a backfill piece queued before chains were named to the chain that carries its record now', async () => {
    activate();
    const record = { repository: repo, state: 'running', windowDays: 30, since: '2026-10-21T00:00:00Z', requestedAt: 1, updatedAt: 1, done: 3, requests: 9, chain: 'chain-new', cursor: { phase: 'activity' } };
    forgeMocks.kv.set(`backfill:${repo.replace(/[{}]/g, '')}`, { value: record });
    await forward({ body: { backfill: { workspace, repository: repo } } });
    expect(forgeMocks.bitbucketCalls).toEqual([]);
    expect(forgeMocks.pushed).toEqual([]);
    expect(forgeMocks.kv.get(`backfill:${repo.replace(/[{}]/g, '')}`)?.value).toMatchObject({ chain: 'chain-new', done: 3 });
  });

  it('drops a malformed queue message with a log line instead of crashing', async () => {
    await expect(forward({ body: { nonsense: true } })).resolves.toBeUndefined();
  });
});

describe('five-minute tick', () => {
  it('re-queues outbox entries whose retry is long overdue', async () => {
    activate();
    forgeMocks.kv.set('outbox:late', { value: { id: 'late', nextAttemptAt: Date.now() - 3_600_000 } });
    forgeMocks.kv.set('outbox:fresh', { value: { id: 'fresh', nextAttemptAt: Date.now() } });
    await tick({}, { installContext: 'ari:cloud:bitbucket::workspace/11111111-1111-4111-8111-111111111111' });
    expect(forgeMocks.pushed).toEqual([{ queue: 'pandev-forward', events: [{ body: { ids: ['late'] }, delayInSeconds: 120 }] }]);
  });
});
