import Database from 'better-sqlite3';
import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { openSqliteStore } from '../../src/bridge/state/sqlite-store';
import { runCli, runCommand } from '../helpers/cli';
import { dcEnv, type DcEnv } from './helpers';

// BRIDGE_DB pointing at something that is not the bridge's state (another file, a damaged copy): every
// command that opens it ended with SQLite's bare 'file is not a database', naming neither the setting
// nor what to do.

let env: DcEnv;
beforeAll(async () => (env = await dcEnv({ seed: 'state-damaged', projects: 1, repositoriesPerProject: 1, pullRequestsPerRepository: 1, corruptPullRequest: false })));
afterAll(() => env.stop());

/** A state file the bridge made, whose schema pages were then overwritten (what a full disk or a torn copy leaves). */
async function damagedState(): Promise<string> {
  const db = path.join(env.dir, 'damaged.db');
  const store = openSqliteStore(db);
  await store.set('cursor:x', { at: 1 });
  store.close();
  const checkpointed = new Database(db);
  checkpointed.pragma('wal_checkpoint(TRUNCATE)');
  checkpointed.close();
  const fd = openSync(db, 'r+');
  writeSync(fd, Buffer.alloc(4000, 0x5a), 0, 4000, 100);
  closeSync(fd);
  return db;
}

function notState(): string {
  const db = path.join(env.dir, 'notes.txt');
  writeFileSync(db, 'these are not the bridge state, just some notes somebody kept\n'.repeat(20), { mode: 0o600 });
  return db;
}

const fixIt = (db: string) => new RegExp(`BRIDGE_DB \\(YAML: bridge\\.db\\) ${db.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} cannot be read as the bridge's state \\(SQLite: [^)]+\\)\\. If it names another file, point BRIDGE_DB at the state file the bridge made\\. If it is that file and it was damaged`);

it.each([['a file that is not SQLite', notState], ['a damaged state file', damagedState]])('status and dead-letters list on %s say which setting and what to do, and exit 1', async (_what, make) => {
  const db = await make();
  for (const args of [['status'], ['status', '--json'], ['dead-letters', 'list']]) {
    const { code, stderr } = await runCommand(args, { BRIDGE_DB: db });
    expect({ args, stderr }).toEqual({ args, stderr: expect.stringMatching(fixIt(db)) });
    expect(code).toBe(1);
  }
});

it('bridge on a file that is not SQLite ends its start with the same message, and leaves the file as it was', async () => {
  const db = notState();
  const before = readFileSync(db, 'utf8');
  const child = runCli(['bridge'], { ...env.env, BRIDGE_DB: db, BRIDGE_LOG_LEVEL: 'error' });
  expect(await child.exited()).toBe(1);
  expect(child.output()).toMatch(fixIt(db));
  expect(child.output()).not.toContain(env.env.BITBUCKET_TOKEN!);
  expect(readFileSync(db, 'utf8')).toBe(before);
});
