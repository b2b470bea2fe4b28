// `git log until ^since`, newest first, as Data Center's commits resource lists it. Commits reachable
// from `since` are marked uninteresting as the walk meets them (git's own algorithm), so listing the
// last few commits of a long history never visits the whole of it.
import { MaxHeap } from '../util/heap';
import { node } from './commits';
import type { DcRepository } from './repository';
import type { DcModel } from './state';

export type MergeFilter = 'include' | 'exclude' | 'only';

export function* log(model: DcModel, repo: DcRepository, include: readonly string[], exclude: readonly string[] = [], merges: MergeFilter = 'include'): Generator<string> {
  const heap = new MaxHeap<string>();
  const state = new Map<string, 'wanted' | 'unwanted' | 'listed'>();
  let pendingWanted = 0;
  const enqueue = (hash: string, interesting: boolean): void => {
    const seen = state.get(hash);
    if (seen === undefined) {
      const at = node(model, repo, hash)?.at;
      if (at === undefined) return;
      state.set(hash, interesting ? 'wanted' : 'unwanted');
      if (interesting) pendingWanted++;
      heap.push(at, hash);
    } else if (seen === 'wanted' && !interesting) {
      // Met again from the `since` side before it was listed: it is not part of the answer.
      state.set(hash, 'unwanted');
      pendingWanted--;
    }
  };
  for (const hash of exclude) enqueue(hash, false);
  for (const hash of include) enqueue(hash, true);
  while (heap.size > 0 && pendingWanted > 0) {
    const hash = heap.pop() as string;
    const parents = node(model, repo, hash)?.parents ?? [];
    if (state.get(hash) === 'unwanted') {
      parents.forEach((parent) => enqueue(parent, false));
      continue;
    }
    pendingWanted--;
    state.set(hash, 'listed');
    parents.forEach((parent) => enqueue(parent, true));
    const isMerge = parents.length > 1;
    if (merges === 'include' || (merges === 'only') === isMerge) yield hash;
  }
}

/**
 * A walk paused where the last page ended. Commits are immutable, so the history below a given `until`
 * never changes: a client reading page after page continues the same walk instead of redoing it from
 * the top for every page (which made deep paging quadratic).
 */
export class LogCursor {
  position = 0;
  private peeked: string | undefined;

  constructor(private readonly walk: Iterator<string>) {}

  /** Moves to `start` (a no-op for a cursor already there). */
  skip(start: number): void {
    let more = true;
    while (more && this.position < start) more = this.next() !== undefined;
  }

  /** Up to `count` ids from here, and whether any follow. */
  take(count: number): { items: string[]; more: boolean } {
    const items: string[] = [];
    while (items.length < count) {
      const item = this.next();
      if (item === undefined) return { items, more: false };
      items.push(item);
    }
    this.peeked = this.walk.next().value as string | undefined;
    return { items, more: this.peeked !== undefined };
  }

  private next(): string | undefined {
    const item = this.peeked ?? (this.walk.next().value as string | undefined);
    this.peeked = undefined;
    if (item !== undefined) this.position += 1;
    return item;
  }
}

const KEPT_CURSORS = 32;

/** The most recently used walks, by what they list; least recently used ones are dropped. */
export class LogCursors {
  private readonly cursors = new Map<string, LogCursor>();

  /** A cursor at `start` for this walk: a paused one if a previous page ended there, else a new one. */
  at(key: string, start: number, open: () => Iterator<string>): LogCursor {
    const paused = this.cursors.get(key);
    this.cursors.delete(key);
    const cursor = paused && paused.position === start ? paused : new LogCursor(open());
    cursor.skip(start);
    this.cursors.set(key, cursor);
    if (this.cursors.size > KEPT_CURSORS) this.cursors.delete(this.cursors.keys().next().value as string);
    return cursor;
  }
}
