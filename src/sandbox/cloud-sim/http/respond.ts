// Response helpers shared by the REST handlers: Bitbucket's error shape, and the list pipeline
// (filter, sort, paginate, then `fields=`) every collection endpoint applies in the same order.
import { applyFields } from '../query/fields';
import { applyQuery } from '../query/filter';
import { paginate } from '../query/paginate';
import { applySort } from '../query/sort';
import { HttpError, type HttpResult, type RequestContext } from './types';

export function errorBody(message: string, detail?: string): unknown {
  return { type: 'error', error: { message, ...(detail ? { detail } : {}) } };
}

export function fail(status: number, message: string, detail?: string): never {
  throw new HttpError({ status, json: errorBody(message, detail) });
}

export function objectResponse(ctx: RequestContext, value: unknown, status = 200, hidden: readonly string[] = []): HttpResult {
  return { status, json: applyFields(value, ctx.url.searchParams.get('fields'), hidden) };
}

export interface ListOptions {
  defaultPagelen?: number;
  maxPagelen?: number;
  /** Cursor-like collections report neither `size` nor `page`. */
  counted?: boolean;
  /** Whether `q=` and `sort=` apply (the spec lists them per endpoint). */
  filterable?: boolean;
  defaultSort?: string;
  hidden?: readonly string[];
  /**
   * Renders each item of the page only, unless this request filters or sorts (which read the rendered
   * objects): a page of a long collection (the activity log, a workspace of 20,000 repositories) costs
   * a page, not the whole collection, as on Bitbucket.
   */
  render?: (item: unknown) => unknown;
}

export function listResponse(ctx: RequestContext, items: unknown[], options: ListOptions = {}): HttpResult {
  const query = ctx.url.searchParams;
  const q = options.filterable ? query.get('q') : null;
  const sort = (options.filterable ? query.get('sort') : null) ?? options.defaultSort ?? null;
  const lazy = options.render !== undefined && !q && !sort;
  const all = options.render && !lazy ? items.map(options.render) : items;
  const page = paginate(applySort(q ? applyQuery(all, q) : all, sort), ctx.url, {
    defaultPagelen: options.defaultPagelen ?? 10, maxPagelen: Math.min(options.maxPagelen ?? 100, ctx.runtime.pagelenMax ?? Infinity), counted: options.counted ?? true,
  });
  if (lazy) page.values = (page.values as unknown[]).map(options.render!);
  return { status: 200, json: applyFields(page, query.get('fields'), options.hidden) };
}
