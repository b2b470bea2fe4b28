// The /_sim control API's plumbing, shared because both simulators answer it the same way: the browser
// guard, body parsing, error answers, and the routes they have in common (stats, faults, actions). Each
// simulator adds its own routes (Cloud's event subscriptions, Data Center's webhooks and rate limit).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ZodError, type z } from 'zod';
import { refuseBrowserMutation } from '../browser-guard';
import { SimConflictError, SimNotFoundError } from './errors';
import { FaultRuleSchema, type FaultInjector } from './faults';
import { readBody, send, type HttpResult } from './http';
import type { StatsRecorder } from './stats';

/** A simulator's actions as the admin API runs them: by name, on untrusted JSON. */
export interface ActionRunner {
  has(name: string): boolean;
  run(name: string, input: unknown): unknown;
}

/** Each action's input is validated against its schema before the action runs. */
export function actionRunner<S extends Record<string, z.ZodTypeAny>>(schemas: S, actions: { [K in keyof S]: (args: z.input<S[K]>) => unknown }): ActionRunner {
  return {
    has: (name) => Object.hasOwn(schemas, name),
    run: (name, input) => (actions[name] as (value: unknown) => unknown)((schemas[name] as z.ZodTypeAny).parse(input ?? {})),
  };
}

export interface CommonAdminServices {
  actions: ActionRunner;
  faults: FaultInjector;
  stats: StatsRecorder;
}

/** A simulator's admin routes: an answer, or undefined when the path is not one of them. */
export type AdminRoute = (method: string, path: string, body: unknown) => HttpResult | undefined;

export const ok = (json: unknown, status = 200): HttpResult => ({ status, json });
export const NO_CONTENT: HttpResult = { status: 204 };
export const problem = (status: number, message: string): HttpResult => ({ status, json: { error: message } });

export function commonAdminRoute(services: CommonAdminServices, method: string, path: string, body: unknown): HttpResult | undefined {
  const key = `${method} ${path}`;
  if (key === 'GET /_sim/stats') return ok(services.stats.snapshot());
  if (key === 'POST /_sim/stats/reset') {
    services.stats.reset();
    return NO_CONTENT;
  }
  if (key === 'POST /_sim/faults') return ok({ id: services.faults.add(FaultRuleSchema.parse(body ?? {})) }, 201);
  if (key === 'DELETE /_sim/faults') {
    services.faults.clear();
    return NO_CONTENT;
  }
  if (method === 'DELETE' && path.startsWith('/_sim/faults/')) {
    services.faults.remove(path.slice('/_sim/faults/'.length));
    return NO_CONTENT;
  }
  if (method === 'POST' && path.startsWith('/_sim/actions/')) {
    const name = path.slice('/_sim/actions/'.length);
    if (!services.actions.has(name)) return problem(404, `unknown action ${name}`);
    return ok(services.actions.run(name, body));
  }
  return undefined;
}

/** Answers one admin request with the first of `routes` that knows its path; `label` names the simulator in logs. */
export async function serveAdmin(label: string, routes: AdminRoute[], req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  const method = req.method ?? 'GET';
  // No auth here, so no web page of another origin may act through it (see browser-guard).
  const refusal = refuseBrowserMutation(req);
  if (refusal) {
    req.resume();
    return send(res, problem(refusal.status, refusal.error));
  }
  try {
    const raw = await readBody(req);
    const local = path.replace(/\/+$/, '');
    const body: unknown = raw ? JSON.parse(raw) : undefined;
    let answer: HttpResult | undefined;
    for (const route of routes) if ((answer = route(method, local, body))) break;
    send(res, answer ?? problem(404, `no admin endpoint ${method} ${local}`));
  } catch (error) {
    if (error instanceof ZodError) return send(res, problem(400, error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`).join('; ')));
    if (error instanceof SyntaxError || error instanceof TypeError) return send(res, problem(400, error.message));
    if (error instanceof SimNotFoundError) return send(res, problem(404, error.message));
    if (error instanceof SimConflictError) return send(res, problem(409, error.message));
    console.error(`${label}: admin request failed`, error);
    send(res, problem(500, error instanceof Error ? error.message : String(error)));
  }
}
