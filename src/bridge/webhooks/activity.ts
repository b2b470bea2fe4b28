import { z } from 'zod';
import { errorMessage } from '../../core/errors';
import { kvKey } from '../../core/keys';
import type { Clock, KeyValueStore, Logger } from '../../core/ports';

// Whether Data Center's webhooks reach the bridge, kept where `status` (another process) can read it:
// /metrics counts them per process and forgets them at a restart, and the log has only the refusals.
// One row, rewritten at most once a second: a burst of webhooks costs one write, not one each.
// Whoever reaches the port can send webhooks, so all the row keeps of a request is its answer, the time,
// its event key (a short, plain one) and the refusal's reason (the bridge's own text, cut short).

export const WebhookActivity = z.object({
  /** BRIDGE_WEBHOOK_SECRET was set when the bridge last started. */
  enabled: z.boolean(),
  /** Since when they have been on, across restarts that kept them on. */
  enabledSince: z.number().nullable(),
  /** The last verified webhook: 202 taken and handled, or 200 ignored (a ping, a repository not selected, a copy). */
  lastTaken: z.object({ at: z.number(), status: z.number(), eventKey: z.string().nullable() }).nullable(),
  lastRefused: z.object({ at: z.number(), status: z.number(), eventKey: z.string().nullable(), reason: z.string() }).nullable(),
  /** The last time a poll after a repository's first found a change: one the webhooks should have brought first. */
  pollFoundAt: z.number().nullable(),
  /** Answers per hour (epoch hours), the last day's only. */
  hours: z.array(z.object({ hour: z.number(), taken: z.number(), ignored: z.number(), refused: z.number() })),
});
export type WebhookActivity = z.infer<typeof WebhookActivity>;

export const WEBHOOK_ACTIVITY_KEY = kvKey('bridge', 'webhooks');
const HOUR_MS = 3600_000;
const DAY_HOURS = 24;
const WRITE_EVERY_MS = 1000;
const MAX_REASON = 300;
const MAX_EVENT_KEY = 60;

export interface WebhookAnswer {
  status: number;
  /** Why it was refused (or what was done with it): the bridge's own message. */
  reason: string;
  /** X-Event-Key as sent, unverified. */
  eventKey: string | undefined;
}

export interface WebhookRecorder {
  /** Never throws and never waits: the answer is sent whatever becomes of the row. */
  answered(answer: WebhookAnswer): void;
  pollFound(): void;
  /** Writes what is not written yet (at stop). */
  close(): Promise<void>;
}

/** Reads the row back; anything unreadable counts as no row (the bridge starts it afresh). */
export async function readWebhookActivity(store: KeyValueStore): Promise<WebhookActivity | undefined> {
  const parsed = WebhookActivity.safeParse(await store.get(WEBHOOK_ACTIVITY_KEY));
  return parsed.success ? parsed.data : undefined;
}

/** Answers in the last 24 hours (by whole hours, the current one included). */
export function lastDay(activity: WebhookActivity, now: number): { taken: number; ignored: number; refused: number } {
  const from = Math.floor(now / HOUR_MS) - DAY_HOURS + 1;
  const counts = { taken: 0, ignored: 0, refused: 0 };
  for (const hour of activity.hours.filter((h) => h.hour >= from)) {
    counts.taken += hour.taken;
    counts.ignored += hour.ignored;
    counts.refused += hour.refused;
  }
  return counts;
}

export async function webhookRecorder(options: { store: KeyValueStore; clock: Clock; log: Logger; enabled: boolean }): Promise<WebhookRecorder> {
  const { store, clock, log } = options;
  const now = clock.now();
  const previous = await readWebhookActivity(store).catch(() => undefined);
  const row: WebhookActivity = {
    lastTaken: null,
    lastRefused: null,
    pollFoundAt: null,
    hours: [],
    ...previous,
    enabled: options.enabled,
    enabledSince: options.enabled ? ((previous?.enabled && previous.enabledSince) || now) : null,
  };
  let writtenAt = 0;
  let timer: NodeJS.Timeout | undefined;
  let failing = false;

  async function write(): Promise<void> {
    clearTimeout(timer);
    timer = undefined;
    writtenAt = clock.now();
    try {
      await store.set(WEBHOOK_ACTIVITY_KEY, row);
      failing = false;
    } catch (error) {
      // Said once per outage, not once a second; the webhooks themselves are answered as ever.
      if (!failing) log.warn({ reason: errorMessage(error) }, 'webhook activity could not be saved for `status`; it is saved again with the next webhook');
      failing = true;
    }
  }

  // The first change after a quiet second is written at once, the rest of a burst a second later.
  function changed(): void {
    if (timer) return;
    const wait = writtenAt + WRITE_EVERY_MS - clock.now();
    if (wait <= 0) void write();
    else timer = setTimeout(() => void write(), wait).unref();
  }

  function count(at: number, field: 'taken' | 'ignored' | 'refused'): void {
    const hour = Math.floor(at / HOUR_MS);
    row.hours = row.hours.filter((h) => h.hour > hour - DAY_HOURS);
    let bucket = row.hours.find((h) => h.hour === hour);
    if (!bucket) row.hours.push((bucket = { hour, taken: 0, ignored: 0, refused: 0 }));
    bucket[field]++;
  }

  await write();
  return {
    answered({ status, reason, eventKey }) {
      try {
        const at = clock.now();
        const key = eventKey === undefined ? null : plain(eventKey, /[^\w:.-]/g, MAX_EVENT_KEY);
        if (status >= 400) {
          count(at, 'refused');
          row.lastRefused = { at, status, eventKey: key, reason: plain(reason, /[\p{Cc}\p{Cf}]/gu, MAX_REASON) };
        } else {
          count(at, status === 202 ? 'taken' : 'ignored');
          row.lastTaken = { at, status, eventKey: key };
        }
        changed();
      } catch (error) {
        log.warn({ reason: errorMessage(error) }, 'webhook activity could not be counted for `status`');
      }
    },
    pollFound() {
      row.pollFoundAt = clock.now();
      changed();
    },
    async close() {
      if (timer) await write();
    },
  };
}

/** What is kept of text a sender chose: no characters a terminal acts on (controls, bidi overrides), and short. */
function plain(text: string, unwanted: RegExp, max: number): string {
  const cleaned = text.replace(unwanted, '?');
  return cleaned.length > max ? `${cleaned.slice(0, max - 1)}…` : cleaned;
}
