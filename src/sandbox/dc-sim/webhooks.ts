// Native webhook delivery as Data Center does it: a JSON POST per event and registered webhook, in event
// order per webhook, with X-Event-Key, X-Request-Id (a UUID), Data Center's User-Agent and, when the
// webhook has a secret, `X-Hub-Signature: sha256=<hex HMAC-SHA256 of the exact body bytes>`.
import { createHmac, randomUUID } from 'node:crypto';
import type { DcEvent } from './runtime';

const DELIVERY_TIMEOUT_MS = 5_000;
const KEPT_DELIVERIES = 1_000;

/**
 * Newer Atlassian docs name the needs-work event `pr:reviewer:changes_requested` while payloads (and
 * older instances) say `pr:reviewer:needs_work`: a webhook subscribed under either name gets it.
 */
const SUBSCRIBED_AS: Record<string, string[]> = { 'pr:reviewer:needs_work': ['pr:reviewer:changes_requested'] };

export interface Webhook {
  id: string;
  url: string;
  secret: string;
  /** Event keys to send; undefined sends every event. */
  events: string[] | undefined;
}

export interface WebhookDelivery {
  webhookId: string;
  requestId: string;
  eventKey: string;
  url: string;
  /** The receiver's HTTP status, or null when it could not be reached. */
  status: number | null;
  error?: string;
}

export const signature = (secret: string, body: string | Buffer): string => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

export class Webhooks {
  private readonly hooks = new Map<string, Webhook & { queue: Promise<void> }>();
  private readonly inflight = new Set<AbortController>();
  private readonly log: WebhookDelivery[] = [];
  private nextId = 1;

  constructor(private readonly userAgent: string) {}

  register(url: string, secret: string, events?: string[]): string {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new TypeError(`not an http(s) URL: ${url}`);
    const id = String(this.nextId++);
    this.hooks.set(id, { id, url: parsed.toString(), secret, events: events?.length ? [...events] : undefined, queue: Promise.resolve() });
    return id;
  }

  remove(id: string): void {
    this.hooks.delete(id);
  }

  list(): Webhook[] {
    return [...this.hooks.values()].map(({ id, url, secret, events }) => ({ id, url, secret, events }));
  }

  /** The most recent deliveries (oldest first), for tests and the admin API. */
  deliveries(): WebhookDelivery[] {
    return [...this.log];
  }

  deliver(event: DcEvent): void {
    const body = JSON.stringify(event.body);
    for (const hook of this.hooks.values()) {
      const names = [event.eventKey, ...(SUBSCRIBED_AS[event.eventKey] ?? [])];
      if (hook.events && !names.some((name) => hook.events?.includes(name))) continue;
      hook.queue = hook.queue.then(() => this.post(hook, event.eventKey, body));
    }
  }

  /** "Test connection": Data Center POSTs `{"test": true}` as `diagnostics:ping`. */
  ping(id: string): void {
    const hook = this.hooks.get(id);
    if (!hook) throw new TypeError(`no webhook ${id}`);
    hook.queue = hook.queue.then(() => this.post(hook, 'diagnostics:ping', JSON.stringify({ test: true })));
  }

  /** Resolves once every delivery queued so far has been attempted. */
  async idle(): Promise<void> {
    let pending: Promise<void>[];
    do {
      pending = [...this.hooks.values()].map((hook) => hook.queue);
      await Promise.all(pending);
    } while ([...this.hooks.values()].some((hook, i) => hook.queue !== pending[i]));
  }

  /** Aborts deliveries in flight and forgets every webhook. */
  close(): void {
    for (const controller of this.inflight) controller.abort();
    this.hooks.clear();
  }

  private async post(hook: Webhook, eventKey: string, body: string): Promise<void> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), DELIVERY_TIMEOUT_MS);
    this.inflight.add(controller);
    const requestId = randomUUID();
    const record: WebhookDelivery = { webhookId: hook.id, requestId, eventKey, url: hook.url, status: null };
    try {
      const response = await fetch(hook.url, {
        method: 'POST', body, signal: controller.signal,
        headers: {
          'Content-Type': 'application/json; charset=utf-8', 'User-Agent': this.userAgent, 'X-Event-Key': eventKey, 'X-Request-Id': requestId,
          ...(hook.secret ? { 'X-Hub-Signature': signature(hook.secret, body) } : {}),
        },
      });
      record.status = response.status;
      await response.body?.cancel();
    } catch (error) {
      record.error = error instanceof Error ? error.message : String(error);
    } finally {
      clearTimeout(timer);
      this.inflight.delete(controller);
      this.log.push(record);
      if (this.log.length > KEPT_DELIVERIES) this.log.shift();
    }
  }
}
