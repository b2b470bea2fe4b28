// HTTP subscribers: every emitted event is POSTed as JSON to each subscribed URL, in emission order
// per subscriber, without ever holding up the simulator (failures are logged and dropped).
import type { ForgeEvent } from './events/types';

const DELIVERY_TIMEOUT_MS = 5_000;

export class Subscriptions {
  private readonly targets = new Map<string, { url: string; queue: Promise<void> }>();
  private readonly inflight = new Set<AbortController>();
  private nextId = 1;

  add(url: string): string {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new TypeError(`not an http(s) URL: ${url}`);
    const id = `subscription-${this.nextId++}`;
    this.targets.set(id, { url: parsed.toString(), queue: Promise.resolve() });
    return id;
  }

  clear(): void {
    this.targets.clear();
  }

  deliver(event: ForgeEvent): void {
    for (const target of this.targets.values()) {
      target.queue = target.queue.then(() => this.post(target.url, event));
    }
  }

  /** Aborts deliveries in flight and forgets every subscriber. */
  close(): void {
    for (const controller of this.inflight) controller.abort();
    this.clear();
  }

  private async post(url: string, event: ForgeEvent): Promise<void> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), DELIVERY_TIMEOUT_MS);
    this.inflight.add(controller);
    try {
      const response = await fetch(url, {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(event), signal: controller.signal,
      });
      if (!response.ok) console.warn(`cloud-sim: subscriber ${url} answered ${response.status} to ${event.eventType}`);
      await response.body?.cancel();
    } catch (error) {
      console.warn(`cloud-sim: could not deliver ${event.eventType} to ${url}: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      clearTimeout(timer);
      this.inflight.delete(controller);
    }
  }
}
