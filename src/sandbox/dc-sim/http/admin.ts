// The simulator's own control API under /_sim (no auth; the server listens on loopback only), for the
// CLI and out-of-process benchmarks: stats, faults, actions, webhooks, the rate limit and a summary of
// the instance with its sandbox tokens.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z, ZodError } from 'zod';
import { refuseBrowserMutation } from '../../browser-guard';
import { SimConflictError, SimNotFoundError } from '../../cloud-sim/ops/errors';
import { FaultRuleSchema, type FaultInjector } from '../../cloud-sim/http/faults';
import { readBody, send } from '../../cloud-sim/http/server';
import type { StatsRecorder } from '../../cloud-sim/http/stats';
import { invokeAction, isActionName, type DcActions } from '../actions';
import type { Webhooks } from '../webhooks';
import type { RateLimit } from './token-bucket';
import type { HttpResult } from './types';

export interface AdminServices {
  actions: DcActions;
  faults: FaultInjector;
  stats: StatsRecorder;
  webhooks: Webhooks;
  rateLimit(): RateLimit | null;
  setRateLimit(limit: RateLimit | null): void;
  summary(): unknown;
}

const WebhookSchema = z.object({ url: z.string().url(), secret: z.string().default(''), events: z.array(z.string()).optional() });
const RateLimitSchema = z.object({ capacity: z.number().positive(), refillPerSecond: z.number().min(0) }).nullable();

const ok = (json: unknown, status = 200): HttpResult => ({ status, json });
const NO_CONTENT: HttpResult = { status: 204 };
const problem = (status: number, message: string): HttpResult => ({ status, json: { error: message } });

function route(services: AdminServices, method: string, path: string, body: unknown): HttpResult {
  const key = `${method} ${path}`;
  const tail = (prefix: string) => (path.startsWith(prefix) ? path.slice(prefix.length) : undefined);
  if (key === 'GET /_sim/stats') return ok(services.stats.snapshot());
  if (key === 'POST /_sim/stats/reset') {
    services.stats.reset();
    return NO_CONTENT;
  }
  if (key === 'GET /_sim/instance' || key === 'GET /_sim/workspace') return ok(services.summary());
  if (key === 'POST /_sim/faults') return ok({ id: services.faults.add(FaultRuleSchema.parse(body ?? {})) }, 201);
  if (key === 'DELETE /_sim/faults') {
    services.faults.clear();
    return NO_CONTENT;
  }
  if (method === 'DELETE' && tail('/_sim/faults/')) {
    services.faults.remove(tail('/_sim/faults/') as string);
    return NO_CONTENT;
  }
  if (key === 'GET /_sim/webhooks') return ok({ webhooks: services.webhooks.list(), deliveries: services.webhooks.deliveries() });
  if (key === 'POST /_sim/webhooks') {
    const { url, secret, events } = WebhookSchema.parse(body ?? {});
    return ok({ id: services.webhooks.register(url, secret, events) }, 201);
  }
  if (method === 'DELETE' && tail('/_sim/webhooks/')) {
    services.webhooks.remove(tail('/_sim/webhooks/') as string);
    return NO_CONTENT;
  }
  if (key === 'GET /_sim/rate-limit') return ok(services.rateLimit());
  if (key === 'PUT /_sim/rate-limit') {
    services.setRateLimit(RateLimitSchema.parse(body ?? null));
    return NO_CONTENT;
  }
  if (method === 'POST' && tail('/_sim/actions/')) {
    const name = tail('/_sim/actions/') as string;
    if (!isActionName(name)) return problem(404, `unknown action ${name}`);
    return ok(invokeAction(services.actions, name, body));
  }
  return problem(404, `no admin endpoint ${key}`);
}

export async function handleAdmin(services: AdminServices, req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  const method = req.method ?? 'GET';
  // No auth here, so no web page of another origin may act through it (see browser-guard).
  const refusal = refuseBrowserMutation(req);
  if (refusal) {
    req.resume();
    return send(res, problem(refusal.status, refusal.error));
  }
  try {
    const raw = await readBody(req);
    send(res, route(services, method, path.replace(/\/+$/, ''), raw ? JSON.parse(raw) : undefined));
  } catch (error) {
    if (error instanceof ZodError) return send(res, problem(400, error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`).join('; ')));
    if (error instanceof SyntaxError || error instanceof TypeError) return send(res, problem(400, error.message));
    if (error instanceof SimNotFoundError) return send(res, problem(404, error.message));
    if (error instanceof SimConflictError) return send(res, problem(409, error.message));
    console.error('dc-sim: admin request failed', error);
    send(res, problem(500, error instanceof Error ? error.message : String(error)));
  }
}
