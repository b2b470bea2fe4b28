import { browserSandbox, saveConnection, seriousViolations, type BrowserSandbox } from './helpers';

// Deliveries PanDev paused, on the Connection part: the page says why in words that name what to
// change (a refused token is not a 410), and a save of the new token leads to the check that resumes them.

let env: BrowserSandbox;
beforeAll(async () => (env = await browserSandbox({ connect: true, scheduledTriggers: false })));
afterAll(() => env.stop());

it('shows a refused token\'s pause with what to change, and Check connection after the new token lifts it', async () => {
  const { sb } = env;
  const tab = await env.open();
  await tab.getByText('Active', { exact: true }).waitFor();
  await saveConnection(tab, { baseUrl: sb.pandev.url, token: 'revoked-0000-token' });
  sb.simulator.actions.openPullRequest({ repository: [...sb.simulator.model.repositories.values()][0]!.slug });
  await sb.settle();

  // No reload: the page's refresh (every 15 s) brings the pause to the Connection part as to the status.
  await tab.getByText('Deliveries paused', { exact: true }).waitFor();
  const reason = await tab.getByTestId('pause-reason').innerText();
  expect(reason).toMatch(/^PanDev refused the ingest token \(401\).*save it in the app's settings; deliveries are paused and kept in the outbox until Check connection passes in the settings\.$/);
  expect(reason).not.toMatch(/410/);
  expect(await seriousViolations(tab)).toEqual([]);

  await saveConnection(tab, { baseUrl: sb.pandev.url, token: sb.pandev.token });
  await tab.getByText('Saved. Check the connection now: the paused deliveries resume once it passes.').waitFor();
  await tab.getByRole('button', { name: 'Check connection' }).click();
  await tab.getByRole('heading', { name: 'PanDev answered 200' }).waitFor();
  await tab.getByTestId('pause-reason').waitFor({ state: 'detached' });
  expect(await tab.getByText('Deliveries paused', { exact: true }).count()).toBe(0);
});
