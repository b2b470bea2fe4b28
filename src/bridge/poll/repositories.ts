import type { DcClient } from '../../core/enrich/datacenter/client';
import { Repository } from '../../core/enrich/datacenter/schema';
import type { Logger } from '../../core/ports';
import type { RepositoryName, Selection } from '../config/selection';

// The repositories this bridge polls: every repository the token can read, narrowed by the project
// and repository globs and by this bridge's shard. Listed with the largest pages the instance allows.

const PAGE = 1000;
const MAX_PAGES = 100;

export async function listRepositories(client: DcClient, selection: Selection, log: Logger): Promise<Repository[]> {
  const selected: Repository[] = [];
  const readable: RepositoryName[] = [];
  for await (const page of client.pages({ endpoint: 'repositories', query: { permission: 'REPO_READ' } }, Repository, { limit: PAGE, maxPages: MAX_PAGES })) {
    for (const repo of page) {
      const name = { project: repo.project.key, slug: repo.slug, stableId: String(repo.id) };
      readable.push(name);
      if (selection.repository(name)) selected.push(repo);
    }
  }
  for (const warning of selection.warnings(readable, selected.length)) log.warn({}, warning);
  return selected;
}
