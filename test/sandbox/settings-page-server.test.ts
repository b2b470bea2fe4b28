import type { SettingsPage } from '../../src/sandbox/settings-page/server';
import type { TestSandbox } from '../e2e/helpers';
import { sandboxWithPage } from './page-helpers';

// The page server passes the page's resolver calls to the local Forge host as the workspace admin:
// a web page of another origin open in the same browser must not be able to do the same.

let sb: TestSandbox;
let page: SettingsPage;
let stop: () => Promise<void>;

beforeAll(async () => ({ sb, page, stop } = await sandboxWithPage({ connect: false }, 'settings-page')));
afterAll(() => stop());

const save = (headers: Record<string, string>): Promise<Response> =>
  fetch(`${page.url}resolver/settings-resolver`, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      call: { functionKey: 'connection/save', payload: { baseUrl: 'https://collector.evil.example', token: 'attacker-token-0123456789' } },
      accountId: sb.simulator.credentials.admin.user.account_id,
    }),
  });

const savedBaseUrl = async (): Promise<unknown> => {
  const answer = await fetch(`${page.url}resolver/settings-resolver`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: page.url.replace(/\/$/, '') },
    body: JSON.stringify({ call: { functionKey: 'connection/get', payload: {} }, accountId: sb.simulator.credentials.admin.user.account_id }),
  });
  expect(answer.status).toBe(200);
  return ((await answer.json()) as { result: { data: { baseUrl?: unknown } } }).result.data.baseUrl;
};

it('refuses resolver calls a page of another origin can send without a preflight', async () => {
  const before = await savedBaseUrl();
  // A form on http://evil.example, or its fetch with mode no-cors: text/plain, no preflight.
  const forged = await save({ 'content-type': 'text/plain;charset=UTF-8', origin: 'http://evil.example' });
  expect([forged.status, await forged.json()]).toEqual([403, { error: expect.stringContaining('http://evil.example') }]);
  expect((await save({ 'content-type': 'application/json', origin: 'http://evil.example' })).status).toBe(403);
  expect((await save({ 'content-type': 'text/plain' })).status).toBe(415);
  expect(await savedBaseUrl()).toEqual(before);
});

it('still serves the page itself, by either loopback name', async () => {
  const port = new URL(page.url).port;
  for (const origin of [`http://127.0.0.1:${port}`, `http://localhost:${port}`]) {
    const answer = await save({ 'content-type': 'application/json', origin });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ result: { ok: true } });
  }
  expect(await savedBaseUrl()).toBe('https://collector.evil.example');
});
