// The simulator's own control API under /_sim (no auth; the server listens on loopback only), for the
// CLI and out-of-process benchmarks: stats, faults, actions (shared with the Cloud simulator:
// ../../sim-common/admin), webhooks, the rate limit and a summary of the instance with its sandbox tokens.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { commonAdminRoute, NO_CONTENT, ok, serveAdmin, type CommonAdminServices } from '../../sim-common/admin';
import type { Webhooks } from '../webhooks';
import type { RateLimit } from './token-bucket';
import type { HttpResult } from './types';

export interface AdminServices extends CommonAdminServices {
  webhooks: Webhooks;
  rateLimit(): RateLimit | null;
  setRateLimit(limit: RateLimit | null): void;
  summary(): unknown;
}

const WebhookSchema = z.object({ url: z.string().url(), secret: z.string().default(''), events: z.array(z.string()).optional() });
const RateLimitSchema = z.object({ capacity: z.number().positive(), refillPerSecond: z.number().min(0) }).nullable();

function dcRoute(services: AdminServices, method: string, path: string, body: unknown): HttpResult | undefined {
  const key = `${method} ${path}`;
  if (key === 'GET /_sim/instance' || key === 'GET /_sim/workspace') return ok(services.summary());
  if (key === 'GET /_sim/webhooks') return ok({ webhooks: services.webhooks.list(), deliveries: services.webhooks.deliveries() });
  if (key === 'POST /_sim/webhooks') {
    const { url, secret, events } = WebhookSchema.parse(body ?? {});
    return ok({ id: services.webhooks.register(url, secret, events) }, 201);
  }
  if (method === 'DELETE' && path.startsWith('/_sim/webhooks/')) {
    services.webhooks.remove(path.slice('/_sim/webhooks/'.length));
    return NO_CONTENT;
  }
  if (key === 'GET /_sim/rate-limit') return ok(services.rateLimit());
  if (key === 'PUT /_sim/rate-limit') {
    services.setRateLimit(RateLimitSchema.parse(body ?? null));
    return NO_CONTENT;
  }
  return undefined;
}

export function handleAdmin(services: AdminServices, req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  const routes = [
    (method: string, path: string, body: unknown) => commonAdminRoute(services, method, path, body),
    (method: string, path: string, body: unknown) => dcRoute(services, method, path, body),
  ];
  return serveAdmin('dc-sim', routes, req, res, path);
}
