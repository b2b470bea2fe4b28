import { openSqliteStore } from '../../src/bridge/state/sqlite-store';
import { runCommand } from '../helpers/cli';
import { dcEnv, inProcessBridge, projectRepositories, settledPass, type DcEnv } from './helpers';

// `dead-letters list` shows the newest first, the ones an older version kept (under their id alone) too.

let env: DcEnv;
beforeAll(async () => (env = await dcEnv({ seed: 'dead-newest', projects: 1, repositoriesPerProject: 1, pullRequestsPerRepository: 3, corruptPullRequest: false })));
afterAll(() => env.stop());

interface Listed {
  id: string;
  deadAt: number;
}

async function listed(): Promise<Listed[]> {
  const answer = await runCommand(['dead-letters', 'list', '--json'], { BRIDGE_DB: env.env.BRIDGE_DB! });
  expect(answer.code).toBe(0);
  return JSON.parse(answer.out) as Listed[];
}

function expectNewestFirst(letters: Listed[]): void {
  const times = letters.map((letter) => letter.deadAt);
  expect(times).toEqual([...times].sort((a, b) => b - a));
}

it('lists the newest dead letters first, letters kept by an older version among them', async () => {
  env.sink.respondNext(400, 100_000, 'payload refused');
  const running = await inProcessBridge(env.config());
  let older: Listed[];
  try {
    await settledPass(running);
    older = await listed();
    expect(older.length).toBeGreaterThan(5);
    // A later burial must fall on a later millisecond than any earlier one.
    const latest = Math.max(...older.map((letter) => letter.deadAt));
    while (Date.now() <= latest) await new Promise((resolve) => setImmediate(resolve));
    const repo = projectRepositories(env.sim)[0]!;
    env.sim.actions.openPullRequest({ repository: `${repo.projectKey}/${repo.slug}`, title: 'Refused last' });
    await settledPass(running);
  } finally {
    await running.stop();
  }
  const all = await listed();
  const known = new Set(older.map((letter) => letter.id));
  const newest = all.filter((letter) => !known.has(letter.id)).map((letter) => letter.id);
  expect(newest.length).toBeGreaterThan(0);
  expect(all.slice(0, newest.length).map((letter) => letter.id).sort()).toEqual([...newest].sort());
  expectNewestFirst(all);

  // What an older version left: the letters, and none of the rows that order them.
  const store = openSqliteStore(env.env.BRIDGE_DB!);
  try {
    for (const { key } of (await store.list('dead-newest:', { limit: 1000 })).entries) await store.delete(key);
  } finally {
    store.close();
  }
  const upgraded = await listed();
  expect(upgraded).toEqual(all);
});
