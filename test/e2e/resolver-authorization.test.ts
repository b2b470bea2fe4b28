import { secretKeys } from '../../src/core/config/settings';
import { acceptDeliveries, refuseDeliveries, testSandbox, type TestSandbox } from './helpers';
import { data, settingsCaller } from './settings-helpers';

// The resolvers as an attacker reaches them: Custom UI's invoke() can be called from the browser's
// devtools by anyone who can load the page, with any payload. The page's own buttons protect nothing,
// so each resolver must refuse a non-admin, validate what it is given and name only this workspace.

let sb: TestSandbox;
let deadLetterId: string;
beforeAll(async () => {
  sb = await testSandbox({ scheduledTriggers: false });
  // A dead letter to aim replays at: PanDev refuses the delivery, permanently.
  refuseDeliveries(sb);
  sb.simulator.actions.openPullRequest({ repository: repositories()[0]!.slug });
  await sb.settle();
  acceptDeliveries(sb);
  deadLetterId = (await sb.outbox().listDead(undefined, 1)).entries[0]!.value.entry.id;
}, 60_000);
afterAll(() => sb.stop());
const call = settingsCaller(() => sb);
const repositories = () => [...sb.simulator.model.repositories.values()];
const PERMISSION = '^/2\\.0/user/workspaces/[^/]+/permission$';

/** Everything the installation keeps: plain values and both secrets. */
async function stored(): Promise<Record<string, unknown>> {
  const keys = sb.host.kvs.keys().sort();
  const values = Object.fromEntries(await Promise.all(keys.map(async (key) => [key, await sb.host.kvs.get(key)] as const)));
  return { values, token: await sb.host.kvs.getSecret(secretKeys.token), signingSecret: await sb.host.kvs.getSecret(secretKeys.signingSecret) };
}

/** What an admin would send to change something: each is a valid payload, so only the role check stands in the way. */
const changes = () =>
  [
    ['connection/get', {}],
    ['connection/save', { baseUrl: 'https://attacker.example.com', token: 'attacker-token-1234', signingSecret: 'attacker-secret-123456' }],
    ['connection/generateSecret', { replaceActive: true }],
    ['connection/check', {}],
    ['connection/activate', {}],
    ['repositories/list', { refresh: true }],
    ['repositories/select', { scope: 'all', selected: false }],
    ['repositories/select', { scope: 'repositories', repositories: [repositories()[0]!.uuid], selected: false }],
    ['preferences/get', {}],
    ['preferences/save', { prComments: false, backfillDays: 365 }],
    ['preferences/override', { repository: repositories()[0]!.uuid, prComments: false }],
    ['status/get', {}],
    ['deadLetters/list', {}],
    ['deadLetters/replay', { id: deadLetterId }],
    ['deadLetters/replayAll', {}],
  ] as const;

it('refuses a workspace member on every resolver, whatever the payload, and changes nothing', async () => {
  const before = await stored();
  const pushed = sb.host.queueStats().pushed;
  for (const [name, payload] of changes()) {
    const answer = await call(name as 'status/get', payload, 'member');
    expect({ name, answer }).toEqual({ name, answer: { ok: false, error: { code: 'forbidden', message: expect.stringMatching(/Only administrators of this Bitbucket workspace/) } } });
  }
  expect(await stored()).toEqual(before);
  expect(sb.host.queueStats().pushed).toBe(pushed);
});

