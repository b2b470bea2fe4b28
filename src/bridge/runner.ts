import { queueKept, sweepOutbox } from '../core/pipeline/sweep';
import { errorMessage } from '../core/errors';
import type { Clock } from '../core/ports';
import { isLoopback, type BridgeConfig } from './config/schema';
import { openBridge, resumeOutbox, type BridgeContext } from './context';
import type { EditionSetup, PollTarget } from './editions/edition';
import { editionSetup } from './editions';
import type { WaitingClock } from './http/hourly-budget';
import { bridgeLogger, type BridgeLogger } from './ops/logger';
import { startOpsServer, type OpsServer } from './ops/server';
import { trackBackfill } from './poll/backfill-progress';
import { recordListing } from './poll/listing';
import { recordTokenRefusal, TokenRefusedError } from './poll/token-refusal';
import { RESUME_LOOK_SECONDS, RESUME_REQUEST_KEY } from './state/connection';
import { holdState } from './state/owner';
import { webhookRecorder } from './webhooks/activity';
import { keyedLock } from './util/keyed-lock';

// `pandev-bitbucket bridge`: resume what the outbox holds, serve health, metrics and webhooks, and poll
// every selected repository each BRIDGE_POLL_SECONDS, a few repositories at a time. SIGTERM stops
// taking work, lets what runs finish (briefly), and leaves the rest in the outbox for the next start.

const LIST_EVERY_MS = 10 * 60_000;
const SWEEP_EVERY_MS = 5 * 60_000;

export interface PassSummary {
  startedAt: number;
  finishedAt: number;
  repositories: number;
  failed: number;
  /** Cloud: repositories read but for a feed the token may not read (status names the scope to add). */
  partial: number;
  /** Repositories cut short or not reached because the bridge stopped (no failure: read after the next start). */
  stopped: number;
  staged: number;
  skipped: number;
  /**
   * Repositories not read because Bitbucket refused the token (the one that met it included): the pass
   * stopped there. Refused at the listing, the repositories the last listing found (none before one).
   */
  refused: number;
  /** Set when Bitbucket refused the token this pass: what it answered, and what to do, in the edition's terms. */
  refusal?: string;
}

/**
 * /healthz turns 503 when no pass finished for three intervals and five minutes, unless a pass is
 * running and Bitbucket answered it within that time: stuck, not slow (a first pass over a large
 * instance at the default 5 requests a second can take hours, and a liveness probe must not kill it).
 */
export function stale(at: { now: number; startedAt: number; lastPassAt?: number | undefined; passRunning: boolean; lastAnswerAt: number; pollSeconds: number; budgetWaitUntil?: number }): boolean {
  // Waiting for Bitbucket Cloud's hour to drain (up to an hour, longer after 429s) is the plan, not a hang.
  if (at.passRunning && (at.budgetWaitUntil ?? 0) > at.now) return false;
  const progress = Math.max(at.lastPassAt ?? at.startedAt, at.passRunning ? at.lastAnswerAt : 0);
  return at.now - progress > 3 * at.pollSeconds * 1000 + 5 * 60_000;
}

export interface RunningBridge {
  bridge: BridgeContext;
  ops: OpsServer;
  /** Resolves after the next complete pass. */
  nextPass(): Promise<PassSummary>;
  /**
   * Stops taking work, and leaves the state file open: polls end at their next request, no delivery
   * begins, and the attempts in flight go on. A backfill's signal handler calls it, since the backfill
   * still reads the state after its pass; stop() does it first as well.
   */
  halt(): void;
  /** Halts, lets what runs finish (briefly), and closes the state file; every call answers with the first one's promise. */
  stop(): Promise<void>;
}

export interface StartOptions {
  log?: BridgeLogger;
  /**
   * The state's and the pipeline's time (tests move it on by a day); the system clock otherwise. With
   * `sleep`, Cloud's hourly budget waits in it (tests share it with the simulator's rate-limit window).
   */
  clock?: Clock & { sleep?: WaitingClock['sleep'] };
  timeScale?: number;
  /** Deliveries a poll may leave waiting for PanDev before it waits (tests); 2,000 by default. */
  queueRoom?: number;
  /** The Data Center pull-request list's page cap (tests reach it with fewer pull requests); 2,000 by default. */
  pullRequestPages?: number;
  /** Run passes only when asked (tests and benchmarks drive them); default: every BRIDGE_POLL_SECONDS. */
  manual?: boolean;
  /** Serve BRIDGE_LISTEN and BRIDGE_WEBHOOK_LISTEN (default); off for one-off commands that run beside a running bridge. */
  serve?: boolean;
  /**
   * Own the state file (no other bridge or backfill may run on it) and take up what it holds, the
   * outbox and saved webhooks (default). Off beside a running bridge: they are its work, and taking
   * them too would send every waiting retry at once, twice.
   */
  resume?: boolean;
  /** What the log's first and last lines name: `backfill` runs this too, and is not the bridge. */
  command?: 'bridge' | 'backfill';
}

