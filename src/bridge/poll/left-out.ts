import { createHash } from 'node:crypto';
import { z } from 'zod';
import { checkedItems, textField, type Unreadable } from '../../core/enrich/checked-items';
import { outboxStore } from '../../core/deliver/outbox';
import type { Repository } from '../../core/enrich/datacenter/schema';
import { kvKey } from '../../core/keys';
import { allEntries, type KeyValueStore } from '../../core/ports';
import type { PollDeps } from './deps';

// One item of a Data Center feed in an unexpected shape (a branch, tag, commit, file change, activity
// entry or build status) used to fail its whole page: the repository's pass failed every time, or a
// pull request was skipped whole, and nothing newer was delivered. Each item is checked on its own
// instead (checked-items.ts, as the Forge side does); one that will not do is left out, the rest read.
// Most feeds are read again every pass or two, and meet the same bad item each time: it is kept here
// by what it is, so the log, the dropped count and `status` name it once while it stays, and it lapses
// a day after a read last met it (Bitbucket answers it readably again, or it is gone).

export const LeftOut = z.object({
  /** A repository the listing left out (`listing`): its id as listed, or '' when that is what will not do. */
  repositoryId: z.string(),
  repository: z.string(),
  reason: z.string(),
  firstAt: z.number(),
  lastAt: z.number(),
  /** A repository left out of the listing, so not polled at all: named though the listing marks it unlisted. */
  listing: z.literal(true).optional(),
});
export type LeftOut = z.infer<typeof LeftOut>;

const PREFIX = kvKey('dc', 'leftout');
const LISTING = kvKey('dc', 'leftout', 'listing');
const DAY_SECONDS = 24 * 3600;

/** How Data Center's items are named in a reason: its fields, not Cloud's. */
export const dcNamed = {
  ref: (raw: unknown) => (textField(raw, 'displayId') !== undefined ? `the branch or tag "${textField(raw, 'displayId')}"` : 'a branch or tag'),
  commit: (raw: unknown) => (textField(raw, 'id') !== undefined ? `commit ${textField(raw, 'id')!.slice(0, 12)}` : 'a commit'),
  change: (commit: string) => () => `a changed file of commit ${commit.slice(0, 12)}`,
  activity: (pullRequest: number) => (raw: unknown) => {
    const id = typeof raw === 'object' && raw !== null ? (raw as { id?: unknown }).id : undefined;
    return `${typeof id === 'number' ? `activity ${id}` : 'an activity entry'} of pull request #${pullRequest}`;
  },
  status: (commit: string) => (raw: unknown) => `${textField(raw, 'key') !== undefined ? `build status "${textField(raw, 'key')}"` : 'a build status'} of commit ${commit.slice(0, 12)}`,
  repository: (raw: unknown) => {
    const name = repositoryName(raw);
    return name ? `the repository "${name}"` : typeof listedId(raw) === 'number' ? `repository ${listedId(raw)}` : 'a repository';
  },
};

/** PROJECT/slug as far as the listed item holds them readably ('' when neither does). */
export function repositoryName(raw: unknown): string {
  const project = textField(typeof raw === 'object' && raw !== null ? (raw as { project?: unknown }).project : undefined, 'key');
  const slug = textField(raw, 'slug') ?? textField(raw, 'name');
  return project !== undefined && slug !== undefined ? `${project}/${slug}` : (slug ?? '');
}

function listedId(raw: unknown): unknown {
  return typeof raw === 'object' && raw !== null ? (raw as { id?: unknown }).id : undefined;
}

/** The page's readable items; the others are left out and noted. */
export async function readable<T extends z.ZodType>(values: unknown[], schema: T, what: (raw: unknown) => string, repository: Repository, deps: Pick<PollDeps, 'ctx' | 'log'>): Promise<Array<z.infer<T>>> {
  const { items, malformed } = checkedItems(values, schema, what);
  if (malformed.length) await leaveOut(malformed, repository, deps);
  return items;
}

