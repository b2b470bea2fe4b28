import { LISTED_AT_MOST } from '../../src/core/admin/catalog-walk';
import { cloudClient } from '../../src/core/enrich/cloud/client';
import { fetchCloudTransport } from '../../src/core/enrich/cloud/transport';
import { repositoryIndex } from '../../src/core/reconcile/repositories';
import { MemoryStore } from '../../src/sandbox/memory-store';
import { testSandbox, type TestSandbox } from './helpers';
import { data, loadAll, settingsCaller } from './settings-helpers';

// A workspace of more repositories than the list reads (200 pages of 100): the page, the status and
// the log say that the rest is not listed, and so neither selectable nor backfilled nor reconciled,
// with what to do; nothing is cut without a word.

let sb: TestSandbox;
const TOTAL = LISTED_AT_MOST + 100;
beforeAll(async () => {
  sb = await testSandbox({ simulator: { repositories: TOTAL, pullRequestsPerRepository: 0, historyDays: 1 }, connect: false, scheduledTriggers: false });
}, 120_000);
afterAll(() => sb.stop());
const call = settingsCaller(() => sb);
const listed = () => sb.simulator.stats().byRoute['GET /repositories/{workspace}'] ?? 0;

it('lists the first 20,000 repositories and says the other 100 are left out, and what that means', async () => {
  const { last } = await loadAll(call, { limit: 100 });
  expect(last.total).toBe(LISTED_AT_MOST);
  expect(listed()).toBe(200);
  expect(last.cut).toContain('Bitbucket counts 20,100 repositories in this workspace; the app lists the first 20,000');
  expect(last.cut).toContain('the other 100 are not listed here');
  expect(last.cut).toContain('Select all');
  // From the kept copy too, and in the status, where the admin looks first.
  expect(data(await call('repositories/list', { offset: 19_900, limit: 100 })).cut).toBe(last.cut);
  expect(data(await call('status/get', {})).notes).toContainEqual({ severity: 'warning', text: last.cut });
  expect(sb.logs.filter((line) => /repository list stops at 20000/.test(line.message))).toHaveLength(1);
}, 180_000);

it('logs that the reconciliation\'s index stops at the same 200 pages', async () => {
  const warnings: string[] = [];
  const log = { info() {}, debug() {}, error() {}, warn: (_: unknown, message: string) => warnings.push(message) };
  const client = cloudClient(fetchCloudTransport({ baseUrl: sb.simulator.url, authorization: () => `Bearer ${sb.simulator.credentials.appToken}` }));
  const index = await repositoryIndex(client, new MemoryStore(), sb.simulator.model.workspace.slug, Date.now(), log);
  expect(index.repositories).toHaveLength(LISTED_AT_MOST);
  expect(warnings).toEqual([expect.stringContaining('repositories past them are not reconciled')]);
}, 120_000);
