import { z } from 'zod';
import { cloudBodyBuilder } from '../../core/enrich/cloud/body-builder';
import { cloudClient, type CloudClient } from '../../core/enrich/cloud/client';
import { cloudLookups, repositoryGone, type Lookups } from '../../core/enrich/cloud/lookups';
import { checkedItems, named } from '../../core/enrich/checked-items';
import { BitbucketError } from '../../core/errors';
import { keyPart, kvKey } from '../../core/keys';
import type { Logger } from '../../core/ports';
import { ActivityBacklog } from '../../core/reconcile/activity-backlog';
import { deploymentCheckDue, reconcileRepository, type FoundStep, type ReconcileResult } from '../../core/reconcile/reconcile-repository';
import { noteChangesCut } from '../../core/reconcile/changes-cut';
import { pushedSince, repositoriesChangedSince, type WorkspaceChanges } from '../../core/reconcile/repositories';
import { overlapKeys } from '../../core/reconcile/clock-allowance';
import type { BridgeConfig } from '../config/schema';
import { selection, type RepositoryName } from '../config/selection';
import type { BridgeContext } from '../context';
import { cloudTransport } from '../http/bitbucket';
import { hourlyBudget } from '../http/hourly-budget';
import { bitbucketHttp } from '../http/setup';
import type { BridgeMetrics } from '../ops/metrics';
import { stageAndQueue } from '../poll/deps';
import { changesCutMessage } from '../poll/changes-cut';
import { cloudFailureReason, cloudScopeLacking, cloudTokenRefused, type FailedRepository } from '../poll/failure-reason';
import { InterruptedPass, takeUp } from '../poll/cloud-resume';
import { CLOUD_LIST_MAX_PAGES, cloudListingCutMessage, recordListingCut } from '../poll/listing';
import { rateLimitRecorder } from '../poll/rate-limited';
import { markUnlisted } from '../poll/state';
import { forgetUnlistedRepositories } from '../state/forget-repositories';
import { TokenRefusedError } from '../poll/token-refusal';
import type { KeyedLock } from '../util/keyed-lock';
import type { Edition, EditionSetup, PollOutcome } from './edition';

// Bitbucket Cloud workspaces that cannot install the Forge app: the same reconciliation the app runs
// every 15 minutes (core/reconcile), run by the bridge every BRIDGE_POLL_SECONDS with an API token or
// an access token. Workspace and repositories are named by UUID, so ids match the app's.

const Workspace = z.looseObject({ uuid: z.string(), slug: z.string() });
const CloudCursor = z.object({
  /** workspace/slug as last listed, for the operator (`status`); the state keys on the UUID. */
  name: z.string().optional(),
  watermark: z.number(),
  lastSuccessAt: z.number().optional(),
  deploymentsAt: z.number().optional(),
  /** What the last deployments read saw in the next one's overlap: their keys (core/reconcile/clock-allowance.ts). */
  deploymentsSeen: z.array(z.string()).optional(),
  lastActivityAt: z.number().optional(),
  activityBacklog: ActivityBacklog.optional(),
  /** What the last poll saw in the next one's overlap: activity entries' keys, the workspace query's time (core/reconcile/clock-allowance.ts). */
  activitySeen: z.array(z.string()).optional(),
  changeSeenAt: z.number().optional(),
  error: z.string().optional(),
  /** The deployments read was refused (a token without the pipeline scope): asked every pass, `error` kept, until one is read. */
  deploymentsRefused: z.boolean().optional(),
  /**
   * The pull requests were refused (a token without their scope) since this watermark: read from it,
   * with the activity's backlog and overlap as the last read left them, every pass until one gets through.
   */
  pullRequestsFrom: z.number().optional(),
  /** When a listing first left it out (deselected, deleted, another shard's): its error is history. */
  unlisted: z.number().optional(),
  /** A pass cut short by a stop or a failure, taken up by the next one (poll/cloud-resume.ts). */
  pass: InterruptedPass.optional(),
});
type CloudCursor = z.infer<typeof CloudCursor>;

