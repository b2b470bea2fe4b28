import { webPage } from '../../core/deliver/web-page';
import type { BridgeConfig } from '../config/schema';
import { bitbucketBaseUrl } from '../http/setup';
import { TransportError } from '../http/request';
import { ACCESS_TOKEN_SCOPES, API_TOKEN_SCOPES } from '../poll/failure-reason';

// What `check` says when something is wrong: what happened, and what to do about it. One function per
// failure kind, so the wording lives in one place and tests can hold it to its promises.

export interface Finding {
  ok: boolean;
  title: string;
  detail?: string;
}

export const fail = (title: string, detail?: string): Finding => ({ ok: false, title, ...(detail ? { detail } : {}) });
export const pass = (title: string, detail?: string): Finding => ({ ok: true, title, ...(detail ? { detail } : {}) });

export function unreachable(what: 'Bitbucket' | 'PanDev', url: string, error: unknown, caOption: string): Finding {
  if (error instanceof TransportError && error.code === 'ETIMEDOUT') {
    return fail(`${what} did not answer in time (${url})`, `The request timed out. Check that this host can reach ${new URL(url).host} (proxy, firewall, VPN), and that ${what} is up.`);
  }
  if (error instanceof TransportError && url.startsWith('https:') && speaksPlainHttp(error)) {
    const allow = what === 'Bitbucket' ? 'BITBUCKET_ALLOW_HTTP' : 'PANDEV_ALLOW_HTTP';
    return fail(`${what} did not answer TLS at ${url} (${error.code})`, `Something listens at ${new URL(url).host} but answers in plain HTTP, not HTTPS: use the port where ${what} serves https://, or, if it serves plain HTTP only, an http:// URL (to another host only with ${allow}=1, as tokens and bodies then cross the network in clear text).`);
  }
  if (error instanceof TransportError && error.isTls) {
    return fail(`${what}'s TLS certificate is not trusted (${error.code})`, `${url} presents a certificate this host does not trust — typical of an internal or self-signed CA. Save the CA certificate (PEM) to a file and set ${caOption} to its path. Do not turn verification off.`);
  }
  const code = error instanceof TransportError ? error.code : 'ERR_NETWORK';
  const hint = code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? 'The host name does not resolve: check the spelling and this host\'s DNS.' : code === 'ECONNREFUSED' ? 'Nothing listens at that address and port: check the URL\'s port and that the service is up.' : 'Check the URL and the network between this host and it.';
  return fail(`${what} cannot be reached at ${url} (${code})`, hint);
}

/** OpenSSL's words when the first bytes back are no TLS record, as an HTTP server's answer is. */
function speaksPlainHttp(error: TransportError): boolean {
  return /WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG/.test(error.code) || (error.code === 'EPROTO' && /wrong version number|packet length too long|http request/i.test(error.message));
}

export function patRejected(config: BridgeConfig): Finding {
  if (config.bitbucket.edition === 'cloud') {
    return fail('Bitbucket refused the token (401)', config.bitbucket.username
      ? `The API token is wrong, expired or revoked, or BITBUCKET_USERNAME is not the Atlassian account email it belongs to. Create a new API token (Atlassian account → Security → API tokens → Create API token with scopes, app Bitbucket) with the scopes ${API_TOKEN_SCOPES}, and set it as BITBUCKET_TOKEN or in the file BITBUCKET_TOKEN_FILE names.`
      : `The access token is wrong, expired or revoked. Create a new workspace or repository access token with ${ACCESS_TOKEN_SCOPES}, or use an API token together with BITBUCKET_USERNAME (your Atlassian email).`);
  }
  return fail('Bitbucket refused the personal access token (401)', 'The PAT has expired or was revoked (or was copied incompletely). Create a new one in Bitbucket (Profile → Manage account → HTTP access tokens) with Project read and Repository read permissions, then set it as BITBUCKET_TOKEN or in the file BITBUCKET_TOKEN_FILE names.');
}

/** Cloud: the workspace itself refused, which the bridge reads before anything else of a pass. */
export function workspaceUnreadable(config: BridgeConfig, status: number): Finding {
  const workspace = config.bitbucket.workspace!;
  const title = `Bitbucket answered ${status} when reading the workspace ${workspace}, which every pass reads first`;
  if (status === 404) return fail(title, `No workspace ${workspace} that the token can see: BITBUCKET_WORKSPACE is the workspace's slug, as in https://bitbucket.org/<slug>/, not its display name.`);
  return fail(title, config.bitbucket.username
    ? `The API token lacks the scope read:workspace:bitbucket, or its user is not a member of ${workspace}: create an API token with the scopes ${API_TOKEN_SCOPES}, and set it as BITBUCKET_TOKEN or in the file BITBUCKET_TOKEN_FILE names.`
    : `The access token is not one of ${workspace} (check BITBUCKET_WORKSPACE): use a workspace, project or repository access token of ${workspace} with ${ACCESS_TOKEN_SCOPES}.`);
}

