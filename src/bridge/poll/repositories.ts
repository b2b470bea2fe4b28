import type { DcClient } from '../../core/enrich/datacenter/client';
import { Repository } from '../../core/enrich/datacenter/schema';
import type { Selection } from '../config/selection';

// The repositories this bridge polls: every repository the token can read, narrowed by the project
// and repository globs and by this bridge's shard. Listed with the largest pages the instance allows.

const PAGE = 1000;
const MAX_PAGES = 100;

export async function listRepositories(client: DcClient, selection: Selection): Promise<Repository[]> {
  const selected: Repository[] = [];
  for await (const page of client.pages({ endpoint: 'repositories', query: { permission: 'REPO_READ' } }, Repository, { limit: PAGE, maxPages: MAX_PAGES })) {
    for (const repo of page) {
      if (selection.repository({ project: repo.project.key, slug: repo.slug, stableId: String(repo.id) })) selected.push(repo);
    }
  }
  return selected;
}
