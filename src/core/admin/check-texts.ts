import type { CheckItem } from '../../contract/connection';
import type { AttemptOutcome } from '../deliver/attempt';
import { webPage } from '../deliver/web-page';

// What PanDev's answer to the test delivery means for the admin, in the words of the troubleshooting
// guide but naming their own URL and host, so each text says exactly what to change.

const README_EGRESS = 'see "PanDev on premises" in the README';

export function explainPing(outcome: AttemptOutcome, url: string, baseUrl: string, timeoutMs: number): CheckItem {
  const { origin, host } = new URL(baseUrl);
  const item = (status: CheckItem['status'], title: string, detail: string): CheckItem => ({ key: 'pandev', status, title, detail });
  switch (outcome.kind) {
    case 'delivered':
      return item('pass', `PanDev answered ${outcome.status}`, `PanDev at ${origin} accepted the ingest token and the signature of a test delivery.`);
    case 'disabled':
      if (outcome.cause === 'signature') {
        return item('fail', `PanDev refused the signature (${outcome.status})`, 'The signing secret saved here is not the one PanDev has. Paste PanDev\'s secret under Signing secret, or generate one here and paste it into PanDev, then check again.');
      }
      if (outcome.cause === 'token') {
        return item('fail', `PanDev refused the ingest token (${outcome.status})`, 'The token is wrong, expired or revoked. Create a new ingest token in PanDev, paste it under Ingest token, save and check again.');
      }
      if (outcome.cause === 'web-page') return item('fail', `PanDev's URL answered ${outcome.status} with a web page`, `${url} answers a web page, not PanDev's ingest API: the PanDev URL probably points at PanDev's web app or a sign-in page. Use the API's base URL PanDev gives for this integration; deliveries stay paused until a check passes.`);
      return item('fail', 'PanDev answered 410 Gone', `The ingest endpoint ${url} was removed. Check the URL with PanDev; deliveries stay paused until a check passes.`);
    case 'retry': {
      if (outcome.status !== undefined) {
        return item('fail', `PanDev answered ${outcome.status}`, 'PanDev is reachable but could not take the test delivery now. Try again in a few minutes; if it persists, check PanDev\'s own status.');
      }
      if (/external fetch backend permissions/i.test(outcome.reason)) {
        return item('fail', `The app may not call ${host}`, `Forge only lets the app reach hosts its manifest names. Add ${origin} under permissions.external.fetch.backend in manifest.yml and deploy again (${README_EGRESS}).`);
      }
      const waited = /no answer within/i.test(outcome.reason);
      const title = waited ? `PanDev did not answer within ${Math.round(timeoutMs / 100) / 10} s` : 'PanDev could not be reached';
      return item('fail', title, `PanDev is not reachable from Atlassian's cloud at ${origin}${waited ? '' : ` (${outcome.reason.replace(/^PanDev could not be reached: /, '')})`}. Check that this is PanDev's public URL, not an intranet or VPN address, and that the app's egress allows ${host} (${README_EGRESS}).`);
    }
    case 'permanent':
      return permanent(outcome, url, baseUrl, item);
  }
}

function permanent(outcome: Extract<AttemptOutcome, { kind: 'permanent' }>, url: string, baseUrl: string, item: (s: CheckItem['status'], t: string, d: string) => CheckItem): CheckItem {
  const { origin, pathname } = new URL(baseUrl);
  const status = outcome.status;
  if (status === 404) {
    const extra = pathname.replace(/\/+$/, '');
    return extra
      ? item('fail', 'PanDev answered 404 Not Found', `The URL has an extra path (${extra}): the app posted to ${url}. Use the bare host, ${origin}, save and check again.`)
      : item('fail', 'PanDev answered 404 Not Found', `${origin} has no Bitbucket ingest at ${new URL(url).pathname}. Check that this is PanDev's address (not a proxy or another service) and that its Bitbucket integration is enabled.`);
  }
  if (status >= 300 && status < 400) {
    return item('fail', `PanDev answered a redirect (${status})`, `Deliveries do not follow redirects. Set the final https URL of PanDev instead of ${origin}.`);
  }
  // PanDev's ingest refuses in JSON or plain words: a page is a firewall's, a proxy's or a sign-in
  // gateway's, and its HTML quoted back tells the admin nothing.
  const page = outcome.answer === undefined ? undefined : webPage(null, outcome.answer);
  if (page !== undefined) {
    return item('fail', `A web page answered ${status}, not PanDev`, `${url} answered ${status} with a web page${page ? ` ("${page}")` : ''}: a firewall or proxy in front of PanDev probably refused the app before PanDev saw the request. Have it let Atlassian's cloud reach ${origin} (${README_EGRESS}), or use the URL PanDev gives for this integration, then check again.`);
  }
  // The dead letter's reason tells what to do with a refused delivery; a test delivery is none to keep.
  const said = outcome.answer ? `PanDev said: ${outcome.answer}. ` : '';
  return item('fail', `PanDev rejected the test delivery (${status})`, `${said}PanDev could not take the app's test delivery: check the URL and the token with PanDev, and ask PanDev what it expects if both are right.`);
}
