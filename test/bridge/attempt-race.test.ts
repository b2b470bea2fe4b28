import type { Change } from '../../src/core/change/change';
import { intentsFor } from '../../src/core/change/intents';
import { settingsStore } from '../../src/core/config/settings';
import { encodeBody, outboxStore, type OutboxEntry } from '../../src/core/deliver/outbox';
import type { ForwardContext } from '../../src/core/pipeline/context';
import { processEntries } from '../../src/core/pipeline/deliver-entries';
import { credentialsDigest } from '../../src/core/pipeline/pause';
import { idsMessages } from '../../src/core/pipeline/queue';
import { sweepOutbox } from '../../src/core/pipeline/sweep';
import { newEntry } from '../../src/core/pipeline/stage';
import type { HttpSend } from '../../src/core/ports';
import { resumeOutbox } from '../../src/bridge/context';
import { clearPause } from '../../src/bridge/state/connection';
import { dcEnv, inProcessBridge, until, type DcEnv } from './helpers';

// The sweep queues again an entry whose planned attempt is long past: it cannot tell a lost retry from
// a consumer still attempting it (a long batch, a queue running late). Both may POST it, under one
// X-Request-UUID that PanDev deduplicates on; what must not happen is the slower one's failure
// burying a delivery the other made, leaving a dead letter for what PanDev holds. The bridge's sweep
// can tell for what its own queue still holds, and leaves that alone; so does its sending of what a
// pause kept, once a check lifts the pause.

let env: DcEnv;
const now = Date.parse('2026-11-20T10:00:00Z');
const clock = { now: () => now };
beforeAll(async () => (env = await dcEnv({ seed: 'attempt-lease', projects: 1, repositoriesPerProject: 1, pullRequestsPerRepository: 0 })));
afterAll(() => env.stop());
beforeEach(() => env.sink.clear());

const change = (pullRequestId: number): Change => ({ edition: 'datacenter', workspace: 'instance', repository: { uuid: 'repo-1' }, origin: 'poll', at: '2026-11-20T10:00:00Z', kind: 'pullrequest', action: 'created', pullRequestId });

/** An outbox entry with its body built, planned for `at`. */
async function staged(ctx: ForwardContext, pullRequestId: number, attempts: number, at: number): Promise<OutboxEntry> {
  const c = change(pullRequestId);
  const entry = { ...newEntry(c, intentsFor(c).intents[0]!, at), body: encodeBody(JSON.stringify({ eventKey: 'pr:opened', pullRequest: { id: pullRequestId } })), attempts };
  await outboxStore(ctx.store).put(entry);
  return entry;
}

/** A sender whose POSTs wait until the test lets them go (PanDev slow to answer), then go out over loopback. */
function heldSend(send: HttpSend) {
  let reached!: () => void;
  let release!: () => void;
  let calls = 0;
  const atSink = new Promise<void>((resolve) => (reached = resolve));
  const go = new Promise<void>((resolve) => (release = resolve));
  const held: HttpSend = async (url, init) => {
    calls++;
    reached();
    await go;
    return send(url, init);
  };
  return { send: held, atSink, release, calls: () => calls };
}

it("does not bury a delivery that another sender made while its own last attempt failed", async () => {
  const running = await inProcessBridge(env.config(), [], { clock });
  try {
    const { ctx, queue } = running.bridge;
    const tuning = await settingsStore(ctx.store, ctx.secrets).tuning();
    // Its last attempt (a failure makes it a dead letter), and its retry ran late (a long batch before
    // it): planned past the sweep's grace as the consumer begins it.
    const entry = await staged(ctx, 1, tuning.maxAttempts - 1, now - (tuning.sweepGraceSeconds + 1) * 1000);
    const slow = heldSend(ctx.send);
    const consumer = processEntries([entry.id], { ...ctx, send: slow.send });
    await slow.atSink;

    // The sweep reads only the planned time: it takes the entry for abandoned.
    expect(await sweepOutbox(ctx, queue)).toMatchObject({ requeued: 1 });
    await queue.idle();

    // PanDev answers the slow attempt with a 503.
    env.sink.respondNext(503, 1);
    slow.release();
    await consumer;

    const outbox = outboxStore(ctx.store);
    // The sweep's attempt went through; the held one got the 503 on its last try.
    expect(env.sink.deliveries().map((d) => d.id)).toEqual([entry.id]);
    expect({ delivered: await outbox.isDelivered(entry.id), dead: await outbox.isDead(entry.id), queued: (await outbox.get(entry.id)) !== undefined }).toEqual({ delivered: true, dead: false, queued: false });
  } finally {
    await running.stop();
  }
});

