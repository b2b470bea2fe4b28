import { parseRetryAfter } from '../enrich/cloud/client';
import { errorMessage, withoutValues } from '../errors';
import type { HttpSend } from '../ports';
import { sign } from './sign';
import { webPage } from './web-page';

// One HTTP attempt at PanDev and what its answer means. Nothing here decides how many attempts there
// are; it only classifies, per the delivery contract: 2xx delivered; network errors, timeouts, 408, 429
// and 5xx worth retrying; 410, a web page, and a refused token or signature pause every delivery (the
// destination's configuration is wrong, not this delivery); any other answer is permanent.

export interface AttemptRequest {
  url: string;
  id: string;
  eventKey: string;
  edition: string;
  origin: string;
  attempt: number;
  body: string;
  token: string;
  secret: string;
  userAgent: string;
  timeoutMs: number;
  /** Where the host's admin sets what a refusal asks to change; the app's settings page by default. */
  fixIt?: DeliveryFixIt;
}

/** Where the ingest token, the signing secret and PanDev's URL are set, as the reasons name them. */
export interface DeliveryFixIt {
  token: string;
  secret: string;
  url: string;
  /** What ends a pause for a refused token or secret. */
  resume: string;
}

const APP_SETTINGS: DeliveryFixIt = { token: "the app's settings", secret: "the app's settings", url: "the app's settings", resume: 'Check connection passes in the settings' };

/** What paused deliveries, which says what resumes them: a new URL, or a new token or secret. */
export type PauseCause = 'gone' | 'web-page' | 'token' | 'signature';

export type AttemptOutcome =
  | { kind: 'delivered'; status: number }
  | { kind: 'retry'; reason: string; status?: number; retryAfterSeconds?: number }
  /** `answer`: PanDev's own words (cut, secrets removed), for a text other than a dead letter's (the connection check). */
  | { kind: 'permanent'; reason: string; status: number; answer?: string }
  | { kind: 'disabled'; cause: PauseCause; reason: string; status: number };


export function deliveryHeaders(request: AttemptRequest): Record<string, string> {
  return {
    'Content-Type': 'application/json',
    'User-Agent': request.userAgent,
    Authorization: `Bearer ${request.token}`,
    'X-Event-Key': request.eventKey,
    'X-Request-UUID': request.id,
    'X-Attempt-Number': String(request.attempt),
    'X-Hub-Signature': sign(request.secret, request.body),
    'X-PanDev-Edition': request.edition,
    'X-PanDev-Origin': request.origin,
  };
}

export async function attemptDelivery(request: AttemptRequest, send: HttpSend): Promise<AttemptOutcome> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), request.timeoutMs);
  try {
    const response = await Promise.race([
      send(request.url, { method: 'POST', headers: deliveryHeaders(request), body: request.body, signal: controller.signal, redirect: 'manual' }),
      new Promise<never>((_, reject) => controller.signal.addEventListener('abort', () => reject(new Error(`no answer within ${request.timeoutMs} ms`)))),
    ]);
    const status = response.status;
    // Read every answer, a success's too: an unread body keeps its connection and buffers alive.
    const answer = await response.text().catch(() => '');
    const text = status >= 300 ? withoutSecrets(answer, request).slice(0, 300).replace(/\s+/g, ' ').trim() : '';
    if (status >= 200 && status < 300) {
      // PanDev's ingest answers JSON or nothing; a page means the URL is its web app or a sign-in page,
      // where nothing sent arrives: paused (kept) until the admin fixes the URL and checks again.
      const page = webPage(null, withoutSecrets(answer, request));
      if (page === undefined) return { kind: 'delivered', status };
      return { kind: 'disabled', cause: 'web-page', status, reason: `PanDev's URL answered ${status} with a web page${page ? ` ("${page}")` : ''}, not the ingest API: it probably points at PanDev's web app or a sign-in page, where nothing sent arrives; set the ingest API's base URL; deliveries are paused until an admin checks the connection again` };
    }
    // An error answered with a web page (a firewall's, a proxy's 502) is named by its title: its HTML,
    // cut at 300 characters, says nothing in a dead letter's reason or a log line.
    const page = status >= 300 ? webPage(null, withoutSecrets(answer, request)) : undefined;
    const said = page !== undefined ? `: a web page${page ? ` ("${page}")` : ''}, likely a proxy's or firewall's before PanDev` : text ? `: ${text}` : '';
    if (status === 408 || status === 429 || status >= 500) {
      const retryAfterSeconds = parseRetryAfter(response.headers.get('retry-after'));
      return { kind: 'retry', status, reason: `PanDev answered ${status}${said}`, ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}) };
    }
    if (status === 410) return { kind: 'disabled', cause: 'gone', status, reason: `PanDev answered 410 Gone${said}: the ingest endpoint was removed; deliveries are paused until an admin checks the connection again` };
    const refused = credentialRefused(status, said, request.fixIt ?? APP_SETTINGS);
    if (refused) return { kind: 'disabled', status, ...refused };
    return { kind: 'permanent', status, reason: permanentReason(status, said, request, request.fixIt ?? APP_SETTINGS), ...(text ? { answer: text } : {}) };
  } catch (error) {
    // An HTTP client may quote the header it refused, token and all.
    return { kind: 'retry', reason: `PanDev could not be reached: ${withoutSecrets(errorMessage(error), request)}` };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The answer's text (or the error's) goes into reasons that are logged, kept with dead letters and shown
 * on the settings page; an error page that echoes the request's headers (some proxies do) must not carry
 * the token or the signing secret there.
 */
