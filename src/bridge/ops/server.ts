import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from '../../core/ports';
import type { WebhookResult } from '../editions/edition';
import type { WebhookAnswer } from '../webhooks/activity';
import { ALLOWED_HOSTS, hostCheck } from './host-check';

// The bridge's listening ports. BRIDGE_LISTEN: GET /healthz for the orchestrator, GET /metrics for
// Prometheus, and POST /webhooks/bitbucket for Data Center's webhooks. With BRIDGE_WEBHOOK_LISTEN the
// webhooks move to a listener of their own: it must face Data Center, and /metrics (every PROJECT/slug)
// and /healthz then need not face anyone but the orchestrator and Prometheus.

const MAX_WEBHOOK_BYTES = 5 * 1024 * 1024;
// A body is read whole before its signature can be checked, so anyone who reaches the port can make the
// bridge hold bodies in memory: the bytes received of all of them together are capped too (four at the
// limit; real webhooks are a few KB, so thousands fit). Past it a webhook gets 503 instead of the process
// its memory limit. Bytes received, not declared: a client that declares a large body and sends none
// holds no memory, and must not hold up the webhooks either.
const MAX_RECEIVING_BYTES = 4 * MAX_WEBHOOK_BYTES;
// The listener that takes webhooks faces Data Center (and whoever else reaches it): Node's defaults let a
// client take 60 s over its headers and 5 min over a request, each a connection held. Real webhooks are
// a few KB. Node enforces both only when it checks its connections, every 30 s by default: checked each
// second here, or a sender gets 30 s more than the limit says.
const WEBHOOK_TIMEOUTS = { headersTimeout: 10_000, requestTimeout: 30_000, connectionsCheckingInterval: 1_000 };
// On stop, how long a request still arriving may take to finish before its connection is closed: Node
// would wait for it up to the request timeout, past docker stop's 10 s grace.
const CLOSE_GRACE_MS = 5_000;

export interface HostPort {
  host: string;
  port: number;
}

export interface OpsServerOptions extends HostPort {
  /** A listener of the webhooks' own; without it BRIDGE_LISTEN takes them. */
  webhookListen?: HostPort | undefined;
  registry: Registry;
  health(): { ok: boolean; detail: Record<string, unknown> };
  webhook?: (headers: Record<string, string | undefined>, raw: Buffer) => Promise<WebhookResult>;
  /** Each webhook POST's answer, once sent (for `status`); must not throw. */
  webhookAnswered?: (answer: WebhookAnswer) => void;
  track(work: Promise<unknown>): void;
  log: Logger;
  /** Host names /metrics and /healthz answer besides addresses, localhost and the listening host (BRIDGE_ALLOWED_HOSTS). */
  allowedHosts?: readonly string[];
}

export interface OpsServer {
  url: string;
  /** Where POST /webhooks/bitbucket is served: `url` unless BRIDGE_WEBHOOK_LISTEN is set. */
  webhookUrl: string;
  close(): Promise<void>;
}

const LISTEN = { env: 'BRIDGE_LISTEN', yaml: 'bridge.listen' };
const WEBHOOK_LISTEN = { env: 'BRIDGE_WEBHOOK_LISTEN', yaml: 'bridge.webhookListen' };

/** BRIDGE_LISTEN (or BRIDGE_WEBHOOK_LISTEN) cannot be served; the message says what to change. */
export class ListenError extends Error {
  constructor(host: string, port: number, cause: NodeJS.ErrnoException, setting = LISTEN) {
    const where = `${setting.env} (YAML: ${setting.yaml}) ${host.includes(':') ? `[${host}]` : host}:${port}`;
    const fix =
      cause.code === 'EADDRINUSE' ? `${where} is in use by another process (another bridge on this host?): stop it, or set ${setting.env} to a free host:port`
      : cause.code === 'EACCES' ? `${where} needs privileges this user lacks (ports below 1024 do): set ${setting.env} to a port above 1023`
      : cause.code === 'EADDRNOTAVAIL' || cause.code === 'ENOTFOUND' ? `${where}: ${host} is not an address of this host (or does not resolve); use 127.0.0.1, 0.0.0.0 or one of its own addresses`
      : `${where} cannot be served (${cause.code ?? cause.message}); set ${setting.env} to a host:port this host can listen on`;
    super(fix, { cause });
    this.name = 'ListenError';
  }
}

/** What a listener answers: the operator's routes, the webhooks, or (one port for all) both. */
type Routes = 'ops' | 'webhooks' | 'both';

