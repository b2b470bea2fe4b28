import { z } from 'zod';

// The typed contract between the settings page (static/) and its resolver (src/forge/resolvers/).
// Both sides import this file; inputs are validated with these schemas on the backend.

export type ResolverErrorCode = 'forbidden' | 'invalid-input' | 'not-found' | 'unavailable' | 'internal';

export type ResolverResult<T> = { ok: true; data: T } | { ok: false; error: { code: ResolverErrorCode; message: string; field?: string } };

export const DeadLettersListInput = z.object({
  cursor: z.string().optional(),
  limit: z.number().int().min(1).max(100).optional(),
});

export const DeadLetterReplayInput = z.object({ id: z.string().uuid() });

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
}

export type ResolverName = keyof ResolverMap;
