import { proxyBitbucket, type BitbucketTarget } from './bitbucket-proxy';
import { platformFetch, type FetchMeta } from './globals';
import type { AsyncEventQueue } from './queue';
import { proxyError, readJsonBody } from './responses';
import { handleStargate } from './stargate';

// `__forge_fetch__` for one host: the SDK labels each call with what it is for (meta.type/remote),
// and the host answers with the service Forge would route it to.

export interface PlatformServices {
  kvs: (path: string, body: unknown) => Response;
  queue: AsyncEventQueue;
  bitbucket: BitbucketTarget;
  note: (message: string) => void;
}

export function createPlatformFetch(services: PlatformServices) {
  return async (meta: FetchMeta, path: string, init: RequestInit | undefined, accountId: string | undefined): Promise<Response> => {
    if (meta.type === 'kvs') return services.kvs(path, await readJsonBody(init));
    if (meta.type === 'fpp' && meta.remote === 'bitbucket') {
      return proxyBitbucket(services.bitbucket, meta, path, init, accountId, platformFetch);
    }
    if (meta.type === 'fpp' && meta.remote === 'stargate') return handleStargate(services.queue, path, await readJsonBody(init));
    // Jira/Confluence from a Bitbucket app, Forge Remote, containers, external auth: not served here.
    services.note(`the app called ${meta.type}/${meta.remote ?? '-'} ${path}, which the local Forge host does not serve`);
    return proxyError(400, 'INVALID_REMOTE');
  };
}
