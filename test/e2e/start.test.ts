import { runCli, runCommand } from '../helpers/cli';

// `npm start` (the README's first command): the sandbox connects and activates the app as the
// workspace admin does on the settings page, so the backfill's deliveries arrive first, then the live
// activity's, one line per delivery with where it came from.

it('backfills on activation, then forwards live activity, one line per delivery', async () => {
  const cli = runCli(['start', '--repositories', '2', '--activity-ms', '300']);
  let code: number | null;
  try {
    // The live activity starts with the backfill: at a change every 300 ms on a loaded machine, the
    // first live delivery may land before the backfill's first pull request (CI saw it once).
    await cli.waitFor(/^\d\d:\d\d:\d\d {2}backfill +pullrequest:created /m, 60_000);
    await cli.waitFor(/^\d\d:\d\d:\d\d {2}trigger /m, 60_000);
    const lines = cli.output().split('\n');
    expect(cli.output()).toContain('connected and activated as the workspace admin');
    // The simulator's address comes with a credential it takes, so the REST API can be looked at by hand.
    const [, api, workspace] = /Bitbucket Cloud simulator +(http:\/\/127\.0\.0\.1:\d+\/2\.0) +workspace (\S+)/.exec(cli.output())!;
    const token = /as the admin: Authorization: Bearer (\S+)/.exec(cli.output())![1];
    expect((await fetch(`${api}/repositories/${workspace}`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    const deliveries = lines.filter((l) => /^\d\d:\d\d:\d\d {2}/.test(l));
    const backfill = deliveries.filter((l) => / backfill +pullrequest:created /.test(l));
    expect(backfill.length).toBeGreaterThan(0);
    expect(deliveries.some((l) => / trigger +\S+ /.test(l))).toBe(true);
    // The receiver holds each delivery once, so no id is printed twice.
    const ids = deliveries.map((l) => /\b([0-9a-f]{8}-[0-9a-f-]{27})\b/.exec(l)?.[1]);
    expect(ids.every(Boolean)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  } finally {
    code = await cli.stop();
  }
  expect(code).toBe(0);
  const stopped = /stopped after \d+ deliveries \((.*)\)/.exec(cli.output())?.[1] ?? '';
  expect(stopped).toMatch(/\b\d+ backfill\b/);
  expect(stopped).toMatch(/\b\d+ trigger\b/);
}, 90_000);

it("says so when the app has spent the simulator's hourly requests, instead of falling silent", async () => {
  // Live activity every 2 s spends Bitbucket Cloud's 1,000 an hour in about ten minutes; a small
  // allowance reaches the same point at once.
  const cli = runCli(['start', '--repositories', '2', '--activity-ms', '300', '--requests-per-hour', '40']);
  try {
    await cli.waitFor(/Bitbucket answers 429: the app has used this rolling hour's 40 requests/, 60_000);
    expect(cli.output()).toMatch(/Deliveries wait until requests leave the hour, and none is lost; a larger --activity-ms, or --requests-per-hour 0, keeps the sandbox going/);
  } finally {
    expect(await cli.stop()).toBe(0);
  }
  // Once per run of 429s, not once per refused request.
  expect(cli.output().match(/Bitbucket answers 429/g)).toHaveLength(1);
}, 90_000);

it('refuses a --requests-per-hour that is not a whole number', async () => {
  const { code, out } = await runCommand(['start', '--requests-per-hour', 'lots'], {});
  expect(code).not.toBe(0);
  expect(out).toContain('expected a whole number (0: no limit)');
});

it('stops with what to change, leaving nothing listening, when the app cannot be connected and activated', async () => {
  // One request an hour: the settings page's check of the connection meets Bitbucket's 429.
  const cli = runCli(['start', '--repositories', '1', '--requests-per-hour', '1']);
  const code = await Promise.race([cli.exited(), new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 30_000))]);
  if (code === 'hung') await cli.stop();
  expect(code).toBe(1);
  expect(cli.output()).toMatch(/the sandbox could not connect and activate the app as the workspace admin: .*rate-limiting.*--requests-per-hour\): a larger number, or 0 for no limit, lets the app connect/);
  expect(cli.output()).not.toContain('connected and activated as the workspace admin:');
  // The servers it had started are closed.
  const receiver = /PanDev receiver +(http:\/\/127\.0\.0\.1:\d+)/.exec(cli.output())![1]!;
  await expect(fetch(`${receiver}/_sink/deliveries`)).rejects.toThrow();
}, 60_000);
