import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startDcSimulator, type DcSimulator } from '../../src/sandbox/dc-sim';
import { startSettingsPage, type SettingsPage } from '../../src/sandbox/settings-page/server';
import { testSandbox, type TestSandbox } from '../e2e/helpers';

// A web page can reach the sandbox's loopback servers under its own domain by DNS rebinding: its
// requests are then same-origin (GETs carry no Origin), but the Host header still names its domain.

let sb: TestSandbox;
let dc: DcSimulator;
let page: SettingsPage;
let dir: string;

beforeAll(async () => {
  sb = await testSandbox({ connect: false });
  dc = await startDcSimulator({ seed: 'host-check' });
  dir = mkdtempSync(path.join(tmpdir(), 'loopback-host-'));
  writeFileSync(path.join(dir, 'index.html'), '<div id="root"></div>');
  page = await startSettingsPage({ hostUrl: sb.host.url, accounts: { admin: 'a', member: 'm' }, dir, cardDir: dir });
});
afterAll(async () => {
  await page.stop();
  await dc.stop();
  await sb.stop();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * A GET with the Host header set by hand (fetch does not let the caller choose it), of `url`'s path or
 * of a raw request target (`path`), which `fetch` and `new URL` would normalise.
 */
const get = (url: string, host?: string, path?: string): Promise<{ status: number; body: string }> =>
  new Promise((resolve, reject) => {
    const target = new URL(url);
    const options = { host: '127.0.0.1', port: target.port, path: path ?? `${target.pathname}${target.search}`, headers: host === undefined ? {} : { host } };
    const req = request(options, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });

const servers = (): Array<[string, string]> => [
  ['cloud simulator', `${sb.simulator.url}/_sim/stats`],
  ['data center simulator', `${dc.url}/_sim/stats`],
  ['PanDev receiver', `${sb.sink.url}/_sink/deliveries`],
  ['local Forge host', `${sb.host.url}/health`],
  ['settings page', `${page.url}sandbox/accounts.json`],
];

it('every sandbox server refuses a request addressed to another host name', async () => {
  for (const [name, url] of servers()) {
    const port = new URL(url).port;
    const rebound = await get(url, `evil.example:${port}`);
    expect([name, rebound.status]).toEqual([name, 421]);
    expect(rebound.body).toContain(`http://127.0.0.1:${port}`);
  }
});

it('answers the loopback names it is reached by', async () => {
  for (const [name, url] of servers()) {
    const port = new URL(url).port;
    for (const host of [undefined, `localhost:${port}`]) {
      const answer = await get(url, host);
      expect([name, host, answer.status]).toEqual([name, host, 200]);
    }
  }
});

it('answers 400 to a request target that is no path, and goes on serving', async () => {
  // `//[` reads as a protocol-relative URL with no valid host: `new URL` throws on it, and a throw in
  // a listener would end `npm start` (and the test run) at one request.
  for (const [name, url] of servers()) {
    for (const target of ['//', '//[', '/\\[', '*']) {
      const answer = await get(url, undefined, target);
      expect([name, target, answer.status]).toEqual([name, target, 400]);
      expect(answer.body).toContain('request target');
    }
    expect([name, (await get(url)).status]).toEqual([name, 200]);
  }
});
