import { node } from '../../src/sandbox/dc-sim/model/commits';
import { dcEnvLongAgo, inProcessBridge, projectRepositories, settledPass } from './helpers';

// The first pass (the backfill) sends a tag on a commit inside the window as the tag's push, with
// origin backfill, as the Cloud backfill does; a tag on an older commit is only remembered. The
// commits the pass read tell which is which without a request; a first pass run again after failing
// did not read the branches it had delivered, and reads each tag's commit instead.

let env: Awaited<ReturnType<typeof dcEnvLongAgo>>;
let repository: string;
let tags: { old: string; recent: string };
beforeAll(async () => {
  // Seeded history that ends 40 days ago, then one commit today on the default branch.
  env = await dcEnvLongAgo('first-pass-tags');
  const repo = projectRepositories(env.sim)[0]!;
  repository = `${repo.projectKey}/${repo.slug}`;
  tags = { old: env.sim.actions.createTag({ repository, name: 'release-old', target: repo.defaultBranch }).commit, recent: '' };
  env.today();
  env.sim.actions.pushCommits({ repository, branch: repo.defaultBranch, commits: 1 });
  tags.recent = env.sim.actions.createTag({ repository, name: 'release-new', message: 'Release new', target: repo.defaultBranch }).commit;
});
afterAll(() => env.stop());

const tagPushes = (sink = env.sink) =>
  sink
    .deliveries()
    .filter((d) => d.eventKey === 'repo:refs_changed' && (d.body as { changes: Array<{ ref: { type: string } }> }).changes[0]!.ref.type === 'TAG')
    .map((d) => ({ tag: (d.body as { changes: Array<{ ref: { displayId: string }; fromHash: string }> }).changes[0]!.ref.displayId, origin: d.headers['x-pandev-origin'], id: d.headers['x-request-uuid'] }));

const commitReads = () => env.sim.stats().byRoute['GET /rest/api/1.0/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}'] ?? 0;

it('sends the tag on a commit inside the window, not the older one, and reads no commit to tell them apart', async () => {
  expect(tags.recent).not.toBe(tags.old);
  env.sim.resetStats();
  const running = await inProcessBridge(env.config());
  try {
    expect((await settledPass(running)).failed).toBe(0);
    expect(tagPushes().map(({ tag, origin }) => ({ tag, origin }))).toEqual([{ tag: 'release-new', origin: 'backfill' }]);
    expect(commitReads()).toBe(0);
    // When the tag was made is not known: its commit's time stands for it, not 1970.
    const repo = projectRepositories(env.sim)[0]!;
    const pushed = env.sink.deliveries().find((d) => d.headers['x-request-uuid'] === tagPushes()[0]!.id)!.body as { date: string; pandev: { event_time: string } };
    const committed = node(env.sim.model, repo, tags.recent)!.at;
    expect(Date.parse(pushed.pandev.event_time)).toBe(committed);
    expect(Date.parse(pushed.date)).toBe(Math.floor(committed / 1000) * 1000);
    // A later pass over the tags (every tenth) sends neither again.
    for (let i = 0; i < 10; i++) expect((await settledPass(running)).failed).toBe(0);
    expect(tagPushes()).toHaveLength(1);
  } finally {
    await running.stop();
  }
}, 60_000);

it('a first pass run again after failing at the tags reads their commits and sends the same delivery', async () => {
  const first = tagPushes()[0]!;
  const repo = projectRepositories(env.sim)[0]!;
  // A state file of its own: the first pass again, failing once it has delivered the branches.
  const config = env.config({ BRIDGE_DB: `${env.dir}/again.db` });
  env.sim.faults.add({ method: 'GET', path: `/projects/${repo.projectKey}/repos/${repo.slug}/tags$`, status: 400, times: 1 });
  env.sim.resetStats();
  const running = await inProcessBridge(config);
  try {
    expect((await settledPass(running)).failed).toBe(1);
    expect((await settledPass(running)).failed).toBe(0);
    // The receiver keeps one copy per id: the same id as the first state file's backfill sent.
    expect(tagPushes()).toEqual([first]);
    // One read per tag of the repository: none of their commits was read by this pass.
    expect(commitReads()).toBe(repo.tags.size);
    expect(repo.tags.size).toBeGreaterThanOrEqual(2);
  } finally {
    await running.stop();
  }
}, 60_000);
