import { dcEnv, inProcessBridge, projectRepositories, type DcEnv } from './helpers';

// A selection that matches nothing (a typo in a project key, a PAT whose user reads no repository)
// leaves a bridge that is healthy and polls nothing. The operator learns of it from the first pass's
// log, not from PanDev's missing data weeks later.

let env: DcEnv;
beforeAll(async () => (env = await dcEnv({ seed: 'selection-warnings', projects: 1, repositoriesPerProject: 2, pullRequestsPerRepository: 1, corruptPullRequest: false })));
afterAll(() => env.stop());

const warnings = (lines: string[]) => lines.map((line) => JSON.parse(line) as { level: string; msg: string }).filter((l) => l.level === 'warn').map((l) => l.msg);

describe('a selection that matches nothing', () => {
  it('names each project or repository pattern that matches no repository the token can read, at the first pass', async () => {
    const key = projectRepositories(env.sim)[0]!.projectKey;
    const lines: string[] = [];
    const running = await inProcessBridge(env.config({ BRIDGE_DB: `${env.dir}/typo.db`, BITBUCKET_PROJECTS: `${key},NOPE,!ARCHIVE`, BITBUCKET_REPOS: `${key}/*,OTHER/api` }), lines);
    try {
      const pass = await running.runPass();
      expect(pass.repositories).toBeGreaterThan(0);
      expect(warnings(lines)).toEqual([
        'BITBUCKET_PROJECTS (YAML: bitbucket.projects) pattern NOPE matches no project of the repositories the token can read: check the spelling (project keys, e.g. PRJ, not names) and that the token\'s user can read the project',
        'BITBUCKET_REPOS (YAML: bitbucket.repos) pattern OTHER/api matches no repository the token can read: check the spelling (PROJECT/slug) and that the token\'s user can read the repository',
      ]);
    } finally {
      await running.stop();
    }
  });

  it('says so when nothing at all is selected, instead of polling nothing in silence', async () => {
    const lines: string[] = [];
    const running = await inProcessBridge(env.config({ BRIDGE_DB: `${env.dir}/none.db`, BITBUCKET_PROJECTS: 'NOPE' }), lines);
    try {
      expect((await running.runPass()).repositories).toBe(0);
      expect(warnings(lines)).toContain('no repository is selected: BITBUCKET_PROJECTS, BITBUCKET_REPOS and BRIDGE_SHARD leave nothing to poll among the repositories the token can read; `pandev-bitbucket check` lists them');
    } finally {
      await running.stop();
    }
  });
});
