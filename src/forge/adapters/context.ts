import { fetch as forgeFetch, getAppContext } from '@forge/api';
import { budgetedTransport } from '../../core/budget/budgeted-transport';
import { RateBudget } from '../../core/budget/rate-budget';
import { settingsStore } from '../../core/config/settings';
import { deliveryAnswerNoter } from '../../core/deliver/failing';
import { DeliveryStats } from '../../core/deliver/stats';
import { cloudBodyBuilder } from '../../core/enrich/cloud/body-builder';
import { cloudClient, type CloudClient } from '../../core/enrich/cloud/client';
import { cloudLookups, type Lookups } from '../../core/enrich/cloud/lookups';
import { cloudChangePreparer } from '../../core/enrich/cloud/change-preparer';
import type { ForwardContext } from '../../core/pipeline/context';
import type { HttpSend } from '../../core/ports';
import { systemClock } from '../../core/ports';
import { forgeCloudTransport } from './bitbucket-transport';
import { bitbucketReadTimeoutMs } from './deadline';
import { forgeSecrets, forgeStore } from './kvs-store';
import { forgeLogger } from './logger';
import { VERSION } from '../../version';

export const USER_AGENT = `pandev-bitbucket/${VERSION} (forge)`;

// Egress goes through Forge's fetch, which enforces the manifest's `external.fetch.backend`.
const send: HttpSend = (url, init) => forgeFetch(url, init as Parameters<typeof forgeFetch>[1]);

export interface ForgeAppContext extends ForwardContext {
  client: CloudClient;
  lookups: Lookups;
}

const contexts = new Map<string, ForgeAppContext>();

/** A warm instance may serve more than one installation: its caches must never mix them. */
function installation(): string {
  try {
    return getAppContext().installationAri.installationId;
  } catch {
    return 'unknown'; // outside an invocation (unit tests): one context
  }
}

/**
 * Wires the core to Forge: KVS, secrets, the Bitbucket product API as the app (every request counted
 * against the shared budget), egress fetch. One per function instance: Forge reuses warm instances,
 * and their in-memory repository cache saves a read.
 */
export function forgeContext(): ForgeAppContext {
  const key = installation();
  const known = contexts.get(key);
  if (known) return known;
  const settings = settingsStore(forgeStore, forgeSecrets);
  const budget = new RateBudget(forgeStore, systemClock, {
    limitPerHour: async () => (await settings.preferences()).requestsPerHour,
    backoffSeconds: async () => (await settings.tuning()).rateLimitBackoffSeconds,
  });
  const client = cloudClient(budgetedTransport(forgeCloudTransport, budget), { timeoutMs: bitbucketReadTimeoutMs });
  const lookups = cloudLookups(client, forgeStore);
  const context: ForgeAppContext = {
    store: forgeStore,
    secrets: forgeSecrets,
    clock: systemClock,
    log: forgeLogger,
    send,
    buildBody: cloudBodyBuilder(client, forgeStore, lookups),
    prepareChange: cloudChangePreparer(client, forgeStore, lookups),
    userAgent: USER_AGENT,
    stats: new DeliveryStats(forgeStore, systemClock),
    budget,
    // The settings page's "PanDev failing" warning reads this record: the outbox is too dear to scan there.
    noteAnswers: deliveryAnswerNoter(),
    client,
    lookups,
  };
  contexts.set(key, context);
  return context;
}
