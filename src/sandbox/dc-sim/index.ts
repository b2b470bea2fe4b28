// A Bitbucket Data Center simulator on loopback: the REST 1.0 subset the bridge uses, seeded history
// (lazy, so 100k pull requests fit in little memory), PAT auth, a token-bucket rate limit, 9.x/10.x date
// formats, a corrupt pull request, fault injection, and native webhooks signed with a secret.
//
// Actions (see ./actions/index.ts for each one's activity and webhooks): openPullRequest,
// updatePullRequest, updateReviewers, pushToPullRequest, approvePullRequest, unapprovePullRequest,
// needsWork, addComment, editComment, deleteComment, mergePullRequest, declinePullRequest,
// reopenPullRequest, deletePullRequest, pushCommits, forcePush, createBranch, deleteBranch, createTag, deleteTag,
// setBuildStatus, updateRepository. Repositories are named `PROJECT/slug`, people by username.
import { randomBytes } from 'node:crypto';
import { FaultInjector, type FaultRule } from '../sim-common/faults';
import { Router } from '../sim-common/router';
import { StatsRecorder, type SimStats } from '../sim-common/stats';
import { Prng } from '../sim-common/prng';
import { actionRunner } from '../sim-common/admin';
import { liveActivities, listenOnLoopback } from '../sim-common/server';
import { actionSchemas, createActions, type DcActions } from './actions';
import { handleAdmin } from './http/admin';
import { handleRequest } from './http/server';
import { TokenBuckets, type Clock, type RateLimit } from './http/token-bucket';
import { startLiveActivity } from './live-activity';
import type { PullRequestSortKey } from './model/pull-requests';
import type { DcModel } from './model/state';
import { apiRoutes, buildRoutes } from './routes';
import { DcRuntime } from './runtime';
import { chooseCorrupt, seedForkPullRequest } from './seed/extras';
import { seedHistory } from './seed/history';
import { seedInstance } from './seed/instance';
import { DAY, type DateFormat } from './util/dates';
import { credential, normalizeContextPath, summarize, versionInfo, VERSIONS, type DcCredential } from './summary';
import { Webhooks, type Webhook, type WebhookDelivery } from './webhooks';

export type { ActionArgs, ActionName, ActionResult, DcActions } from './actions';
export type { FaultRule } from '../sim-common/faults';
export type { SimStats } from '../sim-common/stats';
export type { DcModel } from './model/state';
export type { DcEvent } from './runtime';
export type { RateLimit } from './http/token-bucket';
export type { Webhook, WebhookDelivery } from './webhooks';
export type * as DcTypes from './model/types';
export { signature } from './webhooks';
export type { DcCredential } from './summary';

export interface DcSimulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Same seed and baseTime give identical data. */
  seed?: string | number;
  /** Epoch ms the seeded history ends at (default: now). */
  baseTime?: number;
  projects?: number;
  repositoriesPerProject?: number;
  historyDays?: number;
  /** Seeded pull requests per repository (OPEN, MERGED, DECLINED); content is generated on demand. */
  pullRequestsPerRepository?: number;
  /** 9.x: epoch-ms numbers; 10.x: ISO strings in pull request and commit dates. */
  dateFormat?: DateFormat;
  /**
   * What `/application-properties` reports (default: a 9.x or 10.x release, by `dateFormat`), to play an
   * older Bitbucket Server to `check`; the API served stays the 9.2 spec's.
   */
  version?: string;
  /** Serve under a context path, e.g. `/bitbucket`. */
  contextPath?: string;
  /** Token bucket per user (default 60 tokens, 5 per second); null = unlimited. */
  rateLimit?: RateLimit | null;
  /** Default true: one pull request (`corrupt`) answers 500 on its own endpoints. */
  corruptPullRequest?: boolean;
  /** Drives the rate limit and the time of live changes (default: real time). */
  clock?: Clock;
  /**
   * What the pull-request list's `order=NEWEST` (and OLDEST) sorts by: last update (default), or
   * creation. The spec says only that "newer pull requests should be shown before older ones"; the
   * bridge's poll relies on the first and guards itself against the second, which this plays.
   */
  pullRequestsBy?: PullRequestSortKey;
  /**
   * Items per page at most, on every paged resource: an administrator's lowered `page.max.*` (Data
   * Center answers the smaller page and says so in the returned `limit`). Default: Data Center's own caps.
   */
  pageMax?: number;
  /**
   * Whether a comment's edit or deletion is an activity of its own (`COMMENTED` with `commentAction`
   * EDITED or DELETED), as Atlassian's javadoc has it (PullRequestAction.COMMENTED: "a comment has been
   * added, deleted, edited or replied to"; CommentAction). Default true. The 9.2 spec models neither
   * `commentAction` nor `comment` on RestPullRequestActivity, and the captured feeds (go-scm
   * `stash/testdata/pr_comments.json`) show ADDED items only: `false` plays such an instance, where an
   * edit shows only in the comment's `version` and `updatedDate` (RestComment) and a deletion not at all.
   */
  commentEditActivities?: boolean;
}


