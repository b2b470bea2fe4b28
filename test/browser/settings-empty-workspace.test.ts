import { browserSandbox, saveConnection, type BrowserSandbox } from './helpers';

// A workspace with no repositories yet: the page says so, instead of a search that matched nothing,
// and once activated no longer says the backfill waits for the activation.

let env: BrowserSandbox;
beforeAll(async () => (env = await browserSandbox({ simulator: { repositories: 0 }, liveEvents: false, scheduledTriggers: false })));
afterAll(() => env.stop());

it('says the workspace has no repositories yet, and that new ones will be forwarded', async () => {
  const tab = await env.open();
  await tab.getByText('This workspace has no repositories yet.', { exact: true }).waitFor();
  const message = tab.getByTestId('status').locator('section', { hasText: 'every repository created in it is forwarded from its first event' });
  await message.waitFor();
  // Information, not a warning: nothing here needs the admin.
  expect(await message.getByRole('img', { name: 'information' }).count()).toBe(1);
  expect(await message.getByRole('img', { name: 'warning' }).count()).toBe(0);
  expect(await tab.getByText('No repository matches.').count()).toBe(0);
  expect(await tab.getByText('Needs attention', { exact: true }).count()).toBe(0);
});

it('once activated, does not say the backfill starts on activation', async () => {
  const { sb } = env;
  const tab = await env.open();
  await saveConnection(tab, { baseUrl: sb.pandev.url, token: sb.pandev.token, signingSecret: sb.pandev.signingSecret });
  await tab.getByRole('button', { name: 'Check connection' }).click();
  await tab.getByRole('heading', { name: 'PanDev answered 200' }).waitFor();
  await tab.getByRole('button', { name: 'Activate' }).click();
  await tab.getByText('Activated.', { exact: false }).waitFor();
  await tab.getByTestId('status').getByText('Connected', { exact: true }).waitFor();
  const backfill = tab.getByTestId('status').locator('dt:text-is("Backfill") + dd');
  expect(await backfill.innerText()).toBe('none yet: a repository selected from now on gets one');
});