it('asks Bitbucket on every call: an admin demoted since the page loaded is refused on the next one', async () => {
  expect(await call('preferences/get')).toMatchObject({ ok: true });
  sb.simulator.faults.add({ path: PERMISSION, status: 200, body: JSON.stringify({ type: 'workspace_membership', permission: 'member' }), times: 1 });
  const before = await stored();
  expect(await call('preferences/save', { prComments: false })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
  expect(await stored()).toEqual(before);
});

it('fails closed when Bitbucket does not say what the caller is, and says it is Bitbucket\'s trouble', async () => {
  const before = await stored();
  // A dropped connection and an unreadable answer are Bitbucket failing to say, not saying no.
  for (const fault of [{ drop: true }, { status: 200, body: '{"permission": ' }]) {
    sb.simulator.faults.add({ path: PERMISSION, ...fault, times: 1 });
    const answer = await call('preferences/save', { prComments: false });
    expect({ fault, answer }).toEqual({ fault, answer: { ok: false, error: { code: 'unavailable', message: expect.stringMatching(/^Bitbucket .*Wait a few minutes and try again/) } } });
  }
  // Bitbucket saying the caller has no place in the workspace is a no.
  sb.simulator.faults.add({ path: PERMISSION, status: 404, body: '{"type":"error"}', times: 1 });
  expect(await call('preferences/save', { prComments: false })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
  expect(await stored()).toEqual(before);
});

describe('input', () => {
  const refused = async (name: string, payload: unknown, field?: string) => {
    const answer = await call(name as 'status/get', payload as Record<string, unknown>);
    expect({ name, payload: JSON.stringify(payload).slice(0, 200), answer }).toMatchObject({
      name,
      answer: { ok: false, error: { code: 'invalid-input', message: expect.any(String), ...(field ? { field } : {}) } },
    });
  };

  it('refuses keys the resolver does not know, naming them, and stores nothing', async () => {
    const before = await stored();
    // A misspelt secret would be dropped in silence: the URL saved, the admin sure the secret was too.
    const typo = await call('connection/save', { baseUrl: 'https://pandev.example.com', token: 'a-new-token-1234', signingSecrte: 'a-new-secret-123456789' });
    expect(typo).toEqual({ ok: false, error: { code: 'invalid-input', message: expect.stringMatching(/signingSecrte/) } });
    await refused('preferences/save', { prComments: false, prCommentOverrides: { x: true } });
    await refused('preferences/override', { repository: repositories()[0]!.uuid, prComments: false, workspace: '{00000000-0000-4000-8000-000000000000}' });
    await refused('repositories/select', { scope: 'all', selected: false, workspace: 'another' });
    await refused('repositories/list', { continue: { walk: '00000000-0000-4000-8000-000000000000', page: 1, prefix: 'config:' } });
    await refused('deadLetters/replay', { id: deadLetterId, prefix: 'outbox:' });
    await refused('status/get', { workspace: 'another' });
    expect(await stored()).toEqual(before);
  });

  it('refuses wrong types, huge strings and huge arrays with the field named, and stores nothing', async () => {
    const before = await stored();
    for (const payload of [[], 'connection', 42, true]) await refused('preferences/save', payload);
    await refused('preferences/save', { backfillDays: '365' }, 'backfillDays');
    await refused('connection/save', { baseUrl: `https://pandev.example.com/${'a'.repeat(1_000_000)}` }, 'baseUrl');
    await refused('connection/save', { baseUrl: 'https://pandev.example.com', token: 't'.repeat(100_000) }, 'token');
    await refused('repositories/list', { search: 's'.repeat(100_000) }, 'search');
    await refused('deadLetters/list', { cursor: 'c'.repeat(100_000) }, 'cursor');
    await refused('deadLetters/replayAll', { cursor: 'c'.repeat(100_000) }, 'cursor');
    const many = Array.from({ length: 10_000 }, () => repositories()[0]!.uuid);
    await refused('repositories/select', { scope: 'repositories', repositories: many, selected: false }, 'repositories');
    expect(await stored()).toEqual(before);
  });

  it('refuses ids that would build a key under another prefix', async () => {
    const before = await stored();
    for (const id of [`${deadLetterId}:x`, `../outbox:${deadLetterId}`, `outbox:${deadLetterId}`, '']) await refused('deadLetters/replay', { id }, 'id');
    const uuid = repositories()[0]!.uuid;
    for (const repository of [`${uuid}:x`, `config:connection`, uuid.replace(/[{}]/g, '')]) {
      await refused('preferences/override', { repository, prComments: false }, 'repository');
      await refused('repositories/select', { scope: 'repositories', repositories: [repository], selected: false }, 'repositories.0');
    }
    expect(await stored()).toEqual(before);
  });
});

it('never answers a saved secret, on any resolver the page reads', async () => {
  const { token, signingSecret } = (await stored()) as { token: string; signingSecret: string };
  for (const name of ['connection/get', 'connection/check', 'status/get', 'preferences/get', 'repositories/list', 'deadLetters/list'] as const) {
    const text = JSON.stringify(data(await call(name, {})));
    expect({ name, token: text.includes(token), signingSecret: text.includes(signingSecret) }).toEqual({ name, token: false, signingSecret: false });
  }
});

describe('the pull request card', () => {
  const card = (extension: unknown, payload: unknown) =>
    sb.host.invokeResolver('card-resolver', 'card/figures', payload, { accountId: sb.simulator.credentials.member.user.account_id as string, extension });

  it('answers for the pull request Forge names in the context, never one the payload names', async () => {
    const repository = repositories()[1]!;
    const { pullRequestId } = sb.simulator.actions.openPullRequest({ repository: repository.slug, commits: 1 });
    await sb.settle();
    const shown = await card({ repository: { uuid: repository.uuid }, pullRequest: { id: pullRequestId } }, {});
    expect(shown).toMatchObject({ available: true });
    // Forge vouches for the context; a payload is whatever the browser sent.
    const aimed = { repository: { uuid: repository.uuid }, pullRequest: { id: pullRequestId }, repositoryUuid: repository.uuid, pullRequestId };
    const elsewhere = await card({ repository: { uuid: repositories()[2]!.uuid }, pullRequest: { id: 99_999 } }, aimed);
    expect(elsewhere).toEqual({ available: false, reason: expect.any(String) });
    expect(await card({ type: 'bitbucket:repoPullRequestCard' }, aimed)).toEqual({ available: false, reason: expect.stringMatching(/did not say which pull request/) });
  });
});