export interface DcSimulator {
  /** Base URL including the context path; REST under `${url}/rest/api/1.0` (and `/rest/api/latest`), admin under `${url}/_sim`. */
  url: string;
  version: string;
  credentials: { admin: DcCredential; user: DcCredential; revoked: DcCredential };
  corrupt: { projectKey: string; repositorySlug: string; pullRequestId: number } | undefined;
  /** The in-memory state, for reading in tests; change it through `actions` only. */
  model: DcModel;
  actions: DcActions;
  webhooks: {
    register(url: string, secret: string, events?: string[]): string;
    remove(id: string): void;
    /** Sends Data Center's "Test connection" request (`diagnostics:ping`, body `{"test":true}`). */
    ping(id: string): void;
    list(): Webhook[];
    deliveries(): WebhookDelivery[];
    /** Resolves once every webhook queued so far has been attempted. */
    idle(): Promise<void>;
  };
  faults: { add(rule: FaultRule): string; remove(id: string): void; clear(): void };
  stats(): SimStats;
  resetStats(): void;
  setRateLimit(limit: RateLimit | null): void;
  /**
   * Replaces a credential's token, as revoking a PAT and creating another does: the old text
   * authenticates nobody from now on. Returns the new token (also in `credentials`).
   */
  rotateToken(label: 'admin' | 'user'): string;
  /** Takes a credential's user's read permission on a project away (`false`), or gives it back. */
  setProjectAccess(label: 'admin' | 'user', projectKey: string, readable: boolean): void;
  /** Random live activity every `intervalMs` (default 2000) until the returned function is called. */
  startActivity(options?: { intervalMs?: number }): () => void;
  stop(): Promise<void>;
}