export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const receiving = bytesBudget(MAX_RECEIVING_BYTES);
  new Gauge({ name: 'pandev_bridge_webhook_receiving_bytes', help: 'Bytes of webhook bodies received and not yet complete (unverified)', registers: [options.registry], collect() { this.set(receiving.held()); } });
  // Whether Data Center reaches the bridge at all, and how it is answered: a wrong URL or a firewall
  // shows as no webhooks, a wrong secret as 401s, where the log alone needs reading.
  const answered = new Counter({ name: 'pandev_bridge_webhooks_total', help: 'Webhook requests answered, by HTTP status (202 taken, 200 ignored, 4xx/5xx refused)', labelNames: ['status'], registers: [options.registry] });
  const handling = new Set<Promise<void>>();
  const refusedHosts = new Set<string>();
  const serve = (routes: Routes, at: HostPort): Server => {
    const checkHost = hostCheck(at.host, options.allowedHosts ?? []);
    return createServer(routes === 'ops' ? {} : WEBHOOK_TIMEOUTS, (req, res) => {
      const isWebhook = routes !== 'ops' && pathOf(req) === '/webhooks/bitbucket';
      if (isWebhook) res.once('finish', () => answered.inc({ status: String(res.statusCode) }));
      const wrongHost = isWebhook ? undefined : checkHost(req.headers.host);
      if (wrongHost) {
        // Once per name: a page that keeps trying must not flood the log, and a proxy's name is said once.
        if (refusedHosts.size < 100 && !refusedHosts.has(req.headers.host!)) {
          refusedHosts.add(req.headers.host!);
          options.log.warn({ host: req.headers.host!.slice(0, 100), path: req.url?.slice(0, 100) }, `request refused: its Host is not this bridge's; set ${ALLOWED_HOSTS.env} if it is a name you use`);
        }
        res.writeHead(421, { 'Content-Type': 'application/json', Connection: 'close' });
        res.end(JSON.stringify({ error: wrongHost }), () => req.destroy());
        return;
      }
      const work = handle(req, res, options, receiving, routes).catch((error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        options.log.error({ error: message, path: req.url }, 'ops request failed');
        if (res.headersSent) return;
        reply(res, 500, { error: 'internal error' });
        if (isWebhook && req.method === 'POST' && options.webhook) options.webhookAnswered?.({ status: 500, reason: `the bridge failed on it (${message}); see its log`, eventKey: header(req, 'x-event-key') });
      });
      handling.add(work);
      void work.finally(() => handling.delete(work));
    });
  };
  const { webhookListen } = options;
  const main = await listen(serve(webhookListen ? 'ops' : 'both', options), options, LISTEN);
  // Both or neither: a start that fails on the second port leaves the first free for the next try.
  const hooks = webhookListen ? await listen(serve('webhooks', webhookListen), webhookListen, WEBHOOK_LISTEN).catch(async (error: unknown) => {
    await closeServer(main);
    throw error;
  }) : undefined;
  return {
    url: urlOf(main),
    webhookUrl: urlOf(hooks ?? main),
    close: async () => {
      await Promise.all([closeServer(main), hooks && closeServer(hooks)]);
      // A webhook taken just before may still be saving: the state file closes after this.
      await Promise.allSettled([...handling]);
    },
  };
}

async function listen(server: Server, at: HostPort, setting: typeof LISTEN): Promise<Server> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(new ListenError(at.host, at.port, error, setting)));
    server.listen(at.port, at.host, resolve);
  });
  return server;
}

