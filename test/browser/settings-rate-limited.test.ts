import type { Page } from 'playwright-core';
import { connectApp } from '../../src/sandbox/sandbox';
import { reconcileNow } from '../e2e/helpers';
import { browserSandbox, type BrowserSandbox } from './helpers';

// Bitbucket rate-limiting the app for over an hour: the Status said nothing while the backfill and the
// reconciliation crawled. Now a warning says what it means and what to do; a few 429s are no news.

let env: BrowserSandbox;
let tab: Page;
beforeAll(async () => {
  env = await browserSandbox({ simulator: { repositories: 1, pullRequestsPerRepository: 0, rateLimitPerHour: 0 }, scheduledTriggers: false });
  await connectApp(env.sb.host, env.sb.pandev);
  await env.sb.settle();
  await reconcileNow(env.sb);
  tab = await env.open();
});
afterAll(() => env.stop());

const status = () => tab.getByTestId('status');
const WARNING = /^Bitbucket has been rate-limiting the app \(answering 429\) for 1 h \d+ min: .*the backfill and the reconciliation slow down.*Scripts or other apps calling Bitbucket's API for this workspace may share the allowance/;

it('warns once Bitbucket has rate-limited the app for over an hour, not before', async () => {
  const { sb } = env;
  sb.simulator.faults.add({ path: '^/2\\.0/repositories/[^/]+/[^/]+/', status: 429, body: 'Rate limit for this resource has been exceeded' });
  await reconcileNow(sb);
  const state = (await sb.host.kvs.get('budget:state')) as { limited: { since: number; lastAt: number } };
  expect(state.limited.since).toBe(state.limited.lastAt);
  await tab.reload();
  await status().getByTestId('deliveries').waitFor();
  expect(await status().innerText()).not.toMatch(/rate-limiting the app/);

  // An hour on: the spell's start moved back, its latest 429 still the one just now.
  await sb.host.kvs.set('budget:state', { ...state, limited: { ...state.limited, since: state.limited.since - 61 * 60_000 } });
  await tab.reload();
  await status().getByText(WARNING).waitFor();
});
