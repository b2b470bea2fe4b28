import { randomUUID } from 'node:crypto';
import { changeFromForgeEvent } from '../src/core/change/forge-events';
import { intentsFor } from '../src/core/change/intents';
import { endpointFor, ingestPaths } from '../src/core/change/event-keys';
import { sign } from '../src/core/deliver/sign';
import type { ForgeEvent } from '../src/sandbox/cloud-sim';
import { settingsStore } from '../src/core/config/settings';
import { hostStores } from '../src/sandbox/host-store';
import { connectApp, startAppHost } from '../src/sandbox/sandbox';
import { STORAGE_CALL_KINDS, type StorageStats } from '../src/sandbox/forge-host';
import { mb, percentile, rssSampler, table } from './measure';
import { startPeers, type Peers } from './remote';

// Issue 2's figures: 2,000 pull-request events through the local Forge host running the real app —
// Bitbucket requests per forwarded event (counted by the simulator), storage calls per forwarded
// event (counted by the local host's storage service, as Forge meters them), events per second,
// trigger-to-receipt latency, peak RSS — beside the same receiver's raw loopback POST rate, measured in this run.
// Bitbucket and PanDev run in a second process, as they are elsewhere in life.

const EVENTS = 2000;
// Lifecycle and review events; comments (two requests: the pull request and the comment) are reported apart.
const MIX = new Set(['avi:bitbucket:created:pullrequest', 'avi:bitbucket:updated:pullrequest', 'avi:bitbucket:fulfilled:pullrequest', 'avi:bitbucket:rejected:pullrequest', 'avi:bitbucket:updated:pullrequest-reviewer-status']);

export async function forwardingBenchmark(): Promise<string> {
  const peers = await startPeers({ repositories: 20 });
  // The live path alone: the five-minute tick would reconcile the recorded activity before the burst.
  // Forge admits 500 events a minute per installation (the rest of a burst is parked and queued by
  // the tick): lifted here, so the figure is the app's own pace, with that ceiling printed beside it.
  const host = await startAppHost({ bitbucket: peers.simulator, timeScale: 0.001, logger: () => undefined, scheduledTriggers: false, asyncEventLimits: { eventsPerMinute: Number.MAX_SAFE_INTEGER } });
  try {
    await connectApp(host, peers.pandev);
    // The forwarding path alone: the DORA comment after each merge, and the pull request's size it and
    // the card show (one diffstat per merge unless file stats are off), are the comments benchmark's.
    const stores = hostStores(host);
    await settingsStore(stores.store, stores.secrets).savePreferences({ prComments: false, commitStats: 'off' });
    const recorded = await recordActivity(peers, EVENTS + 100);
    // Warm the repository cache as a running installation has it: one event per repository first.
    const warmUp = new Set(new Map(recorded.map((e) => [e.repository.uuid, e])).values());
    for (const e of warmUp) await host.fireEvent(e as never);
    await host.idle();
    const events = recorded.filter((e) => !warmUp.has(e)).slice(0, EVENTS);
    await peers.clearDeliveries();
    await peers.resetSimulatorStats();
    host.resetStorageStats();

    const firedAt = new Map<string, number>();
    const rss = rssSampler();
    const started = Date.now();
    await Promise.all(
      events.map((event) => {
        for (const intent of intentsFor(changeFromForgeEvent(event, new Date().toISOString())).intents) firedAt.set(intent.id, Date.now());
        return host.fireEvent(event as never);
      }),
    );
    await host.idle();
    const deliveries = await peers.deliveries();
    const elapsed = (Math.max(...deliveries.map((d) => d.receivedAt)) - started) / 1000;
    const peak = rss.stop();
    const latencies = deliveries.flatMap((d) => (firedAt.has(d.id) ? [d.receivedAt - firedAt.get(d.id)!] : []));
    const requests = await peers.simulatorRequests();
    const storage = host.storageStats();
    const appRate = deliveries.length / elapsed;
    const commentCost = await commentRequests(peers, host);
    const merges = events.filter((e) => e.eventType === 'avi:bitbucket:fulfilled:pullrequest').length;
    // The receiver's ceiling for the very bodies the app sent, and for a token body (the old yardstick).
    const raw = await rawPostRate(peers.pandev, deliveries.map((d) => ({ eventKey: d.eventKey, raw: d.raw })));
    const tiny = await rawPostRate(peers.pandev, Array.from({ length: EVENTS }, () => TINY));
    const meanBytes = deliveries.reduce((sum, d) => sum + Buffer.byteLength(d.raw), 0) / deliveries.length;
    return [
      `forwarding: ${deliveries.length} of ${events.length} pull-request events delivered through the local Forge host (20 repositories, one burst)`,
      table([
        ['Bitbucket requests per forwarded event', `${(requests / deliveries.length).toFixed(3)}  (${requests} requests; goal ≤ 1.05)`],
        ['  per comment event', `${commentCost.toFixed(2)}  (the pull request and the comment)`],
        ['  merges in the burst', `${merges}  (each also reads its size once, one diffstat, unless file stats are off: the DORA comment's and card's cost)`],
        ...storageRows(storage, deliveries.length),
        ['events per second (app, end to end)', `${appRate.toFixed(0)}  (Forge itself admits 500 events a minute per installation, 8.3 a second: a longer burst waits in the inbox for the tick)`],
        ['trigger-to-receipt latency p50 / p99', `${percentile(latencies, 50).toFixed(0)} ms / ${percentile(latencies, 99).toFixed(0)} ms  (all ${EVENTS} fired at once)`],
        ['peak RSS (local Forge host + app)', mb(peak)],
        ['raw loopback POST rate to the same receiver', `${raw.toFixed(0)} POST/s  (the app's ${deliveries.length} bodies, mean ${(meanBytes / 1024).toFixed(1)} KB, 8 concurrent, signed)`],
        ['  … with a token body', `${tiny.toFixed(0)} POST/s  (${Buffer.byteLength(TINY.raw)} bytes)`],
        ['app rate ÷ raw POST rate', `${(appRate / raw).toFixed(2)}  (goal ≥ 0.5; ${(appRate / tiny).toFixed(2)} against the token body)`],
      ]),
    ].join('\n');
  } finally {
    await host.stop();
    peers.stop();
  }
}

