import { PING_EVENT_KEY } from '../../src/core/admin/check';
import { settingsStore } from '../../src/core/config/settings';
import { hostStores } from '../../src/sandbox/host-store';
import { testSandbox, type TestSandbox } from './helpers';
import { data, settingsCaller, until } from './settings-helpers';

// Issue 3, Connection and Security: the resolvers behind the settings page, through the local Forge
// host running the real app, against the Bitbucket simulator and the PanDev receiver.

let sb: TestSandbox;
beforeAll(async () => {
  sb = await testSandbox({ connect: false });
  // An unconnected sandbox leaves tuning alone; the timeout case should not wait PanDev's real 10 s.
  const { store, secrets } = hostStores(sb.host);
  await settingsStore(store, secrets).saveTuning({ deliveryTimeoutMs: 400 });
});
afterAll(() => sb.stop());
const call = settingsCaller(() => sb);

async function save(overrides: Record<string, string> = {}) {
  return call('connection/save', { baseUrl: sb.pandev.url, token: sb.pandev.token, signingSecret: sb.pandev.signingSecret, ...overrides });
}

it('refuses a workspace member on every resolver, with a message saying who may', async () => {
  // Named here rather than imported: loading @forge/api before the host starts would bypass its egress check.
  const names = ['connection/get', 'connection/save', 'connection/generateSecret', 'connection/check', 'connection/activate', 'repositories/list', 'repositories/select', 'preferences/get', 'preferences/save', 'preferences/override', 'status/get', 'deadLetters/list', 'deadLetters/replay', 'deadLetters/replayAll'];
  for (const name of names) {
    const result = await call(name as 'status/get', {}, 'member');
    expect({ name, result }).toMatchObject({ name, result: { ok: false, error: { code: 'forbidden', message: expect.stringMatching(/Only administrators of this Bitbucket workspace/) } } });
  }
});

it('tells an admin that Bitbucket is in trouble, not that they are no admin, when their role cannot be read', async () => {
  for (const status of [500, 429]) {
    sb.simulator.faults.add({ path: '^/2\\.0/user/workspaces/[^/]+/permission$', status, body: 'Bitbucket is unavailable', times: 1 });
    const result = await call('status/get');
    expect({ status, result }).toMatchObject({ status, result: { ok: false, error: { code: 'unavailable', message: expect.stringMatching(/Bitbucket/) } } });
    expect(result.ok || result.error.message).not.toMatch(/Only administrators/);
  }
  // The next call reads the role again.
  expect(await call('status/get')).toMatchObject({ ok: true });
});

it('lets Forge ask a user who has not allowed the app access, instead of answering an error', async () => {
  // No token for this account: the platform answers asUser() calls with NEEDS_AUTHENTICATION_ERR.
  const answer = sb.host.invokeResolver('settings-resolver', 'status/get', {}, { accountId: 'account-without-consent' });
  await expect(answer).rejects.toMatchObject({ name: 'NEEDS_AUTHENTICATION_ERR' });
});

