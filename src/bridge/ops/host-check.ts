import { isIP } from 'node:net';
import { isLoopback } from '../config/schema';

// DNS rebinding: a web page the operator opens can make its own host name resolve to 127.0.0.1, and
// the browser then lets that page read what a listener it reaches answers: /metrics names every
// PROJECT/slug polled. That includes a listener on 0.0.0.0 inside a container published on the host's
// 127.0.0.1 (deploy/Dockerfile), so the check is not tied to the listening address. The page cannot
// choose the Host header the browser sends, which names the page's host: /metrics and /healthz answer
// only Hosts that are an IP address (no name, nothing to rebind: Kubernetes probes and Prometheus
// scraping pod addresses send these), localhost, the listening host, or a name the operator gave.
// Webhooks are not checked: Data Center posts them under the bridge's own host name, and an unsigned
// POST reads nothing.

export const ALLOWED_HOSTS = { env: 'BRIDGE_ALLOWED_HOSTS', yaml: 'bridge.allowedHosts' };

/** Answers why a request's Host header is refused, or undefined to serve it. */
export type HostCheck = (host: string | undefined) => string | undefined;

export function hostCheck(listenHost: string, allowed: readonly string[]): HostCheck {
  const names = new Set([listenHost, ...allowed].map(bare));
  return (host) => {
    // Browsers always send one; a probe speaking HTTP/1.0 may not, and is no page in a browser.
    if (host === undefined) return undefined;
    const name = hostname(host);
    if (name !== undefined && (isIP(name) !== 0 || isLoopback(name) || names.has(name))) return undefined;
    return `Host ${JSON.stringify(host.slice(0, 100))} is not a name of this bridge: /metrics and /healthz answer requests to an IP address, localhost${allowed.length ? `, ${allowed.join(', ')}` : ''} or the listening host (${listenHost}) only, so that no web page can read them through a browser (DNS rebinding). If you reach the bridge by this name (Prometheus scraping a DNS name, a reverse proxy, a tunnel), add it to ${ALLOWED_HOSTS.env} (YAML: ${ALLOWED_HOSTS.yaml}), comma-separated`;
  };
}

/** The Host header's name without its port, as the allow-list holds it; undefined when it is no host. */
function hostname(host: string): string | undefined {
  try {
    return bare(new URL(`http://${host}`).hostname);
  } catch {
    return undefined;
  }
}

function bare(name: string): string {
  return name.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase();
}
