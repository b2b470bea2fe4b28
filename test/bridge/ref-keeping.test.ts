import { startBridge } from '../../src/bridge/runner';
import { dcEnv, projectRepositories, quietLogger, type DcEnv } from './helpers';

// The bridge keeps each branch's and tag's delivered tip for 400 days after it last wrote it. A ref
// that stands still longer (a release tag, a dormant repository's branches) must not lapse: the poll
// would take it for a new one and announce it to PanDev again, with its commits.

let env: DcEnv;
beforeAll(async () => (env = await dcEnv({ seed: 'ref-keeping', projects: 1, repositoriesPerProject: 1, pullRequestsPerRepository: 1, corruptPullRequest: false })));
afterAll(() => env.stop());

const DAY = 24 * 3600_000;
/** Enough for the poll to list every branch in full and the tags (every tenth pass). */
const FULL_READ_PASSES = 12;

it('keeps standing refs for good: a year and more later the poll sends nothing for them', async () => {
  let shift = 0;
  const running = await startBridge(env.config(), { manual: true, log: quietLogger(), timeScale: 1, clock: { now: () => Date.now() + shift } });
  const passes = async (count: number) => {
    for (let i = 0; i < count; i++) await running.runPass();
    await running.bridge.queue.idle();
  };
  try {
    const repo = projectRepositories(env.sim)[0]!;
    const repository = `${repo.projectKey}/${repo.slug}`;
    env.sim.actions.createTag({ repository, name: 'release-1', target: repo.defaultBranch });
    env.sim.actions.createBranch({ repository, name: 'maintenance/1.x' });
    await passes(FULL_READ_PASSES);
    const pushes = () => env.sink.deliveries().filter((d) => d.eventKey === 'repo:refs_changed').length;
    const before = pushes();

    // Read every few months, as a running bridge reads them every ten minutes.
    for (const days of [150, 300, 450, 600]) {
      shift = days * DAY;
      await passes(FULL_READ_PASSES);
    }
    expect(pushes()).toBe(before);
  } finally {
    await running.stop();
  }
});
