import type { Credential } from '../model/state';
import type { SimUser } from '../model/types';
import type { SimRuntime } from '../runtime';

export interface Caller {
  credential: Credential;
  user: SimUser;
}

export interface HttpResult {
  status: number;
  /** Serialized as JSON unless `text` is set. */
  json?: unknown;
  text?: string;
  headers?: Record<string, string>;
}

export interface RequestContext {
  url: URL;
  params: Record<string, string>;
  caller: Caller;
  body: unknown;
  runtime: SimRuntime;
}

export type Handler = (ctx: RequestContext) => HttpResult;

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** As in the OpenAPI spec; `{name+}` also matches slashes (branch names, diff specs). */
  template: string;
  handler: Handler;
}

/** Thrown by handlers to answer with something other than 200 (404 for a missing repository...). */
export class HttpError extends Error {
  constructor(readonly result: HttpResult) {
    super(`HTTP ${result.status}`);
  }
}
