// The HTTP plumbing under both simulators' front doors and the /_sim API: the shape of an answer, the
// error that carries one out of a handler, reading a request body and writing an answer. Shared so
// neither simulator reaches into the other for it.
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface HttpResult {
  status: number;
  /** Serialized as JSON unless `text` is set. */
  json?: unknown;
  text?: string;
  headers?: Record<string, string>;
}

/** Thrown by handlers to answer with something other than 200 (404 for a missing repository...). */
export class HttpError extends Error {
  constructor(readonly result: HttpResult) {
    super(`HTTP ${result.status}`);
  }
}

const MAX_BODY_BYTES = 1_000_000;

// Cloud's error shape (`{type: 'error', error: {message}}`): the Data Center front door has always
// answered an oversized body with it too, and this move keeps that as it was.
const TOO_LARGE: HttpResult = { status: 413, json: { type: 'error', error: { message: 'Request body too large' } } };

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(TOO_LARGE);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function send(res: ServerResponse, result: HttpResult): void {
  const headers: Record<string, string> = { ...result.headers };
  let payload = '';
  if (result.text !== undefined) {
    headers['Content-Type'] ??= 'text/plain; charset=utf-8';
    payload = result.text;
  } else if (result.json !== undefined) {
    headers['Content-Type'] ??= 'application/json; charset=utf-8';
    payload = JSON.stringify(result.json);
  }
  res.writeHead(result.status, headers).end(payload);
}
