import path from 'node:path';
import { StatusReport } from '../../src/bridge/cli/status';
import { runCommand } from '../helpers/cli';
import { dcEnv, inProcessBridge, projectRepositories, type DcEnv } from './helpers';

// The branch and tag listings stop at 50 pages so a misbehaving instance cannot page forever. An
// administrator who lowered page.max.branches / page.max.tags makes a modest repository reach that
// cap: the branches and tags past it were never compared, so their pushes never reached PanDev, and
// nothing said so. Here the simulator answers one ref a page, so 51 of each are past the cap.

let env: DcEnv;
beforeAll(async () => (env = await dcEnv({ seed: 'refs-cap', projects: 1, repositoriesPerProject: 1, pullRequestsPerRepository: 0, historyDays: 1, corruptPullRequest: false, pageMax: 1 })));
afterAll(() => env.stop());

const warnings = (lines: string[]) => lines.map((line) => JSON.parse(line) as { level: string; msg: string }).filter((l) => l.level === 'warn').map((l) => l.msg);

async function status(db: string) {
  const json = await runCommand(['status', '--json'], { BRIDGE_DB: db });
  const text = await runCommand(['status'], { BRIDGE_DB: db });
  return { code: json.code, report: StatusReport.parse(JSON.parse(json.stdout)), text: text.stdout };
}

it('a branch or tag listing cut at its cap says so once in the log and in status (refs-cut) until a listing reads them all', async () => {
  const repo = projectRepositories(env.sim)[0]!;
  const repository = `${repo.projectKey}/${repo.slug}`;
  const extra = Array.from({ length: 51 }, (_, i) => `many-${String(i).padStart(2, '0')}`);
  for (const name of extra) {
    env.sim.actions.createBranch({ repository, name });
    env.sim.actions.createTag({ repository, name });
  }
  const branches = (cut: number) => `the branch listing stopped at its cap of 50 pages after ${cut} branches, with more to come: branches past them are not compared, and their pushes are not sent to PanDev. If an administrator lowered page.max.branches (bitbucket.properties) below 100, raise it back to 100; otherwise delete branches no longer used`;
  const tags = branches(50).replace(/branches/g, 'tags').replace('branch listing', 'tag listing');
  const db = path.join(env.dir, 'refs.db');
  const lines: string[] = [];
  const running = await inProcessBridge(env.config({ BRIDGE_DB: db }), lines);
  try {
    expect((await running.runPass()).failed).toBe(0);
    expect(warnings(lines).filter((msg) => msg === branches(50) || msg === tags)).toEqual([branches(50), tags]);
    const cut = await status(db);
    expect(cut.code).toBe(1);
    expect(cut.report.attention).toEqual([
      expect.objectContaining({ kind: 'refs-cut', repository, repositoryId: String(repo.id), message: branches(50) }),
      expect.objectContaining({ kind: 'refs-cut', repository, repositoryId: String(repo.id), message: tags }),
    ]);
    expect(cut.text).toContain(`${repository} (${repo.id}): `);

    // Under the cap again: the tag listing (every tenth pass, with a whole branch listing) reads to its
    // end and the attention goes; the log said it once, not once a pass.
    for (const name of extra) {
      env.sim.actions.deleteBranch({ repository, name });
      env.sim.actions.deleteTag({ repository, name });
    }
    for (let pass = 0; pass < 10; pass++) expect((await running.runPass()).failed).toBe(0);
    expect(warnings(lines).filter((msg) => msg === branches(50) || msg === tags)).toHaveLength(2);
  } finally {
    await running.stop();
  }
  const clear = await status(db);
  expect(clear.report.attention).toEqual([]);
  expect(clear.code).toBe(0);
}, 120_000);
