import { z } from 'zod';
import { kvKey } from '../../core/keys';
import { keptRecord } from '../state/kept-record';

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

const refusal = keptRecord(KEY, TokenRefusal);
/** The refusal that stopped this pass, or none (a repository was read with the token). */
export const recordTokenRefusal = refusal.keep;
export const tokenRefusal = refusal.read;
