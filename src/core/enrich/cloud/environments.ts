import { z } from 'zod';
import { checkedItems, named, type Unreadable } from '../checked-items';
import type { EnvironmentInfo } from '../../history/deployment-events';
import { kvKey } from '../../keys';
import type { KeyValueStore } from '../../ports';
import type { CloudClient } from './client';
import { Page, passedOn, type Deployment } from './schema';

// A deployment names its environment by reference: the spec gives `deployment_environment` the default
// fields `uuid` and a batch URL to expand it, and a capture of bitbucket.org (DevLake's e2e tables)
// shows the deployments list answering `fields=…values.environment.name` with the names filled in.
// So the deployments feed asks for them, and one request gives each deployment and its environment.
// Should an answer come without them, the repository's environments list (read at most once a day)
// fills them in.

export const DEPLOYMENT_FIELDS = '+values.environment.name,+values.environment.environment_type.name';

const TTL_SECONDS = 24 * 3600;

const ListedEnvironment = z.looseObject({ uuid: z.string(), name: passedOn(z.string()), environment_type: passedOn(z.looseObject({ name: z.string() })) });

/**
 * How to name the environment of each of `deployments`; reads the environments list only if one came
 * unnamed. `leftOut` hears of each environment that list holds in an unexpected shape, with why.
 */
export async function environmentNamer(client: Pick<CloudClient, 'get'>, store: KeyValueStore, workspace: string, repository: string, deployments: Deployment[], leftOut: (environment: Unreadable) => void): Promise<(deployment: Deployment) => EnvironmentInfo> {
  const unnamed = deployments.some((deployment) => deployment.environment && !deployment.environment.name);
  const listed = unnamed ? await repositoryEnvironments(client, store, workspace, repository, leftOut) : new Map<string, EnvironmentInfo>();
  return (deployment) => {
    const environment = deployment.environment;
    if (environment?.name) return { name: environment.name, ...(environment.environment_type ? { type: environment.environment_type.name } : {}) };
    return listed.get(environment?.uuid ?? '') ?? {};
  };
}

async function repositoryEnvironments(client: Pick<CloudClient, 'get'>, store: KeyValueStore, workspace: string, repository: string, leftOut: (environment: Unreadable) => void): Promise<Map<string, EnvironmentInfo>> {
  const key = kvKey('cache', 'environments', repository);
  const cached = await store.get<Array<[string, EnvironmentInfo]>>(key);
  if (cached) return new Map(cached);
  const page = await client.get({ endpoint: 'environments', params: { workspace, repo_slug: repository }, query: { pagelen: 100 } }, Page(z.unknown()));
  // One by one: one environment in an unexpected shape failed the list, and with it every deployment
  // of the repository that came unnamed, pass after pass. Left out, only its own go without a name.
  const { items, malformed } = checkedItems(page.values, ListedEnvironment, named.environment);
  for (const { raw, reason } of malformed) leftOut({ raw, reason: `${reason}: its deployments are sent without its name; report it to Atlassian support, the rest works` });
  const list = items.map((e): [string, EnvironmentInfo] => [e.uuid, { ...(e.name ? { name: e.name } : {}), ...(e.environment_type ? { type: e.environment_type.name } : {}) }]);
  await store.set(key, list, { ttlSeconds: TTL_SECONDS });
  return new Map(list);
}
