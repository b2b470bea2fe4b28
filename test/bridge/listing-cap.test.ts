import path from 'node:path';
import { readStatus } from '../../src/bridge/cli/status';
import { openSqliteStore } from '../../src/bridge/state/sqlite-store';
import { dcEnv, inProcessBridge, projectRepositories, type DcEnv } from './helpers';

// The repository listing stops at 100 pages so a misbehaving instance cannot page forever. An
// instance whose administrator lowered the page size (page.max.repositories) reaches that cap on a
// modest instance: the repositories past it stopped being polled, and nothing said so. Here the
// simulator answers one repository a page, so 101 repositories are one past the cap.

let env: DcEnv;
beforeAll(async () => (env = await dcEnv({ seed: 'listing-cap', projects: 1, repositoriesPerProject: 101, pullRequestsPerRepository: 0, historyDays: 1, corruptPullRequest: false, pageMax: 1 })));
afterAll(() => env.stop());

const warnings = (lines: string[]) => lines.map((line) => JSON.parse(line) as { level: string; msg: string }).filter((l) => l.level === 'warn').map((l) => l.msg);

it('says in the log and in status that the listing was cut at its cap, how many were read, and what to change', async () => {
  const db = path.join(env.dir, 'cap.db');
  const first = projectRepositories(env.sim)[0]!;
  const lines: string[] = [];
  // One repository selected, so the pass itself stays small: the listing still reads every page.
  const running = await inProcessBridge(env.config({ BRIDGE_DB: db, BITBUCKET_REPOS: `${first.projectKey}/${first.slug}` }), lines);
  try {
    await running.runPass();
  } finally {
    await running.stop();
  }
  const expected = 'the repository listing stopped at its cap of 100 pages after 100 repositories, with more to come: repositories past them are not polled. If an administrator lowered page.max.repositories (bitbucket.properties) below 1000, raise it back to 1000; otherwise give the bridge a token whose user reads fewer repositories';
  expect(warnings(lines)).toContain(expected);

  const store = openSqliteStore(db);
  try {
    const report = await readStatus(store);
    expect(report.attention).toContainEqual(expect.objectContaining({ kind: 'listing-cut', repository: null, message: expected }));
  } finally {
    store.close();
  }
});
