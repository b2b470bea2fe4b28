import path from 'node:path';
import { StatusReport } from '../../src/bridge/cli/status';
import { SKIPPED_READS_FOR_ATTENTION } from '../../src/bridge/cli/status-skipped';
import { runCommand as cli } from '../helpers/cli';
import { dcEnv, inProcessBridge, type DcEnv } from './helpers';

// A pull request Bitbucket cannot serve is skipped and tried again every pass, which `status` listed
// under its repository as information only: exit 0 while PanDev missed its changes pass after pass, so
// no monitoring check ever alerted. Skipped a few reads in a row, it needs a person.

let env: DcEnv;
// The simulator's corrupt pull request answers 500 on its own endpoints, as a broken one does.
beforeAll(async () => (env = await dcEnv({ seed: 'status-skipped', projects: 1, repositoriesPerProject: 1, pullRequestsPerRepository: 3 })));
afterAll(() => env.stop());

async function status(db: string) {
  const json = await cli(['status', '--json'], { BRIDGE_DB: db });
  return { code: json.code, report: StatusReport.parse(JSON.parse(json.stdout)) };
}

it('a pull request skipped read after read becomes an attention item with its reason and what to do, and exits 1', async () => {
  const db = path.join(env.dir, 'skipped.db');
  const corrupt = env.sim.corrupt!;
  const name = `${corrupt.projectKey}/${corrupt.repositorySlug}`;
  const running = await inProcessBridge(env.config({ BRIDGE_DB: db }));
  try {
    // A quiet repository reads its pull requests every other pass: the count is of reads, not passes.
    for (let pass = 0; pass < 4 * SKIPPED_READS_FOR_ATTENTION; pass++) {
      await running.runPass();
      const { code, report } = await status(db);
      const failures = report.repositories.flatMap((repo) => repo.skipped).find((skip) => skip.pullRequest === corrupt.pullRequestId)?.failures ?? 0;
      if (failures >= SKIPPED_READS_FOR_ATTENTION) break;
      // A blip is information, not an alert.
      expect(failures).toBeGreaterThan(0);
      expect(report.attention).toEqual([]);
      expect(code).toBe(0);
    }
    await running.bridge.queue.idle();
  } finally {
    await running.stop();
  }

  const { code, report } = await status(db);
  expect(code).toBe(1);
  expect(report.attention).toEqual([
    { kind: 'pull-request-skipped', repository: name, repositoryId: expect.any(String), at: expect.any(String), message: expect.stringContaining(`pull request #${corrupt.pullRequestId}`) },
  ]);
  const [item] = report.attention;
  expect(item!.message).toMatch(new RegExp(`last ${SKIPPED_READS_FOR_ATTENTION} reads`));
  // The skip reason, as Bitbucket gave it, and what to do.
  expect(item!.message).toMatch(/500.*object database corrupt/);
  expect(item!.message).toMatch(/Open it in Bitbucket/);
  expect(item!.message).toMatch(/PanDev support/);

  const text = await cli(['status'], { BRIDGE_DB: db });
  expect(text.code).toBe(1);
  const lines = text.stdout.split('\n');
  const attention = lines.slice(lines.findIndex((line) => /needs attention \(1\)/.test(line)), lines.findIndex((line) => line.startsWith('outbox'))).join('\n');
  expect(attention).toContain(`${name} (${item!.repositoryId}): pull request #${corrupt.pullRequestId} was skipped`);
});

it('a repository left out, with its skipped pull request, no longer needs attention: nothing reads it', async () => {
  const db = path.join(env.dir, 'left-out.db');
  const corrupt = env.sim.corrupt!;
  const name = `${corrupt.projectKey}/${corrupt.repositorySlug}`;
  const first = await inProcessBridge(env.config({ BRIDGE_DB: db }));
  try {
    for (let pass = 0; pass < 4 * SKIPPED_READS_FOR_ATTENTION && (await status(db)).code === 0; pass++) await first.runPass();
  } finally {
    await first.stop();
  }
  expect((await status(db)).report.attention.map((item) => item.kind)).toEqual(['pull-request-skipped']);

  const second = await inProcessBridge(env.config({ BRIDGE_DB: db, BITBUCKET_REPOS: `!${name}` }));
  await second.runPass().finally(() => second.stop());
  const { code, report } = await status(db);
  expect(report.attention).toEqual([]);
  expect(code).toBe(0);
});