interface CloudRepository {
  uuid: string;
  slug: string;
  project: string;
}

export function cloudEdition(config: BridgeConfig, extras: { metrics: BridgeMetrics; log: Logger }): EditionSetup {
  const http = bitbucketHttp(config, extras);
  const client = cloudClient(cloudTransport(http));
  const select = selection({ projects: config.bitbucket.projects, repos: config.bitbucket.repos, shard: config.bridge.shard });
  return {
    bodyBuilder: (store) => cloudBodyBuilder(client, store),
    stop: () => http.stop(),
    close: () => http.close(),
    attach(bridge: BridgeContext, lock: KeyedLock): Edition {
      // Every read from here on (listings, passes, bodies of deliveries) plans against Cloud's hour.
      http.budget = hourlyBudget(bridge.ctx.budget, { clock: bridge.clock, log: bridge.log, waiting: bridge.metrics.budgetWait });
      http.rateLimits = rateLimitRecorder(bridge.store, bridge.ctx.clock, 'cloud');
      const lookups = cloudLookups(client, bridge.store);
      let workspace: z.infer<typeof Workspace> | undefined;
      let repositories: CloudRepository[] | undefined;
      let relist = false;
      const cursorKey = (uuid: string) => kvKey('bridge', 'cloud', uuid);
      const readCursor = async (uuid: string): Promise<CloudCursor> => {
        const parsed = CloudCursor.safeParse(await bridge.store.get(cursorKey(uuid)));
        return parsed.success ? parsed.data : { watermark: bridge.ctx.clock.now() - config.bridge.backfillDays * 86_400_000 };
      };
      return {
        name: 'cloud',
        async targets(refresh) {
          const { ws, listed, cursors, queriedAt, pushed } = await refusedAsToken(async () => {
            workspace ??= await client.get({ endpoint: 'workspace', params: { workspace: config.bitbucket.workspace! } }, Workspace);
            if (!repositories || refresh || relist) {
              const listing = await listCloudRepositories(client, workspace, select, bridge.log);
              repositories = listing.selected;
              await recordListingCut(bridge.store, listing.cut === undefined ? undefined : { at: bridge.ctx.clock.now(), read: listing.cut, edition: 'cloud' });
              relist = false;
              // `status` must not call a repository failing that is no longer polled at all.
              const selected = new Set(repositories.map((r) => keyPart(r.uuid)));
              await markUnlisted(bridge.store, kvKey('bridge', 'cloud'), selected, bridge.ctx.clock.now());
              if (listing.cut === undefined && !listing.leftOut) {
                const ws = workspace;
                await forgetUnlistedRepositories({ store: bridge.store, edition: 'cloud', log: bridge.log, now: bridge.ctx.clock.now(), listed: listing.listed, selected, gone: (part) => repositoryGone(lookups, ws.uuid, `{${part}}`) });
              }
            }
            const cursors = new Map(await Promise.all(repositories.map(async (r) => [r.uuid, await readCursor(r.uuid)] as const)));
            // One workspace query says which repositories were pushed to: only those have their refs read.
            const oldest = Math.min(...[...cursors.values()].map((c) => c.watermark));
            // A push after this query is in neither its answer nor a poll that takes it as not pushed.
            const queriedAt = bridge.ctx.clock.now();
            const pushed: WorkspaceChanges = repositories.length ? await repositoriesChangedSince(client, workspace.uuid, oldest, bridge.log) : { changed: new Map() };
            if (repositories.length) await noteChangesCut(bridge.store, bridge.log, pushed, oldest, queriedAt, changesCutMessage);
            return { ws: workspace, listed: repositories, cursors, queriedAt, pushed };
          });
          return listed.map((repository) => ({
            key: repository.uuid,
            name: `${ws.slug}/${repository.slug}`,
            poll: () =>
              lock(repository.uuid, async (): Promise<PollOutcome> => {
                const name = `${ws.slug}/${repository.slug}`;
                const { cursor, resume } = takeUp(cursors.get(repository.uuid)!, config.bridge.backfillDays, bridge.ctx.clock.now());
                // A pass taken up keeps the plan it was made with: its start is still the watermark it leaves.
                const start = resume?.startedAt ?? bridge.ctx.clock.now();
                const changeAt = resume ? resume.changeAt : (pushed.changed.get(repository.uuid.toLowerCase()) ?? cursor.changeSeenAt);
                const wasPushed = resume?.pushed ?? (!cursor.lastSuccessAt || pushedSince(pushed, repository.uuid, cursor.watermark, cursor.changeSeenAt));
                const deployments = resume?.deployments ?? (cursor.deploymentsRefused === true || deploymentCheckDue({ now: start, pushed: wasPushed, lastCheckAt: cursor.deploymentsAt, lastActivityAt: cursor.lastActivityAt }));
                // The watermark is the pass's start (DevLake's rule): what changed during the pass is read
                // again; and no later than the workspace query that said whether it was pushed.
                const watermark = Math.min(start, resume?.queriedAt ?? queriedAt);
                let pass: InterruptedPass = resume ?? { from: cursor.watermark, days: config.bridge.backfillDays, startedAt: start, queriedAt, ...(changeAt !== undefined ? { changeAt } : {}), pushed: wasPushed, deployments, found: false };
                let kept = resume;
                let staged = 0;
                const found = async (step: FoundStep) => {
                  staged += await stageAndQueue(step.items, bridge);
                  const before = pass;
                  pass = { ...pass, found: pass.found || step.items.length > 0 };
                  if (step.feed === 'pull-requests') pass.pullRequests = { ...(step.activityBacklog ? { activityBacklog: step.activityBacklog } : {}), activitySeen: overlapKeys(step.activityRead, watermark) };
                  // Written once what it vouches for is in the outbox; a ref's own progress is its recorded tip.
                  if (kept && pass.found === before.found && step.feed === 'refs') return;
                  kept = pass;
                  await bridge.store.set(cursorKey(repository.uuid), { ...cursor, name, pass } satisfies CloudCursor);
                };
                /** Written without `pass`: the pass is complete (but for the feeds `refused` names, with why). */
                const complete = async (read: { deploymentsRead: boolean; deployed?: boolean; lastDeploymentAt?: number; deploymentsSeen?: string[]; refused: Refusals }) => {
                  const lastActivityAt = Math.max(pass.found || read.deployed ? start : 0, read.lastDeploymentAt ?? 0, cursor.lastActivityAt ?? 0);
                  const { pullRequests, deployments: deploymentsRefused } = read.refused;
                  // Refused, the pull requests are still owed from where they were last read.
                  const { activityBacklog, activitySeen = [] } = pullRequests ? cursor : (pass.pullRequests ?? {});
                  const error = [pullRequests, deploymentsRefused].filter((reason) => reason !== undefined).join('; ');
                  await bridge.store.set(cursorKey(repository.uuid), {
                    name,
                    // Refused, the deployments since the last read (or the old watermark) are still to be read.
                    watermark, lastSuccessAt: start, deploymentsAt: read.deploymentsRead ? start : deploymentsRefused ? (cursor.deploymentsAt ?? cursor.watermark) : cursor.deploymentsAt,
                    ...(lastActivityAt ? { lastActivityAt } : {}), ...(activityBacklog ? { activityBacklog } : {}),
                    ...(activitySeen.length ? { activitySeen } : {}), ...(read.deploymentsSeen?.length ? { deploymentsSeen: read.deploymentsSeen } : {}),
                    ...(changeAt !== undefined ? { changeSeenAt: changeAt } : {}), ...(deploymentsRefused ? { deploymentsRefused: true } : {}),
                    ...(pullRequests ? { pullRequestsFrom: cursor.pullRequestsFrom ?? cursor.watermark } : {}), ...(error ? { error } : {}),
                  } satisfies CloudCursor);
                };
                try {
                  await forgetIfRenamed(lookups, repository);
                  const { items, lastDeploymentAt, deploymentsSeen = cursor.deploymentsSeen, refused = {} } = await reconcileRepository({
                    client, lookups, store: bridge.store, workspace: ws.uuid, repository: repository.uuid, watermark: cursor.watermark,
                    ...(cursor.pullRequestsFrom !== undefined ? { pullRequestsFrom: cursor.pullRequestsFrom } : {}), leaveOutRefused: true,
                    pushed: wasPushed, deployments, deploymentsSince: cursor.deploymentsAt ?? cursor.watermark,
                    ...(cursor.activityBacklog ? { activityBacklog: cursor.activityBacklog } : {}),
                    ...(cursor.activitySeen ? { activitySeen: cursor.activitySeen } : {}),
                    ...(cursor.deploymentsSeen ? { deploymentsSeen: cursor.deploymentsSeen } : {}), now: start,
                    found, log: bridge.log, ...(resume ? { resume: { pullRequestsDone: resume.pullRequests !== undefined, startedAt: resume.startedAt } } : {}),
                  });
                  staged += await stageAndQueue(items, bridge);
                  const reasons = refusalReasons(refused, { name, selector: `${repository.project}/${repository.slug}`, username: Boolean(config.bitbucket.username) });
                  await complete({ deploymentsRead: deployments && !refused.deployments, deployed: items.length > 0, ...(lastDeploymentAt !== undefined ? { lastDeploymentAt } : {}), ...(deploymentsSeen ? { deploymentsSeen } : {}), refused: reasons });
                  sayRefusals(bridge.log, repository.slug, reasons, { pullRequests: cursor.pullRequestsFrom !== undefined, deployments: cursor.deploymentsRefused === true });
                  if (reasons.pullRequests === undefined && reasons.deployments === undefined) return { ok: true, staged, skipped: [] };
                  // A token with the scope is most often written to the token file: read at the next pass.
                  http.reauthorize?.();
                  return { ok: false, partial: true, staged, skipped: [], error: [reasons.pullRequests, reasons.deployments].filter((reason) => reason !== undefined).join('; ') };
                } catch (error) {
                  // The client reports an aborted request as Bitbucket not answering; a stop is no failure,
                  // and an error kept in the cursor would show in `status` as one.
                  if (http.signal.aborted) return { ok: false, stopped: true, staged, skipped: [] };
                  const reason = cloudFailureReason(error, { name: `${ws.slug}/${repository.slug}`, selector: `${repository.project}/${repository.slug}`, username: Boolean(config.bitbucket.username) });
                  // Not this repository's failure: its cursor stays as the last good pass left it, and the
                  // runner says once, for the workspace, what to do.
                  if (error instanceof BitbucketError && error.kind === 'unauthorized') return { ok: false, refused: true, staged: 0, skipped: [], error: reason };
                  // Asked for by UUID, a repository whose feeds answer 404 is gone: the next pass lists again,
                  // so it stops being polled (and called failing) then, not at the periodic listing. Not for
                  // deployments alone, which a repository can lack: that would list every pass.
                  if (error instanceof BitbucketError && error.kind === 'not-found' && !/deployment|environment/i.test(error.path)) relist = true;
                  // What the pass staged before it failed stays handed over: the next one takes it up there.
                  const { pass: _dropped, ...rest } = cursor;
                  await bridge.store.set(cursorKey(repository.uuid), { ...rest, ...(kept ? { pass: kept } : {}), name, unlisted: undefined, error: reason } satisfies CloudCursor);
                  bridge.log.warn({ repository: repository.slug, reason }, 'repository poll failed; it is tried again next pass');
                  return { ok: false, staged: 0, skipped: [], error: reason };
                }
              }),
          }));
        },
      };

      /** A 401 while listing is the token refused (Cloud has no per-repository 401), not a listing to fix. */
      async function refusedAsToken<T>(list: () => Promise<T>): Promise<T> {
        try {
          return await list();
        } catch (error) {
          if (error instanceof BitbucketError && error.kind === 'unauthorized') throw new TokenRefusedError(cloudTokenRefused(error, Boolean(config.bitbucket.username)));
          throw error;
        }
      }
    },
  };
}

