import { verify } from '../../core/deliver/sign';
import { datacenterBodyBuilder } from '../../core/enrich/datacenter/body-builder';
import { dcClient } from '../../core/enrich/datacenter/client';
import { sameContent, withContent, type PullRequestMemory } from '../../core/enrich/datacenter/pull-request-events';
import { epochMs, type PullRequest, type Repository } from '../../core/enrich/datacenter/schema';
import { errorMessage } from '../../core/errors';
import { refStateStore } from '../../core/pipeline/ref-state';
import type { Logger } from '../../core/ports';
import type { BridgeConfig } from '../config/schema';
import { selection } from '../config/selection';
import type { BridgeContext } from '../context';
import { dcTransport } from '../http/bitbucket';
import { bitbucketHttp, instanceId } from '../http/setup';
import type { BridgeMetrics } from '../ops/metrics';
import { moveCommits, type MoveCommits } from '../poll/commits';
import { pollBuildWatches, watchTips } from '../poll/builds';
import { stageAndQueue, type PollDeps } from '../poll/deps';
import { listRepositories } from '../poll/repositories';
import { pollRepository } from '../poll/repository-pass';
import { defaultBranchTip } from '../poll/refs';
import { pollState } from '../poll/state';
import type { KeyedLock } from '../util/keyed-lock';
import { parseWebhook, pushEvents, type PushEvent } from '../webhooks/datacenter-events';
import { NULL_HASH } from '../../core/payload/datacenter';
import type { Edition, EditionSetup, WebhookResult } from './edition';

// Bitbucket Data Center: PAT polling of every selected repository, and (optionally) its webhooks.

export function datacenterEdition(config: BridgeConfig, extras: { metrics: BridgeMetrics; log: Logger }): EditionSetup {
  const http = bitbucketHttp(config, extras);
  const client = dcClient(dcTransport(http));
  const select = selection({ projects: config.bitbucket.projects, repos: config.bitbucket.repos, shard: config.bridge.shard });
  const instance = instanceId(config);
  return {
    bodyBuilder: () => datacenterBodyBuilder(client),
    stop: () => http.stop(),
    close: () => http.close(),
    attach(bridge: BridgeContext, lock: KeyedLock): Edition {
      const deps: PollDeps = { client, ctx: bridge.ctx, queue: bridge.queue, state: pollState(bridge.store), instance, backfillDays: config.bridge.backfillDays, log: bridge.log };
      let repositories: Repository[] | undefined;
      return {
        name: 'datacenter',
        async targets(refresh) {
          if (!repositories || refresh) repositories = await listRepositories(client, select);
          return repositories.map((repository) => ({
            key: String(repository.id),
            name: `${repository.project.key}/${repository.slug}`,
            poll: () => lock(String(repository.id), () => pollRepository(repository, deps)),
          }));
        },
        async finishPass(targets) {
          const polled = new Set(targets.map((target) => target.key));
          return pollBuildWatches((repositories ?? []).filter((repository) => polled.has(String(repository.id))), deps, lock);
        },
        webhook: (headers, raw) => receive(headers, raw, { config, deps, lock, select, instance }),
      };
    },
  };
}

interface ReceiveDeps {
  config: BridgeConfig;
  deps: PollDeps;
  lock: KeyedLock;
  select: ReturnType<typeof selection>;
  instance: string;
}

async function receive(headers: Record<string, string | undefined>, raw: Buffer, r: ReceiveDeps): Promise<WebhookResult> {
  const secret = r.config.bridge.webhookSecret;
  if (!secret) return { status: 401, message: 'webhooks are off: set BRIDGE_WEBHOOK_SECRET (the secret of the Bitbucket webhook) to receive them' };
  if (!verify(secret, raw, headers['x-hub-signature'])) return { status: 401, message: 'X-Hub-Signature does not match the body and BRIDGE_WEBHOOK_SECRET' };
  let payload: unknown;
  try {
    payload = JSON.parse(raw.toString('utf8'));
  } catch {
    return { status: 400, message: 'the body is not JSON' };
  }
  const eventKey = signedEventKey(headers['x-event-key'], payload);
  if (typeof eventKey !== 'string') return eventKey;
  const parsed = parseWebhook(eventKey, payload);
  if (parsed.kind === 'invalid') return { status: 400, message: parsed.reason };
  if (parsed.kind === 'ignored') return { status: 200, message: `ignored: ${parsed.reason}` };
  const repository = parsed.repository;
  const name = { project: repository.project.key, slug: repository.slug, stableId: String(repository.id) };
  if (!r.select.selected(name)) return { status: 200, message: 'ignored: the repository is not selected (BITBUCKET_PROJECTS, BITBUCKET_REPOS)' };
  // Sharded bridges sit behind one Service, so a webhook reaches any of them: each takes every selected
  // repository's webhooks (Data Center does not send one again). The owner's poll finds pull-request
  // events under the same ids, and PanDev deduplicates; a push it finds as part of a longer move is sent
  // again as that move (its commits twice, never lost). Only the build watch is left to the owner.
  const polledHere = r.select.repository(name);
  const key = String(repository.id);
  const background = r.lock(key, async () => {
    if (parsed.kind === 'push') {
      const moves = await pushMoves(parsed.event, r.deps);
      await stageAndQueue(pushEvents(moves.event, r.instance, moves.commits), r.deps);
      await rememberTips(moves.event, r.deps);
      // Their builds are watched as if the poll had seen the move (the poll will find the tips known).
      const tips = moves.event.changes.filter((change) => change.ref.type === 'BRANCH' && change.type !== 'DELETE').map((change) => change.toHash);
      if (polledHere) await watchTips(key, tips, 'webhook', r.deps);
      return;
    }
    if (parsed.eventKey === 'pr:modified' && !(await modificationIsNew(key, parsed.pullRequest, r.deps))) return;
    await stageAndQueue(parsed.build(r.instance), r.deps);
  }).catch((error: unknown) => {
    // The poll finds the same events later (same ids): a webhook that could not be handled is not lost.
    r.deps.log.warn({ eventKey, repository: key, reason: errorMessage(error) }, 'webhook not handled; the next poll picks it up');
  });
  return { status: 202, message: 'accepted', background };
}

