import { createServer, type Server } from 'node:http';
import { z } from 'zod';
import { dcClient } from '../../src/core/enrich/datacenter/client';

// Data Center pages by offsets: `nextPageStart` says where the next page begins. An instance (or a
// proxy before it) that says "not the last page" but drops nextPageStart must not end the list silently.

const ITEMS = Array.from({ length: 25 }, (_, n) => ({ id: n }));
let server: Server;
let base = '';
/** How the server answers each page: 'honest' gives nextPageStart; 'no-next' leaves it out; 'stuck' answers the same page, empty, and never the last. */
let mode: 'honest' | 'no-next' | 'stuck' = 'honest';

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url!, 'http://127.0.0.1');
    const start = Number(url.searchParams.get('start') ?? 0);
    const limit = Number(url.searchParams.get('limit') ?? 10);
    const values = mode === 'stuck' ? [] : ITEMS.slice(start, start + limit);
    const isLastPage = mode !== 'stuck' && start + limit >= ITEMS.length;
    const next = mode === 'honest' && !isLastPage ? { nextPageStart: start + values.length } : {};
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ size: values.length, limit, start, isLastPage, values, ...next }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function readAll(): Promise<{ ids: number[]; capped?: { read: number; next: number } }> {
  const client = dcClient((target) => fetch(base + target));
  const ids: number[] = [];
  let capped: { read: number; next: number } | undefined;
  for await (const page of client.pages({ endpoint: 'projects' }, z.object({ id: z.number() }), { limit: 10, maxPages: 10, onCapped: (read, next) => (capped = { read, next }) })) ids.push(...page.map((item) => item.id));
  return { ids, ...(capped ? { capped } : {}) };
}

it.each([['gives', 'honest'], ['leaves out', 'no-next']] as const)('reads every page when the instance %s nextPageStart', async (_, how) => {
  mode = how;
  expect(await readAll()).toEqual({ ids: ITEMS.map((item) => item.id) });
});

it('ends a list whose pages move nothing on, and says it was cut short', async () => {
  mode = 'stuck';
  expect(await readAll()).toEqual({ ids: [], capped: { read: 0, next: 0 } });
});
