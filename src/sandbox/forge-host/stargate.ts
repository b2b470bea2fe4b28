import { z } from 'zod';
import type { AsyncEventQueue } from './queue';
import { emptyResponse, jsonResponse } from './responses';

// The queue endpoints @forge/events posts to through `__requestAtlassianAsApp` (queries.js). The SDK
// sends the path with its `{contextAri}/...` placeholders unfilled; the platform fills them, so only
// the prefix matters here. Status codes are the ones validators.js expects.

const QUEUE_NAME = /^[a-zA-Z0-9-_]+$/;
const MAX_EVENTS = 50;
const MAX_PAYLOAD_KB = 200;

const jobRequest = z.looseObject({ queueName: z.string().regex(QUEUE_NAME), jobId: z.string().min(1) });
const pushEvent = z.looseObject({
  body: z.record(z.string(), z.unknown()),
  delayInSeconds: z.number().min(0).max(900).optional(),
  concurrency: z.object({ key: z.string(), limit: z.number().int().positive() }).optional(),
});
const publishRequest = jobRequest.extend({ payload: z.array(z.unknown()) });

function publish(queue: AsyncEventQueue, body: unknown): Response {
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
  queue.push(queueName, jobId, events.data);
  return jsonResponse(201, {});
}

export function handleStargate(queue: AsyncEventQueue, path: string, body: unknown): Response {
  if (path.startsWith('/webhook/queue/publish/')) return publish(queue, body);
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