export async function leaveOut(malformed: Unreadable[], repository: Repository, deps: Pick<PollDeps, 'ctx' | 'log'>): Promise<void> {
  const repositoryId = String(repository.id);
  const name = `${repository.project.key}/${repository.slug}`;
  const now = deps.ctx.clock.now();
  let counted = false;
  for (const { reason } of malformed) {
    const key = kvKey('dc', 'leftout', repositoryId, createHash('sha256').update(reason).digest('hex').slice(0, 24));
    const known = LeftOut.safeParse(await deps.ctx.store.get(key));
    await deps.ctx.store.set(key, { repositoryId, repository: name, reason, firstAt: known.success ? known.data.firstAt : now, lastAt: now } satisfies LeftOut, { ttlSeconds: DAY_SECONDS });
    if (known.success) continue;
    deps.ctx.stats.count('dropped', 'malformed-in-bitbucket');
    counted = true;
    await outboxStore(deps.ctx.store).recordDrop({ at: now, reason: 'malformed-in-bitbucket', detail: reason, repository: name }, key);
    deps.log.warn({ repository: name, reason }, 'left out: Bitbucket answered this item in a form the bridge cannot read; the rest was read and delivered');
  }
  // Otherwise written with the next delivery's: `status` would say nothing was dropped until one goes out.
  if (counted) await deps.ctx.stats.flush();
}

/**
 * Repositories the listing held in an unexpected shape: not polled while it lists them so. Not a feed's
 * item, nothing of theirs is dropped (their cursors wait), so none is counted; each is logged once while
 * it stays. A listing read to its end (`whole`) forgets those it no longer holds: `status` stops naming
 * a repository as soon as it is polled again.
 */
export async function leaveOutOfListing(malformed: Unreadable[], whole: boolean, deps: Pick<PollDeps, 'ctx' | 'log'>): Promise<void> {
  const now = deps.ctx.clock.now();
  const met = new Set<string>();
  for (const { raw, reason } of malformed) {
    const key = kvKey('dc', 'leftout', 'listing', createHash('sha256').update(reason).digest('hex').slice(0, 24));
    met.add(key);
    const known = LeftOut.safeParse(await deps.ctx.store.get(key));
    const id = listedId(raw);
    const repository = repositoryName(raw);
    await deps.ctx.store.set(key, { repositoryId: Number.isInteger(id) ? String(id) : '', repository, reason, firstAt: known.success ? known.data.firstAt : now, lastAt: now, listing: true } satisfies LeftOut, { ttlSeconds: DAY_SECONDS });
    if (!known.success) deps.log.warn({ repository, reason }, 'left out of the repository listing: Bitbucket listed this repository in a form the bridge cannot read; it is not polled, the others are');
  }
  if (!whole) return;
  const gone: string[] = [];
  for await (const { key } of allEntries<unknown>(deps.ctx.store, `${LISTING}:`, 500)) if (!met.has(key)) gone.push(key);
  for (const key of gone) await deps.ctx.store.delete(key);
}

/** What is left out now, for `status`. */
export async function leftOutItems(store: KeyValueStore): Promise<LeftOut[]> {
  const items: LeftOut[] = [];
  for await (const { value } of allEntries<unknown>(store, `${PREFIX}:`, 500)) {
    const parsed = LeftOut.safeParse(value);
    if (parsed.success) items.push(parsed.data);
  }
  return items;
}

export function leftOutMessage(item: LeftOut): string {
  const when = `first ${new Date(item.firstAt).toISOString()}, last met ${new Date(item.lastAt).toISOString()}`;
  const what = item.listing
    ? `it is not polled while Bitbucket lists it this way, and the other repositories are (${when}); it is polled again once Bitbucket lists it readably`
    : `it is left out, and what else the bridge read was delivered (${when}). PanDev does not get it while Bitbucket answers it this way`;
  return `${item.reason}: ${what}. Look at it in Bitbucket: if it looks right there, send this message and your Bitbucket version to PanDev support (a version may send a field in a form the bridge does not know yet)`;
}
