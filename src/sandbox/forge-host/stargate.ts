import { z } from 'zod';
import type { PushLimits } from './push-limits';
import type { AsyncEventQueue } from './queue';
import { emptyResponse, jsonResponse } from './responses';

// The queue endpoints @forge/events posts to through `__requestAtlassianAsApp` (queries.js). The SDK
// sends the path with its `{contextAri}/...` placeholders unfilled; the platform fills them, so only
// the prefix matters here. Status codes are the ones validators.js expects.

const QUEUE_NAME = /^[a-zA-Z0-9-_]+$/;
const MAX_EVENTS = 50;
const MAX_PAYLOAD_KB = 200;
/**
 * developer.atlassian.com/platform/forge/limits-async-events: an event for a consumer whose function
 * has a timeout over 55 s ("long-running") may hold at most 100 KB, whatever the push's total. The SDK
 * does not check it; the platform's refusal reaches the app as the SDK's PayloadTooBigError (413).
 */
export const MAX_LONG_RUNNING_EVENT_KB = 100;

const jobRequest = z.looseObject({ queueName: z.string().regex(QUEUE_NAME), jobId: z.string().min(1) });
const pushEvent = z.looseObject({
  body: z.record(z.string(), z.unknown()),
  delayInSeconds: z.number().min(0).max(900).optional(),
  concurrency: z.object({ key: z.string(), limit: z.number().int().positive() }).optional(),
});
const publishRequest = jobRequest.extend({ payload: z.array(z.unknown()) });

/** Who is pushing, for Forge's limits on pushes (push-limits.ts). */
export interface PushGate {
  limits: PushLimits;
  /** The initial invocation the pushing one descends from. */
  origin: string;
  onRefused(verdict: 'invocation-limit' | 'rate-limit' | 'event-too-big', events: number): void;
  /** Whether the queue's consumer is long-running (limits-async-events): its events are held to 100 KB each. */
  longRunning?(queueName: string): boolean;
}

// The bodies are what validators.js ignores: it maps 405 and 429 to its own errors by status alone.
const REFUSALS = {
  'invocation-limit': { status: 405, message: 'The limit on cyclic invocation has been reached.' },
  'rate-limit': { status: 429, message: 'Too many requests.' },
} as const;

function publish(queue: AsyncEventQueue, body: unknown, gate: PushGate | undefined): Response {
  const request = publishRequest.safeParse(body);
  if (!request.success) return jsonResponse(400, { message: z.prettifyError(request.error) });
  const { payload, queueName, jobId } = request.data;
  if (payload.length === 0 || payload.length > MAX_EVENTS) {
    return jsonResponse(400, { message: `A push holds 1 to ${MAX_EVENTS} events, got ${payload.length}` });
  }
  if (Buffer.byteLength(JSON.stringify(payload)) / 1024 > MAX_PAYLOAD_KB) {
    return jsonResponse(413, { errorMessage: `The maximum payload size is ${MAX_PAYLOAD_KB}KB` });
  }
  const events = z.array(pushEvent).safeParse(payload);
  if (!events.success) return jsonResponse(400, { message: z.prettifyError(events.error) });
  if (gate?.longRunning?.(queueName)) {
    const biggest = Math.max(...payload.map((event) => Buffer.byteLength(JSON.stringify(event))));
    if (biggest / 1024 > MAX_LONG_RUNNING_EVENT_KB) {
      gate.onRefused('event-too-big', payload.length);
      return jsonResponse(413, { errorMessage: `The maximum payload size of an event for a long-running function is ${MAX_LONG_RUNNING_EVENT_KB}KB (one event holds ${Math.ceil(biggest / 1024)}KB)` });
    }
  }
  const verdict = gate ? gate.limits.admit(gate.origin, events.data.map((event) => event.body)) : 'accepted';
  if (verdict !== 'accepted') {
    gate?.onRefused(verdict, events.data.length);
    return jsonResponse(REFUSALS[verdict].status, { message: REFUSALS[verdict].message });
  }
  queue.push(queueName, jobId, events.data, gate?.origin);
  return jsonResponse(201, {});
}

/** `gate`: the pushing invocation's origin and the limits it is held to; without one, pushes are not limited. */
export function handleStargate(queue: AsyncEventQueue, path: string, body: unknown, gate?: PushGate): Response {
  if (path.startsWith('/webhook/queue/publish/')) return publish(queue, body, gate);
  const isStats = path.startsWith('/webhook/queue/stats/');
  if (isStats || path.startsWith('/webhook/queue/cancel/')) {
    const request = jobRequest.safeParse(body);
    if (!request.success) return jsonResponse(400, { message: z.prettifyError(request.error) });
    const stats = queue.jobStats(request.data.jobId);
    if (!stats) return jsonResponse(404, { message: `Job ${request.data.jobId} not found` });
    if (isStats) return jsonResponse(200, stats);
    queue.cancel(request.data.jobId);
    return emptyResponse(204);
  }
  return jsonResponse(404, { message: `The local Forge host does not serve ${path}` });
}
