// Fetch `Response`s as the platform's HTTP services would answer the SDK.

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}

export function emptyResponse(status: number, headers: Record<string, string> = {}): Response {
  return new Response(null, { status, headers });
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
