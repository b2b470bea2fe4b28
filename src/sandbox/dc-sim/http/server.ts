// The front door. Every request is placed (inside the context path? which API?), counted, maybe
// faulted, authenticated, rate limited, and only then routed, so statistics, faults and limits behave
// the same for every route. Authenticated answers carry X-AUSERNAME and X-AUSERID, as Data Center's do.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SimConflictError, SimNotFoundError } from '../../sim-common/errors';
import { applyFault, corruptedEntry, corruptedPage, type FaultInjector, type FaultRule } from '../../sim-common/faults';
import { readBody, send } from '../../sim-common/http';
import { routeLabel, type Router } from '../../sim-common/router';
import type { StatsRecorder } from '../../sim-common/stats';
import type { DcRuntime } from '../runtime';
import { authenticate, BAD_CREDENTIALS, NOT_PERMITTED } from './auth';
import { bitbucketNotFound, containerNotFound } from './pages';
import { DEFAULT_LIMIT, errorBody, EXCEPTIONS } from './respond';
import { rateLimited, type TokenBuckets } from './token-bucket';
import { HttpError, type Caller, type DcRoute, type HttpResult } from './types';

export interface DcServices {
  runtime: DcRuntime;
  api: Router<DcRoute>;
  build: Router<DcRoute>;
  limiter: TokenBuckets;
  faults: FaultInjector;
  stats: StatsRecorder;
  contextPath: string;
  /**
   * The instance's own page cap, when an administrator set one below the defaults (`page.max.*` in
   * bitbucket.properties): every `limit` asked for is cut to it, as the 9.2 spec's paging says
   * ("resource-specific hard limits ... check the returned `limit`").
   */
  pageMax?: number;
}

type Target =
  /** `router` is undefined for REST APIs the simulator does not have (they answer a JSON 404). */
  | { kind: 'rest'; router: Router<DcRoute> | undefined; prefix: string; path: string }
  | { kind: 'whoami' }
  | { kind: 'page' };

const REST = [
  { pattern: /^\/rest\/api\/(?:1\.0|latest)(?=\/|$)/, prefix: '/rest/api/1.0', router: 'api' },
  { pattern: /^\/rest\/build-status\/(?:1\.0|latest)(?=\/|$)/, prefix: '/rest/build-status/1.0', router: 'build' },
] as const;
const WHOAMI = '/plugins/servlet/applinks/whoami';

function place(services: DcServices, local: string): Target {
  for (const rest of REST) {
    const match = rest.pattern.exec(local);
    if (match) return { kind: 'rest', router: services[rest.router], prefix: rest.prefix, path: local.slice(match[0].length) || '/' };
  }
  if (local.startsWith('/rest/')) return { kind: 'rest', router: undefined, prefix: '', path: local };
  return local.replace(/\/+$/, '') === WHOAMI ? { kind: 'whoami' } : { kind: 'page' };
}

/** A faulted answer: the rule's body verbatim, or Data Center's error shape for a bare status. */
const faultAnswer = (rule: FaultRule): HttpResult => rule.body !== undefined
  ? { status: rule.status ?? 200, text: rule.body, headers: { 'Content-Type': 'application/json;charset=UTF-8' } }
  : { status: rule.status as number, json: errorBody(`Simulated fault (HTTP ${rule.status})`) };

let requestCounter = 0;

/** Who Data Center thinks is calling; X-AREQUESTID mimics its `@<node>x<minute>x<count>x0` shape (only presence matters). */
function identityHeaders(caller: Caller | undefined): Record<string, string> {
  requestCounter += 1;
  const minute = Math.floor((Date.now() % 86_400_000) / 60_000);
  const id = { 'X-AREQUESTID': `@${(requestCounter * 2654435761 >>> 0).toString(36).toUpperCase()}x${minute}x${requestCounter}x0` };
  return caller ? { ...id, 'X-AUSERNAME': caller.user.name, 'X-AUSERID': String(caller.user.id) } : id;
}

