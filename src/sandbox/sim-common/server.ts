// The HTTP server and live-activity bookkeeping both simulators start and stop the same way, shared so
// a fix to either (loopback only, the 503 before handlers are ready, closing) reaches both.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loopbackHostOnly } from '../browser-guard';
import { leaveIdleConnectionsToClients } from '../idle-connections';
import { send } from './http';

export type Dispatch = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export interface LoopbackServer {
  /** `http://127.0.0.1:<port>`. */
  origin: string;
  /** Plugs in the handlers; until then every request answers 503 (they need `origin`: links are absolute). */
  serve(dispatch: Dispatch): void;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 (`port` 0: any free one); `label` names the simulator in logs. */
export async function listenOnLoopback(label: string, port = 0): Promise<LoopbackServer> {
  let dispatch: Dispatch | undefined;
  const server = createServer(loopbackHostOnly((req, res) => {
    if (!dispatch) return send(res, { status: 503, text: 'starting' });
    dispatch(req, res).catch((error: unknown) => {
      console.error(`${label}: request failed`, error);
      if (!res.headersSent) send(res, { status: 500, text: 'internal error' });
    });
  }));
  leaveIdleConnectionsToClients(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    serve: (handler) => {
      dispatch = handler;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Live-activity loops started through a simulator, so its stop() ends those their callers left running. */
export function liveActivities(start: (intervalMs: number) => () => void) {
  const running = new Set<() => void>();
  return {
    start(options: { intervalMs?: number } = {}): () => void {
      const stop = start(options.intervalMs ?? 2000);
      running.add(stop);
      return () => {
        stop();
        running.delete(stop);
      };
    },
    stopAll(): void {
      running.forEach((stop) => stop());
    },
  };
}
