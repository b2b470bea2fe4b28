import { z } from 'zod';
import type { KeyValueStore } from '../../core/ports';
import { lastDay, readWebhookActivity, type WebhookActivity } from '../webhooks/activity';

// The webhooks part of `status`: are they on, do they arrive, are they refused and why. What the
// running bridge keeps in its state file (webhooks/activity.ts), read beside it.

/** How long the webhooks may stay silent before a change the poll finds says they do not arrive. */
const SILENT_MS = 3600_000;
const DAY_MS = 24 * 3600_000;

/** `status --json` `webhooks`: null for a Cloud bridge, or one that has not started since this was kept. */
export const WebhooksStatus = z
  .object({
    /** BRIDGE_WEBHOOK_SECRET was set when the bridge last started. */
    enabled: z.boolean(),
    enabledSince: z.string().nullable(),
    /** The last verified webhook: status 202 taken, 200 ignored (a ping, a repository not selected, a copy). */
    lastTaken: z.object({ at: z.string(), status: z.number(), eventKey: z.string().nullable() }).nullable(),
    lastRefused: z.object({ at: z.string(), status: z.number(), eventKey: z.string().nullable(), reason: z.string() }).nullable(),
    last24h: z.object({ taken: z.number(), ignored: z.number(), refused: z.number() }),
    /** The last change a poll found that a webhook should have brought first. */
    pollFoundAt: z.string().nullable(),
  })
  .nullable();
export type WebhooksStatus = z.infer<typeof WebhooksStatus>;

interface WebhookAttention {
  kind: 'webhooks-refused' | 'webhooks-silent';
  at: string;
  message: string;
}

export async function readWebhooks(store: KeyValueStore, now: number): Promise<{ webhooks: WebhooksStatus; attention: WebhookAttention[] }> {
  const activity = await readWebhookActivity(store);
  if (!activity) return { webhooks: null, attention: [] };
  const iso = (ms: number) => new Date(ms).toISOString();
  const { lastTaken, lastRefused } = activity;
  const webhooks = {
    enabled: activity.enabled,
    enabledSince: activity.enabledSince === null ? null : iso(activity.enabledSince),
    lastTaken: lastTaken && { ...lastTaken, at: iso(lastTaken.at) },
    lastRefused: lastRefused && { ...lastRefused, at: iso(lastRefused.at) },
    last24h: lastDay(activity, now),
    pollFoundAt: activity.pollFoundAt === null ? null : iso(activity.pollFoundAt),
  };
  return { webhooks, attention: attention(activity, webhooks.last24h.refused, now) };
}

function attention(activity: WebhookActivity, refused: number, now: number): WebhookAttention[] {
  const { lastTaken, lastRefused, pollFoundAt, enabledSince } = activity;
  // Refused, and none taken since: Data Center's every webhook is refused (a wrong secret), or someone
  // else posts to the port; either way the next webhook taken clears it.
  if (lastRefused && lastRefused.at > (lastTaken?.at ?? 0) && lastRefused.at > now - DAY_MS) {
    return [{ kind: 'webhooks-refused', at: new Date(lastRefused.at).toISOString(), message: `${refused} ${refused === 1 ? 'webhook' : 'webhooks'} refused in the last 24 h and none taken since the last (HTTP ${lastRefused.status}${lastRefused.eventKey ? `, ${lastRefused.eventKey}` : ''}: ${lastRefused.reason}). ${refusalFix(activity, lastRefused.status)}` }];
  }
  const quietSince = Math.max(lastTaken?.at ?? 0, enabledSince ?? Infinity);
  if (activity.enabled && pollFoundAt !== null && pollFoundAt - quietSince > SILENT_MS && pollFoundAt > now - DAY_MS) {
    const since = lastTaken ? `since ${new Date(lastTaken.at).toISOString()}` : `since they were turned on (${new Date(quietSince).toISOString()})`;
    return [{ kind: 'webhooks-silent', at: new Date(pollFoundAt).toISOString(), message: `webhooks are on but none has arrived ${since}, while the poll finds changes they should have brought: deletions of pull requests, branches and tags do not reach PanDev. In Bitbucket (Project or Repository settings → Webhooks) check that a webhook exists for every project polled, is active, sends the repository push and pull request events, and that its URL reaches this bridge's POST /webhooks/bitbucket (on BRIDGE_WEBHOOK_LISTEN, else BRIDGE_LISTEN) through any firewall or proxy; "Test connection" there should count as taken here` }];
  }
  return [];
}

const POLL_COVERS = 'Meanwhile the poll finds what they carried, except deletions';
// A bad signature is all the bridge sees: it cannot tell Bitbucket with the wrong secret from anyone
// else who reaches the port.
const STRANGERS = 'if something other than Bitbucket posts them, let only Bitbucket reach BRIDGE_WEBHOOK_LISTEN (else BRIDGE_LISTEN), e.g. with a firewall rule';

function refusalFix(activity: WebhookActivity, status: number): string {
  if (status === 401 && !activity.enabled) return `Webhooks arrive but BRIDGE_WEBHOOK_SECRET is not set: if Bitbucket sends them, set it (or BRIDGE_WEBHOOK_SECRET_FILE) to the webhook's Secret in Bitbucket and restart the bridge; ${STRANGERS}. ${POLL_COVERS}.`;
  if (status === 401) return `Either the webhook's Secret in Bitbucket (Project or Repository settings → Webhooks → Edit) must equal BRIDGE_WEBHOOK_SECRET (or the content of BRIDGE_WEBHOOK_SECRET_FILE, which is read again on a mismatch): change one to match the other; or ${STRANGERS}. ${POLL_COVERS}.`;
  if (status === 503) return `The bridge had no room for them (see the reason); they are not sent again. ${POLL_COVERS}.`;
  return `The \`webhook refused\` lines in the bridge's log say more; if Bitbucket sent it, tell PanDev support. ${POLL_COVERS}.`;
}

export function webhookLines(webhooks: WebhooksStatus): string[] {
  if (!webhooks) return [];
  const { last24h: day, lastTaken, lastRefused } = webhooks;
  const counts = `${day.taken} taken, ${day.ignored} ignored, ${day.refused} refused in the last 24 h`;
  const lines = [
    webhooks.enabled
      ? `webhooks    on since ${webhooks.enabledSince ?? 'unknown'}: ${counts}`
      : `webhooks    off (BRIDGE_WEBHOOK_SECRET is not set): changes arrive by the poll only, deletions not at all; ${counts}`,
  ];
  if (webhooks.enabled || lastTaken) lines.push(`            last taken   ${lastTaken ? `${lastTaken.at} ${lastTaken.eventKey ?? '(no X-Event-Key)'}${lastTaken.status === 200 ? ' (ignored)' : ''}` : 'never'}`);
  if (lastRefused) lines.push(`            last refused ${lastRefused.at} ${lastRefused.eventKey ?? '(no X-Event-Key)'} HTTP ${lastRefused.status}: ${lastRefused.reason}`);
  return lines;
}
