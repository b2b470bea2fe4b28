import { z } from 'zod';
import { Page, Repository } from '../enrich/cloud/schema';
import { BitbucketError, errorMessage } from '../errors';
import { checkedItems, named } from '../enrich/checked-items';
import type { PhaseContext } from './phases';
import { listBackfills } from './state';

// Every delivery names its repository with Bitbucket's full repository object. A backfill would read
// it once per repository; instead the workspace's repository list, filtered by UUID, brings those of
// up to fifty repositories waiting for their backfill in one request, into the lookups' cache.

const BATCH = 50;

export async function primeRepositoryObjects(pc: PhaseContext): Promise<void> {
  if (await pc.lookups.cachedRepository(pc.repository)) return;
  const missing = [pc.repository];
  for (const record of await listBackfills(pc.ctx.store)) {
    if (missing.length >= BATCH) break;
    if (record.repository === pc.repository || (record.state !== 'queued' && record.state !== 'running')) continue;
    if (!(await pc.lookups.cachedRepository(record.repository))) missing.push(record.repository);
  }
  // One repository alone costs the same either way: its own request, made by the lookup when needed.
  if (missing.length < 2) return;
  const q = missing.map((uuid) => `uuid="${uuid}"`).join(' OR ');
  try {
    const page = await pc.get({ endpoint: 'repositories', params: { workspace: pc.workspace }, query: { q, pagelen: BATCH } }, Page(z.unknown()));
    // One by one: one object in an unexpected shape failed the page as a transient error, and the
    // backfill of every repository waiting stalled on it. Left out, it is read on its own when needed.
    const { items, malformed } = checkedItems(page.values, Repository, named.repository);
    for (const { reason } of malformed) pc.ctx.log.warn({ reason }, 'a repository object was left out of the batch read; it is read on its own');
    await pc.lookups.rememberRepositories(items);
  } catch (error) {
    // Only a saving: a filter Bitbucket refuses, or a batch read that fails (a 5xx on a long filter,
    // a timeout), costs this one request, and each repository is read on its own. Thrown, it came
    // before any step, whose failures are counted and waited out, and every waiting backfill retried
    // it every half minute for good. A 429 is the budget's to wait out.
    if (error instanceof BitbucketError && error.kind === 'rate-limited') throw error;
    pc.ctx.log.warn({ error: errorMessage(error) }, 'could not read repository objects in one request; reading them one by one');
  }
}