export async function startDcSimulator(options: DcSimulatorOptions = {}): Promise<DcSimulator> {
  const seed = String(options.seed ?? 'pandev');
  const base = options.baseTime ?? Date.now();
  const dateFormat = options.dateFormat ?? '9.x';
  const contextPath = normalizeContextPath(options.contextPath);
  const counts = { projects: options.projects ?? 2, repositoriesPerProject: options.repositoriesPerProject ?? 3, pullRequestsPerRepository: options.pullRequestsPerRepository ?? 8 };
  const model = seedInstance({ seed, base, ...counts });
  seedHistory(model, { base, historyDays: options.historyDays ?? 30, pullRequestsPerRepository: counts.pullRequestsPerRepository });
  const clock = options.clock ?? { now: () => Date.now() };

  const server = await listenOnLoopback('dc-sim', options.port);
  const origin = server.origin;
  const url = `${origin}${contextPath}`;
  const root = new Prng(seed);
  const info = options.version ? versionInfo(options.version, VERSIONS[dateFormat].buildDate) : VERSIONS[dateFormat];
  const render = { model, base: url, sshHost: '127.0.0.1:7999', dateFormat };
  const corrupt = options.corruptPullRequest === false ? undefined : chooseCorrupt(model);
  const runtime = new DcRuntime(model, clock, root.fork('live'), render, info, corrupt, options.pullRequestsBy, options.commentEditActivities ?? true);
  seedForkPullRequest({ model, render, rng: root.fork('fork'), at: base - 2 * DAY });

  const actions = createActions(runtime);
  const faults = new FaultInjector(root.fork('faults'));
  const stats = new StatsRecorder();
  const webhooks = new Webhooks(`Atlassian HttpClient 4.2.0 / Bitbucket-${info.version} (${info.buildNumber}) / Default`);
  runtime.onEvent((event) => webhooks.deliver(event));
  let rateLimit = options.rateLimit === undefined ? { capacity: 60, refillPerSecond: 5 } : options.rateLimit;
  const limiter = new TokenBuckets(rateLimit, clock);
  const setRateLimit = (limit: RateLimit | null) => {
    rateLimit = limit;
    limiter.configure(limit);
  };
  const credentials = { admin: credential(render, 'admin'), user: credential(render, 'user'), revoked: credential(render, 'revoked') };
  const corruptRepo = corrupt ? model.repositoryById(corrupt.repositoryId) : undefined;
  const corruptCoordinates = corrupt && corruptRepo ? { projectKey: corruptRepo.projectKey, repositorySlug: corruptRepo.slug, pullRequestId: corrupt.pullRequestId } : undefined;
  const summary = () => summarize(model, { url, version: info.version, dateFormat, credentials, corrupt: corruptCoordinates, rateLimit });
  const services = { runtime, api: new Router(apiRoutes), build: new Router(buildRoutes), limiter, faults, stats, contextPath, ...(options.pageMax ? { pageMax: options.pageMax } : {}) };
  const admin = { actions: actionRunner(actionSchemas, actions), faults, stats, webhooks, rateLimit: () => rateLimit, setRateLimit, summary };
  server.serve((req, res) => {
    const requestUrl = new URL(req.url ?? '/', origin);
    const local = contextPath && requestUrl.pathname.startsWith(`${contextPath}/_sim`) ? requestUrl.pathname.slice(contextPath.length) : requestUrl.pathname;
    return local.startsWith('/_sim') ? handleAdmin(admin, req, res, local) : handleRequest(services, req, res, requestUrl);
  });

  const activities = liveActivities((intervalMs) => startLiveActivity(runtime, actions, intervalMs));
  return {
    url, version: info.version, credentials, corrupt: corruptCoordinates, model, actions,
    webhooks: {
      register: (target, secret, events) => webhooks.register(target, secret, events), remove: (id) => webhooks.remove(id), ping: (id) => webhooks.ping(id),
      list: () => webhooks.list(), deliveries: () => webhooks.deliveries(), idle: () => webhooks.idle(),
    },
    faults: { add: (rule) => faults.add(rule), remove: (id) => faults.remove(id), clear: () => faults.clear() },
    stats: () => stats.snapshot(),
    resetStats: () => stats.reset(),
    setRateLimit,
    rotateToken: (label) => {
      const token = model.tokens.find((candidate) => candidate.label === label)!;
      token.token = randomBytes(33).toString('base64');
      credentials[label].token = token.token;
      return token.token;
    },
    setProjectAccess: (label, projectKey, readable) => {
      const userId = credentials[label].userId;
      const denied = model.denied.get(userId) ?? new Set<string>();
      if (readable) denied.delete(projectKey.toUpperCase());
      else denied.add(projectKey.toUpperCase());
      model.denied.set(userId, denied);
    },
    startActivity: (activityOptions) => activities.start(activityOptions),
    stop: async () => {
      activities.stopAll();
      webhooks.close();
      await server.close();
    },
  };
}