function urlOf(server: Server): string {
  const address = server.address() as AddressInfo;
  return `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
}

async function closeServer(server: Server): Promise<void> {
  let grace: NodeJS.Timeout | undefined;
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
    grace = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS).unref();
  });
  clearTimeout(grace);
}

/**
 * The request's path without its query. Not `new URL(req.url, base)`: a target such as `//` or `//[`
 * reads as a protocol-relative URL with no valid host and throws, here in the listener, where a throw
 * ends the process: anyone who can reach the port could stop the bridge with one request.
 */
function pathOf(req: IncomingMessage): string {
  return (req.url ?? '/').split(/[?#]/, 1)[0]!;
}

async function handle(req: IncomingMessage, res: ServerResponse, options: OpsServerOptions, receiving: BytesBudget, routes: Routes): Promise<void> {
  const path = pathOf(req);
  const ops = routes !== 'webhooks';
  if (ops && req.method === 'GET' && path === '/healthz') {
    const health = options.health();
    return reply(res, health.ok ? 200 : 503, { status: health.ok ? 'ok' : 'unhealthy', ...health.detail });
  }
  if (ops && req.method === 'GET' && path === '/metrics') {
    res.writeHead(200, { 'Content-Type': options.registry.contentType });
    res.end(await options.registry.metrics());
    return;
  }
  if (path === '/webhooks/bitbucket') {
    if (routes === 'ops') return reply(res, 404, { error: 'webhooks are served on BRIDGE_WEBHOOK_LISTEN, not here' });
    if (req.method !== 'POST') return reply(res, 405, { error: 'POST only' });
    if (!options.webhook) return reply(res, 404, { error: 'this bridge edition takes no webhooks' });
    const raw = await readBody(req, receiving);
    if (raw === 'gone') return;
    const eventKey = header(req, 'x-event-key');
    if (raw === 'oversize') return refuse(req, res, 413, `the body is over ${MAX_WEBHOOK_BYTES} bytes`, eventKey, options);
    if (raw === 'busy') return refuse(req, res, 503, `webhook bodies still arriving hold the ${MAX_RECEIVING_BYTES} bytes the bridge reads at once; try again shortly`, eventKey, options);
    const headers = Object.fromEntries(Object.entries(req.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : value]));
    const result = await options.webhook(headers, raw);
    if (result.background) options.track(result.background);
    // Data Center does not send a refused webhook again, and shows the answer only in its own webhook
    // page: every refusal is logged, or a payload the bridge cannot read goes unnoticed until PanDev
    // misses what only webhooks carry (deletions).
    if (result.status >= 400) refused(options.log, result.status, result.message, eventKey);
    reply(res, result.status, { message: result.message });
    options.webhookAnswered?.({ status: result.status, reason: result.message, eventKey });
    return;
  }
  const served = routes === 'ops' ? 'GET /healthz, GET /metrics' : routes === 'webhooks' ? 'POST /webhooks/bitbucket' : 'GET /healthz, GET /metrics, POST /webhooks/bitbucket';
  reply(res, 404, { error: `not found: ${served}` });
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

interface BytesBudget {
  take(bytes: number): boolean;
  give(bytes: number): void;
  held(): number;
}

function bytesBudget(limit: number): BytesBudget {
  let held = 0;
  return {
    take: (bytes) => (held + bytes <= limit ? ((held += bytes), true) : false),
    give: (bytes) => void (held -= bytes),
    held: () => held,
  };
}

/**
 * The body, or why there is none: over the size limit (known from its Content-Length before a byte is
 * read, else as soon as the bytes pass it), over what bodies still arriving may hold together, or the
 * client went away. Anyone who reaches the port gets this far unsigned, so a body refused is never read
 * to its end (that would hold the connection as long as the sender likes).
 */
function readBody(req: IncomingMessage, receiving: BytesBudget): Promise<Buffer | 'oversize' | 'busy' | 'gone'> {
  if (Number(req.headers['content-length']) > MAX_WEBHOOK_BYTES) return Promise.resolve('oversize');
  let taken = 0;
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (result: Buffer | 'oversize' | 'busy' | 'gone') => {
      req.off('data', onData);
      receiving.give(taken);
      taken = 0;
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_WEBHOOK_BYTES) return refused('oversize');
      if (!receiving.take(chunk.length)) return refused('busy');
      taken += chunk.length;
      chunks.push(chunk);
    };
    const refused = (why: 'oversize' | 'busy') => {
      req.pause();
      finish(why);
    };
    req.on('data', onData);
    req.once('end', () => finish(Buffer.concat(chunks)));
    // Closed before its end: the client went away, or the bridge closed the connection as it stopped.
    req.once('close', () => finish('gone'));
    req.once('error', () => finish('gone'));
  });
}

/** Refused before its body was read: the answer, then the connection closes, as Node would otherwise read the unread rest to keep it alive. */
function refuse(req: IncomingMessage, res: ServerResponse, status: number, error: string, eventKey: string | undefined, options: OpsServerOptions): void {
  refused(options.log, status, error, eventKey);
  res.writeHead(status, { 'Content-Type': 'application/json', Connection: 'close' });
  res.end(JSON.stringify({ error }), () => req.destroy());
  options.webhookAnswered?.({ status, reason: error, eventKey });
}

/** Whoever reaches the port can send these: a line of bounded size each, not the sender's 16 KB header. */
function refused(log: Logger, status: number, reason: string, eventKey: string | undefined): void {
  log.warn({ status, reason: reason.slice(0, 500), eventKey: eventKey?.slice(0, 100) }, 'webhook refused; the poll finds what it carried, except deletions');
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}
