import { dcEnv, inProcessBridge, projectRepositories, type DcEnv } from './helpers';

// A push of more commits than a 256 KB body holds: the body keeps the newest 100 (with the files of
// the newest 50) and says it was cut. The bridge used to read up to 1,000 commits for it anyway (11
// commit pages for 1,250 commits); it now stops once what it read cannot all be sent, and PanDev gets
// the same body.
// A push whose file lists alone outgrow the body (vendoring, a big refactor) was refused as too
// large on every pass, and its repository with it: the oldest commits' lists now give way.

const COMMITS = 'GET /rest/api/1.0/projects/{projectKey}/repos/{repositorySlug}/commits';
const CHANGES = 'GET /rest/api/1.0/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}/changes';

let env: DcEnv;
beforeAll(async () => (env = await dcEnv({ seed: 'large-push', projects: 1, repositoriesPerProject: 1, pullRequestsPerRepository: 2, corruptPullRequest: false })));
afterAll(() => env.stop());

describe('a push larger than a body holds', () => {
  it('is read only as far as the body can carry it, and delivers the newest 100 commits, the newest 50 with their files', async () => {
    const running = await inProcessBridge(env.config());
    try {
      await running.runPass();
      await running.bridge.queue.idle();
      const repo = projectRepositories(env.sim)[0]!;
      const repository = `${repo.projectKey}/${repo.slug}`;
      env.sim.actions.createBranch({ repository, name: 'feature/big' });
      const commits: string[] = [];
      for (let i = 0; i < 25; i++) commits.push(...env.sim.actions.pushCommits({ repository, branch: 'feature/big', commits: 50 }).commits);
      env.sim.resetStats();
      const pushed = () => env.sink.deliveries().find((d) => d.eventKey === 'repo:refs_changed' && (d.body as any).changes[0].toHash === commits.at(-1));
      // A quiet repository reads its branches within three passes.
      for (let i = 0; i < 3 && !pushed(); i++) {
        await running.runPass();
        await running.bridge.queue.idle();
      }
      const body = pushed()!.body as any;
      const newest = [...commits].reverse();
      expect(body.pandev.commits.map((c: { id: string }) => c.id)).toEqual(newest.slice(0, 100));
      expect(body.pandev.commits.filter((c: { files?: unknown }) => c.files).map((c: { id: string }) => c.id)).toEqual(newest.slice(0, 50));
      expect(body.pandev.commits_truncated).toBe(true);
      expect(body.pandev.truncated).toEqual(['pandev.commits']);
      const routes = env.sim.stats().byRoute;
      expect(routes[CHANGES]).toBe(50);
      // 100 a page: the pages until the commits read outgrow 256 KB, not the 1,000-commit cap and one more.
      expect(routes[COMMITS]).toBeLessThan(10);
    } finally {
      await running.stop();
    }
  });
  it('whose file lists alone outgrow the body is delivered with the lists that fit, not refused on every pass', async () => {
    const lines: string[] = [];
    const running = await inProcessBridge(env.config({ BRIDGE_DB: `${env.dir}/files.db` }), lines);
    try {
      await running.runPass();
      await running.bridge.queue.idle();
      const repo = projectRepositories(env.sim)[0]!;
      const repository = `${repo.projectKey}/${repo.slug}`;
      env.sim.actions.createBranch({ repository, name: 'feature/vendored' });
      // A vendoring series: 20 commits of up to 400 files each, some 20 KB of paths per commit.
      const commits = env.sim.actions.pushCommits({ repository, branch: 'feature/vendored', commits: 20, files: 400 }).commits;
      const pushed = () => env.sink.deliveries().find((d) => d.eventKey === 'repo:refs_changed' && (d.body as any).changes[0].toHash === commits.at(-1));
      const failed: number[] = [];
      for (let i = 0; i < 3 && !pushed(); i++) {
        failed.push((await running.runPass()).failed);
        await running.bridge.queue.idle();
      }
      expect({ failed, reasons: lines.filter((l) => l.includes('poll failed')).map((l) => JSON.parse(l).reason) }).toEqual({ failed: failed.map(() => 0), reasons: [] });
      const body = pushed()!.body as any;
      expect(body.pandev.commits.map((c: { id: string }) => c.id)).toEqual([...commits].reverse());
      const listed = body.pandev.commits.filter((c: { files?: unknown }) => c.files);
      // The newest commits keep their lists; every commit still says how many files it changed.
      expect(listed.length).toBeGreaterThan(0);
      expect(body.pandev.commits.slice(0, listed.length)).toEqual(listed);
      const model = env.sim.model.repositories.find((r) => r.id === repo.id)!;
      expect(body.pandev.commits.map((c: { files_count: number }) => c.files_count)).toEqual([...commits].reverse().map((id) => model.commits.get(id)!.changes.length));
      expect(body.pandev.commits.slice(listed.length).every((c: { files_truncated: boolean }) => c.files_truncated)).toBe(true);
      expect(body.pandev.truncated).toContain('pandev.commits[].files');
    } finally {
      await running.stop();
    }
  });
});
