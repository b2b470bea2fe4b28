import type { Page } from 'playwright-core';
import { connectApp } from '../../src/sandbox/sandbox';
import { browserSandbox, type BrowserSandbox } from './helpers';

// PanDev down for over half an hour: the Status tells the admin so, with PanDev's last answer and what
// to check, where it said only "N retries" while the deliveries aged towards dead letters; once PanDev
// takes deliveries again, the warning is gone.

let env: BrowserSandbox;
let tab: Page;
beforeAll(async () => {
  // No retry runs on its own: each attempt after the first is the five-minute tick's sweep, run here.
  // Every wait is the shortest (1 s), so a batch's retries stay one group, the platform's retry to drop.
  env = await browserSandbox({
    simulator: { repositories: 1, pullRequestsPerRepository: 0 },
    maxPlatformRetries: 0,
    scheduledTriggers: false,
    tuning: { deliveryTimeoutMs: 400, baseDelaySeconds: 0.001, sweepGraceSeconds: 0 },
  });
  await connectApp(env.sb.host, env.sb.pandev);
  tab = await env.open();
});
afterAll(() => env.stop());

const status = () => tab.getByTestId('status');
const FAILING = /^PanDev has not taken a delivery for 3\d min; the last attempt: PanDev answered 503: Service Unavailable\. .*Check that PanDev is up and that its URL is reachable from Atlassian's cloud, then run Check connection under Connection/;

/** The next attempt of every waiting delivery, as the sweep makes it once its retry time has come. */
async function retryNow(): Promise<void> {
  const { sb } = env;
  for (const key of sb.host.kvs.keys('outbox:')) await sb.host.kvs.set(key, { ...((await sb.host.kvs.get(key)) as object), nextAttemptAt: 0 });
  await sb.host.runScheduled('five-minute-tick');
  await sb.settle();
}

it('warns once PanDev has failed deliveries for over half an hour, with its last answer and what to check', async () => {
  const { sb } = env;
  sb.sink.respondNext(503, 1000, 'Service Unavailable');
  sb.simulator.actions.openPullRequest({ repository: [...sb.simulator.model.repositories.values()][0]!.slug });
  await sb.settle();
  const waiting = sb.host.kvs.keys('outbox:').length;
  expect(waiting).toBeGreaterThan(0);
  await tab.reload();
  await status().getByTestId('deliveries').filter({ hasText: `${waiting} ${waiting === 1 ? 'retry' : 'retries'}` }).waitFor();
  // A restart's worth of failures is no news.
  expect(await status().getByRole('status').innerText()).toBe('Connected');
  expect(await status().innerText()).not.toMatch(/PanDev has not taken/);

  // Half an hour on (the record's first failure moved back), PanDev still answers 503.
  const key = 'deliveries:failing';
  const record = (await sb.host.kvs.get(key)) as { since: number };
  await sb.host.kvs.set(key, { ...record, since: record.since - 31 * 60_000 });
  // One more failed attempt each; the next ones are taken.
  sb.sink.respondNext(503, waiting, 'Service Unavailable');
  await retryNow();
  expect(sb.sink.stats().respondNext).toBeNull();
  expect(sb.host.kvs.keys('outbox:')).toHaveLength(waiting);
  await tab.reload();
  await status().getByRole('status').filter({ hasText: 'Needs attention' }).waitFor();
  await status().getByRole('listitem').filter({ hasText: FAILING }).waitFor();
});

it('drops the warning once PanDev takes deliveries again', async () => {
  const { sb } = env;
  await retryNow();
  expect(sb.sink.deliveries().filter((d) => d.eventKey === 'pullrequest:created')).toHaveLength(1);
  expect(sb.host.kvs.keys('outbox:')).toEqual([]);
  await tab.reload();
  await status().getByTestId('deliveries').filter({ hasText: `${sb.sink.deliveries().length} delivered` }).waitFor();
  expect(await status().getByRole('status').innerText()).toBe('Connected');
  expect(await status().innerText()).not.toMatch(/PanDev has not taken/);
});
