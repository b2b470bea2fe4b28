// The simulator's own control API under /_sim (no auth; the server listens on loopback only): stats,
// faults, actions (shared with the Data Center simulator: ../../sim-common/admin), event subscriptions
// and a summary of the sandbox workspace and its credentials.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { commonAdminRoute, NO_CONTENT, ok, problem, serveAdmin, type CommonAdminServices } from '../../sim-common/admin';
import type { Subscriptions } from '../subscriptions';
import type { HttpResult } from './types';

export interface AdminServices extends CommonAdminServices {
  subscriptions: Subscriptions;
  summary(): unknown;
}

function cloudRoute(services: AdminServices, method: string, path: string, body: unknown): HttpResult | undefined {
  const key = `${method} ${path}`;
  if (key === 'GET /_sim/workspace') return ok(services.summary());
  if (key === 'POST /_sim/subscriptions') {
    const url = (body as { url?: unknown } | undefined)?.url;
    if (typeof url !== 'string') return problem(400, 'expected {"url": "http://..."}');
    return ok({ id: services.subscriptions.add(url) }, 201);
  }
  if (key === 'DELETE /_sim/subscriptions') {
    services.subscriptions.clear();
    return NO_CONTENT;
  }
  return undefined;
}

export function handleAdmin(services: AdminServices, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const routes = [
    (method: string, path: string, body: unknown) => commonAdminRoute(services, method, path, body),
    (method: string, path: string, body: unknown) => cloudRoute(services, method, path, body),
  ];
  return serveAdmin('cloud-sim', routes, req, res, url.pathname);
}
