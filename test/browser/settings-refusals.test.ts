import { browserSandbox, saveConnection, screenshot, seriousViolations, type BrowserSandbox } from './helpers';

// Issue 3, what goes wrong, in a real browser: a member who is not an admin, a wrong token, a URL with
// a path. Each shows the specific text, and the page stays accessible while it does.

let env: BrowserSandbox;
beforeAll(async () => (env = await browserSandbox()));
afterAll(() => env.stop());

it('refuses a member who is not a workspace admin, and shows nothing else', async () => {
  const tab = await env.open('member');
  await tab.getByRole('heading', { name: 'Administrators only' }).waitFor();
  await tab.getByText('Only administrators of this Bitbucket workspace can view or change PanDev Metrics settings.', { exact: false }).waitFor();
  expect(await tab.getByRole('heading', { name: 'Connection' }).count()).toBe(0);
  expect(await seriousViolations(tab)).toEqual([]);
});

it('names the field of a URL that is not https', async () => {
  const tab = await env.open();
  await tab.getByLabel('PanDev URL').fill('http://pandev.example.com');
  await tab.getByRole('button', { name: 'Save', exact: true }).click();
  await tab.getByText('must start with https:// (plain http:// is accepted only for 127.0.0.1, localhost and ::1)').waitFor();
  expect(await tab.getByLabel('PanDev URL').getAttribute('aria-describedby')).toContain('baseUrl-error');
});

it('shows the 401 text for a wrong token', async () => {
  const { sb } = env;
  const tab = await env.open();
  await saveConnection(tab, { baseUrl: sb.pandev.url, token: 'revoked-0000-token', signingSecret: sb.pandev.signingSecret });
  await tab.getByRole('button', { name: 'Check connection' }).click();
  await tab.getByRole('heading', { name: 'PanDev refused the ingest token (401)' }).waitFor();
  await tab.getByText('The token is wrong, expired or revoked. Create a new ingest token in PanDev, paste it under Ingest token, save and check again.').waitFor();
  expect(await tab.getByRole('button', { name: 'Activate' }).isDisabled()).toBe(true);
});

it('shows the 404 text for a URL with a path, and stays accessible with the failures shown', async () => {
  const { sb } = env;
  const tab = await env.open();
  await saveConnection(tab, { baseUrl: `${sb.pandev.url}/pandev`, token: sb.pandev.token });
  await tab.getByRole('button', { name: 'Check connection' }).click();
  await tab.getByRole('heading', { name: 'PanDev answered 404 Not Found' }).waitFor();
  await tab.getByText(`The URL has an extra path (/pandev): the app posted to ${sb.pandev.url}/pandev/v1/bitbucket/webhook/repository. Use the bare host, ${sb.pandev.url}, save and check again.`).waitFor();
  await screenshot(tab, 'settings-page-check-failed.png');
  expect(await seriousViolations(tab)).toEqual([]);
});

it('generates a signing secret and shows it once, with a copy button', async () => {
  const tab = await env.open();
  await tab.getByRole('button', { name: 'Generate' }).click();
  const secret = await tab.getByTestId('generated-secret').innerText();
  expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
  await tab.getByRole('button', { name: 'Copy' }).waitFor();
  await tab.reload();
  await tab.getByText(`Saved, ends in ${secret.slice(-4)}.`, { exact: false }).waitFor();
  expect(await tab.content()).not.toContain(secret);
});
