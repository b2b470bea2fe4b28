import type { z } from 'zod';
import type { KeyValueStore } from '../../core/ports';

// One small record the running bridge keeps in its state file for `status`, which runs as another
// process and reads it back: set while what it says holds, cleared when it no longer does. Read back,
// a record that is missing or no longer parses (a file an older version wrote) counts as none.

export interface KeptRecord<T> {
  /** `undefined` clears it. */
  keep(store: KeyValueStore, value: T | undefined): Promise<void>;
  read(store: KeyValueStore): Promise<T | undefined>;
}

export function keptRecord<S extends z.ZodType>(key: string, schema: S): KeptRecord<z.infer<S>> {
  return {
    async keep(store, value) {
      if (value === undefined) await store.delete(key);
      else await store.set(key, value);
    },
    async read(store) {
      const parsed = schema.safeParse(await store.get(key));
      return parsed.success ? parsed.data : undefined;
    },
  };
}
