import { z } from 'zod';
import { kvKey } from '../../core/keys';
import type { KeyValueStore } from '../../core/ports';

// Bitbucket refusing the token (an expired or revoked PAT) is the instance's problem, not any
// repository's: the pass that met it stopped, and `status` says so once, with what to do, until a pass
// gets through again. Every repository's cursor stays where the last good pass left it.

export const TokenRefusal = z.object({ at: z.number(), error: z.string() });
export type TokenRefusal = z.infer<typeof TokenRefusal>;

const KEY = kvKey('bridge', 'token-refused');

/**
 * Thrown by an edition's listing when Bitbucket refuses the token there, before any repository is
 * polled (Cloud asks its workspace query first, every pass): the runner stops the pass as at a
 * repository's refusal, not as a listing that failed. `reason` says what to do, in the edition's terms.
 */
export class TokenRefusedError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'TokenRefusedError';
  }
}

/** The refusal that stopped this pass, or none (a repository was read with the token). */
export async function recordTokenRefusal(store: KeyValueStore, refusal: TokenRefusal | undefined): Promise<void> {
  if (refusal) await store.set(KEY, refusal);
  else await store.delete(KEY);
}

export async function tokenRefusal(store: KeyValueStore): Promise<TokenRefusal | undefined> {
  const parsed = TokenRefusal.safeParse(await store.get(KEY));
  return parsed.success ? parsed.data : undefined;
}
