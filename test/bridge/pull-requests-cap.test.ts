import { readStatus, StatusReport } from '../../src/bridge/cli/status';
import { runCommand } from '../helpers/cli';
import { pollState } from '../../src/bridge/poll/state';
import { openSqliteStore } from '../../src/bridge/state/sqlite-store';
import { dcEnv, deliveredPullRequestEvents, expectedPullRequestEvents, inProcessBridge, oneRepositoryBridge, projectRepositories, settledPass, sorted, type DcEnv } from './helpers';

// A repository's pull-request list is read newest first, at most 2,000 pages a pass. Cut there, the
// pull requests past it used to be left unread while the watermark moved past them: what changed on
// them never reached PanDev. Now the watermark waits, and the next passes read on from where the cut
// stopped. Here the cap is 20 pages (the bridge's start option; the message says the cap met) and the
// simulator answers one pull request a page, so 21 pull requests opened between two passes are one past
// the cap. Its clock puts them a minute apart, hours ago: each pass also reads five minutes behind its
// watermark, and those few minutes must hold a few of them, not the whole list past the cap.

const CAP = 20;
const capped = { pullRequestPages: CAP };

let env: DcEnv;
let running: Awaited<ReturnType<typeof inProcessBridge>>;
let repository: string;
let stop: () => Promise<void>;
let simNow = Date.now() - 6 * 3_600_000;
const APART = 60_000;
beforeAll(async () => ({ env, running, repository, stop } = await oneRepositoryBridge({ seed: 'pull-requests-cap', pullRequestsPerRepository: 0, historyDays: 1, pageMax: 1, clock: { now: () => simNow } }, capped)), 60_000);
afterAll(async () => {
  await running.stop();
  await stop();
});

async function status() {
  const db = running.bridge.config.bridge.db;
  const json = await runCommand(['status', '--json'], { BRIDGE_DB: db });
  const text = await runCommand(['status'], { BRIDGE_DB: db });
  return { code: json.code, report: StatusReport.parse(JSON.parse(json.stdout)), text: text.stdout };
}

function openPullRequests(count: number, on = { sim: env.sim, repository }): number[] {
  const opened: number[] = [];
  for (let i = 0; i < count; i++) {
    simNow += APART;
    const pr = on.sim.actions.openPullRequest({ repository: on.repository, title: `Change ${i}`, commits: 1 });
    opened.push(pr.pullRequestId);
    // Their branches would reach the branch listing's own cap (refs-cap.test.ts): that is another story.
    on.sim.actions.deleteBranch({ repository: on.repository, name: pr.fromBranch });
  }
  return opened;
}

/** The simulator's instance also holds a personal fork of it, which has no pull requests. */
const ours = (report: StatusReport) => report.repositories.find((repo) => repo.name === repository)!;
const cutItems = async () => (await readStatus(running.bridge.store)).attention.filter((item) => item.kind === 'pull-requests-cut');

const READ_ON = new RegExp(String.raw`^the pull-request list stopped at its cap of ${CAP} pages after ${CAP} pull requests, with more to come \(the last one read was updated \S+\): the pull requests past them are being read on from there, pass after pass, so what changed on them .* reaches PanDev later, not never; this clears once .*To speed it up: if an administrator lowered page\.max\.\* \(bitbucket\.properties\) below 100, raise it back to 100; turn on Data Center webhooks \(BRIDGE_WEBHOOK_SECRET\).*a narrower window \(BRIDGE_BACKFILL_DAYS\)$`);