/** Why each feed Bitbucket refused this pass is not read (the fix-it `status` shows). */
interface Refusals {
  pullRequests?: string;
  deployments?: string;
}

function refusalReasons(refused: NonNullable<ReconcileResult['refused']>, repo: FailedRepository & { username: boolean }): Refusals {
  return {
    ...(refused.pullRequests ? { pullRequests: cloudScopeLacking(refused.pullRequests, repo) } : {}),
    ...(refused.deployments ? { deployments: cloudScopeLacking(refused.deployments, repo) } : {}),
  };
}

/**
 * Logged when a feed's refusal begins and when it ends, not every pass: `status` says it meanwhile.
 * `before`: which feeds the cursor had as refused.
 */
function sayRefusals(log: Logger, repository: string, now: Refusals, before: Record<keyof Refusals, boolean>): void {
  for (const feed of ['pullRequests', 'deployments'] as const) {
    const what = feed === 'pullRequests' ? 'pull requests' : 'deployments';
    const reason = now[feed];
    if (reason !== undefined && !before[feed]) log.warn({ repository, reason }, `repository poll could not read its ${what}; the rest of it was read, and status says so until they are`);
    if (reason === undefined && before[feed]) log.info({ repository }, `repository poll read its ${what} again, from where they were last read`);
  }
}

