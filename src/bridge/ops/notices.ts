import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { kvKey } from '../../core/keys';
import { allEntries, type KeyValueStore } from '../../core/ports';

// What the bridge gave up on that PanDev may now miss, kept a day for `status`: a log line scrolls
// away (or is rotated) before an operator looks, and these need someone to check Bitbucket by hand.

export const Notice = z.object({
  kind: z.enum(['webhook-given-up', 'build-watches-ended', 'activities-cut']),
  /** The repository's Data Center id (what the state keys on); `status` names it from its cursor. */
  repositoryId: z.string(),
  repository: z.string().optional(),
  at: z.number(),
  message: z.string(),
});
export type Notice = z.infer<typeof Notice>;

const DAY_SECONDS = 24 * 3600;
const PREFIX = `${kvKey('bridge', 'notice')}:`;

export async function recordNotice(store: KeyValueStore, notice: Notice): Promise<void> {
  // Time first, so they list in order; the suffix keeps two in one millisecond apart.
  await store.set(`${PREFIX}${String(notice.at).padStart(15, '0')}-${randomUUID().slice(0, 8)}`, notice, { ttlSeconds: DAY_SECONDS });
}

/** The notices of the last day, oldest first. */
export async function recentNotices(store: KeyValueStore, now: number): Promise<Notice[]> {
  const notices: Notice[] = [];
  for await (const { value } of allEntries<unknown>(store, PREFIX, 500)) {
    const parsed = Notice.safeParse(value);
    if (parsed.success && parsed.data.at > now - DAY_SECONDS * 1000) notices.push(parsed.data);
  }
  return notices;
}
