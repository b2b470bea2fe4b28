// The simulator's own control API under /_sim (no auth; the server listens on loopback only): stats,
// faults, actions, event subscriptions and a summary of the sandbox workspace and its credentials.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ZodError } from 'zod';
import { refuseBrowserMutation } from '../../browser-guard';
import { invokeAction, isActionName, type SimActions } from '../actions';
import { SimConflictError, SimNotFoundError } from '../ops/errors';
import type { Subscriptions } from '../subscriptions';
import { FaultRuleSchema, type FaultInjector } from './faults';
import { readBody, send } from './server';
import type { StatsRecorder } from './stats';
import type { HttpResult } from './types';

export interface AdminServices {
  actions: SimActions;
  faults: FaultInjector;
  stats: StatsRecorder;
  subscriptions: Subscriptions;
  summary(): unknown;
}

const ok = (json: unknown, status = 200): HttpResult => ({ status, json });
const NO_CONTENT: HttpResult = { status: 204 };
const problem = (status: number, message: string): HttpResult => ({ status, json: { error: message } });

function route(services: AdminServices, method: string, path: string, body: unknown): HttpResult {
  const key = `${method} ${path}`;
  if (key === 'GET /_sim/stats') return ok(services.stats.snapshot());
  if (key === 'POST /_sim/stats/reset') {
    services.stats.reset();
    return NO_CONTENT;
  }
  if (key === 'GET /_sim/workspace') return ok(services.summary());
  if (key === 'POST /_sim/faults') return ok({ id: services.faults.add(FaultRuleSchema.parse(body ?? {})) }, 201);
  if (key === 'DELETE /_sim/faults') {
    services.faults.clear();
    return NO_CONTENT;
  }
  if (method === 'DELETE' && path.startsWith('/_sim/faults/')) {
    services.faults.remove(path.slice('/_sim/faults/'.length));
    return NO_CONTENT;
  }
  if (key === 'POST /_sim/subscriptions') {
    const url = (body as { url?: unknown } | undefined)?.url;
    if (typeof url !== 'string') return problem(400, 'expected {"url": "http://..."}');
    return ok({ id: services.subscriptions.add(url) }, 201);
  }
  if (key === 'DELETE /_sim/subscriptions') {
    services.subscriptions.clear();
    return NO_CONTENT;
  }
  if (method === 'POST' && path.startsWith('/_sim/actions/')) {
    const name = path.slice('/_sim/actions/'.length);
    if (!isActionName(name)) return problem(404, `unknown action ${name}`);
    return ok(invokeAction(services.actions, name, body));
  }
  return problem(404, `no admin endpoint ${key}`);
}

export async function handleAdmin(services: AdminServices, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const method = req.method ?? 'GET';
  // No auth here, so no web page of another origin may act through it (see browser-guard).
  const refusal = refuseBrowserMutation(req);
  if (refusal) {
    req.resume();
    return send(res, problem(refusal.status, refusal.error));
  }
  try {
    const raw = await readBody(req);
    send(res, route(services, method, url.pathname.replace(/\/+$/, ''), raw ? JSON.parse(raw) : undefined));
  } catch (error) {
    if (error instanceof ZodError) return send(res, problem(400, error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`).join('; ')));
    if (error instanceof SyntaxError || error instanceof TypeError) return send(res, problem(400, error.message));
    if (error instanceof SimNotFoundError) return send(res, problem(404, error.message));
    if (error instanceof SimConflictError) return send(res, problem(409, error.message));
    console.error('cloud-sim: admin request failed', error);
    send(res, problem(500, error instanceof Error ? error.message : String(error)));
  }
}
