import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { loopbackHostOnly, refuseBrowserCall } from '../browser-guard';
import { leaveIdleConnectionsToClients } from '../idle-connections';

// The host's HTTP door, so other processes can drive it: the Cloud simulator delivers product events
// to POST /events, and a local settings page calls resolvers through POST /resolver/<functionKey>.
// Whoever reaches it acts as the accountId it names, so a browser page of another origin must not.

const productEvent = z.looseObject({ eventType: z.string().min(1) });
const resolverCall = z.looseObject({
  call: z.looseObject({ functionKey: z.string().min(1), payload: z.unknown() }),
  context: z.looseObject({ extension: z.unknown() }).optional(),
  accountId: z.string().min(1),
});

export interface IngressTarget {
  /** Starts the triggers; the answer does not wait for them, as a product does not wait for Forge. */
  acceptEvent(event: { eventType: string } & Record<string, unknown>): number;
  invokeResolver(functionKey: string, name: string, payload: unknown, opts: { accountId: string; extension?: unknown }): Promise<unknown>;
  hasResolver(functionKey: string): boolean;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null');
}

export async function startIngress(target: IngressTarget, port: number): Promise<{ server: Server; url: string }> {
  const server = createServer(loopbackHostOnly((req, res) => {
    const { pathname } = new URL(req.url ?? '/', 'http://127.0.0.1');
    const resolverKey = /^\/resolver\/([^/]+)$/.exec(pathname)?.[1];
    if (req.method === 'GET' && pathname === '/health') return send(res, 200, { ok: true });
    if (req.method !== 'POST' || (pathname !== '/events' && resolverKey === undefined)) return send(res, 404, { error: `no route ${req.method} ${pathname}` });
    const refusal = refuseBrowserCall(req);
    if (refusal) {
      req.resume();
      return send(res, refusal.status, { error: refusal.error });
    }
    readJson(req)
      .then(async (input) => {
        if (resolverKey === undefined) {
          const event = productEvent.safeParse(input);
          if (!event.success) return send(res, 400, { error: z.prettifyError(event.error) });
          return send(res, 202, { accepted: true, triggers: target.acceptEvent(event.data) });
        }
        const key = decodeURIComponent(resolverKey);
        if (!target.hasResolver(key)) return send(res, 404, { error: `no resolver function '${key}'` });
        const call = resolverCall.safeParse(input);
        if (!call.success) return send(res, 400, { error: z.prettifyError(call.error) });
        const { functionKey: name, payload } = call.data.call;
        try {
          const result = await target.invokeResolver(key, name, payload, { accountId: call.data.accountId, extension: call.data.context?.extension });
          send(res, 200, { result: result ?? null });
        } catch (error) {
          send(res, 500, { error: error instanceof Error ? error.message : String(error) });
        }
      })
      .catch(() => send(res, 400, { error: 'body is not JSON' }));
  }));
  leaveIdleConnectionsToClients(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}
