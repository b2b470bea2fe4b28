import type { CloudClient } from '../enrich/cloud/client';
import type { Clock, HttpSend, KeyValueStore, Logger, SecretStore } from '../ports';

/** What the settings page's use cases need, supplied by the host (the Forge resolver, tests). */
export interface AdminContext {
  store: KeyValueStore;
  secrets: SecretStore;
  clock: Clock;
  log: Logger;
  /** Bitbucket as the app itself (the identity deliveries are enriched with). */
  bitbucket: CloudClient;
  /** The workspace UUID in braces. */
  workspace: string;
  /** Outbound HTTP to PanDev, through the host's egress control. */
  send: HttpSend;
  userAgent: string;
  /** When the call ends (epoch ms): the repository list is read in steps that end before it. Absent: no limit. */
  deadline?: number;
}

/** Runs `fn` over `items`, at most `limit` at a time: bounded load on the store, far faster than one by one. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