/** Storage calls per forwarded event: the total by kind, then each key segment's calls by kind. */
function storageRows(stats: StorageStats, forwarded: number): Array<[string, string]> {
  const per = (n: number) => (n / forwarded).toFixed(2);
  const kinds = (counts: Partial<Record<string, number>>) =>
    STORAGE_CALL_KINDS.filter((k) => counts[k]).map((k) => `${k} ${per(counts[k]!)}`).join(', ');
  const total = STORAGE_CALL_KINDS.reduce((sum, k) => sum + stats.calls[k], 0);
  const segments = Object.entries(stats.keys)
    .map(([segment, counts]) => [segment, counts, Object.values(counts).reduce((a, b) => a + (b ?? 0), 0)] as const)
    .sort((a, b) => b[2] - a[2]);
  return [
    ['storage calls per forwarded event', `${per(total)}  (${total} calls: ${kinds(stats.calls)}; trigger and consumer)`],
    ...segments.map(([segment, counts]): [string, string] => [`  keys ${segment}`, kinds(counts)]),
    ['  of which re-reads', Object.entries(stats.rereads).map(([segment, n]) => `${segment} ${per(n)}`).join(', ') || 'none  (no key read twice in one invocation)'],
  ];
}

/** Drives the simulator until `count` pull-request events of the mix happened, and returns them. */
async function recordActivity(peers: Peers, count: number): Promise<ForgeEvent[]> {
  const events: ForgeEvent[] = [];
  const keep = (result: { events: ForgeEvent[] }) => events.push(...result.events.filter((e) => MIX.has(e.eventType)));
  for (let i = 0; events.length < count; i++) {
    const repository = peers.simulator.repositories[i % peers.simulator.repositories.length]!;
    const opened = await peers.act('openPullRequest', { repository });
    keep(opened);
    const pullRequestId = opened.pullRequestId as number;
    keep(await peers.act('updatePullRequest', { repository, pullRequestId, description: `Round ${i}` }));
    keep(await peers.act('approvePullRequest', { repository, pullRequestId }));
    keep(await peers.act(i % 5 === 4 ? 'declinePullRequest' : 'mergePullRequest', { repository, pullRequestId }));
  }
  return events.slice(0, count);
}

/** What one comment event costs, measured the same way on 50 comments. */
async function commentRequests(peers: Peers, host: Awaited<ReturnType<typeof startAppHost>>): Promise<number> {
  const repository = peers.simulator.repositories[0]!;
  const { pullRequestId } = await peers.act('openPullRequest', { repository });
  const comments: ForgeEvent[] = [];
  for (let i = 0; i < 50; i++) comments.push(...(await peers.act('addComment', { repository, pullRequestId })).events);
  await peers.resetSimulatorStats();
  await peers.clearDeliveries();
  for (const e of comments) await host.fireEvent(e as never);
  await host.idle();
  return (await peers.simulatorRequests()) / (await peers.deliveries()).length;
}

const TINY = { eventKey: 'pullrequest:updated', raw: JSON.stringify({ pullrequest: { id: 1, title: 'raw' }, repository: { uuid: '{raw}' } }) };

/** The receiver's own ceiling: these bodies, signed beforehand, POSTed from this process 8 at a time, each under a new id. */
async function rawPostRate(pandev: Peers['pandev'], bodies: Array<{ eventKey: string; raw: string }>): Promise<number> {
  const signed = bodies.map((b) => ({ ...b, signature: sign(pandev.signingSecret, b.raw) }));
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let item = signed[next++]; item; item = signed[next++]) {
        const response = await fetch(`${pandev.url}${ingestPaths[endpointFor(item.eventKey)]}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${pandev.token}`, 'X-Event-Key': item.eventKey, 'X-Request-UUID': randomUUID(), 'X-Attempt-Number': '1', 'X-Hub-Signature': item.signature },
          body: item.raw,
        });
        if (response.status >= 300) throw new Error(`the receiver refused a raw POST: ${response.status} ${await response.text()}`);
        await response.arrayBuffer();
      }
    }),
  );
  return signed.length / ((performance.now() - started) / 1000);
}
