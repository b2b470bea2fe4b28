import { invoke } from '@forge/bridge';
import type { ResolverMap, ResolverName, ResolverResult } from '../../../src/contract/resolvers';

/** One typed call per resolver; the backend validates, this only names things. */
export function call<N extends ResolverName>(name: N, input: ResolverMap[N]['input']): Promise<ResolverResult<ResolverMap[N]['output']>> {
  return invoke(name, input as Record<string, unknown>) as Promise<ResolverResult<ResolverMap[N]['output']>>;
}