export function withoutSecrets(answer: string, request: Pick<AttemptRequest, 'token' | 'secret'>): string {
  return withoutValues(answer, [request.token, request.secret]);
}

/**
 * A refused token or signature is the configuration's fault and refuses every delivery alike (a token
 * rotated in PanDev before the new one was saved here): burying each would leave an admin replaying all
 * that was sent meanwhile. A 401 always means the credentials; a 403 only when it names them, since
 * PanDev may refuse one payload with a 403 and take the next.
 */
function credentialRefused(status: number, said: string, where: DeliveryFixIt): { cause: 'token' | 'signature'; reason: string } | undefined {
  if (status !== 401 && status !== 403) return undefined;
  const paused = `deliveries are paused and kept in the outbox until ${where.resume}`;
  if (/signature/i.test(said)) return { cause: 'signature', reason: `PanDev refused the signature (${status})${said}: the signing secret saved in ${where.secret} is not the one PanDev has; paste PanDev's secret there (or generate one and paste it into PanDev); ${paused}` };
  if (status === 401 || /token/i.test(said)) return { cause: 'token', reason: `PanDev refused the ingest token (${status})${said}: the token is wrong, expired or revoked; create a new one in PanDev and save it in ${where.token}; ${paused}` };
  return undefined;
}

function permanentReason(status: number, said: string, request: Pick<AttemptRequest, 'body' | 'id' | 'eventKey'>, where: DeliveryFixIt): string {
  const bytes = Buffer.byteLength(request.body);
  if (status === 403) return `PanDev refused this delivery (403)${said}: it names neither the token nor the signature, so PanDev may take others; ask PanDev why, then replay`;
  if (status === 404) return `PanDev answered 404${said}: the PanDev URL probably has an extra path or trailing slash; use the bare host`;
  // Bodies stay within Bitbucket's own 256 KB webhook limit; a smaller limit is PanDev's or a proxy's (nginx's default is 1 MB).
  if (status === 413) return `PanDev refused a ${Math.max(1, Math.round(bytes / 1024))} KB body as too large (413)${said}: PanDev and any proxy before it must accept request bodies up to 256 KB, as Bitbucket's own webhooks can be; raise that limit, then replay`;
  if (status >= 300 && status < 400) return `PanDev answered a redirect (${status})${said}: set the final https URL in ${where.url}`;
  // The body is PanDev's to take: nothing here can change it, and sent again as it is it is refused
  // again. PanDev support needs the id and key to find it in their logs.
  const report = `keep this dead letter and report it to PanDev support with its delivery id ${request.id} and event key ${request.eventKey}; replay it once PanDev is fixed`;
  if (status === 400 || status === 422) return `PanDev rejected the delivery (${status})${said}: PanDev could not take this body; ${report}`;
  return `PanDev rejected the delivery (${status})${said}: ${report}`;
}
