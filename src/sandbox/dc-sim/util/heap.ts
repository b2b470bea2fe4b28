// A binary max-heap: `git log` order pops the newest commit first, and a history walk over tens of
// thousands of commits cannot afford re-sorting its frontier on every step.

export class MaxHeap<T> {
  private readonly items: { key: number; seq: number; value: T }[] = [];
  private seq = 0;

  get size(): number {
    return this.items.length;
  }

  /** Equal keys pop in insertion order (a child queued before its parent stays ahead of it). */
  push(key: number, value: T): void {
    const items = this.items;
    items.push({ key, seq: this.seq++, value });
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }

  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (!top || !last || items.length === 0) return top?.value;
    items[0] = last;
    let i = 0;
    for (;;) {
      const [left, right] = [2 * i + 1, 2 * i + 2];
      let best = i;
      if (left < items.length && this.before(left, best)) best = left;
      if (right < items.length && this.before(right, best)) best = right;
      if (best === i) break;
      [items[i], items[best]] = [items[best]!, items[i]!];
      i = best;
    }
    return top.value;
  }

  private before(a: number, b: number): boolean {
    const [x, y] = [this.items[a]!, this.items[b]!];
    return x.key > y.key || (x.key === y.key && x.seq < y.seq);
  }
}
