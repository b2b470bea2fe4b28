import { openSqliteStore } from '../../src/bridge/state/sqlite-store';
import { refStateStore } from '../../src/core/pipeline/ref-state';
import { dcEnv, inProcessBridge, projectRepositories, settledPass, type DcEnv } from './helpers';

// A backfill holds its branch moves (ten at a time) until their tips' builds are on record, then
// stages them and records each tip. A pass that fails with moves held must leave no tip recorded
// without its push, nor a tip watched whose push was not staged; the next pass stages each once.

let env: DcEnv;
beforeAll(async () => (env = await dcEnv({ seed: 'held-moves', projects: 1, repositoriesPerProject: 1, pullRequestsPerRepository: 1, corruptPullRequest: false })));
afterAll(() => env.stop());

it('a backfill failing after one batch of moves went on record stages each move once, watched, at the next pass', async () => {
  const repo = projectRepositories(env.sim)[0]!;
  const repository = `${repo.projectKey}/${repo.slug}`;
  const tips = new Map<string, string>();
  for (let i = 0; i < 15; i++) {
    env.sim.actions.createBranch({ repository, name: `feature/held-${i}` });
    tips.set(`feature/held-${i}`, env.sim.actions.pushCommits({ repository, branch: `feature/held-${i}`, commits: 1 }).commits[0]!);
  }
  // The backfill reads them as Data Center lists them (same second: in any order): the last one
  // listed is read after the first ten moves went on record.
  const listed = await fetch(`${env.sim.url}/rest/api/latest/projects/${repo.projectKey}/repos/${repo.slug}/branches?orderBy=MODIFICATION&limit=1000`, { headers: { authorization: `Bearer ${env.sim.credentials.admin.token}` } });
  const last = ((await listed.json()) as { values: Array<{ displayId: string }> }).values.map((branch) => branch.displayId).filter((name) => tips.has(name)).at(-1)!;
  env.sim.faults.add({ method: 'GET', path: `/commits/${tips.get(last)}/changes$`, status: 400, times: 1 });
  const pushed = () => env.sink.deliveries().filter((d) => d.eventKey === 'repo:refs_changed').map((d) => (d.body as { changes: Array<{ ref: { displayId: string }; toHash: string }> }).changes[0]!);
  const state = async () => {
    const store = openSqliteStore(env.config().bridge.db);
    try {
      const refs = refStateStore(store);
      const recorded = new Map<string, string | null | undefined>();
      for (const name of tips.keys()) recorded.set(name, (await refs.get(String(repo.id), 'branch', name))?.tip);
      const watched = new Set(((await store.get<{ commits: Array<{ id: string }> }>(`dc:builds:${repo.id}`))?.commits ?? []).map((commit) => commit.id));
      return { recorded, watched };
    } finally {
      store.close();
    }
  };

  const running = await inProcessBridge(env.config());
  try {
    expect((await settledPass(running)).failed).toBe(1);
    const staged = new Set(pushed().filter((change) => tips.has(change.ref.displayId)).map((change) => change.ref.displayId));
    expect(staged.size).toBeGreaterThan(0);
    expect(staged.size).toBeLessThan(tips.size);
    const after = await state();
    for (const [name, tip] of tips) {
      expect({ name, recorded: after.recorded.get(name) }).toEqual({ name, recorded: staged.has(name) ? tip : undefined });
      expect({ name, watched: after.watched.has(tip) }).toEqual({ name, watched: staged.has(name) });
    }

    expect((await settledPass(running)).failed).toBe(0);
    const end = await state();
    for (const [name, tip] of tips) {
      expect({ name, pushes: pushed().filter((change) => change.ref.displayId === name).map((change) => change.toHash) }).toEqual({ name, pushes: [tip] });
      expect({ name, recorded: end.recorded.get(name), watched: end.watched.has(tip) }).toEqual({ name, recorded: tip, watched: true });
    }
  } finally {
    await running.stop();
  }
}, 60_000);
