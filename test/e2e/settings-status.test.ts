import { hostStores } from '../../src/sandbox/host-store';
import { testSandbox, type TestSandbox } from './helpers';
import { ageCatalog, data, settingsCaller } from './settings-helpers';

// The status when Bitbucket will not read the repository list (rate limit, outage): it still answers,
// from the last list read or without repository counts, and says why in words an admin can act on.

let sb: TestSandbox;
beforeAll(async () => {
  sb = await testSandbox();
});
afterAll(() => sb.stop());
afterEach(() => sb.simulator.faults.clear());
const call = settingsCaller(() => sb);
const LIST = '^/2\\.0/repositories/[^/]+$';

it('counts from the last list read when Bitbucket rate-limits a new read', async () => {
  expect(data(await call('status/get'))).toMatchObject({ repositories: 3, notes: [] });
  await ageCatalog(sb, 11 * 60_000);
  sb.simulator.faults.add({ path: LIST, status: 429, body: 'Rate limit for this resource has been exceeded' });
  const status = data(await call('status/get'));
  expect(status).toMatchObject({ state: 'connected', selectedRepositories: 3, repositories: 3 });
  expect(status.notes).toEqual([{ severity: 'warning', text: expect.stringMatching(/^The repository list could not be read again, so the repository counts are from the last one read\. Bitbucket is rate-limiting the app right now\./) }]);
});

it('leaves the counts out, and says why, when no earlier list is kept', async () => {
  await hostStores(sb.host).store.set('catalog:meta', { gone: true });
  sb.simulator.faults.add({ path: LIST, status: 503 });
  const status = data(await call('status/get'));
  expect(status.repositories).toBeUndefined();
  expect(status.selectedRepositories).toBeUndefined();
  expect(status.notes).toEqual([{ severity: 'warning', text: expect.stringMatching(/^The repository list could not be read, so repository counts are left out\. Bitbucket is having trouble \(it answered 503\)/) }]);
});

it('answers a resolver stopped by Bitbucket with what to do, not with Bitbucket\'s raw answer', async () => {
  sb.simulator.faults.add({ path: LIST, status: 429, body: 'Rate limit for this resource has been exceeded' });
  const answer = await call('repositories/list', { refresh: true });
  expect(answer).toMatchObject({ ok: false, error: { code: 'unavailable', message: expect.stringMatching(/^Bitbucket is rate-limiting the app right now\. Wait a few minutes and try again/) } });
  expect(JSON.stringify(answer)).not.toMatch(/GET|repositories\/|Rate limit for this resource/);
});
