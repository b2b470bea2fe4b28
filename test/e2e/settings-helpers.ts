import type { RepositoryPage } from '../../src/contract/repositories';
import type { ResolverMap, ResolverName, ResolverResult } from '../../src/contract/resolvers';
import { hostStores } from '../../src/sandbox/host-store';
import { testSandbox, type TestSandbox } from './helpers';

// Calls the settings resolver the way the page does (through the local Forge host), as the workspace
// admin or as a plain member.

export type Caller = 'admin' | 'member';

export function settingsCaller(sb: () => TestSandbox) {
  return async function call<N extends ResolverName>(name: N, payload: ResolverMap[N]['input'] | Record<string, unknown> = {}, as: Caller = 'admin') {
    const accountId = sb().simulator.credentials[as].user.account_id as string;
    return (await sb().host.invokeResolver('settings-resolver', name, payload, { accountId })) as ResolverResult<ResolverMap[N]['output']>;
  };
}

/** The data of a successful answer; fails the test with the resolver's own message otherwise. */
export function data<T>(result: ResolverResult<T>): T {
  if (!result.ok) throw new Error(`resolver refused: ${result.error.code} ${result.error.message}`);
  return result.data;
}

/**
 * Asks for the repository list the way the page does: again with the cursor while the answer says it is
 * still being read. How many calls that takes depends on how fast Bitbucket and the machine are.
 */
export async function loadAll(call: ReturnType<typeof settingsCaller>, first: Record<string, unknown>): Promise<{ answers: RepositoryPage[]; last: RepositoryPage }> {
  const answers = [data(await call('repositories/list', first))];
  while (answers.at(-1)!.loading) answers.push(data(await call('repositories/list', { ...first, refresh: undefined, continue: answers.at(-1)!.loading!.cursor })));
  return { answers, last: answers.at(-1)! };
}

/**
 * Replays every dead letter the way the page's *Replay all* does: again with the cursor while there is
 * one, passing back the moment the first call named. Answers each call's answer.
 */
export async function replayAll(call: ReturnType<typeof settingsCaller>): Promise<ReplayAllAnswer[]> {
  const answers: ReplayAllAnswer[] = [];
  let cursor: string | undefined;
  do {
    const before = answers[0]?.before;
    answers.push(data(await call('deadLetters/replayAll', { ...(before ? { before } : {}), ...(cursor ? { cursor } : {}) })));
    cursor = answers.at(-1)!.cursor;
  } while (cursor);
  return answers;
}
type ReplayAllAnswer = ResolverMap['deadLetters/replayAll']['output'];

/** Makes the app's kept copy of the repository list `ms` older, as if it had been read that long ago; answers its new time. */
export async function ageCatalog(sb: TestSandbox, ms: number): Promise<number> {
  const { store } = hostStores(sb.host);
  const header = (await store.get<{ at: number; chunks: number; meta: unknown }>('catalog:meta'))!;
  const at = header.at - ms;
  for (let i = 0; i < header.chunks; i++) await store.set(`catalog:${at}:${i}`, await store.get(`catalog:${header.at}:${i}`));
  await store.set('catalog:meta', { ...header, at });
  return at;
}

/** Waits for something a test can only observe from outside (a request reaching the simulator). */
export async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 20));
}

/**
 * A workspace of 2,000 repositories whose list Bitbucket gives slowly (`slowList` adds the latency),
 * with the host stopping a function at 0.4 of Forge's limits (a resolver's 25 s → 10 s), not connected.
 */
export async function largeWorkspace(): Promise<{ sb: TestSandbox; slowList: (latencyMs: number) => string; listed: () => number }> {
  const sb = await testSandbox({ simulator: { repositories: 2000, pullRequestsPerRepository: 0, historyDays: 1 }, connect: false, scheduledTriggers: false, functionTimeoutScale: 0.4 });
  return {
    sb,
    slowList: (latencyMs) => sb.simulator.faults.add({ path: '^/2\\.0/repositories/[^/]+$', latencyMs }),
    listed: () => sb.simulator.stats().byRoute['GET /repositories/{workspace}'] ?? 0,
  };
}
