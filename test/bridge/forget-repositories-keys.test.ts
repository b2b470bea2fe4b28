import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { forgetUnlistedRepositories, FORGET_AFTER_MS } from '../../src/bridge/state/forget-repositories';
import { openSqliteStore, type SqliteStore } from '../../src/bridge/state/sqlite-store';
import { allEntries } from '../../src/core/ports';
import { quietLogger } from './helpers';

// Forgetting works by key prefix, and outbox entries and dead letters name their repository in their
// own way: one repository's id or UUID must never take another's rows, nor miss its own deliveries.

let dir: string;
let store: SqliteStore;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'forget-keys-'));
  store = openSqliteStore(path.join(dir, 'state.db'));
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const NOW = 10 * FORGET_AFTER_MS;
const unlisted = { unlisted: NOW - FORGET_AFTER_MS };

/** A row under every key shape a Data Center repository's state has. */
const dcRows = (id: string) => [
  `activity:${id}`, `cache:repository:${id}`, `cache:repository-seen:${id}`, `cache:environments:${id}`, `reviewer:${id}:5:user`, `metrics:pr:${id}:5`, `metrics:branch:${id}:main`,
  `dc:builds:${id}`, `dc:pr:${id}:5`, `dc:retry:${id}:5`, `dc:build:${id}:abc`, `dc:webhook-same-second:${id}:5`, `dc:leftout:${id}:h`, `ref:${id}:branch:main`,
];
async function rows(): Promise<string[]> {
  const keys: string[] = [];
  for await (const { key } of allEntries(store, '', 1000)) keys.push(key);
  return keys.sort();
}
const forget = (edition: 'datacenter' | 'cloud', listed: string[], selected: string[]) =>
  forgetUnlistedRepositories({ store, edition, log: quietLogger(), now: NOW, listed: new Set(listed), selected: new Set(selected), gone: () => Promise.reject(new Error('a listed repository is not asked about')) });

it('Data Center: forgets id 1 and nothing of 12 or 123, and keeps 2 and 3 while a delivery or a saved webhook names them', async () => {
  for (const id of ['1', '12', '123', '2', '3']) for (const key of dcRows(id)) await store.set(key, { id });
  await store.set('dc:repo:1', { name: 'P/one', ...unlisted });
  await store.set('dc:repo:12', { name: 'P/twelve' });
  await store.set('dc:repo:123', { name: 'P/onetwothree' });
  await store.set('dc:repo:2', { name: 'P/two', ...unlisted });
  await store.set('dc:repo:3', { name: 'P/three', ...unlisted });
  // As Data Center's changes name a repository: its id (repositoryRef).
  await store.set('outbox:a', { change: { repository: { uuid: '2', slug: 'P/two' } } });
  await store.set('dc:inbox:3:000000000000001-000000', { body: '{}', at: 1, attempts: 0 });
  const before = await rows();

  expect(await forget('datacenter', ['1', '12', '123', '2', '3'], ['12', '123'])).toEqual(['P/one']);
  const gone = [...dcRows('1').filter((key) => !key.startsWith('ref:')), 'dc:repo:1'];
  expect(await rows()).toEqual(before.filter((key) => !gone.includes(key)));
});

it('Cloud: keeps a repository whose dead letter names it with braces and capitals, and forgets its neighbour', async () => {
  const [kept, forgotten] = ['0f0e0d0c-0000-4000-8000-00000000000a', '0f0e0d0c-0000-4000-8000-00000000000b'];
  for (const uuid of [kept!, forgotten!]) {
    await store.set(`bridge:cloud:${uuid}`, { name: `ws/${uuid}`, ...unlisted });
    for (const key of [`activity:${uuid}`, `reviewer:${uuid}:5:user`, `metrics:pr:${uuid}:5`, `cache:repository:${uuid}`, `cache:repository-seen:${uuid}`]) await store.set(key, { uuid });
  }
  // As Cloud's changes name a repository: its UUID as Bitbucket writes it.
  await store.set('dead:a', { entry: { change: { repository: { uuid: `{${kept!.toUpperCase()}}` } } }, reason: 'refused', deadAt: 1 });
  const before = await rows();

  expect(await forget('cloud', [kept!, forgotten!], [])).toEqual([`ws/${forgotten}`]);
  expect(await rows()).toEqual(before.filter((key) => !key.includes(forgotten!)));
});
