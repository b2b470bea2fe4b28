import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { StatusReport } from '../../src/bridge/cli/status';
import { runCommand } from '../helpers/cli';
import { dcEnv, deliveredPullRequestEvents, expectedPullRequestEvents, sorted, type DcEnv } from './helpers';

// Every other test runs the TypeScript (in process, or through tsx); an operator runs `npx
// pandev-bitbucket`, the package's bin and the compiled dist/. This runs that: a backfill of a Data
// Center instance to PanDev and the status after it, so a build that drops a module, or code that works
// only under tsx, fails here rather than at an operator's first run.

const ROOT = path.resolve(__dirname, '../..');

/** The newest modification time of the TypeScript under `dir`. */
function newestSource(dir: string): number {
  return Math.max(...readdirSync(dir, { withFileTypes: true }).map((entry) => {
    const file = path.join(dir, entry.name);
    return entry.isDirectory() ? newestSource(file) : entry.name.endsWith('.ts') ? statSync(file).mtimeMs : 0;
  }));
}

let env: DcEnv;
beforeAll(async () => {
  // A dist/ older than src/ would test yesterday's code: say so instead (`npm ci` builds it fresh).
  const built = statSync(path.join(ROOT, 'dist/cli/main.js'), { throwIfNoEntry: false });
  if (!built || built.mtimeMs < newestSource(path.join(ROOT, 'src'))) throw new Error('dist/ is missing or older than src/: run `npm run build` first (npm ci runs it)');
  env = await dcEnv({ seed: 'packaged', projects: 1, repositoriesPerProject: 2, pullRequestsPerRepository: 4, corruptPullRequest: false });
});
afterAll(() => env?.stop());

it('npx pandev-bitbucket backfill delivers a Data Center instance’s history to PanDev, and status then says it is done', async () => {
  const run = await runCommand(['backfill', '--wait', '5'], env.env, { packaged: true });
  // Its log (stderr) says what it did, with no error among it.
  expect(run.stderr).toContain('"msg":"backfill ended"');
  expect(run.stderr).not.toMatch(/"level":"(warn|error|fatal)"/);
  // The project's two repositories and the fork a personal project holds.
  expect(run.stdout).toMatch(/^3 repositories polled \(0 failed\), \d+ deliveries found, \d+ delivered, 0 pull requests skipped$/m);
  expect(run.code).toBe(0);
  expect(sorted(deliveredPullRequestEvents(env.sink))).toEqual(sorted(expectedPullRequestEvents(env.sim)));

  const status = await runCommand(['status', '--json'], { BRIDGE_DB: env.env.BRIDGE_DB! }, { packaged: true });
  expect(status.code).toBe(0);
  const report = StatusReport.parse(JSON.parse(status.stdout));
  expect(report.backfill.state).toBe('done');
  expect(report.repositories.map((repo) => repo.lastSuccessAt !== null)).toEqual([true, true, true]);
}, 60_000);
