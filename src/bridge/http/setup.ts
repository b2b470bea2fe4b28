import type { Logger } from '../../core/ports';
import type { BridgeConfig } from '../config/schema';
import type { BridgeMetrics } from '../ops/metrics';
import { authorizationHeader, type BitbucketHttp } from './bitbucket';
import { limiter } from './limiter';
import { httpClient } from './request';
import { rotatingSecret } from '../config/secret-file';

// Bitbucket's base URL and the HTTP stack toward it, from the configuration. For Data Center the base
// is the host plus its context path (given as `contextPath`, or as the URL's own path); for Cloud
// the API host.

export function bitbucketBaseUrl(config: BridgeConfig): string {
  const url = new URL(config.bitbucket.url);
  const path = config.bitbucket.contextPath ?? url.pathname.replace(/\/+$/, '');
  return `${url.origin}${path}`;
}

/** The id every delivery id of this instance includes: set it explicitly to survive a host rename. */
export function instanceId(config: BridgeConfig): string {
  return config.bitbucket.instanceId ?? bitbucketBaseUrl(config).toLowerCase();
}

export function bitbucketHttp(config: BridgeConfig, extras: { metrics?: BridgeMetrics; log?: Logger } = {}): BitbucketHttp & { signal: AbortSignal; close(): void; stop(): void } {
  const { bitbucket } = config;
  const stopping = new AbortController();
  const client = httpClient({ timeoutMs: bitbucket.timeoutSeconds * 1000, maxSockets: bitbucket.concurrency, ...(bitbucket.caFile ? { caFile: bitbucket.caFile } : {}) });
  const token = rotatingSecret(bitbucket.token, bitbucket.tokenFile, 'the Bitbucket token', { ...(extras.log ? { log: extras.log } : {}), inHeader: true });
  const http = {
    baseUrl: bitbucketBaseUrl(config),
    authorization: authorizationHeader(bitbucket.token, bitbucket.username),
    reauthorize: () => {
      if (!token.reread()) return false;
      http.authorization = authorizationHeader(token.value, bitbucket.username);
      return true;
    },
    send: client.send,
    limiter: limiter({ ratePerSecond: bitbucket.requestsPerSecond, burst: bitbucket.burst, concurrency: bitbucket.concurrency }),
    ...(extras.metrics ? { metrics: extras.metrics } : {}),
    ...(extras.log ? { log: extras.log } : {}),
    signal: stopping.signal,
    close: client.close,
    stop: () => stopping.abort(),
  };
  return http;
}