it('reads on past the list cap on the next pass: each pull request past it reaches PanDev once, and the status item clears', async () => {
  const opened = openPullRequests(CAP + 2);
  const watermarkBefore = ours((await status()).report).watermark;
  expect((await settledPass(running)).failed).toBe(0);
  // The two opened first are the last updated: past the cap, not read this pass.
  const openedDelivered = () => env.sink.deliveries().filter((d) => d.eventKey === 'pr:opened').map((d) => (d.body as { pullRequest: { id: number } }).pullRequest.id);
  expect(opened.filter((id) => !openedDelivered().includes(id))).toEqual([opened[0], opened[1]]);

  const shown = await status();
  expect(shown.code).toBe(1);
  expect(shown.report.attention).toEqual([expect.objectContaining({ kind: 'pull-requests-cut', repository, message: expect.stringMatching(READ_ON) })]);
  expect(shown.text).toContain(`${repository} (${shown.report.attention[0]!.repositoryId}): ${shown.report.attention[0]!.at} the pull-request list stopped`);
  // The watermark waits for what the cut left: moved past it, no later pass would read it.
  expect(ours(shown.report).watermark).toBe(watermarkBefore);

  // Before the next pass the list shifts: one past the cut is commented on (it moves to the front), a
  // new one comes in, and three read already are deleted, so the unread part moves up past where the
  // cut stopped.
  simNow += APART;
  env.sim.actions.addComment({ repository, pullRequestId: opened[1]!, text: 'still wanted' });
  const deleted = [opened[CAP / 2]!, opened[CAP / 2 + 1]!, opened[CAP / 2 + 2]!];
  for (const id of deleted) env.sim.actions.deletePullRequest({ repository, pullRequestId: id });
  const [late] = openPullRequests(1);

  expect((await settledPass(running)).failed).toBe(0);
  // Everything the pull requests did, each once; the deleted ones' openings went out before they were.
  const repoId = String(env.sim.model.repositories.find((r) => `${r.projectKey}/${r.slug}` === repository)!.id);
  const delivered = () => new Map([...deliveredPullRequestEvents(env.sink)].filter(([name]) => !deleted.some((id) => name.startsWith(`${repoId}/${id} `))));
  expect(sorted(delivered())).toEqual(sorted(expectedPullRequestEvents(env.sim)));
  expect(delivered().get(`${repoId}/${opened[0]} pr:opened`)).toBe(1);
  expect(delivered().get(`${repoId}/${opened[1]} pr:comment:added`)).toBe(1);
  expect(delivered().get(`${repoId}/${late} pr:opened`)).toBe(1);

  // Read on to the watermark: nothing is left unread, so nothing needs attention, and the watermark moves.
  expect(await cutItems()).toEqual([]);
  const after = await status();
  expect(after.code).toBe(0);
  expect(Date.parse(ours(after.report).watermark)).toBeGreaterThan(Date.parse(watermarkBefore));

  // Done: a quiet pass reads the head only and sends nothing again.
  const count = env.sink.deliveries().length;
  expect((await settledPass(running)).failed).toBe(0);
  expect(env.sink.deliveries().length).toBe(count);
}, 180_000);

it('a repository no longer polled shows no pull-requests-cut, though a part of its list was left unread', async () => {
  openPullRequests(CAP + 1);
  // A push too, so that this pass reads the pull requests whichever feed a quiet pass probes first.
  env.sim.actions.pushCommits({ repository });
  expect((await settledPass(running)).failed).toBe(0);
  expect(await cutItems()).toEqual([expect.objectContaining({ repository, message: expect.stringMatching(READ_ON) })]);

  // Data Center leaves a repository its user may not read out of the listing (made at start), as it
  // does a deleted one.
  await running.stop();
  const projectKey = repository.split('/')[0]!;
  env.sim.setProjectAccess('admin', projectKey, false);
  try {
    const unlisting = await inProcessBridge(env.config(), [], capped);
    await unlisting.runPass().finally(() => unlisting.stop());
  } finally {
    env.sim.setProjectAccess('admin', projectKey, true);
  }
  const shown = await status();
  expect(ours(shown.report)).toMatchObject({ notPolled: true });
  expect(shown.report.attention.filter((item) => item.kind === 'pull-requests-cut')).toEqual([]);
  expect(shown.text).not.toContain('pull-request list stopped');

  // Polled again, it reads on from where the cut stopped, and the item is gone once that is done.
  running = await inProcessBridge(env.config(), [], capped);
  expect((await settledPass(running)).failed).toBe(0);
  expect(await cutItems()).toEqual([]);
  expect(sorted(deliveredPullRequestEvents(env.sink)).filter(([, count]) => count !== 1)).toEqual([]);
}, 180_000);

