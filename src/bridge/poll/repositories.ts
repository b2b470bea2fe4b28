import type { DcClient } from '../../core/enrich/datacenter/client';
import { Repository } from '../../core/enrich/datacenter/schema';
import type { Logger } from '../../core/ports';
import type { RepositoryName, Selection } from '../config/selection';

// The repositories this bridge polls: every repository the token can read, narrowed by the project
// and repository globs and by this bridge's shard. Listed with the largest pages the instance allows.

const PAGE = 1000;
const MAX_PAGES = 100;

export interface Listing {
  selected: Repository[];
  /** The listing stopped at its page cap with repositories left unread: how many were read. */
  cut?: number;
}

export async function listRepositories(client: DcClient, selection: Selection, log: Logger): Promise<Listing> {
  const selected: Repository[] = [];
  const readable: RepositoryName[] = [];
  let cut: number | undefined;
  const onCapped = (read: number) => (cut = read);
  for await (const page of client.pages({ endpoint: 'repositories', query: { permission: 'REPO_READ' } }, Repository, { limit: PAGE, maxPages: MAX_PAGES, onCapped })) {
    for (const repo of page) {
      const name = { project: repo.project.key, slug: repo.slug, stableId: String(repo.id) };
      readable.push(name);
      if (selection.repository(name)) selected.push(repo);
    }
  }
  // Repositories past the cap are not polled, and the ones polled before drop out of `status` as
  // unlisted: without this line nothing says why.
  if (cut !== undefined) log.warn({ read: cut, pages: MAX_PAGES }, listingCutMessage(cut));
  for (const warning of selection.warnings(readable, selected.length)) log.warn({}, warning);
  return { selected, ...(cut !== undefined ? { cut } : {}) };
}

/** What a listing cut short means and what to change; for the log and for `status`. */
export function listingCutMessage(read: number): string {
  // BITBUCKET_PROJECTS and BRIDGE_SHARD choose among the listed repositories: they do not shorten the listing.
  return `the repository listing stopped at its cap of ${MAX_PAGES} pages after ${read} repositories, with more to come: repositories past them are not polled. If an administrator lowered page.max.repositories (bitbucket.properties) below ${PAGE}, raise it back to ${PAGE}; otherwise give the bridge a token whose user reads fewer repositories`;
}
