import type { EnvironmentInfo } from '../../history/deployment-events';
import { kvKey } from '../../keys';
import type { KeyValueStore } from '../../ports';
import type { CloudClient } from './client';
import { EnvironmentPage } from './schema';

// A repository's deployment environments, by UUID (the deployments feed names only that). They change
// rarely: one request a day, shared by the backfill and the reconciliation; an empty list also says
// the repository has no deployments to look for.

const TTL_SECONDS = 24 * 3600;

export async function repositoryEnvironments(client: Pick<CloudClient, 'get'>, store: KeyValueStore, workspace: string, repository: string): Promise<Map<string, EnvironmentInfo>> {
  const key = kvKey('cache', 'environments', repository);
  const cached = await store.get<Array<[string, EnvironmentInfo]>>(key);
  if (cached) return new Map(cached);
  const page = await client.get({ endpoint: 'environments', params: { workspace, repo_slug: repository }, query: { pagelen: 100 } }, EnvironmentPage);
  const list = page.values.map((e): [string, EnvironmentInfo] => [e.uuid, { ...(e.name ? { name: e.name } : {}), ...(e.environment_type ? { type: e.environment_type.name } : {}) }]);
  await store.set(key, list, { ttlSeconds: TTL_SECONDS });
  return new Map(list);
}
