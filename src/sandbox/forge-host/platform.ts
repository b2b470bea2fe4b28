import { proxyBitbucket, type BitbucketTarget } from './bitbucket-proxy';
import { platformFetch, type FetchMeta } from './globals';
import type { Caller } from './invoker';
import type { PushLimits } from './push-limits';
import type { AsyncEventQueue } from './queue';
import { proxyError, readJsonBody } from './responses';
import { handleStargate } from './stargate';

// `__forge_fetch__` for one host: the SDK labels each call with what it is for (meta.type/remote),
// and the host answers with the service Forge would route it to.

export interface PlatformServices {
  kvs: (path: string, body: unknown, invocationId: string) => Response;
  queue: AsyncEventQueue;
  pushLimits: PushLimits;
  bitbucket: BitbucketTarget;
  note: (message: string) => void;
  /** Whether the queue's consumer function has a timeout over 55 s (Forge's "long-running"). */
  longRunning: (queueName: string) => boolean;
}

export function createPlatformFetch(services: PlatformServices) {
  return async (meta: FetchMeta, path: string, init: RequestInit | undefined, caller: Caller): Promise<Response> => {
    if (meta.type === 'kvs') return services.kvs(path, await readJsonBody(init), caller.invocationId);
    if (meta.type === 'fpp' && meta.remote === 'bitbucket') {
      return proxyBitbucket(services.bitbucket, meta, path, init, caller.accountId, platformFetch, (message) => services.note(message));
    }
    if (meta.type === 'fpp' && meta.remote === 'stargate') {
      const { origin } = caller;
      const reasons = {
        'invocation-limit': `origin ${origin} has made ${services.pushLimits.pushesOf(origin)} push requests, Forge's limit on cyclic invocation (405)`,
        'rate-limit': "the installation's events per minute are used up (429)",
        'event-too-big': "an event is over Forge's 100 KB for a long-running consumer (413)",
      };
      const onRefused = (verdict: keyof typeof reasons, events: number) => services.note(`refused a push of ${events} event(s): ${reasons[verdict]}`);
      return handleStargate(services.queue, path, await readJsonBody(init), { limits: services.pushLimits, origin, onRefused, longRunning: services.longRunning });
    }
    // Jira/Confluence from a Bitbucket app, Forge Remote, containers, external auth: not served here.
    services.note(`the app called ${meta.type}/${meta.remote ?? '-'} ${path}, which the local Forge host does not serve`);
    return proxyError(400, 'INVALID_REMOTE');
  };
}