it("the bridge's sweep leaves alone what its own queue is still moving forward", async () => {
  const running = await inProcessBridge(env.config(), [], { clock });
  try {
    const { ctx, queue } = running.bridge;
    const tuning = await settingsStore(ctx.store, ctx.secrets).tuning();
    // A start found these in the outbox, long late (a bridge stopped for a while); PanDev is slow, so
    // the first is still being sent when the five-minute sweep comes.
    const late = now - (tuning.sweepGraceSeconds + 1) * 1000;
    const entries = [await staged(ctx, 11, 0, late), await staged(ctx, 12, 0, late)];
    const slow = heldSend(ctx.send);
    ctx.send = slow.send;
    expect(await resumeOutbox(running.bridge)).toEqual({ due: 2, planned: 0 });
    await slow.atSink;

    const swept = await sweepOutbox(ctx, queue);
    // A copy the sweep queued would reach PanDev beside the first attempt: wait for it if there is one.
    if (swept.requeued) await until(() => slow.calls() > 1, 10_000, "the sweep's copy to reach PanDev");
    slow.release();
    await queue.idle();

    expect(env.sink.deliveries().map((d) => d.id).sort()).toEqual(entries.map((e) => e.id).sort());
    // One POST each: none was sent by two workers at once.
    expect({ posts: env.sink.received(), duplicates: env.sink.duplicates() }).toEqual({ posts: 2, duplicates: 0 });
    expect(swept.requeued).toBe(0);
  } finally {
    await running.stop();
  }
});

it('a check that lifts a pause leaves alone what the queue is already sending with the token saved since', async () => {
  const lines: string[] = [];
  const running = await inProcessBridge(env.config(), lines, { clock });
  try {
    const { ctx, queue } = running.bridge;
    const settings = settingsStore(ctx.store, ctx.secrets);
    // PanDev refused the token the bridge had; the one put in its token file since is tried at once.
    const connection = (await settings.connection())!;
    await settings.saveConnection({ ...connection, disabled: { at: now, reason: 'PanDev refused the ingest token (401)', cause: 'token', refused: credentialsDigest({ token: 'the-refused-token' }) } });
    const entries = [await staged(ctx, 21, 0, now), await staged(ctx, 22, 0, now)];
    const slow = heldSend(ctx.send);
    ctx.send = slow.send;
    await queue.push(idsMessages(entries.map((entry) => entry.id)));
    await slow.atSink;

    // The admin runs `check` beside it (PanDev is slow, not refusing): it lifts the pause and asks this bridge to send what the pause kept.
    expect(await clearPause(env.config(), true)).toBeDefined();
    const taken = () => lines.find((line) => line.includes('kept deliveries are being sent now'));
    await until(() => taken() !== undefined, 10_000, "the bridge to take up the check's request");
    const { queued } = JSON.parse(taken()!) as { queued: number };
    // A copy it queued would reach PanDev beside the first attempt: wait for it if there is one.
    if (queued) await until(() => slow.calls() > 1, 10_000, "the check's copy to reach PanDev");
    slow.release();
    await queue.idle();

    expect(env.sink.deliveries().map((d) => d.id).sort()).toEqual(entries.map((e) => e.id).sort());
    expect({ posts: env.sink.received(), duplicates: env.sink.duplicates(), queued }).toEqual({ posts: 2, duplicates: 0, queued: 0 });
  } finally {
    await running.stop();
  }
});
