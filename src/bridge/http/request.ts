import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { HttpRequestInit, HttpResponse, HttpSend } from '../../core/ports';

// Outbound HTTP for the bridge with node:http(s) rather than fetch: a custom CA (self-signed Data
// Center instances, internal PanDev hosts) is an agent option here, while fetch would need an extra
// dependency for it. Keep-alive agents reuse connections across a pass.

export class TransportError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'TransportError';
  }

  get isTls(): boolean {
    return /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/.test(this.code);
  }
}

/**
 * The most of one answer the bridge reads. A page of Bitbucket's API at the sizes the bridge asks for
 * (a thousand repositories, five hundred changed files) is a few MB, and PanDev answers a few KB.
 */
export const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

export interface HttpClientOptions {
  caFile?: string;
  timeoutMs: number;
  maxSockets?: number;
}

export function httpClient(options: HttpClientOptions): { send: HttpSend; close(): void } {
  const ca = options.caFile ? readFileSync(options.caFile) : undefined;
  const agents = {
    'http:': new http.Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 8 }),
    'https:': new https.Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 8, ...(ca ? { ca } : {}) }),
  };
  const send: HttpSend = (url, init) => request(new URL(url), init, agents, options.timeoutMs);
  return { send, close: () => Object.values(agents).forEach((agent) => agent.destroy()) };
}

function request(url: URL, init: HttpRequestInit, agents: Record<string, http.Agent>, timeoutMs: number): Promise<HttpResponse> {
  const agent = agents[url.protocol];
  if (!agent) return Promise.reject(new TransportError('ERR_PROTOCOL', `unsupported protocol ${url.protocol}`));
  const lib = url.protocol === 'https:' ? https : http;
  return new Promise<HttpResponse>((resolve, reject) => {
    const req = lib.request(url, { method: init.method, headers: init.headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      const tooLarge = () => void req.destroy(new TransportError('ERESPONSETOOLARGE', `${url.host} answered more than ${MAX_ANSWER_BYTES / 1024 / 1024} MB, far more than an answer of Bitbucket's API or PanDev's ingest is: check that the URL leads to the API itself, not a page, a file or a proxy in front of something else`));
      // Known too large from its headers: not a byte of it is read.
      if (Number(res.headers['content-length'] ?? 0) > MAX_ANSWER_BYTES) return tooLarge();
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_ANSWER_BYTES) return tooLarge();
        chunks.push(chunk);
      });
      res.on('error', (error) => reject(wrap(error, url)));
      res.on('end', () => {
        done();
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({
          status: res.statusCode ?? 0,
          headers: { get: (name) => headerValue(res.headers[name.toLowerCase()]) },
          text: async () => text,
        });
      });
    });
    // One deadline for the whole exchange: a server that trickles bytes cannot hold a worker forever.
    const timer = setTimeout(() => req.destroy(new TransportError('ETIMEDOUT', `no complete answer from ${url.host} within ${timeoutMs} ms`)), timeoutMs);
    const abort = () => req.destroy(new TransportError('ABORTED', 'request aborted'));
    // One signal may serve every request of a process (the bridge's stop): each takes its listener off.
    const done = () => {
      clearTimeout(timer);
      init.signal?.removeEventListener('abort', abort);
    };
    req.on('error', (error) => {
      done();
      reject(wrap(error, url));
    });
    if (init.signal?.aborted) abort();
    else init.signal?.addEventListener('abort', abort);
    if (init.body !== undefined) req.write(init.body);
    req.end();
  });
}

function headerValue(value: string | string[] | undefined): string | null {
  if (value === undefined) return null;
  return Array.isArray(value) ? value.join(', ') : value;
}

function wrap(error: Error, url: URL): TransportError {
  if (error instanceof TransportError) return error;
  const code = (error as NodeJS.ErrnoException).code ?? 'ERR_NETWORK';
  return new TransportError(code, `${url.host}: ${error.message} (${code})`);
}
