import { fetch as forgeFetch } from '@forge/api';
import { cloudClient } from '../../core/enrich/cloud/client';
import { cloudBodyBuilder } from '../../core/enrich/cloud/body-builder';
import type { HttpSend } from '../../core/ports';
import { systemClock } from '../../core/ports';
import type { ForwardContext } from '../../core/pipeline/context';
import { DeliveryStats } from '../../core/deliver/stats';
import { forgeCloudTransport } from './bitbucket-transport';
import { forgeSecrets, forgeStore } from './kvs-store';
import { forgeLogger } from './logger';

export const USER_AGENT = 'pandev-bitbucket/0.1.0 (forge)';

// Egress goes through Forge's fetch, which enforces the manifest's `external.fetch.backend`.
const send: HttpSend = (url, init) => forgeFetch(url, init as Parameters<typeof forgeFetch>[1]);

let context: ForwardContext | undefined;

/**
 * Wires the core to Forge: KVS, secrets, the Bitbucket product API as the app, egress fetch. One per
 * function instance: Forge reuses warm instances, and their in-memory repository cache saves a read.
 */
export function forgeContext(): ForwardContext {
  if (context) return context;
  const client = cloudClient(forgeCloudTransport);
  return (context = {
    store: forgeStore,
    secrets: forgeSecrets,
    clock: systemClock,
    log: forgeLogger,
    send,
    buildBody: cloudBodyBuilder(client, forgeStore),
    userAgent: USER_AGENT,
    stats: new DeliveryStats(forgeStore, systemClock),
  });
}
