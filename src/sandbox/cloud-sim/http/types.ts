import type { HttpResult } from '../../sim-common/http';
import type { Credential } from '../model/state';
import type { SimUser } from '../model/types';
import type { SimRuntime } from '../runtime';

export { HttpError, type HttpResult } from '../../sim-common/http';

export interface Caller {
  credential: Credential;
  user: SimUser;
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
