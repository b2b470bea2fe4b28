import { runCli } from '../helpers/cli';

// `npm start -- --setup` prints the settings page's address and the sandbox values to enter, and the
// page it serves answers with the built page and reaches the app's resolvers.

it('serves the settings page beside the sandbox, unconnected with --setup', async () => {
  const cli = runCli(['start', '--setup', '--repositories', '2', '--activity-ms', '60000']);
  let code: number | null;
  try {
    await cli.waitFor(/live activity/, 15_000);
    const output = cli.output();
    const page = /settings page\s+(http:\/\/127\.0\.0\.1:\d+\/)/.exec(output)?.[1];
    expect(page).toBeDefined();
    expect(output).toMatch(/Not connected yet\. On the settings page, enter these sandbox values[\s\S]*PanDev URL http:\/\/127\.0\.0\.1:\d+ {3}ingest token sandbox-token-/);
    expect(await (await fetch(page!)).text()).toContain('<div id="root"></div>');
    const accounts = (await (await fetch(`${page}sandbox/accounts.json`)).json()) as { admin: string };
    const answer = await fetch(`${page}resolver/settings-resolver`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ call: { functionKey: 'status/get', payload: {} }, accountId: accounts.admin }) });
    expect(await answer.json()).toMatchObject({ result: { ok: true, data: { state: 'disconnected', repositories: 2 } } });
  } finally {
    code = await cli.stop();
  }
  expect(code).toBe(0);
});