const NOT_READ_ON = new RegExp(String.raw`^the pull-request list stopped at its cap of ${CAP} pages after ${CAP} pull requests, with more to come \(the last one read was updated \S+\): the pull requests past them are not read, so what changed on them since the pass before .* is not sent to PanDev, and later passes do not go back for it\. If an administrator lowered page\.max\.\* .*turn on Data Center webhooks \(BRIDGE_WEBHOOK_SECRET\).*a narrower window \(BRIDGE_BACKFILL_DAYS\).*for what PanDev is missing$`);

it('an instance seen listing pull requests by creation has a cut reported, not read on: every pass there reads the list from its start', async () => {
  const creation = await dcEnv({ seed: 'pull-requests-cap-creation', projects: 1, repositoriesPerProject: 1, pullRequestsPerRepository: 0, historyDays: 1, corruptPullRequest: false, pageMax: 1, pullRequestsBy: 'created', clock: { now: () => simNow } });
  const repo = projectRepositories(creation.sim)[0]!;
  const name = `${repo.projectKey}/${repo.slug}`;
  // Seen by a run before (one pull request a page shows no order within a page): the state says so.
  const store = openSqliteStore(creation.env.BRIDGE_DB!);
  await pollState(store).saveListOrder({ byCreation: true, repository: name, at: Date.now() });
  store.close();
  const bridge = await inProcessBridge(creation.config(), [], capped);
  const items = async (now?: number) => (await readStatus(bridge.bridge.store, now)).attention.filter((item) => item.kind === 'pull-requests-cut');
  try {
    await settledPass(bridge);
    openPullRequests(CAP + 1, { sim: creation.sim, repository: name });
    expect((await settledPass(bridge)).failed).toBe(0);
    expect(await items()).toEqual([expect.objectContaining({ repository: name, message: expect.stringMatching(NOT_READ_ON) })]);
    // The next pass meets it again; it is shown for a day after the last pass that met it.
    expect((await settledPass(bridge)).failed).toBe(0);
    expect(await items()).toHaveLength(1);
    expect(await items(Date.now() + 25 * 3_600_000)).toEqual([]);
  } finally {
    await bridge.stop();
    await creation.stop();
  }
}, 180_000);

it('a cut met by the backfill is read on as backfill: what the next pass finds past it is history, sent with origin backfill', async () => {
  const fresh = await dcEnv({ seed: 'pull-requests-cap-backfill', projects: 1, repositoriesPerProject: 1, pullRequestsPerRepository: 0, historyDays: 1, corruptPullRequest: false, pageMax: 1, clock: { now: () => simNow } });
  const repo = projectRepositories(fresh.sim)[0]!;
  const opened = openPullRequests(CAP + 1, { sim: fresh.sim, repository: `${repo.projectKey}/${repo.slug}` });
  const bridge = await inProcessBridge(fresh.config(), [], capped);
  const origins = (id: number) => fresh.sink.deliveries().filter((d) => (d.body as { pullRequest?: { id: number } }).pullRequest?.id === id).map((d) => d.headers['x-pandev-origin']);
  try {
    expect((await settledPass(bridge)).failed).toBe(0);
    expect(origins(opened[1]!)).toEqual(['backfill']);
    expect(origins(opened[0]!)).toEqual([]);
    // A live change now, above the cut, is news; the one past the cut is still the backfill's.
    simNow += APART;
    fresh.sim.actions.addComment({ repository: `${repo.projectKey}/${repo.slug}`, pullRequestId: opened[CAP]!, text: 'looks good' });
    expect((await settledPass(bridge)).failed).toBe(0);
    expect(origins(opened[0]!)).toEqual(['backfill']);
    expect(origins(opened[CAP]!)).toEqual(['backfill', 'poll']);
    expect((await readStatus(bridge.bridge.store)).attention.filter((item) => item.kind === 'pull-requests-cut')).toEqual([]);
  } finally {
    await bridge.stop();
    await fresh.stop();
  }
}, 180_000);