/**
 * The event key comes from the signed body: X-Event-Key is not covered by X-Hub-Signature, so trusting
 * it would let a captured body (say a pr:opened) be replayed as pr:merged or pr:deleted. Data Center
 * sends both and they agree; a header that disagrees is refused. Only the connection test
 * (`diagnostics:ping`, body `{"test": true}`) has no key in its body.
 */
function signedEventKey(header: string | undefined, payload: unknown): string | WebhookResult {
  const body = payload as { eventKey?: unknown; test?: unknown } | null;
  if (body?.test === true && body.eventKey === undefined) return 'diagnostics:ping';
  if (typeof body?.eventKey !== 'string' || !body.eventKey) return { status: 400, message: 'the body has no eventKey: not a Data Center webhook' };
  if (header !== undefined && header !== body.eventKey) {
    return { status: 400, message: `X-Event-Key (${header}) disagrees with the signed body's eventKey (${body.eventKey}); the body's is the one signed, so the request is refused` };
  }
  return body.eventKey;
}

/**
 * Each ref change as a move from where the bridge last delivered the ref, with its commits read. A
 * webhook can come late: the repository's poll (which holds its lock) may have delivered the ref to
 * this tip or past it already, and sending it again would deliver those commits under new ids and set
 * the recorded tip back. So a change the recorded tip covers is dropped (its tip is the recorded one,
 * or no commit of it lies beyond it), and one that does not start at the recorded tip (a webhook lost,
 * or refused when the bridge was down) is sent from the recorded tip, as the poll would send it.
 */
async function pushMoves(event: PushEvent, deps: PollDeps): Promise<{ event: PushEvent; commits: Map<string, MoveCommits> }> {
  const refs = refStateStore(deps.ctx.store);
  const repo = String(event.repository.id);
  const changes: PushEvent['changes'] = [];
  const read = new Map<string, MoveCommits>();
  let defaultTip: string | undefined | null = null;
  for (const change of event.changes) {
    const known = await refs.get(repo, change.ref.type === 'TAG' ? 'tag' : 'branch', change.ref.displayId);
    const to = change.type === 'DELETE' ? null : change.toHash;
    if (known && known.tip === to) continue;
    const from = change.type === 'ADD' ? null : change.fromHash;
    const rebased = known !== undefined && known.tip !== from;
    const move = rebased ? { ...change, fromHash: known.tip ?? NULL_HASH, type: !known.tip ? ('ADD' as const) : to ? ('UPDATE' as const) : ('DELETE' as const) } : change;
    if (move.ref.type !== 'BRANCH' || move.type === 'DELETE') {
      changes.push(move);
      continue;
    }
    if (move.type === 'ADD' && defaultTip === null) defaultTip = await defaultBranchTip(event.repository, deps);
    const exclude = move.type === 'ADD' ? (defaultTip ?? undefined) : move.fromHash;
    const commits = await moveCommits(deps.client, event.repository, { to: move.toHash, ...(exclude && exclude !== move.toHash ? { exclude } : {}) });
    // Nothing beyond the recorded tip: the poll delivered this move already.
    if (rebased && move.type === 'UPDATE' && commits.commits.length === 0) continue;
    read.set(move.ref.id, commits);
    changes.push(move);
  }
  return { event: { ...event, changes }, commits: read };
}

/**
 * pr:modified is the one event the poll cannot date: Data Center records no activity for it, so the poll
 * finds it by comparing title, description and target with what it saw last, and dates it by the pull
 * request's updatedDate then, which later activity may have moved past the webhook's. So the two must
 * not both report one modification: the webhook's is sent only when the poll has not yet seen the pull
 * request at or after it, and then the poll's memory takes the new content, so that the poll does not
 * report it again. Both run under the repository's lock.
 */
async function modificationIsNew(repo: string, pr: PullRequest, deps: PollDeps): Promise<boolean> {
  const seen = await deps.state.pullRequest(repo, pr.id);
  const memory = seen?.m as PullRequestMemory | undefined;
  if (seen && (seen.u >= epochMs(pr.updatedDate) || (memory && sameContent(pr, memory)))) return false;
  if (seen && pr.state === 'OPEN') await deps.state.savePullRequest(repo, pr.id, { ...seen, m: withContent(pr, memory) });
  return true;
}

/** The poll then finds these refs where the webhook left them, and sends nothing for them again. */
async function rememberTips(event: PushEvent, deps: PollDeps): Promise<void> {
  const refs = refStateStore(deps.ctx.store);
  const repo = String(event.repository.id);
  for (const change of event.changes) {
    const type = change.ref.type === 'TAG' ? 'tag' : 'branch';
    const known = await refs.get(repo, type, change.ref.displayId);
    // Only a move from where the bridge last saw the ref (pushMoves made every change one).
    if (!known || known.tip === (change.fromHash === NULL_HASH ? null : change.fromHash)) {
      await refs.set(repo, type, change.ref.displayId, { tip: change.type === 'DELETE' ? null : change.toHash, at: deps.ctx.clock.now(), origin: 'webhook' });
    }
  }
}