/** A 404 (or an HTML page) where the REST API should be: the base URL is not the instance's. */
export function notBitbucket(config: BridgeConfig, status: number, probed: string): Finding {
  const url = new URL(config.bitbucket.url);
  const path = url.pathname.replace(/\/+$/, '');
  if (path && !config.bitbucket.contextPath) {
    return fail(`Bitbucket answered ${status} at ${probed}: BITBUCKET_URL has a path (${path})`, [
      `Use the bare host as BITBUCKET_URL: ${url.origin} — not the address of a page of Bitbucket.`,
      `If your instance really lives under a context path (its REST API is at ${url.origin}/<path>/rest/api/1.0), set BITBUCKET_URL=${url.origin} and BITBUCKET_CONTEXT_PATH=/<path> (YAML: bitbucket.contextPath).`,
    ].join('\n'));
  }
  return fail(`Bitbucket answered ${status} at ${probed}`, `No Bitbucket Data Center REST API at ${bitbucketBaseUrl(config)}. If the instance lives under a context path (e.g. ${url.origin}/bitbucket), set BITBUCKET_CONTEXT_PATH=/bitbucket (YAML: bitbucket.contextPath); otherwise check BITBUCKET_URL.`);
}

const titled = (title: string) => (title ? `a web page: "${title}"` : 'a web page');
const aPage = (title: string) => (title ? `a web page ("${title}")` : 'a web page');

/** 429 or 5xx: Bitbucket (or its proxy) is there but not serving; the address is not the problem. */
export function bitbucketUnavailable(status: number, probed: string): Finding {
  if (status === 429) return fail(`Bitbucket answered 429 at ${probed}`, 'The token\'s user is over Bitbucket\'s rate limit, perhaps because a bridge runs with it already. Try again in a few minutes (on Cloud, within the hour).');
  return fail(`Bitbucket answered ${status} at ${probed}`, 'Bitbucket, or a proxy in front of it, is not serving right now: it may be starting, in maintenance, or down. Try again in a few minutes; if it lasts, ask its administrators.');
}

/** Anything but Bitbucket Cloud's JSON where its REST API should be. */
export function notBitbucketCloud(config: BridgeConfig, status: number, page: string | undefined): Finding {
  const what = page === undefined ? `${status}, not with JSON,` : `${status} with ${aPage(page)}`;
  return fail(`Bitbucket answered ${what} at ${config.bitbucket.url}/2.0/user`, `No Bitbucket Cloud REST API there: BITBUCKET_URL must be https://api.bitbucket.org (the API's host, not https://bitbucket.org or the address of a page).`);
}

export function partialAccess(unreadable: string[], readable: number): Finding {
  return fail(`The token cannot read everything the configuration selects (${unreadable.length} of them)`, [
    ...unreadable.map((what) => `  - ${what}`),
    `The token reads ${readable} other repositories. Give its user Repository read (or Project read) on these, or remove them from BITBUCKET_PROJECTS / BITBUCKET_REPOS.`,
  ].join('\n'));
}

export function pandevWebPage(status: number, title: string, base: string): Finding {
  return fail(`PanDev answered ${status} with ${aPage(title)}, not its ingest API`, `PANDEV_URL (${base}) leads to a web page, such as PanDev's web app or a proxy's sign-in page, where the ingest API should answer: nothing sent there reaches PanDev. Use the ingest base URL PanDev gives for this integration (the bridge appends /v1/bitbucket/webhook/...), reachable from this host without a sign-in.`);
}

export function pandevRefused(status: number, body: string): Finding {
  const page = webPage(null, body);
  const said = page !== undefined ? ` (${titled(page)})` : body ? ` (${body.slice(0, 200)})` : '';
  // As deliveries tell them apart (core/deliver/attempt.ts): PanDev's answer names what it refused, so
  // the fix names the one setting to change rather than both.
  if ((status === 401 || status === 403) && /signature/i.test(said)) {
    return fail(`PanDev refused the signature (${status})${said}`, "The signing secret is not the one PanDev has: put PanDev's secret in PANDEV_SIGNING_SECRET (or the file PANDEV_SIGNING_SECRET_FILE names), or give PanDev this one, then check again.");
  }
  if (status === 401 || (status === 403 && /token/i.test(said))) {
    return fail(`PanDev refused the ingest token (${status})${said}`, 'The token is wrong, expired or revoked: create a new ingest token in PanDev and put it in PANDEV_TOKEN (or the file PANDEV_TOKEN_FILE names), then check again.');
  }
  if (status === 403) return fail(`PanDev refused the test delivery (403)${said}`, 'PanDev names neither the token nor the signature, so it refused this delivery itself: ask PanDev why (its answer is above).');
  if (status === 404) return fail(`PanDev answered 404${said}`, 'PANDEV_URL probably has an extra path or a trailing segment: use the bare base URL PanDev gives (the bridge appends /v1/bitbucket/webhook/...).');
  if (status === 410) return fail('PanDev answered 410 Gone', 'This ingest endpoint was removed: get the current URL from PanDev.');
  return fail(`PanDev answered ${status}${said}`, status >= 500 ? 'PanDev is having trouble; deliveries are retried with backoff, so this may pass by itself.' : 'See PanDev\'s answer above.');
}
