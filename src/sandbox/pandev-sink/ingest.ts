import type { IncomingMessage, ServerResponse } from 'node:http';
import { flattenHeaders, sendJson, sendText } from './http-util';
import { safeEqual, verifySignature } from './signature';
import type { SinkState } from './state';
import type { Delivery, IngestEndpoint, SinkOptions } from './types';

// One ingest request, checked in the order PanDev would: scripted answers first (they stand in for
// PanDev's own state, e.g. a revoked destination), then token, signature, headers, injected faults,
// and only then deduplication and storage.

const PING_KEY = 'diagnostics:ping';
const REQUIRED_HEADERS = ['X-Event-Key', 'X-Request-UUID', 'X-Attempt-Number'];
const DEFAULT_HOLD_MS = 30_000;

export interface IngestContext {
  state: SinkState;
  options: SinkOptions;
  /** Keeps the request open for `ms`, then drops the connection without an answer. */
  hold(res: ServerResponse, ms: number): void;
}

type Parsed = { delivery: Delivery } | { problem: string };

function parseDelivery(headers: Record<string, string>, raw: Buffer, endpoint: IngestEndpoint): Parsed {
  const missing = REQUIRED_HEADERS.filter((name) => !headers[name.toLowerCase()]);
  if (missing.length > 0) return { problem: `missing headers: ${missing.join(', ')}` };
  const attemptText = headers['x-attempt-number'] ?? '';
  const attempt = Number(attemptText);
  if (!/^\d+$/.test(attemptText) || attempt < 1) return { problem: `invalid X-Attempt-Number: ${attemptText}` };
  const text = raw.toString('utf8');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { problem: 'body is not JSON' };
  }
  const delivery: Delivery = {
    id: headers['x-request-uuid'] ?? '',
    eventKey: headers['x-event-key'] ?? '',
    endpoint,
    attempt,
    headers,
    body,
    raw: text,
    receivedAt: Date.now(),
  };
  return { delivery };
}

export function handleIngest(ctx: IngestContext, req: IncomingMessage, res: ServerResponse, raw: Buffer, endpoint: IngestEndpoint): void {
  const { state, options } = ctx;
  const headers = flattenHeaders(req.headers);
  state.countReceived();
  const refuse = (status: number, reason: string, body = reason, extra: Record<string, string> = {}): void => {
    const rejection = { reason, status, headers };
    state.reject(rejection);
    options.onReject?.(rejection);
    // Status 0 records a dropped connection: nothing is sent.
    if (status > 0) sendText(res, status, body, extra);
  };

  const scripted = state.takeScripted(headers['x-event-key'] ?? '');
  if (scripted) return refuse(scripted.status, `respond-next ${scripted.status}`, scripted.body);
  if (options.token !== undefined && !safeEqual(headers.authorization ?? '', `Bearer ${options.token}`)) {
    return refuse(401, 'invalid or revoked ingest token');
  }
  // Each has its own fix on the sender's side (sign at all, sign with Bitbucket's scheme, use the right secret).
  const signature = headers['x-hub-signature'];
  if (!signature) return refuse(401, 'missing X-Hub-Signature');
  if (!/^sha256=[0-9a-f]{64}$/.test(signature)) return refuse(401, 'malformed X-Hub-Signature: expected sha256=<64 hex digits>');
  if (!verifySignature(options.secret, raw, signature)) return refuse(401, 'signature mismatch');

  const isPing = headers['x-event-key'] === PING_KEY;
  const parsed: Parsed | undefined = isPing ? undefined : parseDelivery(headers, raw, endpoint);
  if (parsed && 'problem' in parsed) return refuse(400, parsed.problem);

  const fault = state.nextFault();
  const plan = state.faultPlan();
  if (fault === '500') return refuse(500, 'fault 500', 'injected fault');
  if (fault === '429') {
    return refuse(429, 'fault 429', 'rate limited', { 'retry-after': String(plan?.retryAfterSeconds ?? 1) });
  }
  if (fault === 'timeout') {
    refuse(0, 'fault timeout');
    return ctx.hold(res, plan?.holdMs ?? DEFAULT_HOLD_MS);
  }

  if (!parsed) {
    state.countPing();
    return sendJson(res, 200, { status: 'ok' });
  }
  const stored = state.store(parsed.delivery);
  if (stored) options.onDelivery?.(parsed.delivery);
  sendJson(res, 200, { status: stored ? 'accepted' : 'duplicate', id: parsed.delivery.id });
}
