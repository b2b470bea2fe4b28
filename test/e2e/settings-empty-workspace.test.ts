import { testSandbox, type TestSandbox } from './helpers';
import { data, settingsCaller } from './settings-helpers';

// A workspace with no repositories yet (the app installed first, repositories to come): with every
// repository selected, each one created is forwarded from its first event, so nothing needs an admin.

let sb: TestSandbox;
beforeAll(async () => {
  sb = await testSandbox({ simulator: { repositories: 0 }, liveEvents: false, scheduledTriggers: false });
});
afterAll(() => sb.stop());
const call = settingsCaller(() => sb);

it('is connected, not in need of attention, and says that new repositories will be forwarded', async () => {
  expect(data(await call('repositories/list'))).toMatchObject({ items: [], total: 0, selection: { mode: 'all', selected: 0, repositories: 0 } });
  const status = data(await call('status/get'));
  expect(status).toMatchObject({ state: 'connected', reasons: [], selectedRepositories: 0, repositories: 0 });
  expect(status.notes).toEqual([{ severity: 'info', text: 'This workspace has no repositories yet: every repository created in it is forwarded from its first event.' }]);
});

it('still needs attention when the admin deselected all: a new repository would not be forwarded', async () => {
  data(await call('repositories/select', { scope: 'all', selected: false }));
  const status = data(await call('status/get'));
  expect(status).toMatchObject({ state: 'needs-attention', reasons: ['No repository is selected: nothing is forwarded.'] });
});
