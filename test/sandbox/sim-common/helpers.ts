// What the Cloud and Data Center simulator tests do alike (shared so both read answers the same way):
// a fixed history, loose JSON, one request with its answer read, and a hand-moved clock.

/** A fixed end of history, so every run of these tests sees the same seeded data. */
export const BASE_TIME = Date.UTC(2026, 0, 15, 12, 0, 0);

/** Responses as the tests read them: loose on purpose, each assertion checks the shape it relies on. */
export type Json = any;

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: Json;
}

/** One request to `target`, its body read as text and, where it parses, as JSON. */
export async function request(target: string, auth: string | undefined, options: { method?: string; body?: unknown } = {}): Promise<Reply> {
  const response = await fetch(target, {
    method: options.method ?? 'GET',
    headers: { ...(auth ? { Authorization: auth } : {}), ...(options.body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  let json: Json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** A clock the test moves by hand. */
export class FakeClock {
  constructor(public ms: number) {}

  now(): number {
    return this.ms;
  }

  advance(ms: number): void {
    this.ms += ms;
  }
}
