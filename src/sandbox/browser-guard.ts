import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';

// The sandbox's servers listen on loopback without auth, which keeps other machines out but not the
// developer's browser: any page open while `npm start` runs can POST to 127.0.0.1. A form or a
// no-cors fetch is a "simple" request (text/plain, no preflight), so a page of another origin could
// act as the workspace admin or steer the simulators. What such a page cannot do: send
// `Content-Type: application/json` without a CORS preflight (which these servers never approve), or
// hide its Origin on a POST. Processes (the CLI, tests, the page server's proxy) send no Origin.
// A page can still reach loopback under its own name by DNS rebinding (evil.example re-resolved to
// 127.0.0.1): it is then same-origin with itself and its GETs carry no Origin, but its Host names it.

export interface Refusal {
  status: 403 | 415;
  error: string;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** A page's Origin is acceptable only when the page came from this very server (either loopback name). */
export function refuseForeignOrigin(req: IncomingMessage): Refusal | undefined {
  const origin = req.headers.origin;
  if (origin === undefined) return undefined;
  const port = req.socket.localPort;
  if (origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`) return undefined;
  return {
    status: 403,
    error: `refused a call from the web page at ${origin.slice(0, 100)}: only pages served by http://127.0.0.1:${port} may call this sandbox server`,
  };
}

export function refuseNonJson(req: IncomingMessage): Refusal | undefined {
  const type = (((req.headers['content-type'] ?? '').split(';')[0]) ?? '').trim().toLowerCase();
  if (type === 'application/json') return undefined;
  return { status: 415, error: `send the body as JSON with Content-Type: application/json (got ${type.slice(0, 100) || 'no Content-Type'})` };
}

/** For a call that acts (resolvers, product events): JSON only, and no page but our own. */
export function refuseBrowserCall(req: IncomingMessage): Refusal | undefined {
  return refuseForeignOrigin(req) ?? refuseNonJson(req);
}

/**
 * For control APIs (`/_sim`, `/_sink`) whose reads are harmless and whose mutations may carry no body
 * (`POST /_sim/stats/reset`): a mutation must not come from another page, and a body must be JSON.
 */
export function refuseBrowserMutation(req: IncomingMessage): Refusal | undefined {
  if (SAFE_METHODS.has(req.method ?? 'GET')) return undefined;
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  return refuseForeignOrigin(req) ?? (hasBody ? refuseNonJson(req) : undefined);
}

const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '[::1]'];

/** Answers only requests addressed to this server by a loopback name; a rebound domain gets 421. */
export function loopbackHostOnly(listener: RequestListener): RequestListener {
  return (req, res) => {
    const port = req.socket.localPort;
    const host = (req.headers.host ?? '').toLowerCase();
    if (!LOOPBACK_HOSTS.some((name) => host === `${name}:${port}`)) {
      return refuse(req, res, 421, `this sandbox server answers only to http://127.0.0.1:${port} (the request named host ${JSON.stringify(host.slice(0, 100))})`);
    }
    if (!isPathTarget(req.url)) return refuse(req, res, 400, `the request target ${JSON.stringify((req.url ?? '').slice(0, 100))} is not a path: send one that starts with a single /`);
    return listener(req, res);
  };
}

/**
 * The servers read the target with `new URL(target, base)`, which throws on `//[` (a protocol-relative
 * URL with no valid host; `\` counts as `/` there): a throw in a listener ends the whole sandbox.
 */
function isPathTarget(target = ''): boolean {
  return /^\/(?![/\\])/.test(target) && URL.canParse(target, 'http://127.0.0.1');
}

function refuse(req: IncomingMessage, res: ServerResponse, status: number, text: string): void {
  req.resume();
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(text);
}
