import { z } from 'zod';
import type { KeyValueStore } from './ports';

// A list longer than one stored value may be (Forge: 240 KiB) kept as a header and chunks of a few
// hundred entries. Chunk keys carry the write's time, so a reader never mixes two generations; old
// chunks are left to their TTL.

export interface ChunkedList<T, M> {
  read(): Promise<{ at: number; items: T[]; meta: M } | undefined>;
  write(at: number, items: T[], meta: M): Promise<void>;
}

export function chunkedList<T extends z.ZodType, M extends z.ZodType>(
  store: KeyValueStore,
  name: string,
  schemas: { item: T; meta: M },
  /** `dropPrevious`: delete the previous write's chunks once the new header is in place, for lists kept far longer than they are refreshed. */
  options: { ttlSeconds: number; chunkSize?: number; dropPrevious?: boolean },
): ChunkedList<z.infer<T>, z.infer<M>> {
  const Header = z.object({ at: z.number(), chunks: z.number().int().min(0), meta: z.unknown() });
  const Chunk = z.array(schemas.item);
  const headerKey = `${name}:meta`;
  const chunkKey = (at: number, index: number) => `${name}:${at}:${index}`;
  const size = options.chunkSize ?? 500;
  return {
    async read() {
      const header = Header.safeParse(await store.get(headerKey));
      if (!header.success) return undefined;
      const { at, chunks } = header.data;
      const meta = schemas.meta.safeParse(header.data.meta);
      if (!meta.success) return undefined;
      const values = await Promise.all(Array.from({ length: chunks }, (_, i) => store.get(chunkKey(at, i))));
      // A chunk gone (expired before its header) or from an older shape: read the list again.
      const parsed = values.map((value) => Chunk.safeParse(value));
      if (parsed.some((chunk) => !chunk.success)) return undefined;
      return { at, items: parsed.flatMap((chunk) => chunk.data ?? []), meta: meta.data };
    },
    async write(at, items, meta) {
      const previous = options.dropPrevious ? Header.safeParse(await store.get(headerKey)) : undefined;
      const chunks = Math.ceil(items.length / size);
      await Promise.all(Array.from({ length: chunks }, (_, i) => store.set(chunkKey(at, i), items.slice(i * size, (i + 1) * size), { ttlSeconds: options.ttlSeconds })));
      await store.set(headerKey, { at, chunks, meta }, { ttlSeconds: options.ttlSeconds });
      // A reader still on the old header then finds a chunk gone and reads the list again.
      if (previous?.success && previous.data.at !== at) await Promise.all(Array.from({ length: previous.data.chunks }, (_, i) => store.delete(chunkKey(previous.data.at, i))));
    },
  };
}
