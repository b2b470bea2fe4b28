import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openSqliteStore } from '../../src/bridge/state/sqlite-store';
import { keyedLock } from '../../src/bridge/util/keyed-lock';
import { webhookInbox } from '../../src/bridge/webhooks/inbox';

// A saved webhook is only given up when it cannot ever be handled: the state database being busy a
// moment (a CLI command holding the file) must not drop a deletion no poll would find again.

const dir = mkdtempSync(path.join(tmpdir(), 'inbox-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const silent = { debug() {}, info() {}, warn() {}, error() {} };

it('keeps a webhook whose handling failed for a passing reason, and drops one that cannot be read', async () => {
  const store = openSqliteStore(path.join(dir, 'state.db'));
  const handled: string[] = [];
  let busy = true;
  const inbox = webhookInbox({
    store, lock: keyedLock(), clock: { now: () => Date.now() }, log: silent, max: 10, stopping: () => false,
    handle: async (body) => {
      const parsed = JSON.parse(body) as { id: string };
      if (busy) throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
      handled.push(parsed.id);
    },
  });
  await inbox.accept('PRJ/api', JSON.stringify({ id: 'branch-deleted' }));
  await inbox.drain('PRJ/api');
  expect(store.count('dc:inbox:')).toBe(1);
  busy = false;
  await inbox.resume();
  expect(handled).toEqual(['branch-deleted']);
  expect(store.count('dc:inbox:')).toBe(0);

  await inbox.accept('PRJ/api', '{not json');
  await inbox.drain('PRJ/api');
  expect(store.count('dc:inbox:')).toBe(0);
  store.close();
});
