import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { httpClient, MAX_ANSWER_BYTES, TransportError } from '../../src/bridge/http/request';

// The bridge reads each answer of Bitbucket and PanDev whole, and runs with a small heap (deploy/ sets
// --max-old-space-size=80). A URL that leads to something else than the API (a file server, a proxy's
// endless page), or anyone in between, must not be able to make it hold an answer of any size.

let server: Server;
let url: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/declared') {
      // Declares more than the bridge reads and sends nothing: no reason to wait for it.
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': String(MAX_ANSWER_BYTES + 1) });
      res.flushHeaders();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json' });
    const chunk = Buffer.alloc(1024 * 1024, 'x');
    let sent = 0;
    const more = () => {
      while (sent <= MAX_ANSWER_BYTES) {
        sent += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', more);
      }
      res.end();
    };
    res.on('close', () => (sent = Infinity));
    more();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function refusal(path: string): Promise<TransportError> {
  const client = httpClient({ timeoutMs: 20_000 });
  try {
    const outcome = await client.send(`${url}${path}`, { method: 'GET', headers: {} }).then(
      async (response) => `answered ${response.status} with ${(await response.text()).length} characters`,
      (error: unknown) => error,
    );
    expect(outcome).toBeInstanceOf(TransportError);
    return outcome as TransportError;
  } finally {
    client.close();
  }
}

it('gives up on an answer once it is larger than the bridge reads, saying so', async () => {
  const error = await refusal('/sent');
  expect(error.code).toBe('ERESPONSETOOLARGE');
  expect(error.message).toContain(`more than ${MAX_ANSWER_BYTES / 1024 / 1024} MB`);
});

it('refuses an answer whose Content-Length is larger than the bridge reads without waiting for its body', async () => {
  const error = await refusal('/declared');
  expect(error.code).toBe('ERESPONSETOOLARGE');
});