it('reads on past a cut when deletions left the list shorter than where the cut stopped: the part past it moved up', async () => {
  const fresh = await dcEnv({ seed: 'pull-requests-cap-shrunk', projects: 1, repositoriesPerProject: 1, pullRequestsPerRepository: 0, historyDays: 1, corruptPullRequest: false, pageMax: 1, clock: { now: () => simNow } });
  const repo = projectRepositories(fresh.sim)[0]!;
  const name = `${repo.projectKey}/${repo.slug}`;
  const bridge = await inProcessBridge(fresh.config(), [], capped);
  const opens = (id: number) => fresh.sink.deliveries().filter((d) => d.eventKey === 'pr:opened' && (d.body as { pullRequest: { id: number } }).pullRequest.id === id).length;
  try {
    await settledPass(bridge);
    const opened = openPullRequests(CAP + 1, { sim: fresh.sim, repository: name });
    expect((await settledPass(bridge)).failed).toBe(0);
    expect(opens(opened[0]!)).toBe(0);
    // Enough read already are deleted that the list now ends before the offset the cut stopped at.
    const listed = () => [...fresh.sim.model.repositories.find((r) => r.id === repo.id)!.summaries()].length;
    for (let i = CAP / 2; listed() >= CAP; i++) fresh.sim.actions.deletePullRequest({ repository: name, pullRequestId: opened[i]! });
    expect((await settledPass(bridge)).failed).toBe(0);
    expect(opens(opened[0]!)).toBe(1);
    expect((await readStatus(bridge.bridge.store)).attention.filter((item) => item.kind === 'pull-requests-cut')).toEqual([]);
  } finally {
    await bridge.stop();
    await fresh.stop();
  }
}, 180_000);

it('a cut met by a later poll while the backfill cut is still read on: what lies past the new cut is news, sent with origin poll; what lies past the old one is history', async () => {
  const fresh = await dcEnv({ seed: 'pull-requests-cap-both', projects: 1, repositoriesPerProject: 1, pullRequestsPerRepository: 0, historyDays: 1, corruptPullRequest: false, pageMax: 1, clock: { now: () => simNow } });
  const repo = projectRepositories(fresh.sim)[0]!;
  const name = `${repo.projectKey}/${repo.slug}`;
  const history = openPullRequests(CAP + 1, { sim: fresh.sim, repository: name });
  const bridge = await inProcessBridge(fresh.config(), [], capped);
  const origins = (id: number) => fresh.sink.deliveries().filter((d) => (d.body as { pullRequest?: { id: number } }).pullRequest?.id === id).map((d) => d.headers['x-pandev-origin']);
  try {
    expect((await settledPass(bridge)).failed).toBe(0);
    expect(origins(history[0]!)).toEqual([]);
    // A busy day after the backfill: the next pass's head read is cut at the cap too, short of the backfill's cut.
    const news = openPullRequests(CAP + 1, { sim: fresh.sim, repository: name });
    expect((await settledPass(bridge)).failed).toBe(0);
    expect(origins(news[0]!)).toEqual([]);
    for (let pass = 0; pass < 3 && origins(history[0]!).length === 0; pass++) expect((await settledPass(bridge)).failed).toBe(0);
    expect(origins(news[0]!)).toEqual(['poll']);
    expect(origins(history[0]!)).toEqual(['backfill']);
    expect((await readStatus(bridge.bridge.store)).attention.filter((item) => item.kind === 'pull-requests-cut')).toEqual([]);
  } finally {
    await bridge.stop();
    await fresh.stop();
  }
}, 180_000);
