import { runCli } from '../helpers/cli';

// `npm start` (the README's first command): the sandbox connects and activates the app as the
// workspace admin does on the settings page, so the backfill's deliveries arrive first, then the live
// activity's, one line per delivery with where it came from.

it('backfills on activation, then forwards live activity, one line per delivery', async () => {
  const cli = runCli(['start', '--repositories', '2', '--activity-ms', '300']);
  let code: number | null;
  try {
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
