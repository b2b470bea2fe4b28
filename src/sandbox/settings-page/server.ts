import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { loopbackHostOnly, refuseBrowserCall } from '../browser-guard';
import { leaveIdleConnectionsToClients } from '../idle-connections';

// Serves the sandbox build of the settings page (dist/settings-sandbox, built with a local bridge in
// place of @forge/bridge) and passes its resolver calls to the local Forge host, on one loopback
// origin so the page needs no CORS. Like Bitbucket, it frames nothing and trusts only loopback, and
// only its own pages: it calls the host as the admin, so another site's page must not reach through.

export interface SettingsPageOptions {
  /** The local Forge host's ingress (it serves POST /resolver/<functionKey>). */
  hostUrl: string;
  /** Atlassian account ids the page can act as: `?as=member` picks the member. */
  accounts: { admin: string; member: string };
  /** Default: dist/settings-sandbox beside src/ (or dist/ when compiled). */
  dir?: string;
  /** The pull request card's sandbox build, served under /card/ (default: dist/card-sandbox). */
  cardDir?: string;
  port?: number;
}

export interface SettingsPage {
  url: string;
  stop(): Promise<void>;
}

export const defaultSettingsPageDir = path.resolve(__dirname, '..', '..', '..', 'dist', 'settings-sandbox');
export const defaultCardDir = path.resolve(__dirname, '..', '..', '..', 'dist', 'card-sandbox');

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png', '.woff2': 'font/woff2' };
const RESOLVERS = new Set(['/resolver/settings-resolver', '/resolver/card-resolver']);
const CARD = '/card/';

export async function startSettingsPage(options: SettingsPageOptions): Promise<SettingsPage> {
  const dir = options.dir ?? defaultSettingsPageDir;
  const cardDir = options.cardDir ?? defaultCardDir;
  if (!existsSync(path.join(dir, 'index.html'))) throw new Error(`the sandbox settings page is not built (${dir}): run npm run build`);
  const server = createServer(loopbackHostOnly((req, res) => {
    const { pathname } = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method === 'POST' && RESOLVERS.has(pathname)) {
      const refusal = refuseBrowserCall(req);
      if (refusal) {
        req.resume();
        res.writeHead(refusal.status, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ error: refusal.error }));
      }
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        fetch(`${options.hostUrl}${pathname}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.concat(chunks) })
          .then(async (answer) => {
            res.writeHead(answer.status, { 'content-type': 'application/json' });
            res.end(await answer.text());
          })
          .catch((error: unknown) => {
            res.writeHead(502, { 'content-type': 'application/json' });
            res.end(JSON.stringify({ error: `the local Forge host did not answer: ${error instanceof Error ? error.message : String(error)}` }));
          });
      });
      return;
    }
    if (req.method !== 'GET') return void res.writeHead(405).end();
    if (pathname === '/sandbox/accounts.json') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify(options.accounts));
    }
    // Only files under the build folder; anything else is the page itself.
    const [root, rest] = pathname.startsWith(CARD) ? [cardDir, pathname.slice(CARD.length - 1)] : [dir, pathname];
    const file = path.resolve(root, `.${rest === '/' ? '/index.html' : rest}`);
    const target = file.startsWith(root + path.sep) && existsSync(file) ? file : path.join(root, 'index.html');
    readFile(target).then(
      (body) => {
        res.writeHead(200, { 'content-type': TYPES[path.extname(target)] ?? 'application/octet-stream', 'x-frame-options': 'DENY' });
        res.end(body);
      },
      () => void res.writeHead(500).end(),
    );
  }));
  leaveIdleConnectionsToClients(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    stop: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
