import { z } from 'zod';
import type { ActivateOutput, CheckResult, ConnectionSaveInput, ConnectionView, EmptyInput, GenerateSecretInput } from './connection';
import type { PrCommentOverrideInput, PreferencesSaveInput, PreferencesView, RepositoriesListInput, RepositoryPage, SelectionInput, SelectionOutput } from './repositories';
import type { StatusView } from './status';

// The typed contract between the settings page (static/) and its resolver (src/forge/resolvers/).
// Both sides import this file; inputs are validated with these schemas on the backend.
// Every input schema is strict: invoke() can be called from devtools with anything, and a key the
// schema does not know (a misspelt secret, an extra id) would otherwise be dropped in silence while
// the rest is saved.

export type ResolverErrorCode = 'forbidden' | 'invalid-input' | 'not-found' | 'precondition-failed' | 'unavailable' | 'internal';

export type ResolverResult<T> = { ok: true; data: T } | { ok: false; error: { code: ResolverErrorCode; message: string; field?: string } };

export const DeadLettersListInput = z.strictObject({
  /** Storage's own cursor from the previous answer, bounded like replay all's. */
  cursor: z.string().min(1).max(2000).optional(),
  limit: z.number().int().min(1).max(100).optional(),
});

/**
 * `deadAt`: the listed row's, so the row replayed goes with the letter even when it is not the letter's
 * own (a second burial of it wrote another) or the letter is gone (another replay took it).
 */
export const DeadLetterReplayInput = z.strictObject({ id: z.string().uuid(), deadAt: z.number().int().optional() });

/**
 * Replay all, one bounded call after another: `before` is when the admin asked (the first call leaves
 * it out and the server's clock sets it: a browser's clock may be off), `cursor` where the last call stopped.
 */
export const DeadLettersReplayAllInput = z.strictObject({
  before: z.number().int().positive().optional(),
  cursor: z.string().min(1).max(2000).optional(),
});

export interface DeadLetterItem {
  id: string;
  eventKey: string;
  repository: string;
  reason: string;
  deadAt: number;
  attempts: number;
}

export interface ResolverMap {
  'deadLetters/list': { input: z.input<typeof DeadLettersListInput>; output: { items: DeadLetterItem[]; cursor?: string } };
  'deadLetters/replay': { input: z.input<typeof DeadLetterReplayInput>; output: { outcome: 'queued' | 'already-delivered' | 'not-found' } };
  'deadLetters/replayAll': { input: z.input<typeof DeadLettersReplayAllInput>; output: { replayed: number; alreadyDelivered: number; before: number; cursor?: string } };
  'connection/get': { input: z.input<typeof EmptyInput>; output: ConnectionView };
  'connection/save': { input: z.input<typeof ConnectionSaveInput>; output: ConnectionView };
  /** The only answer that carries a secret: a new signing secret, shown once so it can be pasted into PanDev. */
  'connection/generateSecret': { input: z.input<typeof GenerateSecretInput>; output: { secret: string; connection: ConnectionView } };
  'connection/check': { input: z.input<typeof EmptyInput>; output: CheckResult };
  'connection/activate': { input: z.input<typeof EmptyInput>; output: ActivateOutput };
  'repositories/list': { input: z.input<typeof RepositoriesListInput>; output: RepositoryPage };
  'repositories/select': { input: z.input<typeof SelectionInput>; output: SelectionOutput };
  'preferences/get': { input: z.input<typeof EmptyInput>; output: PreferencesView };
  'preferences/save': { input: z.input<typeof PreferencesSaveInput>; output: PreferencesView };
  'preferences/override': { input: z.input<typeof PrCommentOverrideInput>; output: PreferencesView };
  'status/get': { input: z.input<typeof EmptyInput>; output: StatusView };
}

export type ResolverName = keyof ResolverMap;
