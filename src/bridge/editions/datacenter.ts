import { z } from 'zod';
import { datacenterBodyBuilder } from '../../core/enrich/datacenter/body-builder';
import { dcClient, type DcClient } from '../../core/enrich/datacenter/client';
import type { Repository } from '../../core/enrich/datacenter/schema';
import { BitbucketError } from '../../core/errors';
import type { Logger } from '../../core/ports';
import type { BridgeConfig } from '../config/schema';
import { rotatingSecret } from '../config/secret-file';
import { selection } from '../config/selection';
import type { BridgeContext } from '../context';
import { dcTransport } from '../http/bitbucket';
import { bitbucketHttp, instanceId } from '../http/setup';
import type { BridgeMetrics } from '../ops/metrics';
import { pollBuildWatches } from '../poll/builds';
import { datacenterTokenRefused } from '../poll/failure-reason';
import { leaveOutOfListing } from '../poll/left-out';
import { listOrderGuard } from '../poll/list-order';
import { recordListingCut } from '../poll/listing';
import type { PollDeps } from '../poll/deps';
import { listRepositories } from '../poll/repositories';
import { pollRepository } from '../poll/repository-pass';
import { rateLimitRecorder } from '../poll/rate-limited';
import { pollState } from '../poll/state';
import { TokenRefusedError } from '../poll/token-refusal';
import type { KeyedLock } from '../util/keyed-lock';
import { forgetUnlistedRepositories, type ForgetCursor } from '../state/forget-repositories';
import { webhookInbox } from '../webhooks/inbox';
import { handleWebhook, receiveWebhook } from './datacenter-webhooks';
import type { Edition, EditionSetup } from './edition';

/**
 * A wrong signature reads the webhook secret's file again (it may have been rotated), at most this
 * often: anyone who reaches the port can send wrong signatures. A webhook signed with a secret rotated
 * within this time of another reread is refused; the poll finds its change.
 */
const WEBHOOK_SECRET_REREAD_MS = 1_000;

// Bitbucket Data Center: PAT polling of every selected repository, and (optionally) its webhooks.

export function datacenterEdition(config: BridgeConfig, extras: { metrics: BridgeMetrics; log: Logger; pullRequestPages?: number }): EditionSetup {
  const http = bitbucketHttp(config, extras);
  const client = dcClient(dcTransport(http));
  const select = selection({ projects: config.bitbucket.projects, repos: config.bitbucket.repos, shard: config.bridge.shard });
  const instance = instanceId(config);
  return {
    bodyBuilder: () => datacenterBodyBuilder(client),
    stop: () => http.stop(),
    close: () => http.close(),
    attach(bridge: BridgeContext, lock: KeyedLock): Edition {
      // `status` says when Bitbucket's rate limit is what slows the passes down.
      http.rateLimits = rateLimitRecorder(bridge.store, bridge.ctx.clock, 'datacenter');
      const state = pollState(bridge.store);
      const listOrder = listOrderGuard(state, bridge.ctx.clock, bridge.log);
      const deps: PollDeps = { client, ctx: bridge.ctx, queue: bridge.queue, state, listOrder, instance, backfillDays: config.bridge.backfillDays, log: bridge.log, ...(extras.pullRequestPages ? { pullRequestPages: extras.pullRequestPages } : {}) };
      const handling = { config, deps, select, instance };
      const webhookSecret = rotatingSecret(config.bridge.webhookSecret ?? '', config.bridge.webhookSecretFile, 'the webhook secret', { log: bridge.log, minIntervalMs: WEBHOOK_SECRET_REREAD_MS });
      const inbox = webhookInbox({
        store: bridge.store,
        lock,
        clock: bridge.ctx.clock,
        log: bridge.log,
        max: config.bridge.webhookBacklog,
        handle: (body) => handleWebhook(body, handling),
        stopping: () => http.signal.aborted,
      });
      let repositories: Repository[] | undefined;
      // Set when a repository answered 404: renamed or moved, it is polled under its new name next
      // pass instead of failing until the periodic listing.
      let relist = false;
      return {
        name: 'datacenter',
        async targets(refresh) {
          if (!repositories || refresh || relist) {
            const listing = await listRepositories(client, select, bridge.log).catch((error: unknown) => {
              // A PAT that expired while the bridge was down is met here first: one refused token, said as such.
              if (error instanceof BitbucketError && error.kind === 'unauthorized') throw new TokenRefusedError(datacenterTokenRefused(error));
              throw error;
            });
            repositories = listing.selected;
            await recordListingCut(bridge.store, listing.cut === undefined ? undefined : { at: bridge.ctx.clock.now(), read: listing.cut });
            await leaveOutOfListing(listing.leftOut, listing.cut === undefined, deps);
            relist = false;
            // `status` must not call a repository failing that is no longer polled at all.
            const selected = new Set(repositories.map((repository) => String(repository.id)));
            await deps.state.markUnlisted(selected, bridge.ctx.clock.now());
            if (listing.cut === undefined && !listing.leftOut.length) {
              await forgetUnlistedRepositories({ store: bridge.store, edition: 'datacenter', log: bridge.log, now: bridge.ctx.clock.now(), listed: listing.listed, selected, gone: (part, cursor) => goneUnderName(part, cursor, client) });
            }
          }
          return repositories.map((repository) => ({
            key: String(repository.id),
            name: `${repository.project.key}/${repository.slug}`,
            poll: async () => {
              const outcome = await lock(String(repository.id), () => pollRepository(repository, deps));
              if (outcome.relist) relist = true;
              return outcome;
            },
          }));
        },
        async finishPass(targets) {
          const polled = new Set(targets.map((target) => target.key));
          return pollBuildWatches((repositories ?? []).filter((repository) => polled.has(String(repository.id))), deps, lock);
        },
        resume: () => inbox.resume(),
        webhook: (headers, raw) => receiveWebhook(headers, raw, { ...handling, inbox, webhookSecret }),
      };
    },
  };
}

/**
 * Data Center reads a repository by name only: the one the cursor last saw answering 404, or answering
 * with another repository, is gone. A cursor from before names were kept cannot be asked about: the
 * day of complete listings without it is taken as the answer.
 */
async function goneUnderName(part: string, cursor: ForgetCursor, client: DcClient): Promise<boolean | undefined> {
  const [projectKey, repositorySlug] = cursor.name?.split('/') ?? [];
  if (!projectKey || !repositorySlug) return true;
  try {
    const found = await client.get({ endpoint: 'repository', params: { projectKey, repositorySlug } }, z.looseObject({ id: z.number() }));
    return String(found.id) !== part;
  } catch (error) {
    return error instanceof BitbucketError && error.kind === 'not-found' ? true : undefined;
  }
}
