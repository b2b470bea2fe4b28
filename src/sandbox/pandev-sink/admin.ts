import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { refuseBrowserMutation } from '../browser-guard';
import { sendJson, sendText } from './http-util';
import { faultPlanSchema, respondNextSchema, type SinkState } from './state';

// The `/_sink/` admin API: how the CLI and out-of-process tests inspect and steer the receiver.
// Loopback only (the server binds 127.0.0.1), so it carries no auth.

function parseJson<T>(schema: z.ZodType<T>, raw: Buffer): { ok: true; value: T } | { ok: false; error: string } {
  let input: unknown;
  try {
    input = JSON.parse(raw.toString('utf8') || 'null');
  } catch {
    return { ok: false, error: 'body is not JSON' };
  }
  const result = schema.safeParse(input);
  return result.success ? { ok: true, value: result.data } : { ok: false, error: z.prettifyError(result.error) };
}

export function handleAdmin(state: SinkState, req: IncomingMessage, res: ServerResponse, url: URL, raw: Buffer): void {
  const route = `${req.method ?? 'GET'} ${url.pathname}`;
  // No auth here, so no web page of another origin may steer the receiver (see browser-guard).
  const refusal = refuseBrowserMutation(req);
  if (refusal) return sendText(res, refusal.status, refusal.error);
  switch (route) {
    case 'GET /_sink/deliveries':
      return sendJson(res, 200, state.deliveries(url.searchParams.get('eventKey') ?? undefined));
    case 'DELETE /_sink/deliveries':
      state.clear();
      return sendJson(res, 200, state.stats());
    case 'GET /_sink/stats':
      return sendJson(res, 200, state.stats());
    case 'GET /_sink/rejected':
      return sendJson(res, 200, state.rejected());
    case 'POST /_sink/faults': {
      const parsed = parseJson(faultPlanSchema, raw);
      if (!parsed.ok) return sendText(res, 400, parsed.error);
      state.setFaults(parsed.value);
      return sendJson(res, 200, state.stats());
    }
    case 'POST /_sink/respond-next': {
      const parsed = parseJson(respondNextSchema, raw);
      if (!parsed.ok) return sendText(res, 400, parsed.error);
      state.respondNext(parsed.value.status, parsed.value.times, parsed.value.body, parsed.value.eventKey);
      return sendJson(res, 200, state.stats());
    }
    default:
      return sendText(res, 404, `no admin route ${route}`);
  }
}