it('validates input with errors that name the field', async () => {
  const plainHttp = await call('connection/save', { baseUrl: 'http://pandev.example.com' });
  expect(plainHttp).toMatchObject({ ok: false, error: { code: 'invalid-input', field: 'baseUrl', message: expect.stringMatching(/^baseUrl: must start with https:\/\//) } });
  // A bare ? or # too (copied from a browser's address bar): the ingest path would land after it.
  for (const baseUrl of ['https://pandev.example.com/?a=1', 'https://pandev.example.com/?', 'https://pandev.example.com#']) {
    expect({ baseUrl, answer: await call('connection/save', { baseUrl }) }).toMatchObject({ baseUrl, answer: { ok: false, error: { field: 'baseUrl', message: expect.stringMatching(/query/) } } });
  }
  const shortToken = await call('connection/save', { baseUrl: 'https://pandev.example.com', token: 'abc' });
  expect(shortToken).toMatchObject({ ok: false, error: { field: 'token', message: expect.stringMatching(/at least 8 characters/) } });
  for (const baseUrl of ['http://127.0.0.1:4321', 'http://localhost:4321', 'http://[::1]:4321', 'https://pandev.example.com']) {
    expect(await call('connection/save', { baseUrl })).toMatchObject({ ok: true, data: { baseUrl } });
  }
});

it('refuses an ingest token with a character no HTTP header can carry, instead of blaming the network at the check', async () => {
  // Invisible characters come along when a token is copied from a chat or a document.
  for (const token of [`${sb.pandev.token}\u200b`, `${sb.pandev.token}\u0000`, `${sb.pandev.token}é`]) {
    expect({ token, answer: await save({ token }) }).toMatchObject({ token, answer: { ok: false, error: { code: 'invalid-input', field: 'token', message: expect.stringMatching(/cannot be sent in an HTTP header.*copy it again/) } } });
  }
});

it('keeps secrets write-only: the page sees that one is set and its last four characters', async () => {
  const view = data(await save());
  expect(view).toMatchObject({ baseUrl: sb.pandev.url, token: { set: true, last4: sb.pandev.token.slice(-4) }, signingSecret: { set: true, last4: sb.pandev.signingSecret.slice(-4) } });
  const text = JSON.stringify(data(await call('connection/get')));
  expect(text).not.toContain(sb.pandev.token);
  expect(text).not.toContain(sb.pandev.signingSecret);
  // Four characters of an 8-character token are half of it: a short secret shows only that it is set.
  expect(data(await save({ token: 'short-12' })).token).toEqual({ set: true });
});

it('does not send the saved token to another host: a URL pointed elsewhere needs that host\'s token', async () => {
  await save();
  const moved = await call('connection/save', { baseUrl: 'https://pandev-staging.example.com' });
  expect(moved).toMatchObject({ ok: false, error: { code: 'precondition-failed', field: 'token', message: expect.stringMatching(/saved ingest token is for 127\.0\.0\.1:\d+; it is not sent to pandev-staging\.example\.com\. Enter the ingest token/) } });
  expect(data(await call('connection/get')).baseUrl).toBe(sb.pandev.url);
  // Another path or scheme on the same host keeps the token, and so does a move with a new one.
  expect(await call('connection/save', { baseUrl: `${sb.pandev.url}/` })).toMatchObject({ ok: true });
  expect(await call('connection/save', { baseUrl: 'https://pandev-staging.example.com', token: 'staging-token-1234' })).toMatchObject({ ok: true, data: { baseUrl: 'https://pandev-staging.example.com' } });
  await save();
});

it('records a check against the settings it read: a save while it runs leaves the check stale', async () => {
  await save();
  // Bitbucket is slow to answer the workspace read, which the check makes after reading the settings.
  const faulted = sb.simulator.stats().faulted;
  sb.simulator.faults.add({ path: '^/2\\.0/workspaces/[^/]+$', latencyMs: 3000, times: 1 });
  const checking = call('connection/check');
  await until(() => sb.simulator.stats().faulted > faulted);
  await save({ token: 'token-saved-during-the-check' });
  // The check passed for the token it used; activation needs one for the token saved now.
  expect(data(await checking).ok).toBe(true);
  expect(data(await call('connection/get')).lastCheck).toMatchObject({ ok: true, current: false });
  expect(await call('connection/activate')).toMatchObject({ ok: false, error: { code: 'precondition-failed', message: expect.stringMatching(/passing check/) } });
  await save();
});

let generated = '';

it('generates a strong signing secret and shows it exactly once', async () => {
  const { secret, connection } = data(await call('connection/generateSecret'));
  generated = secret;
  expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(connection.signingSecret).toEqual({ set: true, last4: secret.slice(-4) });
  expect(JSON.stringify(data(await call('connection/get')))).not.toContain(secret);
  // The receiver still has its own secret: the check says so in those words.
  const check = data(await call('connection/check'));
  expect(check.items.find((i) => i.key === 'pandev')).toMatchObject({ status: 'fail', title: 'PanDev refused the signature (401)' });
});

it('activates only after a passing check of the settings saved now', async () => {
  await save();
  expect(await call('connection/activate')).toMatchObject({ ok: false, error: { code: 'precondition-failed', message: expect.stringMatching(/passing check/) } });
  const pings = sb.sink.pings();
  const check = data(await call('connection/check'));
  expect(check).toMatchObject({ ok: true, workspace: { slug: sb.simulator.workspace.slug }, actingAs: 'PanDev Metrics', repositories: 3 });
  expect(check.items.map((i) => [i.key, i.status])).toEqual([['bitbucket', 'pass'], ['access', 'pass'], ['pandev', 'pass']]);
  expect(sb.sink.pings()).toBe(pings + 1);

  // Changing a secret makes the check stale.
  await save({ token: `${sb.pandev.token}-new` });
  expect(data(await call('connection/get')).lastCheck).toMatchObject({ ok: true, current: false });
  expect(await call('connection/activate')).toMatchObject({ ok: false, error: { code: 'precondition-failed' } });

  await save();
  data(await call('connection/check'));
  const activated = data(await call('connection/activate'));
  expect(activated).toMatchObject({ activatedAt: expect.any(Number), backfillRequested: 3 });
  const backfills = await Promise.all(sb.host.kvs.keys('backfill:').map((key) => sb.host.kvs.get(key)));
  expect(backfills).toHaveLength(3);
  for (const record of backfills) expect(record).toMatchObject({ state: expect.stringMatching(/^(queued|running|done)$/), windowDays: 30 });
  // Activating again changes nothing.
  expect(data(await call('connection/activate'))).toEqual({ activatedAt: activated.activatedAt, backfillRequested: 0 });
  // The secret in use is replaced only when the admin confirms it: PanDev refuses deliveries until it has the new one.
  expect(await call('connection/generateSecret')).toMatchObject({ ok: false, error: { code: 'precondition-failed', message: expect.stringMatching(/PanDev refuse/) } });
  expect(data(await call('connection/get')).signingSecret).toEqual({ set: true, last4: sb.pandev.signingSecret.slice(-4) });

  // A URL on the same host is saved without its token again: deliveries go there unchecked, and the status says so.
  expect(data(await call('status/get')).reasons).toEqual([]);
  await call('connection/save', { baseUrl: `${sb.pandev.url}/not-pandev` });
  expect(data(await call('status/get'))).toMatchObject({ state: 'needs-attention', reasons: ['The PanDev settings changed since the last connection check: run Check connection under Connection.'] });
  await save();
  expect(data(await call('status/get')).reasons).toEqual([]);
});

describe('check connection turns failures into specific advice', () => {
  afterEach(async () => {
    sb.sink.setFaults(null);
    sb.simulator.faults.clear();
    await save();
  });
  const pandevItem = async () => data(await call('connection/check')).items.find((i) => i.key === 'pandev');

  it('401: the token is wrong, expired or revoked', async () => {
    await save({ token: 'revoked-token-0000' });
    expect(await pandevItem()).toMatchObject({ status: 'fail', title: 'PanDev refused the ingest token (401)', detail: expect.stringMatching(/wrong, expired or revoked.*Create a new ingest token/) });
  });

  it('404: the URL has an extra path; use the bare host', async () => {
    await save({ baseUrl: `${sb.pandev.url}/api/` });
    expect(await pandevItem()).toMatchObject({ status: 'fail', title: 'PanDev answered 404 Not Found', detail: `The URL has an extra path (/api): the app posted to ${sb.pandev.url}/api/v1/bitbucket/webhook/repository. Use the bare host, ${sb.pandev.url}, save and check again.` });
  });

  it('timeout: PanDev is not reachable from Atlassian\'s cloud', async () => {
    sb.sink.setFaults({ share: 1, kinds: ['timeout'], holdMs: 2000 });
    expect(await pandevItem()).toMatchObject({ status: 'fail', title: 'PanDev did not answer within 0.4 s', detail: expect.stringMatching(/not reachable from Atlassian's cloud.*egress allows 127\.0\.0\.1/) });
  });

  it('400: PanDev\'s own words, and no advice meant for a dead letter (a test delivery is none)', async () => {
    // The test delivery's key only: a delivery retried in the background must not take the answer.
    sb.sink.respondNext(400, 1, 'unsupported payload version', PING_EVENT_KEY);
    const item = await pandevItem();
    expect(item).toMatchObject({ status: 'fail', title: 'PanDev rejected the test delivery (400)', detail: expect.stringMatching(/^PanDev said: unsupported payload version\. PanDev could not take the app's test delivery: check the URL and the token/) });
    expect(item?.detail).not.toMatch(/dead letter|replay|delivery id/);
  });

  it('egress: a host the manifest does not name', async () => {
    await save({ baseUrl: 'https://pandev.example.com' });
    expect(await pandevItem()).toMatchObject({ status: 'fail', title: 'The app may not call pandev.example.com', detail: expect.stringMatching(/permissions\.external\.fetch\.backend/) });
  });

  it('partial access: the app cannot read pull requests (a warning, not a failure)', async () => {
    sb.simulator.faults.add({ path: '/pullrequests$', status: 403, body: '{"type":"error","error":{"message":"Access denied"}}' });
    const check = data(await call('connection/check'));
    expect(check.ok).toBe(true);
    expect(check.items.find((i) => i.key === 'access')).toMatchObject({ status: 'warn', title: expect.stringMatching(/^Partial access: cannot read pull requests of /), detail: expect.stringMatching(/Bitbucket refused the app \(403\)/) });
  });

  it('partial access: counts what the app cannot read in the singular when it is one', async () => {
    // The app's own count (read first) misses one of the repositories the admin sees.
    const [seen] = [...sb.simulator.model.repositories.values()];
    const visible = sb.simulator.model.repositories.size;
    const hidden = JSON.stringify({ size: visible - 1, values: [{ uuid: seen!.uuid, name: seen!.name }] });
    sb.simulator.faults.add({ path: '^/2\\.0/repositories/[^/]+$', body: hidden, times: 1 });
    const access = data(await call('connection/check')).items.find((i) => i.key === 'access');
    expect(access).toMatchObject({
      status: 'warn',
      title: `Partial access: ${visible - 1} of ${visible} repositories`,
      detail: expect.stringMatching(/^You can see 1 repository the app cannot read; it is neither forwarded nor backfilled\./),
    });
  });

  it('a passing check lifts the pause a 410 caused', async () => {
    sb.sink.respondNext(410, 1, 'gone');
    sb.simulator.actions.openPullRequest({ repository: [...sb.simulator.model.repositories.values()][0]!.slug });
    await sb.settle();
    expect(data(await call('connection/get')).disabled).toMatchObject({ reason: expect.stringMatching(/410/) });
    expect(data(await call('status/get'))).toMatchObject({ state: 'needs-attention', reasons: expect.arrayContaining([expect.stringMatching(/410/)]) });
    expect(data(await call('connection/check')).ok).toBe(true);
    expect(data(await call('connection/get')).disabled).toBeUndefined();
  });
});

it('never writes the token, the signing secret or a generated secret to a log line', () => {
  const all = sb.logs.map((line) => line.message).join('\n');
  expect(all).toContain('connection saved');
  for (const secret of [sb.pandev.token, sb.pandev.signingSecret, generated]) expect(all).not.toContain(secret);
});

it('keeps the token and the signing secret out of every value of the plain key-value store (outbox, ledger, dead letters): kvs.setSecret holds them', async () => {
  expect(await save()).toMatchObject({ ok: true });
  const values = await Promise.all(sb.host.kvs.keys().map(async (key) => `${key} ${JSON.stringify(await sb.host.kvs.get(key))}`));
  for (const secret of [sb.pandev.token, sb.pandev.signingSecret, generated]) expect(values.join('\n')).not.toContain(secret);
  const { store, secrets } = hostStores(sb.host);
  expect(await settingsStore(store, secrets).credentials()).toEqual({ token: sb.pandev.token, signingSecret: sb.pandev.signingSecret });
});
