import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { DropReason } from '../../contract/status';
import { DeliveryStats, type Outcome } from '../../core/deliver/stats';
import type { Clock, KeyValueStore } from '../../core/ports';

// What an operator graphs and alerts on (GET /metrics): deliveries by outcome, what waits in the
// outbox and among dead letters, Bitbucket requests and its 429s, each repository's last good poll.

export interface BridgeMetrics {
  registry: Registry;
  deliveries: Counter<'outcome'>;
  bitbucketRequests: Counter<'status'>;
  bitbucketRateLimited: Counter;
  lastPoll: Gauge<'repository'>;
  pollPasses: Counter<'result'>;
  /** When Bitbucket last answered anything (epoch ms): a long first pass that gets answers is not stuck (/healthz). */
  lastAnswer: { at: number };
  /** Until when reads wait for Cloud's hourly budget (epoch ms; 0: not waiting): a pass that waits is not stuck. */
  budgetWait: { until: number };
}

export function bridgeMetrics(depth: { outbox(): number; dead(): number; paused?(): Promise<boolean> }): BridgeMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'pandev_bridge_' });
  const metrics: BridgeMetrics = {
    registry,
    deliveries: new Counter({ name: 'pandev_bridge_deliveries_total', help: 'Deliveries to PanDev by outcome (delivered, retried, dead, dropped)', labelNames: ['outcome'], registers: [registry] }),
    bitbucketRequests: new Counter({ name: 'pandev_bridge_bitbucket_requests_total', help: 'Requests made to Bitbucket, by HTTP status (0: no answer)', labelNames: ['status'], registers: [registry] }),
    bitbucketRateLimited: new Counter({ name: 'pandev_bridge_bitbucket_rate_limited_total', help: 'Bitbucket answers of 429 Too Many Requests', registers: [registry] }),
    lastPoll: new Gauge({ name: 'pandev_bridge_last_successful_poll_timestamp_seconds', help: 'When each repository was last polled without error (unix seconds)', labelNames: ['repository'], registers: [registry] }),
    pollPasses: new Counter({ name: 'pandev_bridge_poll_passes_total', help: 'Poll passes over all repositories, by result', labelNames: ['result'], registers: [registry] }),
    lastAnswer: { at: 0 },
    budgetWait: { until: 0 },
  };
  new Gauge({ name: 'pandev_bridge_outbox_depth', help: 'Deliveries waiting in the outbox', registers: [registry], collect() { this.set(depth.outbox()); } });
  new Gauge({ name: 'pandev_bridge_dead_letters', help: 'Deliveries that failed for good and wait for a replay', registers: [registry], collect() { this.set(depth.dead()); } });
  // A 410 from PanDev (or its web page at PANDEV_URL) stops every delivery until a check: the outbox
  // only grows, so an alert needs this, not the depth alone.
  new Gauge({ name: 'pandev_bridge_deliveries_paused', help: '1 while PanDev has paused deliveries (a 410, a web page at PANDEV_URL, a refused token or signing secret) until `pandev-bitbucket check` passes or, for a refused one, PanDev takes another', registers: [registry], async collect() { this.set((await depth.paused?.()) ? 1 : 0); } });
  for (const outcome of ['delivered', 'retried', 'dead', 'dropped']) metrics.deliveries.inc({ outcome }, 0);
  return metrics;
}

/** The core's hourly outcome counts (status command), also counted for Prometheus. */
export class MeteredStats extends DeliveryStats {
  constructor(
    store: KeyValueStore,
    clock: Clock,
    private readonly counter: Counter<'outcome'>,
  ) {
    super(store, clock);
  }

  override count(outcome: Outcome, reason?: DropReason): void {
    this.counter.inc({ outcome });
    super.count(outcome, reason);
  }
}
