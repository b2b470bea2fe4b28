// Fetch `Response`s as the platform's HTTP services would answer the SDK.

// The SDK reads only status, ok, statusText, headers.get, text() and json() of what the platform answers.
// A plain object with those is an order of magnitude cheaper than a WHATWG Response with its streams
// (and its Headers), which matters when every KVS call of every invocation makes one.
class PlatformHeaders {
  private readonly byName: Map<string, string>;
  constructor(headers: Record<string, string>) {
    this.byName = new Map(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
  }
  get(name: string): string | null {
    return this.byName.get(name.toLowerCase()) ?? null;
  }
  has(name: string): boolean {
    return this.byName.has(name.toLowerCase());
  }
  forEach(fn: (value: string, name: string) => void): void {
    this.byName.forEach(fn);
  }
}

class PlatformResponse {
  readonly ok: boolean;
  readonly statusText = '';
  readonly headers: PlatformHeaders;
  constructor(
    readonly status: number,
    private readonly body: string,
    headers: Record<string, string>,
  ) {
    this.ok = status >= 200 && status < 300;
    this.headers = new PlatformHeaders(headers);
  }
  async text(): Promise<string> {
    return this.body;
  }
  async json(): Promise<unknown> {
    return JSON.parse(this.body);
  }
}

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new PlatformResponse(status, JSON.stringify(body), { 'content-type': 'application/json', ...headers }) as unknown as Response;
}

export function emptyResponse(status: number, headers: Record<string, string> = {}): Response {
  return new PlatformResponse(status, '', headers) as unknown as Response;
}

/** A refusal by the Forge proxy itself; the SDK turns the `forge-proxy-error` header into an error. */
export function proxyError(status: number, code: string): Response {
  return emptyResponse(status, { 'forge-proxy-error': code });
}

export async function readJsonBody(init: RequestInit | undefined): Promise<unknown> {
  const body = init?.body;
  if (body === undefined || body === null) return undefined;
  const text = typeof body === 'string' ? body : await new Response(body).text();
  return text === '' ? undefined : JSON.parse(text);
}
