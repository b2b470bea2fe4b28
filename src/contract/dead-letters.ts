// Two burials of one delivery racing each other can each leave a row in the newest-first list. Rows of
// one page are made one by the listing itself (core/deliver/dead-letter-rows.ts); rows that fall on two
// pages are made one by whoever puts the pages together (the settings page's Show more, the bridge's
// `dead-letters list`). The stale row stays stored until a replay, or a listing that finds both on one
// page, takes it away.

/** `listed` followed by what of `page` it does not list yet (by id): the first row seen of a letter stays. */
export function appendOncePerLetter<T extends { id: string }>(listed: readonly T[], page: readonly T[]): T[] {
  const known = new Set(listed.map((item) => item.id));
  const added = page.filter((item) => {
    if (known.has(item.id)) return false;
    known.add(item.id);
    return true;
  });
  return [...listed, ...added];
}