export async function startBridge(config: BridgeConfig, options: StartOptions = {}): Promise<RunningBridge & { runPass(): Promise<PassSummary> }> {
  const log = options.log ?? bridgeLogger({ level: config.bridge.logLevel });
  const command = options.command ?? 'bridge';
  let setup: EditionSetup | undefined;
  // Before the state is opened: openBridge already writes to it.
  const hold = options.resume === false ? undefined : holdState(config.bridge.db);
  const bridge = await openBridge(config, {
    log,
    buildBody: (store, metrics) => (setup = editionSetup(config, { metrics, log, ...(options.pullRequestPages ? { pullRequestPages: options.pullRequestPages } : {}) })).bodyBuilder(store),
    ...(options.timeScale ? { timeScale: options.timeScale } : {}),
    ...(options.queueRoom ? { queueRoom: options.queueRoom } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    // Without the hold, a one-off command beside the owner: the owner's connection stays as it is.
    beside: options.resume === false,
  }).catch((error: unknown) => {
    hold?.release();
    throw error;
  });
  await hold?.record(bridge.store);
  const edition = setup!.attach(bridge, keyedLock());
  const background = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>) => {
    background.add(work);
    void work.finally(() => background.delete(work));
  };
  let stopping = false;
  let lastPass: PassSummary | undefined;
  let running = false;
  let current: Promise<PassSummary> | undefined;
  let listedAt = 0;
  /** Repositories the last listing found: what a token refused at the next listing leaves unread. */
  let listed = 0;
  /** The repositories the last-poll gauge has a series for. */
  let gauged = new Set<string>();
  let lastSweep = Date.now();
  /** A look for a resume request `check` left is under way (they run on a timer, and must not overlap). */
  let looking = false;
  const startedAt = Date.now();
  const waiters: Array<(summary: PassSummary) => void> = [];

  // What `status` says of the webhooks; kept by the bridge that serves them, not by a command beside it.
  const webhooks = edition.webhook && options.serve !== false ? await webhookRecorder({ store: bridge.store, clock: bridge.ctx.clock, log, enabled: Boolean(config.bridge.webhookSecret) }) : undefined;
  // Listen before resuming anything: a port that is taken must end the start with nothing running,
  // not leave a process that retries the outbox with no health check, webhooks or polling.
  const ops: OpsServer = options.serve === false ? { url: '', webhookUrl: '', close: async () => undefined } : await startOpsServer({
    host: config.bridge.listen.host,
    port: config.bridge.listen.port,
    webhookListen: config.bridge.webhookListen,
    allowedHosts: config.bridge.allowedHosts,
    registry: bridge.metrics.registry,
    log,
    track,
    ...(edition.webhook ? { webhook: edition.webhook } : {}),
    ...(webhooks ? { webhookAnswered: webhooks.answered } : {}),
    health: () => {
      const ok = !stopping && !stale({ now: Date.now(), startedAt, lastPassAt: lastPass?.finishedAt, passRunning: running, lastAnswerAt: bridge.metrics.lastAnswer.at, pollSeconds: config.bridge.pollSeconds, budgetWaitUntil: bridge.metrics.budgetWait.until });
      const budgetWait = bridge.metrics.budgetWait.until > Date.now() ? { budgetWaitUntil: new Date(bridge.metrics.budgetWait.until).toISOString() } : {};
      return { ok, detail: { edition: edition.name, lastPass: lastPass ?? null, passRunning: running, outbox: bridge.store.count('outbox:'), stopping, ...budgetWait } };
    },
  }).catch(async (error: unknown) => {
    setup?.stop();
    await bridge.close();
    setup?.close();
    hold?.release();
    throw error;
  });
  // A request `check` left while no bridge ran is answered by resuming the outbox just below: what the
  // pause held is due, and goes at once.
  if (options.resume !== false) await bridge.store.delete(RESUME_REQUEST_KEY);
  const { due: resumed, planned } = options.resume === false ? { due: 0, planned: 0 } : await resumeOutbox(bridge);
  const resumeLook = options.resume === false ? undefined : setInterval(() => track(resumeIfAsked()), RESUME_LOOK_SECONDS * 1000);
  resumeLook?.unref();
  if (options.resume !== false && edition.resume) track(edition.resume());
  // Webhooks need the port to face Data Center, and /metrics names every repository polled: said at
  // each start, since the one-port default is what an operator opening "the bridge's port" gets.
  const { listen, webhookListen, webhookSecret } = config.bridge;
  if (edition.webhook && webhookSecret && !webhookListen && !isLoopback(listen.host)) {
    log.warn({ listen: ops.url }, `BRIDGE_LISTEN (YAML: bridge.listen) ${listen.host} takes the webhooks and serves /metrics (every PROJECT/slug polled) and /healthz to whoever reaches it as well: set BRIDGE_WEBHOOK_LISTEN=0.0.0.0:9465, open only that port to Data Center, and keep BRIDGE_LISTEN on 127.0.0.1`);
  }
  log.info({ edition: edition.name, listen: ops.url, ...(ops.webhookUrl !== ops.url ? { webhookListen: ops.webhookUrl } : {}), resumed, ...(planned ? { retriesPlanned: planned } : {}), shard: `${config.bridge.shard.index}/${config.bridge.shard.count}` }, `${command} started`);

  async function runPass(): Promise<PassSummary> {
    running = true;
    try {
      return await (current = pass());
    } finally {
      running = false;
    }
  }

  async function pass(): Promise<PassSummary> {
    const started = Date.now();
    const summary: PassSummary = { startedAt: started, finishedAt: started, repositories: 0, failed: 0, partial: 0, stopped: 0, staged: 0, skipped: 0, refused: 0 };
    let targets: PollTarget[];
    try {
      targets = await edition.targets(started - listedAt >= LIST_EVERY_MS);
      if (started - listedAt >= LIST_EVERY_MS) listedAt = started;
      await recordListing(bridge.store, undefined);
    } catch (error) {
      if (stopping) {
        log.info({}, 'poll pass stopped before its repositories were listed');
        bridge.metrics.pollPasses.inc({ result: 'stopped' });
        return { ...summary, finishedAt: Date.now() };
      }
      if (error instanceof TokenRefusedError) {
        await refused(error.reason, listed);
        bridge.metrics.pollPasses.inc({ result: 'partial' });
        return { ...summary, repositories: listed, refused: listed, refusal: error.reason, finishedAt: Date.now() };
      }
      log.error({ reason: errorMessage(error) }, 'could not list repositories; run `pandev-bitbucket check` to see why');
      await recordListing(bridge.store, { at: Date.now(), error: errorMessage(error) });
      bridge.metrics.pollPasses.inc({ result: 'failed' });
      return { ...summary, failed: 1, finishedAt: Date.now() };
    }
    summary.repositories = listed = targets.length;
    const backfill = await trackBackfill(bridge.store, {
      edition: edition.name,
      repositories: targets.length,
      ...(edition.name === 'cloud' ? { requestsPerHour: config.bitbucket.requestsPerHour } : {}),
      now: bridge.ctx.clock.now(),
      requestsMade: async () => (await bridge.metrics.bitbucketRequests.get()).values.reduce((sum, value) => sum + value.value, 0),
    });
    // A repository renamed, moved or deleted is polled no more under its old name: its last-poll series
    // goes, or an alert on that gauge ("not polled for an hour") fires for it until a restart.
    const names = new Set(targets.map((target) => target.name));
    for (const name of gauged) if (!names.has(name)) bridge.metrics.lastPoll.remove({ repository: name });
    gauged = names;
    let next = 0;
    // A refused token would be refused for every repository: one request each, every pass, all of them
    // failing in `status` for what is one expired PAT. The pass stops at the first refusal instead.
    let refusal: string | undefined;
    let readOne = false;
    const worker = async () => {
      while (!stopping && refusal === undefined && next < targets.length) {
        const target = targets[next++]!;
        const outcome = await target.poll();
        if (outcome.refused) {
          refusal ??= outcome.error ?? 'Bitbucket refused the token (401)';
          summary.refused++;
          continue;
        }
        readOne ||= outcome.ok || outcome.partial === true;
        await backfill.counted();
        summary.staged += outcome.staged;
        summary.skipped += outcome.skipped.length;
        // Had the webhooks come, the poll would find their changes delivered already.
        if (outcome.ok && outcome.staged > 0 && !outcome.firstPass) webhooks?.pollFound();
        // The last-poll gauge is what an operator alerts on: a feed left unread keeps it from moving.
        if (outcome.ok) bridge.metrics.lastPoll.set({ repository: target.name }, Date.now() / 1000);
        else if (outcome.partial) summary.partial++;
        else if (outcome.stopped) summary.stopped++;
        else summary.failed++;
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, config.bitbucket.concurrency) }, worker));
    if (refusal !== undefined) {
      summary.refused += targets.length - next;
      summary.refusal = refusal;
      await refused(refusal, summary.refused);
    } else {
      summary.stopped += targets.length - next;
      if (readOne) await recordTokenRefusal(bridge.store, undefined);
    }
    // The watched builds and the saved webhooks read Bitbucket too: with a refused token they wait.
    if (!stopping && refusal === undefined && edition.finishPass) {
      try {
        summary.staged += await edition.finishPass(targets);
      } catch (error) {
        log.warn({ reason: errorMessage(error) }, 'the end of the pass failed; it is done again next pass');
      }
    }
    if (!stopping && refusal === undefined && edition.resume) track(edition.resume());
    await backfill.passEnded(bridge.ctx.clock.now());
    summary.finishedAt = Date.now();
    // A stop is not a failure: a pass it cut short says so, and only real failures make it partial.
    bridge.metrics.pollPasses.inc({ result: summary.failed || summary.refused || summary.partial ? 'partial' : summary.stopped ? 'stopped' : 'ok' });
    log.info({ ...summary, ms: summary.finishedAt - started }, summary.stopped ? 'poll pass stopped' : 'poll pass finished');
    if (!stopping) await maintain();
    lastPass = summary;
    waiters.splice(0).forEach((resolve) => resolve(summary));
    return summary;
  }

  async function refused(reason: string, notRead: number): Promise<void> {
    log.error({ reason, notRead }, 'Bitbucket refused the token: this pass stopped, nothing is lost, and the next pass starts where this one did');
    await recordTokenRefusal(bridge.store, { at: Date.now(), error: reason });
  }

  async function maintain(): Promise<void> {
    if (Date.now() - lastSweep < SWEEP_EVERY_MS) return;
    lastSweep = Date.now();
    // What a failed timer or a crash left behind; the ledger makes a second attempt harmless.
    await sweepOutbox(bridge.ctx, bridge.queue);
    bridge.store.purgeExpired();
  }

  /** Sends what a pause kept once `check`, beside this bridge, lifted the pause and asked for it. */
  async function resumeIfAsked(): Promise<void> {
    if (looking || stopping) return;
    looking = true;
    try {
      if ((await bridge.store.get(RESUME_REQUEST_KEY)) === undefined) return;
      await bridge.store.delete(RESUME_REQUEST_KEY);
      const { due, waiting, more } = await queueKept(bridge.ctx, bridge.queue);
      const later = `${waiting ? `; ${waiting} waiting out a retry planned later go then` : ''}${more ? '; the rest go with the next outbox sweep' : ''}`;
      log.info({ queued: due, waiting, more }, `the connection check lifted the pause: ${due} kept deliveries are being sent now${later}`);
    } catch (error) {
      // The outbox keeps them; the next sweep sends them.
      log.warn({ reason: errorMessage(error) }, 'could not send the deliveries the pause kept now; the next outbox sweep sends them');
    } finally {
      looking = false;
    }
  }

  let closing: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  // Cleared on stop: a pending timer keeps the process alive until the next pass was due, past any stop timeout.
  let nextPassTimer: NodeJS.Timeout | undefined;
  const loop = options.manual
    ? Promise.resolve()
    : (async () => {
        while (!stopping) {
          const summary = await runPass();
          const wait = Math.max(0, config.bridge.pollSeconds * 1000 - (summary.finishedAt - summary.startedAt));
          if (!stopping) await new Promise<void>((resolve) => ((wake = resolve), (nextPassTimer = setTimeout(resolve, wait))));
        }
      })();

  return {
    bridge,
    ops,
    runPass,
    nextPass: () => new Promise((resolve) => waiters.push(resolve)),
    halt,
    // A second caller (a backfill's finally after its signal handler) waits for the same close: returning
    // early would let it read a state file that is closing under it.
    stop: () => (closing ??= close()),
  };

  function halt(): void {
    if (stopping) return;
    stopping = true;
    // A repository's poll can take minutes (a backfill): it stops at its next request instead, well
    // inside the 30 s the shipped systemd unit and StatefulSet give; its cursor stays where it was.
    setup?.stop();
    // PanDev may be slow or hang: a poll waiting for it to take deliveries goes on now (and sees the
    // stop), and the deliveries not begun stay in the outbox. bridge.close() awaits this.
    void bridge.queue.close();
    clearTimeout(nextPassTimer);
    clearInterval(resumeLook);
    wake?.();
  }

  async function close(): Promise<void> {
    halt();
    await ops.close();
    await loop;
    // A pass run by hand (backfill, tests) ends before the state file closes under it.
    await current?.catch(() => undefined);
    await Promise.allSettled([...background]);
    await webhooks?.close();
    await bridge.close();
    setup?.close();
    hold?.release();
    log.info({}, command === 'bridge' ? 'bridge stopped' : `${command} ended`);
  }
}
