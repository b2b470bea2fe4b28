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

export const LeftOut = z.object({ repositoryId: z.string(), repository: z.string(), reason: z.string(), firstAt: z.number(), lastAt: z.number() });
export type LeftOut = z.infer<typeof LeftOut>;

const PREFIX = kvKey('dc', 'leftout');
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
};

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
  return `${item.reason}: it is left out, and what else the bridge read was delivered (first ${new Date(item.firstAt).toISOString()}, last met ${new Date(item.lastAt).toISOString()}). PanDev does not get it while Bitbucket answers it this way. Look at it in Bitbucket: if it looks right there, send this message and your Bitbucket version to PanDev support (a version may send a field in a form the bridge does not know yet)`;
}
