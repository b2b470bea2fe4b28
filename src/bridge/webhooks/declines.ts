import { z } from 'zod';
import { kvKey } from '../../core/keys';
import type { KeyValueStore } from '../../core/ports';

// A pr:declined is versioned by its second (core/change/datacenter-intents.ts): a second decline in that
// second (after a reopen) is told apart by its count in it, which the poll reads off the activities and
// this path off the webhooks it handled. Bitbucket sends each webhook once (an exact copy is turned away
// before it is saved), so each one handled is a decline of its own; its pull request's version (Data
// Center raises it with every change) names it, so a webhook handled again after a crash keeps its count.

const Declines = z.object({ at: z.string(), versions: z.array(z.number()) });

/** A day: only declines within one second share a count. */
const KEEP_SECONDS = 24 * 3600;

/** The how-manieth decline of the pull request in `second` this webhook is (1 for the first). */
export async function declineCount(store: KeyValueStore, repo: string, pullRequest: { id: number; version?: number | undefined }, second: string): Promise<number> {
  const key = kvKey('dc', 'webhook-declines', repo, pullRequest.id);
  const kept = Declines.safeParse(await store.get(key));
  const versions = kept.success && kept.data.at === second ? kept.data.versions : [];
  // Without a version (not seen in practice), each handling counts as a decline of its own.
  const known = pullRequest.version === undefined ? -1 : versions.indexOf(pullRequest.version);
  if (known >= 0) return known + 1;
  await store.set(key, { at: second, versions: [...versions, pullRequest.version ?? -1] }, { ttlSeconds: KEEP_SECONDS });
  return versions.length + 1;
}
