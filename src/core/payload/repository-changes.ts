import { z } from 'zod';
import type { Repository } from '../enrich/cloud/schema';

// Forge's "repository updated" wraps each changed value (`{ value, truncated }`, notes/forge.md §1b);
// the native `repo:updated` webhook carries the values themselves: `"name": {"old": "a", "new": "b"}`.
// A parser that reads `changes.name.new` as a string gets what Bitbucket would have sent it.

const Wrapped = z.object({ value: z.unknown(), truncated: z.boolean() });
const WrappedChange = z.looseObject({ old: Wrapped.optional(), new: Wrapped.optional() });

/**
 * The native `changes`, and the paths of values still cut short (`changes.name.old`). A new value Forge cut is taken
 * from the repository as read for this event, where it has that field; an old one cannot be read again.
 * An entry not in Forge's wrapped form (a change stored by an older version) is passed on as it is.
 */
export function nativeRepositoryChanges(changes: Record<string, unknown>, repository: Repository): { changes: Record<string, unknown>; truncated: string[] } {
  const native: Record<string, unknown> = {};
  const truncated: string[] = [];
  for (const [key, entry] of Object.entries(changes)) {
    const parsed = WrappedChange.safeParse(entry);
    if (!parsed.success || (!parsed.data.old && !parsed.data.new)) {
      native[key] = entry;
      continue;
    }
    const { old, new: next } = parsed.data;
    const current = repository[key];
    const fresh = next?.truncated && typeof current === typeof next.value ? current : next?.value;
    if (old?.truncated) truncated.push(`changes.${key}.old`);
    if (next?.truncated && fresh === next.value) truncated.push(`changes.${key}.new`);
    native[key] = { ...(old ? { old: old.value } : {}), ...(next ? { new: fresh } : {}) };
  }
  return { changes: native, truncated };
}
