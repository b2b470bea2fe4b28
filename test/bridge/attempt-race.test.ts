import type { Change } from '../../src/core/change/change';
import { intentsFor } from '../../src/core/change/intents';
import { settingsStore } from '../../src/core/config/settings';
import { encodeBody, outboxStore, type OutboxEntry } from '../../src/core/deliver/outbox';
import type { ForwardContext } from '../../src/core/pipeline/context';
import { processEntries } from '../../src/core/pipeline/deliver-entries';
import { sweepOutbox } from '../../src/core/pipeline/sweep';
import { newEntry } from '../../src/core/pipeline/stage';
import type { HttpSend } from '../../src/core/ports';
import { dcEnv, inProcessBridge, type DcEnv } from './helpers';

// The sweep queues again an entry whose planned attempt is long past: it cannot tell a lost retry from
// a consumer still attempting it (a long batch, a queue running late). Both may POST it, under one
// X-Request-UUID that PanDev deduplicates on; what must not happen is the slower one's failure
// burying a delivery the other made, leaving a dead letter for what PanDev holds.

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

/** A sender whose first POST waits until the test lets it go (PanDev slow to answer), then goes out over loopback. */
function heldSend(send: HttpSend) {
  let reached!: () => void;
  let release!: () => void;
  const atSink = new Promise<void>((resolve) => (reached = resolve));
  const go = new Promise<void>((resolve) => (release = resolve));
  const held: HttpSend = async (url, init) => {
    reached();
    await go;
    return send(url, init);
  };
  return { send: held, atSink, release };
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
