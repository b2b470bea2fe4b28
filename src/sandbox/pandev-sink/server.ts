import { createServer, type ServerResponse } from 'node:http';
import { loopbackHostOnly } from '../browser-guard';
import { leaveIdleConnectionsToClients } from '../idle-connections';
import type { AddressInfo, Socket } from 'node:net';
import { handleAdmin } from './admin';
import { flattenHeaders, readBody, sendText } from './http-util';
import { handleIngest, type IngestContext } from './ingest';
import { SinkState } from './state';
import type { IngestEndpoint, PanDevSink, SinkOptions } from './types';

// A stand-in for PanDev's ingest service: exactly two paths, so a PanDev URL with an extra path
// (e.g. `/api`) gets the 404 the app's connection check must report.

const INGEST_PATHS: Record<string, IngestEndpoint> = {
  '/v1/bitbucket/webhook/merge-request': 'merge-request',
  '/v1/bitbucket/webhook/repository': 'repository',
};

export async function startPanDevSink(options: SinkOptions): Promise<PanDevSink> {
  const state = new SinkState(options.seed ?? 1);
  const held = new Map<Socket, NodeJS.Timeout>();
  const ingest: IngestContext = {
    state,
    options,
    hold(res: ServerResponse, ms: number) {
      const socket = res.socket;
      if (!socket) return;
      held.set(socket, setTimeout(() => {
        held.delete(socket);
        socket.destroy();
      }, ms));
    },
  };

  const server = createServer(loopbackHostOnly((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    readBody(req).then(
      (raw) => {
        if (url.pathname.startsWith('/_sink/')) return handleAdmin(state, req, res, url, raw);
        const endpoint = INGEST_PATHS[url.pathname];
        if (endpoint && req.method === 'POST') return handleIngest(ingest, req, res, raw, endpoint);
        const rejection = endpoint
          ? { reason: `method ${req.method ?? ''} not allowed`, status: 405, headers: flattenHeaders(req.headers) }
          : { reason: `no ingest path ${url.pathname}`, status: 404, headers: flattenHeaders(req.headers) };
        state.reject(rejection);
        options.onReject?.(rejection);
        sendText(res, rejection.status, rejection.reason, endpoint ? { allow: 'POST' } : {});
      },
      (error: Error) => sendText(res, 413, error.message),
    );
  }));
  leaveIdleConnectionsToClients(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    deliveries: () => state.deliveries(),
    received: () => state.received,
    duplicates: () => state.duplicates,
    rejected: () => state.rejected(),
    pings: () => state.pings,
    stats: () => state.stats(),
    setFaults: (plan) => state.setFaults(plan),
    respondNext: (status, times, body, eventKey) => state.respondNext(status, times, body, eventKey),
    respondNormally: () => state.clearScripted(),
    waitFor: (count, timeoutMs = 10_000) => state.waitFor(count, timeoutMs),
    clear: () => state.clear(),
    async stop() {
      for (const [socket, timer] of held) {
        clearTimeout(timer);
        socket.destroy();
      }
      held.clear();
      state.abortWaiters('sink stopped');
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
