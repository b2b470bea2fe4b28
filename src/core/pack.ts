/**
 * Consecutive items in groups whose sizes add up to at most `maxBytes`, and at most `maxCount` items
 * each; an item larger than `maxBytes` on its own makes a group of one (the caller decides whether
 * that is refused). For the limits a platform puts on one request or one stored value.
 */
export function packBySize<T>(items: Iterable<{ item: T; bytes: number }>, maxBytes: number, maxCount = Number.POSITIVE_INFINITY): T[][] {
  const groups: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const { item, bytes: size } of items) {
    if (current.length && (current.length >= maxCount || bytes + size > maxBytes)) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length) groups.push(current);
  return groups;
}
