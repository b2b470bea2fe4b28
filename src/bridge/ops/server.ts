import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from '../../core/ports';
import type { WebhookResult } from '../editions/edition';

// The bridge's one listening port (BRIDGE_LISTEN): GET /healthz for the orchestrator, GET /metrics for
// Prometheus, and POST /webhooks/bitbucket for Data Center's webhooks when they are configured.

const MAX_WEBHOOK_BYTES = 5 * 1024 * 1024;

export interface OpsServerOptions {
  host: string;
  port: number;
  registry: Registry;
  health(): { ok: boolean; detail: Record<string, unknown> };
  webhook?: (headers: Record<string, string | undefined>, raw: Buffer) => Promise<WebhookResult>;
  track(work: Promise<unknown>): void;
  log: Logger;
}

export interface OpsServer {
  url: string;
  close(): Promise<void>;
}

/** BRIDGE_LISTEN cannot be served; the message says what to change. */
export class ListenError extends Error {
  constructor(host: string, port: number, cause: NodeJS.ErrnoException) {
    const where = `BRIDGE_LISTEN (YAML: bridge.listen) ${host.includes(':') ? `[${host}]` : host}:${port}`;
    const fix =
      cause.code === 'EADDRINUSE' ? `${where} is in use by another process (another bridge on this host?): stop it, or set BRIDGE_LISTEN to a free host:port`
      : cause.code === 'EACCES' ? `${where} needs privileges this user lacks (ports below 1024 do): set BRIDGE_LISTEN to a port above 1023`
      : cause.code === 'EADDRNOTAVAIL' || cause.code === 'ENOTFOUND' ? `${where}: ${host} is not an address of this host (or does not resolve); use 127.0.0.1, 0.0.0.0 or one of its own addresses`
      : `${where} cannot be served (${cause.code ?? cause.message}); set BRIDGE_LISTEN to a host:port this host can listen on`;
    super(fix, { cause });
    this.name = 'ListenError';
  }
}

export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const server: Server = createServer((req, res) => {
    handle(req, res, options).catch((error: unknown) => {
      options.log.error({ error: error instanceof Error ? error.message : String(error), path: req.url }, 'ops request failed');
      if (!res.headersSent) reply(res, 500, { error: 'internal error' });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(new ListenError(options.host, options.port, error)));
    server.listen(options.port, options.host, resolve);
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, options: OpsServerOptions): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://bridge').pathname;
  if (req.method === 'GET' && path === '/healthz') {
    const health = options.health();
    return reply(res, health.ok ? 200 : 503, { status: health.ok ? 'ok' : 'unhealthy', ...health.detail });
  }
  if (req.method === 'GET' && path === '/metrics') {
    res.writeHead(200, { 'Content-Type': options.registry.contentType });
    res.end(await options.registry.metrics());
    return;
  }
  if (path === '/webhooks/bitbucket') {
    if (req.method !== 'POST') return reply(res, 405, { error: 'POST only' });
    if (!options.webhook) return reply(res, 404, { error: 'this bridge edition takes no webhooks' });
    const raw = await readBody(req);
    if (!raw) return refuseOversize(req, res);
    const headers = Object.fromEntries(Object.entries(req.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : value]));
    const result = await options.webhook(headers, raw);
    if (result.background) options.track(result.background);
    if (result.status === 401) options.log.warn({ reason: result.message, eventKey: headers['x-event-key'] }, 'webhook refused');
    return reply(res, result.status, { message: result.message });
  }
  reply(res, 404, { error: 'not found: GET /healthz, GET /metrics, POST /webhooks/bitbucket' });
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

/**
 * The body, or undefined once it is known to be over the limit: from its Content-Length before a byte
 * is read, else as soon as the bytes pass it. Anyone who reaches the port gets this far unsigned, so
 * an oversized body is never read to its end (that would hold the connection as long as the sender likes).
 */
function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  if (Number(req.headers['content-length']) > MAX_WEBHOOK_BYTES) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_WEBHOOK_BYTES) return void chunks.push(chunk);
      req.off('data', onData);
      req.pause();
      resolve(undefined);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** 413, then the connection closes: Node would otherwise read the unread rest to keep it alive. */
function refuseOversize(req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(413, { 'Content-Type': 'application/json', Connection: 'close' });
  res.end(JSON.stringify({ error: `the body is over ${MAX_WEBHOOK_BYTES} bytes` }), () => req.destroy());
}
