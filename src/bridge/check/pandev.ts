import { randomUUID } from 'node:crypto';
import { withoutSecrets } from '../../core/deliver/attempt';
import { sign } from '../../core/deliver/sign';
import { ingestPaths } from '../../core/change/event-keys';
import type { BridgeConfig } from '../config/schema';
import { USER_AGENT } from '../context';
import { httpClient } from '../http/request';
import { pandevRefused, pandevWebPage, pass, unreachable, type Finding } from './explain';
import { webPage } from '../../core/deliver/web-page';
import { printable } from '../cli/printable';

// A signed ping to PanDev's ingest endpoint (X-Event-Key diagnostics:ping, as Bitbucket's own "test
// connection" does): proves the URL, the token and the signing secret in one request.

export async function checkPanDev(config: BridgeConfig): Promise<Finding> {
  const client = httpClient({ timeoutMs: 10_000, ...(config.pandev.caFile ? { caFile: config.pandev.caFile } : {}) });
  const url = config.pandev.url.replace(/\/+$/, '') + ingestPaths.repository;
  const body = JSON.stringify({ test: true });
  try {
    const response = await client.send(url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'User-Agent': USER_AGENT,
        Authorization: `Bearer ${config.pandev.token}`,
        'X-Event-Key': 'diagnostics:ping',
        'X-Request-UUID': randomUUID(),
        'X-Attempt-Number': '1',
        'X-Hub-Signature': sign(config.pandev.signingSecret, body),
        'X-PanDev-Edition': config.bitbucket.edition,
        // As the app's connection check marks its ping: PanDev can tell a test from polled data.
        'X-PanDev-Origin': 'diagnostics',
      },
      body,
    });
    const text = withoutSecrets(await response.text(), { token: config.pandev.token, secret: config.pandev.signingSecret }).replace(/\s+/g, ' ').trim();
    const page = webPage(response.headers.get('content-type'), text);
    if (response.status >= 200 && response.status < 300) {
      return page === undefined ? pass(`PanDev accepted a signed test delivery at ${config.pandev.url}`) : pandevWebPage(response.status, page, config.pandev.url);
    }
    return pandevRefused(response.status, text);
  } catch (error) {
    return unreachable('PanDev', url, error, 'PANDEV_CA_FILE');
  } finally {
    client.close();
  }
}

export function describeFindings(findings: Finding[]): string {
  return printable(findings.map((f) => `${f.ok ? 'ok  ' : 'FAIL'} ${f.title}${f.detail ? `\n     ${f.detail.split('\n').join('\n     ')}` : ''}`).join('\n'));
}