function toResult(error: unknown): HttpResult {
  if (error instanceof HttpError) return error.result;
  if (error instanceof SimNotFoundError) return { status: 404, json: errorBody(error.message) };
  if (error instanceof SimConflictError) return { status: 409, json: errorBody(error.message) };
  console.error('dc-sim: handler failed', error);
  return { status: 500, json: errorBody('An unexpected error occurred. Check the server logs for details.', EXCEPTIONS.service) };
}

/** The URL a route sees: its `limit` (missing means the default) no larger than the instance's cap. */
function capLimit(url: URL, pageMax: number | undefined): URL {
  if (pageMax === undefined) return url;
  const capped = new URL(url);
  const asked = Number(url.searchParams.get('limit')) || DEFAULT_LIMIT;
  capped.searchParams.set('limit', String(Math.min(asked, pageMax)));
  return capped;
}

export async function handleRequest(services: DcServices, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const method = req.method ?? 'GET';
  const { contextPath, runtime, stats } = services;
  const inside = !contextPath || url.pathname === contextPath || url.pathname.startsWith(`${contextPath}/`);
  const target: Target = inside ? place(services, url.pathname.slice(contextPath.length) || '/') : { kind: 'page' };
  const match = target.kind === 'rest' ? target.router?.match(method, target.path) : undefined;
  const auth = authenticate(runtime.model, req.headers.authorization);
  const label = !inside ? `${method} (outside the context path)`
    : target.kind === 'whoami' ? `${method} ${WHOAMI}`
    : target.kind === 'rest' && match?.methodAllowed ? `${method} ${target.prefix}${routeLabel(match.route).slice(method.length + 1)}` : `${method} (unmatched)`;
  stats.request(label, 'caller' in auth ? auth.caller.token.label : auth.failure);

  const fault = services.faults.match(method, url.pathname);
  if (fault) {
    stats.faulted();
    if (await applyFault(req, res, fault, faultAnswer)) return;
  }
  if (!inside) return send(res, containerNotFound(url.pathname));
  if ('failure' in auth && auth.failure !== 'anonymous') return send(res, BAD_CREDENTIALS);
  const caller = 'caller' in auth ? auth.caller : undefined;
  if (target.kind === 'page') return send(res, bitbucketNotFound(runtime.render.base));
  const headers = identityHeaders(caller);
  if (target.kind === 'whoami') return send(res, { status: 200, text: caller?.user.name ?? '', headers });
  if (!caller && !match?.route.anonymous) return send(res, { ...NOT_PERMITTED, headers });
  if (caller) {
    const rate = services.limiter.take(caller.user.name);
    if (!rate.allowed) {
      stats.rateLimited();
      const limited = rateLimited(rate.retryAfterSeconds);
      return send(res, { ...limited, headers: { ...headers, ...limited.headers } });
    }
  }
  try {
    if (!match) throw new HttpError({ status: 404, json: errorBody(`No resource found at ${url.pathname}`) });
    // Authenticated, but without permission: Data Center answers 401, not 403 (9.2 spec), and says who asked.
    const projectKey = match.params.projectKey;
    if (caller && projectKey && !runtime.model.canRead(caller.user.id, projectKey)) return send(res, { ...NOT_PERMITTED, headers });
    if (!match.methodAllowed) throw new HttpError({ status: 405, json: errorBody(`Method ${method} is not allowed here`) });
    const raw = method === 'POST' || method === 'PUT' ? await readBody(req) : '';
    const body = raw ? JSON.parse(raw) : undefined;
    const handled = match.route.handler({ url: capLimit(url, services.pageMax), params: match.params, caller, body, runtime });
    const page = fault?.corruptItem ? corruptedPage(handled, fault.corruptItem) : handled;
    const result = fault?.corruptEntry ? corruptedEntry(page, fault.corruptEntry) : page;
    send(res, { ...result, headers: { ...headers, ...result.headers } });
  } catch (error) {
    const result = error instanceof SyntaxError ? { status: 400, json: errorBody('Invalid JSON in request body') } : toResult(error);
    send(res, { ...result, headers: { ...headers, ...result.headers } });
  }
}
