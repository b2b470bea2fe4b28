// The REST front door. Every request is counted, then may be faulted, then is authenticated and rate
// limited, and only then routed: so statistics, faults and limits behave the same for every route.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SimConflictError, SimNotFoundError } from '../../sim-common/errors';
import { applyFault, corruptedPage, type FaultInjector, type FaultRule } from '../../sim-common/faults';
import { HttpError, readBody, send, type HttpResult } from '../../sim-common/http';
import { routeLabel, type Router } from '../../sim-common/router';
import type { StatsRecorder } from '../../sim-common/stats';
import { QueryError } from '../query/bbql';
import type { SimRuntime } from '../runtime';
import { authenticate, UNAUTHORIZED } from './auth';
import { rateLimited, type RollingHourLimiter } from './rate-limit';
import { errorBody } from './respond';
import type { Route } from './types';

export interface ApiServices {
  runtime: SimRuntime;
  router: Router<Route>;
  limiter: RollingHourLimiter;
  faults: FaultInjector;
  stats: StatsRecorder;
}

/** A faulted answer: the rule's body verbatim, or Cloud's error shape for a bare status. */
const faultAnswer = (rule: FaultRule): HttpResult => rule.body !== undefined
  ? { status: rule.status ?? 200, text: rule.body, headers: { 'Content-Type': 'application/json; charset=utf-8' } }
  : { status: rule.status as number, json: errorBody(`Simulated fault (HTTP ${rule.status})`) };

function toResult(error: unknown): HttpResult {
  if (error instanceof HttpError) return error.result;
  if (error instanceof QueryError) return { status: 400, json: errorBody(error.message) };
  if (error instanceof SimNotFoundError) return { status: 404, json: errorBody(error.message) };
  if (error instanceof SimConflictError) return { status: 400, json: errorBody(error.message) };
  console.error('cloud-sim: handler failed', error);
  return { status: 500, json: errorBody('Something went wrong') };
}

export async function handleApi(services: ApiServices, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const method = req.method ?? 'GET';
  const match = services.router.match(method, url.pathname.replace(/^\/2\.0(?=\/)/, ''));
  const auth = authenticate(services.runtime.model, req.headers.authorization);
  const credentialLabel = 'caller' in auth ? auth.caller.credential.label : auth.failure;
  services.stats.request(match?.methodAllowed ? routeLabel(match.route) : `${method} (unmatched)`, credentialLabel);

  const fault = services.faults.match(method, url.pathname);
  if (fault) services.stats.faulted();
  if (fault && !fault.afterHandling && (await applyFault(req, res, fault, faultAnswer))) return;
  if (!('caller' in auth)) return send(res, UNAUTHORIZED);
  const rate = services.limiter.take(auth.caller.credential.token, auth.caller.user.kind === 'app');
  if (!rate.allowed) {
    services.stats.rateLimited();
    return send(res, rateLimited(rate.headers));
  }
  try {
    if (!url.pathname.startsWith('/2.0/') || !match) {
      throw new HttpError({ status: 404, json: errorBody('Resource not found', 'There is no API hosted at this URL.') });
    }
    if (!match.methodAllowed) throw new HttpError({ status: 405, json: errorBody(`Method ${method} not allowed`) });
    const raw = method === 'POST' || method === 'PUT' ? await readBody(req) : '';
    let body: unknown;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      throw new HttpError({ status: 400, json: errorBody('Invalid JSON in request body') });
    }
    const handled = match.route.handler({ url, params: match.params, caller: auth.caller, body, runtime: services.runtime });
    const corrupted = fault?.corruptItem ? corruptedPage(handled, fault.corruptItem) : handled;
    const result = fault?.mutateAnswer ? { ...corrupted, json: services.faults.mutateAnswer(fault, method, url.pathname, corrupted.json) } : corrupted;
    if (fault?.afterHandling && (await applyFault(req, res, fault, faultAnswer))) return;
    send(res, { ...result, headers: { ...rate.headers, ...result.headers } });
  } catch (error) {
    const result = toResult(error);
    send(res, { ...result, headers: { ...rate.headers, ...result.headers } });
  }
}
