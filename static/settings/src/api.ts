import { invoke } from '@forge/bridge';
import type { ResolverMap, ResolverName, ResolverResult } from '../../../src/contract/resolvers';

// One typed function per resolver. The backend validates and answers with a ResolverResult; a call
// that does not arrive at all (network, platform) becomes one too, so no component has to catch.

export type Input<N extends ResolverName> = ResolverMap[N]['input'];
export type Result<N extends ResolverName> = ResolverResult<ResolverMap[N]['output']>;

export async function call<N extends ResolverName>(name: N, input: Input<N>): Promise<Result<N>> {
  try {
    return (await invoke(name, input as Record<string, unknown>)) as Result<N>;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, error: { code: 'unavailable', message: `The app did not answer (${message}). Reload the page to try again.` } };
  }
}

export const api = {
  status: () => call('status/get', {}),
  connection: () => call('connection/get', {}),
  saveConnection: (input: Input<'connection/save'>) => call('connection/save', input),
  generateSecret: (input: Input<'connection/generateSecret'>) => call('connection/generateSecret', input),
  checkConnection: () => call('connection/check', {}),
  activate: () => call('connection/activate', {}),
  repositories: (input: Input<'repositories/list'>) => call('repositories/list', input),
  select: (input: Input<'repositories/select'>) => call('repositories/select', input),
  preferences: () => call('preferences/get', {}),
  savePreferences: (input: Input<'preferences/save'>) => call('preferences/save', input),
  overridePrComments: (input: Input<'preferences/override'>) => call('preferences/override', input),
  // Forge's storage answers at most 20 per query, whatever the page asks: the cursor brings the rest.
  deadLetters: (cursor?: string) => call('deadLetters/list', { limit: 20, ...(cursor ? { cursor } : {}) }),
  replay: (item: { id: string; deadAt: number }) => call('deadLetters/replay', { id: item.id, deadAt: item.deadAt }),
  replayAll: (input: Input<'deadLetters/replayAll'>) => call('deadLetters/replayAll', input),
};
