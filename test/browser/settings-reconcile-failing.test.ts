import type { Page } from 'playwright-core';
import { kvKey } from '../../src/core/keys';
import { connectApp } from '../../src/sandbox/sandbox';
import { reconcileNow } from '../e2e/helpers';
import { browserSandbox, type BrowserSandbox } from './helpers';

// Bitbucket refusing the app one repository: each reconciliation pass of it fails, and the Status said
// nothing (only the logs and the repository's own state knew). After two failed passes in a row the
// Status names the repository, Bitbucket's answer and what to do; once a pass succeeds, it is gone.

let env: BrowserSandbox;
let tab: Page;
beforeAll(async () => {
  // The test runs the tick itself, so the passes are the ones it counts.
  env = await browserSandbox({ simulator: { repositories: 2, pullRequestsPerRepository: 0, rateLimitPerHour: 0 }, scheduledTriggers: false });
  await connectApp(env.sb.host, env.sb.pandev);
  await env.sb.settle();
  await reconcileNow(env.sb); // the first pass sets each repository's watermark
  tab = await env.open();
});
afterAll(() => env.stop());

const status = () => tab.getByTestId('status');
const victim = () => [...env.sb.simulator.model.repositories.values()][1]!;
const WARNING = /The reconciliation of (\S+) has failed 2 passes in a row, for .*: Bitbucket refuses the app access to it \(403\)\. .*check in Bitbucket that the repository still exists and that PanDev Metrics may read it .*or deselect it under Repositories/;
let forbidden: string;

it('warns once the reconciliation of a repository Bitbucket refuses has failed two passes in a row, naming it', async () => {
  const { sb } = env;
  const repository = victim();
  forbidden = sb.simulator.faults.add({ path: `${repository.uuid.replace(/[{}]/g, '')}|/${repository.slug}/`, status: 403, body: '{"type":"error","error":{"message":"Forbidden"}}' });
  await reconcileNow(sb);
  expect(await sb.host.kvs.get(kvKey('reconcile', 'repo', repository.uuid))).toHaveProperty('error');
  // One failed pass is passing trouble: the next one reads the same period again.
  await tab.reload();
  await status().getByRole('status').filter({ hasText: 'Connected' }).waitFor();
  expect(await status().innerText()).not.toMatch(/reconciliation of/i);

  await reconcileNow(sb);
  await tab.reload();
  const note = status().getByText(WARNING);
  await note.waitFor();
  expect((await note.innerText()).match(WARNING)![1]).toBe(repository.name);
  // The other repository passes: only the refused one is named.
  expect(await status().innerText()).not.toContain([...sb.simulator.model.repositories.values()][0]!.name);
});

it('drops the warning once a pass of the repository succeeds again', async () => {
  const { sb } = env;
  sb.simulator.faults.remove(forbidden);
  await reconcileNow(sb);
  expect(await sb.host.kvs.get(kvKey('reconcile', 'repo', victim().uuid))).not.toHaveProperty('error');
  await tab.reload();
  await status().getByRole('status').filter({ hasText: 'Connected' }).waitFor();
  await status().getByTestId('deliveries').waitFor();
  expect(await status().innerText()).not.toMatch(/reconciliation of/i);
});