/**
 * The listing is the bridge's only news of a rename (the app has a trigger that refreshes the name): a
 * cached repository object under the old slug would name the repository so in every delivery for up
 * to its six hours. Dropped, it is read again the next time a delivery needs it; unchanged, nothing
 * is asked of Bitbucket.
 */
async function forgetIfRenamed(lookups: Lookups, repository: CloudRepository): Promise<void> {
  const cached = await lookups.cachedRepository(repository.uuid);
  // full_name is workspace/slug: only the slug is compared, the workspace's own slug was read at start.
  if (cached && cached.full_name.slice(cached.full_name.indexOf('/') + 1).toLowerCase() !== repository.slug.toLowerCase()) await lookups.forgetRepository(repository.uuid);
}

// Checked one by one (checkedItems) for what is used of each: one listed in an unexpected shape failed
// the whole listing, so no repository of the workspace was polled.
const ListedRepository = z.looseObject({ uuid: z.string(), slug: z.string(), project: z.looseObject({ key: z.string() }).nullish() });

async function listCloudRepositories(client: CloudClient, workspace: z.infer<typeof Workspace>, select: ReturnType<typeof selection>, log: Logger): Promise<{ selected: CloudRepository[]; listed: Set<string>; leftOut: number; cut?: number }> {
  const found: CloudRepository[] = [];
  const readable: RepositoryName[] = [];
  let capped = false;
  let leftOut = 0;
  const query = { pagelen: 100, fields: 'values.uuid,values.slug,values.project.key,next' };
  for await (const page of client.pages({ endpoint: 'repositories', params: { workspace: workspace.uuid }, query }, z.unknown(), CLOUD_LIST_MAX_PAGES, () => (capped = true))) {
    const { items, malformed } = checkedItems(page, ListedRepository, named.repository);
    leftOut += malformed.length;
    for (const { reason } of malformed) log.warn({ reason: `${reason}: it is not polled while Bitbucket lists it so; report it to Atlassian support, the rest of the workspace is polled` }, 'a repository was left out of the repository listing');
    for (const repo of items) {
      const { slug } = repo;
      const project = repo.project?.key ?? '';
      const name = { project, slug, stableId: repo.uuid };
      readable.push(name);
      if (select.repository(name)) found.push({ uuid: repo.uuid, slug, project });
    }
  }
  // Repositories past the cap are not polled, and the ones polled before drop out of `status` as
  // unlisted: without this line nothing says why.
  if (capped) log.warn({ read: readable.length, pages: CLOUD_LIST_MAX_PAGES }, cloudListingCutMessage(readable.length));
  for (const warning of select.warnings(readable, found.length)) log.warn({}, warning);
  return { selected: found, listed: new Set(readable.map((name) => keyPart(name.stableId))), leftOut, ...(capped ? { cut: readable.length } : {}) };
}
