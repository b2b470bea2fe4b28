// A Bitbucket Cloud simulator on loopback: REST 2.0 subset, seeded history, Forge-shaped events for
// every change, rate limits and fault injection. It backs the end-to-end tests and the offline sandbox.
import { randomBytes } from 'node:crypto';
import { actionRunner } from '../sim-common/admin';
import { FaultInjector, type FaultRule } from '../sim-common/faults';
import { Prng } from '../sim-common/prng';
import { Router } from '../sim-common/router';
import { liveActivities, listenOnLoopback } from '../sim-common/server';
import { StatsRecorder, type SimStats } from '../sim-common/stats';
import { actionSchemas, createActions, type SimActions } from './actions';
import type { ForgeEvent } from './events/types';
import { handleAdmin } from './http/admin';
import { RollingHourLimiter } from './http/rate-limit';
import { handleApi } from './http/server';
import { startLiveActivity } from './live-activity';
import type { SimModel } from './model/state';
import { account } from './render/accounts';
import type { JsonObject } from './render/context';
import { routes } from './routes';
import { SimRuntime, type Clock } from './runtime';
import { seedHistory } from './seed/history';
import { Subscriptions } from './subscriptions';
import { fromMillis } from './util/time';

export type * from './events/types';
export type { ActionArgs, ActionName, ActionResult, SimActions } from './actions';
export type { FaultRule } from '../sim-common/faults';
export type { SimStats } from '../sim-common/stats';
export type { SimModel } from './model/state';
export type * as SimTypes from './model/types';

export interface CloudSimulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Same seed and baseTime give identical data: ids, uuids, names, hashes, timestamps. */
  seed?: string | number;
  /** Epoch ms the seeded history ends at (default: now). */
  baseTime?: number;
  repositories?: number;
  historyDays?: number;
  pullRequestsPerRepository?: number;
  /** Requests per rolling hour per credential (default 1000); 0 = unlimited. */
  rateLimitPerHour?: number;
  /** Drives the rate-limit window and the time of live changes (default: real time). */
  clock?: Clock;
  /**
   * The most items any list answers per page, below each endpoint's own maximum (the spec: "Individual
   * APIs may enforce different values"): a few items then reach a client's page cap.
   */
  pagelenMax?: number;
}

/** Both `Authorization: Bearer <token>` and `Basic base64(email:apiToken)` authenticate as `user`. */
export interface SimUserCredential {
  token: string;
  user: JsonObject;
  email: string;
  apiToken: string;
}

export interface CloudSimulator {
  /** e.g. `http://127.0.0.1:54321`; the API is under `${url}/2.0`, the admin API under `${url}/_sim`. */
  url: string;
  workspace: { uuid: string; slug: string; name: string };
  /** `admin` owns the workspace, `member` does not; `appToken` acts as the Forge app (asApp). */
  credentials: { appToken: string; admin: SimUserCredential; member: SimUserCredential };
  /** The in-memory state, for reading in tests; change it through `actions` only. */
  model: SimModel;
  actions: SimActions;
  onEvent(listener: (event: ForgeEvent) => void): () => void;
  faults: { add(rule: FaultRule): string; remove(id: string): void; clear(): void; mutated(): string[] };
  stats(): SimStats;
  resetStats(): void;
  /**
   * Revokes a user's access token and API token and issues new ones, as an admin does in Bitbucket and
   * id.atlassian.com: the old values authenticate nobody from now on (401). Returns the new credential
   * (also in `credentials`).
   */
  rotateToken(label: 'admin' | 'member'): SimUserCredential;
  /** Random live activity every `intervalMs` (default 2000) until the returned function is called. */
  startActivity(options?: { intervalMs?: number }): () => void;
  stop(): Promise<void>;
}

export async function startCloudSimulator(options: CloudSimulatorOptions = {}): Promise<CloudSimulator> {
  const seed = String(options.seed ?? 'pandev');
  const model = seedHistory({
    seed,
    base: fromMillis(options.baseTime ?? Date.now()),
    repositories: options.repositories ?? 5,
    historyDays: options.historyDays ?? 30,
    pullRequestsPerRepository: options.pullRequestsPerRepository ?? 8,
  });
  const clock = options.clock ?? { now: () => Date.now() };
  const server = await listenOnLoopback('cloud-sim', options.port);
  const url = server.origin;

  const root = new Prng(seed);
  const runtime = new SimRuntime(model, clock, root.fork('live'), url, options.pagelenMax);
  const actions = createActions(runtime);
  const faults = new FaultInjector(root.fork('faults'));
  const stats = new StatsRecorder();
  const subscriptions = new Subscriptions();
  runtime.onEvent((event) => subscriptions.deliver(event));
  const api = { runtime, router: new Router(routes), limiter: new RollingHourLimiter(options.rateLimitPerHour ?? 1000, clock), faults, stats };
  const credential = (key: 'admin' | 'member'): SimUserCredential => {
    const { token, email, apiToken, userUuid } = model.credentials[key];
    return { token, email, apiToken, user: account(runtime.render, model.userByUuid(userUuid)) };
  };
  const credentials = { appToken: model.credentials.app.token, admin: credential('admin'), member: credential('member') };
  const summary = () => ({
    url, api: `${url}/2.0`, workspace: model.workspace,
    repositories: [...model.repositories.values()].map((repo) => ({
      uuid: repo.uuid, slug: repo.slug, full_name: `${model.workspace.slug}/${repo.slug}`, mainbranch: repo.mainBranch, project: repo.projectKey,
    })),
    users: model.users.map((user) => ({ uuid: user.uuid, account_id: user.accountId, display_name: user.displayName, nickname: user.nickname })),
    credentials,
  });
  const admin = { actions: actionRunner(actionSchemas, actions), faults, stats, subscriptions, summary };
  server.serve((req, res) => {
    const requestUrl = new URL(req.url ?? '/', url);
    return requestUrl.pathname.startsWith('/_sim') ? handleAdmin(admin, req, res, requestUrl) : handleApi(api, req, res, requestUrl);
  });

  const activities = liveActivities((intervalMs) => startLiveActivity(runtime, actions, intervalMs));
  return {
    url,
    workspace: { uuid: model.workspace.uuid, slug: model.workspace.slug, name: model.workspace.name },
    credentials,
    model,
    actions,
    onEvent: (listener) => runtime.onEvent(listener),
    faults: { add: (rule) => faults.add(rule), remove: (id) => faults.remove(id), clear: () => faults.clear(), mutated: () => faults.mutated() },
    stats: () => stats.snapshot(),
    resetStats: () => stats.reset(),
    rotateToken: (label) => {
      const credential = model.credentials[label];
      credential.token = randomBytes(24).toString('base64url');
      credential.apiToken = `ATATT${randomBytes(24).toString('base64url')}`;
      Object.assign(credentials[label], { token: credential.token, apiToken: credential.apiToken });
      return credentials[label];
    },
    startActivity: (activityOptions) => activities.start(activityOptions),
    stop: async () => {
      activities.stopAll();
      subscriptions.close();
      await server.close();
    },
  };
}
