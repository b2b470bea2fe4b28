import { spawn } from 'node:child_process';
import path from 'node:path';

// `npm start -- --setup` prints the settings page's address and the sandbox values to enter, and the
// page it serves answers with the built page and reaches the app's resolvers.

const ROOT = path.resolve(__dirname, '../..');

it('serves the settings page beside the sandbox, unconnected with --setup', async () => {
  const child = spawn(process.execPath, [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'src/cli/main.ts', 'start', '--setup', '--repositories', '2', '--activity-ms', '60000'], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  try {
    for (let i = 0; i < 300 && !output.includes('live activity'); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    const page = /settings page\s+(http:\/\/127\.0\.0\.1:\d+\/)/.exec(output)?.[1];
    expect(page).toBeDefined();
    expect(output).toMatch(/Not connected yet\. On the settings page, enter these sandbox values[\s\S]*PanDev URL http:\/\/127\.0\.0\.1:\d+ {3}ingest token sandbox-token-/);
    expect(await (await fetch(page!)).text()).toContain('<div id="root"></div>');
    const accounts = (await (await fetch(`${page}sandbox/accounts.json`)).json()) as { admin: string };
    const answer = await fetch(`${page}resolver/settings-resolver`, { method: 'POST', body: JSON.stringify({ call: { functionKey: 'status/get', payload: {} }, accountId: accounts.admin }) });
    expect(await answer.json()).toMatchObject({ result: { ok: true, data: { state: 'disconnected', repositories: 2 } } });
  } finally {
    child.kill('SIGINT');
  }
  expect(await exited).toBe(0);
});
