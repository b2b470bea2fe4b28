import { testSandbox, type TestSandbox } from './helpers';
import { data, settingsCaller } from './settings-helpers';

// Check connection runs in a resolver, which Forge stops at its timeout (25 s; 10 s here, the limits
// scaled). Bitbucket's reads come first: after a slow one, PanDev's ping gets what is left, so the admin
// reads a result saying so, not the platform's timeout. Bitbucket's 2.5 s leaves PanDev about 4.5 s of
// the 10 (3 s are kept to answer): a loaded CI machine's slowness still leaves it over the 1 s floor.

let sb: TestSandbox;
beforeAll(async () => (sb = await testSandbox({ connect: false, functionTimeoutScale: 0.4, tuning: { deliveryTimeoutMs: 10_000 } })));
afterAll(() => sb.stop());
const call = settingsCaller(() => sb);

it('answers within the resolver\'s time when Bitbucket is slow and PanDev silent, saying the ping was cut short', async () => {
  data(await call('connection/save', { baseUrl: sb.pandev.url, token: sb.pandev.token, signingSecret: sb.pandev.signingSecret }));
  sb.simulator.faults.add({ path: '^/2\\.0/workspaces/[^/]+$', latencyMs: 2_500, times: 1 });
  sb.sink.setFaults({ share: 1, kinds: ['timeout'], holdMs: 20_000 });
  try {
    const check = data(await call('connection/check'));
    expect(check.ok).toBe(false);
    const pandev = check.items.find((item) => item.key === 'pandev')!;
    expect(pandev.title).toMatch(/^PanDev did not answer within [1-5](\.\d)? s$/);
    expect(pandev.detail).toMatch(/^Bitbucket's slow answers left PanDev less than its usual 10 s: check again\./);
    expect(sb.logs.some((line) => /FUNCTION_TIME_OUT/.test(line.message))).toBe(false);
  } finally {
    sb.sink.setFaults(null);
  }
}, 30_000);
