import { settingsStore } from '../../src/core/config/settings';
import { hostStores } from '../../src/sandbox/host-store';
import { testSandbox, type TestSandbox } from './helpers';
import { data, settingsCaller } from './settings-helpers';

// A repository deleted in Bitbucket after the page listed it: the admin's click on its row reaches
// the app once the list has been read again without it.

let sb: TestSandbox;
beforeAll(async () => {
  sb = await testSandbox({ simulator: { repositories: 3, pullRequestsPerRepository: 0, historyDays: 1 }, liveEvents: false, scheduledTriggers: false });
  const { store, secrets } = hostStores(sb.host);
  await settingsStore(store, secrets).savePreferences({ requestsPerHour: 100_000 });
});
afterAll(() => sb.stop());
const call = settingsCaller(() => sb);

it('refuses to select a repository that is no longer in the workspace, and starts no backfill for it', async () => {
  await sb.settle();
  const [gone, kept] = [...sb.simulator.model.repositories.values()];
  data(await call('repositories/select', { scope: 'repositories', repositories: [gone!.uuid, kept!.uuid], selected: false }));
  sb.simulator.actions.deleteRepository({ repository: gone!.slug });
  // The list is read again (Refresh list here; the page's status does it every ten minutes on its own).
  expect(data(await call('repositories/list', { refresh: true })).total).toBe(2);

  const answer = await call('repositories/select', { scope: 'repositories', repositories: [gone!.uuid, kept!.uuid], selected: true });
  expect(answer).toMatchObject({ ok: false, error: { code: 'not-found', field: 'repositories' } });
  expect(!answer.ok && answer.error.message).toMatch(/no longer in this workspace/);
  // Nothing of the refused change is applied: no backfill for a repository Bitbucket no longer has.
  await sb.settle();
  const status = data(await call('status/get'));
  expect(status.backfill.active.filter((row) => row.repository === gone!.uuid || row.state === 'failed')).toEqual([]);
  // The third repository is selected still; the refused change selected neither of the two.
  expect(status.selectedRepositories).toBe(1);
  expect(sb.host.kvs.keys('backfill:').filter((key) => key.endsWith(gone!.uuid.slice(1, -1)))).toEqual([]);
});
