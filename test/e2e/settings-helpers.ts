import type { ResolverMap, ResolverName, ResolverResult } from '../../src/contract/resolvers';
import type { TestSandbox } from './helpers';

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
