// Bitbucket's page envelope: `{pagelen, values, size?, page?, next?, previous?}`. `next` is an absolute
// URL carrying every original query parameter, so clients can follow it without building links.
import type { JsonObject } from '../render/context';

export interface PageOptions {
  /** 10 almost everywhere; the diffstat endpoints return 500 by default. */
  defaultPagelen: number;
  /** Most endpoints allow 100 per page; pull request lists and activity allow 50. */
  maxPagelen: number;
  /** Cursor-like collections (commits, activity) do not report `size` and `page`. */
  counted: boolean;
}

function positiveInt(text: string | null): number | undefined {
  const value = Number(text);
  return text !== null && Number.isInteger(value) && value > 0 ? value : undefined;
}

export function paginate(items: readonly unknown[], url: URL, options: PageOptions): JsonObject {
  const pagelen = Math.min(positiveInt(url.searchParams.get('pagelen')) ?? options.defaultPagelen, options.maxPagelen);
  const page = positiveInt(url.searchParams.get('page')) ?? 1;
  const link = (target: number): string => {
    const next = new URL(url);
    next.searchParams.set('page', String(target));
    return next.toString();
  };
  return {
    pagelen,
    values: items.slice((page - 1) * pagelen, page * pagelen),
    ...(options.counted ? { size: items.length, page } : {}),
    ...(page * pagelen < items.length ? { next: link(page + 1) } : {}),
    ...(page > 1 ? { previous: link(page - 1) } : {}),
  };
}
