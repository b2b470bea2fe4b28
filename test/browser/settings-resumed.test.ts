import { acceptDeliveries, refuseToken } from '../e2e/helpers';
import { browserSandbox, seriousViolations, type BrowserSandbox } from './helpers';

// PanDev refused the token and the deliveries paused; PanDev takes it again (the token restored on its
// side, nothing to save here), and Check connection is what resumes them. The page says the kept
// deliveries are on their way, the pause warnings go, and the status counts them once they have landed.
// No scheduled trigger runs: the outbox sweep is not what sends them.

let env: BrowserSandbox;
beforeAll(async () => (env = await browserSandbox({ connect: true, scheduledTriggers: false })));
afterAll(() => env.stop());

const delivered = (line: string) => Number(/^([\d,]+) delivered/.exec(line)![1]!.replace(/,/g, ''));

it('says a passing check resumed the kept deliveries, and the pause warnings go as they reach PanDev', async () => {
  const { sb } = env;
  // The activation's backfill delivered before PanDev starts refusing.
  await sb.settle();
  refuseToken(sb);
  for (const repository of [...sb.simulator.model.repositories.values()].slice(0, 2)) sb.simulator.actions.openPullRequest({ repository: repository.slug });
  await sb.settle();
  const kept = sb.host.kvs.keys('outbox:').map((key) => key.slice('outbox:'.length));
  expect(kept.length).toBeGreaterThan(0);
  expect(sb.host.kvs.keys('dead:')).toEqual([]);

  const tab = await env.open();
  const status = tab.getByTestId('status');
  await tab.getByText('Deliveries paused', { exact: true }).waitFor();
  expect(await tab.getByTestId('pause-reason').innerText()).toMatch(/^PanDev refused the ingest token \(401\)/);
  await status.getByText('Needs attention', { exact: true }).waitFor();
  await status.getByText(/^PanDev refused the ingest token \(401\)/).waitFor();
  const before = delivered(await status.getByTestId('deliveries').innerText());

  acceptDeliveries(sb);
  await tab.getByRole('button', { name: 'Check connection' }).click();
  await tab.getByRole('heading', { name: 'PanDev answered 200' }).waitFor();
  // The exact words of the count may change; that the check says it resumed them may not.
  await tab.getByTestId('check-resumed').getByText(/^Deliveries resumed\b/).waitFor();
  await tab.getByTestId('pause-reason').waitFor({ state: 'detached' });
  expect(await tab.getByText('Deliveries paused', { exact: true }).count()).toBe(0);
  expect(await seriousViolations(tab)).toEqual([]);

  // Each kept delivery reaches PanDev once, and the page's own refresh counts them.
  await sb.settle();
  const sent = sb.sink.deliveries().map((d) => d.id);
  expect(kept.filter((id) => sent.filter((s) => s === id).length !== 1)).toEqual([]);
  expect(sb.host.kvs.keys('outbox:')).toEqual([]);
  await status.getByTestId('deliveries').getByText(new RegExp(`^${(before + kept.length).toLocaleString('en')} delivered`)).waitFor();
  await status.getByText('Connected', { exact: true }).waitFor();
  expect(await status.getByText(/^PanDev refused the ingest token/).count()).toBe(0);
});
