import { z } from 'zod';
import { checkedItems, textField, type Unreadable } from '../../core/enrich/checked-items';
import type { DcClient } from '../../core/enrich/datacenter/client';
import { Repository } from '../../core/enrich/datacenter/schema';
import type { Logger } from '../../core/ports';
import type { RepositoryName, Selection } from '../config/selection';
import { dcNamed } from './left-out';

// The repositories this bridge polls: every repository the token can read, narrowed by the project
// and repository globs and by this bridge's shard. Listed with the largest pages the instance allows.

const PAGE = 1000;
const MAX_PAGES = 100;

export interface Listing {
  selected: Repository[];
  /** Every repository listed with a readable id, selected or not. */
  listed: Set<string>;
  /** The listing stopped at its page cap with repositories left unread: how many were read. */
  cut?: number;
  /** Listed in a shape the bridge cannot read, and possibly this bridge's to poll: not polled (left-out.ts). */
  leftOut: Unreadable[];
}

export async function listRepositories(client: DcClient, selection: Selection, log: Logger): Promise<Listing> {
  const selected: Repository[] = [];
  const readable: RepositoryName[] = [];
  const leftOut: Unreadable[] = [];
  let cut: number | undefined;
  const onCapped = (read: number) => (cut = read);
  // Checked one by one: one repository listed with its id or slug missing or of another type failed
  // the whole listing, so no repository was polled.
  for await (const page of client.pages({ endpoint: 'repositories', query: { permission: 'REPO_READ' } }, z.unknown(), { limit: PAGE, maxPages: MAX_PAGES, onCapped })) {
    const { items, malformed } = checkedItems(page, Repository, dcNamed.repository);
    for (const repo of items) {
      const name = { project: repo.project.key, slug: repo.slug, stableId: String(repo.id) };
      readable.push(name);
      if (selection.repository(name)) selected.push(repo);
    }
    for (const item of malformed) {
      const name = partialName(item.raw);
      if (name) readable.push(name);
      if (mayBeSelected(name, selection)) leftOut.push(item);
    }
  }
  // Repositories past the cap are not polled, and the ones polled before drop out of `status` as
  // unlisted: without this line nothing says why.
  if (cut !== undefined) log.warn({ read: cut, pages: MAX_PAGES }, listingCutMessage(cut));
  for (const warning of selection.warnings(readable, selected.length)) log.warn({}, warning);
  return { selected, listed: new Set(readable.map((name) => name.stableId).filter(Boolean)), leftOut, ...(cut !== undefined ? { cut } : {}) };
}

/** What a repository listed in an unexpected shape holds readably of its name; `stableId` '' when its id will not do. */
function partialName(raw: unknown): RepositoryName | undefined {
  const project = textField(typeof raw === 'object' && raw !== null ? (raw as { project?: unknown }).project : undefined, 'key');
  const slug = textField(raw, 'slug');
  const id = typeof raw === 'object' && raw !== null ? (raw as { id?: unknown }).id : undefined;
  return project !== undefined && slug !== undefined ? { project, slug, stableId: Number.isInteger(id) ? String(id) : '' } : undefined;
}

/**
 * One the globs (or, its id readable, the shard) give another bridge is not this one's to report; one
 * whose name will not do could be any bridge's, and each names it.
 */
function mayBeSelected(name: RepositoryName | undefined, selection: Selection): boolean {
  if (!name) return true;
  return name.stableId ? selection.repository(name) : selection.selected(name);
}

/** What a listing cut short means and what to change; for the log and for `status`. */
export function listingCutMessage(read: number): string {
  // BITBUCKET_PROJECTS and BRIDGE_SHARD choose among the listed repositories: they do not shorten the listing.
  return `the repository listing stopped at its cap of ${MAX_PAGES} pages after ${read} repositories, with more to come: repositories past them are not polled. If an administrator lowered page.max.repositories (bitbucket.properties) below ${PAGE}, raise it back to ${PAGE}; otherwise give the bridge a token whose user reads fewer repositories`;
}
