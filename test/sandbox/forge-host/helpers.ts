import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { startForgeHost, type ForgeHost, type ForgeHostOptions, type HostLogLine } from '../../../src/sandbox/forge-host';

export const WORKSPACE = '{4c16a397-8e48-479c-8ca2-442e46c90570}';

export interface TestHost {
  host: ForgeHost;
  lines: HostLogLine[];
}

export async function startTestHost(overrides: Partial<ForgeHostOptions> = {}): Promise<TestHost> {
  const lines: HostLogLine[] = [];
  const host = await startForgeHost({
    appDir: path.join(__dirname, 'app'),
    // Loaded through the host, after its globals: @forge/api binds global fetch when first loaded.
    loadApp: () => jest.requireActual<Record<string, unknown>>('./app/index'),
    bitbucket: { baseUrl: 'http://127.0.0.1:9', appToken: 'app-token' },
    workspaceUuid: WORKSPACE,
    timeScale: 0.001,
    logger: (line) => lines.push(line),
    ...overrides,
  });
  return { host, lines };
}

/** A stand-in for the Bitbucket API that echoes what the proxy sent. */
export async function startEchoServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => {
    if (req.url?.includes('nope')) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      return res.end('Repository not found');
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ path: req.url, authorization: req.headers.authorization ?? null }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
