import { hostStores } from '../../src/sandbox/host-store';
import { settingsStore } from '../../src/core/config/settings';
import { reconcileNow, PATIENT_PANDEV_MS, testSandbox, type TestSandbox } from './helpers';
import { data, settingsCaller } from './settings-helpers';

// An admin who stops using PanDev (its token revoked) and leaves the app installed: every delivery
// pauses, and the outbox, which has no expiry, kept every later event of the workspace for as long as
// the app stayed installed. The reconciliation does not run while deliveries are paused, so its
// watermarks wait where the pause began; past a week of pause the trigger leaves new events to it.

const DAY = 86_400_000;
let sb: TestSandbox;
beforeAll(async () => (sb = await testSandbox({ scheduledTriggers: false, tuning: { deliveryTimeoutMs: PATIENT_PANDEV_MS }, simulator: { repositories: 1 } })));
afterAll(() => sb.stop());
const call = settingsCaller(() => sb);

/** A revoked token pauses deliveries (`during` acts in the pause); the pause is then dated eight days back. */
async function pausedForEightDays<T>(token: string, during: () => T): Promise<T> {
  expect(await call('connection/save', { baseUrl: sb.pandev.url, token })).toMatchObject({ ok: true });
  const done = during();
  await sb.settle();
  const settings = settingsStore(hostStores(sb.host).store, hostStores(sb.host).secrets);
  const connection = (await settings.connection())!;
  expect(connection.disabled).toBeDefined();
  await settings.saveConnection({ ...connection, disabled: { ...connection.disabled!, at: Date.now() - 8 * DAY } });
  return done;
}

/** The admin comes back: a new token, a check that passes, and the reconciliation's next pass. */
async function resumed(): Promise<void> {
  expect(await call('connection/save', { baseUrl: sb.pandev.url, token: sb.pandev.token })).toMatchObject({ ok: true });
  expect(data(await call('connection/check')).ok).toBe(true);
  await sb.settle();
  await reconcileNow(sb);
}

it('keeps no more events in the outbox once deliveries have been paused for over a week, and the reconciliation sends them after the pause', async () => {
  const { simulator: sim, sink, host } = sb;
  const repository = [...sim.model.repositories.values()][0]!.slug;
  const first = await pausedForEightDays('revoked-token-0000', () => sim.actions.openPullRequest({ repository }).pullRequestId);
  const kept = host.kvs.keys('outbox:');
  expect(kept.length).toBeGreaterThan(0);

  // Eight days on, the pause still holds.
  const later = [1, 2, 3].map(() => sim.actions.openPullRequest({ repository }).pullRequestId);
  await sb.settle();
  expect(host.kvs.keys('outbox:')).toEqual(kept);
  expect(sb.logs.some((line) => /event dropped on purpose.*paused-too-long/.test(line.message))).toBe(true);

  await resumed();
  const created = sink.deliveries().filter((d) => d.eventKey === 'pullrequest:created').map((d) => (d.body as { pullrequest: { id: number } }).pullrequest.id);
  expect(created.sort()).toEqual([first, ...later].sort());
  expect(sink.duplicates()).toBe(0);
  expect(host.kvs.keys('outbox:')).toEqual([]);
}, 120_000);

// The reconciliation rebuilds approvals and change requests from the activity log, which keeps no
// trace of one withdrawn: left to it, a withdrawal in a long pause never reaches PanDev, which then
// holds the pull request approved.
it('keeps reviewer status changes past a week of pause, so a withdrawn approval still reaches PanDev', async () => {
  const { simulator: sim, sink } = sb;
  const repository = [...sim.model.repositories.values()][0]!.slug;
  const pullRequestId = await pausedForEightDays('revoked-token-0001', () => sim.actions.openPullRequest({ repository }).pullRequestId);

  const { reviewer } = sim.actions.approvePullRequest({ repository, pullRequestId });
  sim.actions.unapprovePullRequest({ repository, pullRequestId, reviewer });
  await sb.settle();

  await resumed();
  const reviews = sink.deliveries().filter((d) => (d.body as { pullrequest?: { id: number } }).pullrequest?.id === pullRequestId && /approved$/.test(d.eventKey));
  expect(reviews.map((d) => d.eventKey).sort()).toEqual(['pullrequest:approved', 'pullrequest:unapproved']);
  expect(sink.duplicates()).toBe(0);
}, 120_000);

// Bitbucket has no feed of build statuses: the reconciliation reads those of a moved branch's tip, in
// their latest state. Left to it, a failed build of a commit pushed over since, and a build's start,
// never reach PanDev.
it('keeps build status changes past a week of pause, those of a commit that is no longer a tip too', async () => {
  const { simulator: sim, sink } = sb;
  const repository = [...sim.model.repositories.values()][0]!.slug;
  await pausedForEightDays('revoked-token-0002', () => sim.actions.openPullRequest({ repository }));

  const [first] = sim.actions.pushCommits({ repository, commits: 1 }).commits;
  sim.actions.setBuildStatus({ repository, commit: first!, key: 'ci', state: 'INPROGRESS' });
  sim.actions.setBuildStatus({ repository, commit: first!, key: 'ci', state: 'FAILED' });
  const [second] = sim.actions.pushCommits({ repository, commits: 1 }).commits;
  sim.actions.setBuildStatus({ repository, commit: second!, key: 'ci', state: 'SUCCESSFUL' });
  await sb.settle();

  await resumed();
  const statuses = sink.deliveries().filter((d) => d.eventKey.startsWith('repo:commit_status_')).map((d) => {
    const status = (d.body as { commit_status: { state: string; commit: { hash: string } } }).commit_status;
    return `${status.commit.hash} ${status.state}`;
  });
  expect(statuses.sort()).toEqual([`${first} FAILED`, `${first} INPROGRESS`, `${second} SUCCESSFUL`].sort());
  expect(sink.duplicates()).toBe(0);
}, 120_000);

// The reconciliation reads a page of a repository's newest deployments (100), at most hourly: left to
// it, a busy repository's older deployments in a long pause never reach PanDev.
it('keeps deployment changes past a week of pause, more than a page of them too', async () => {
  const { simulator: sim, sink } = sb;
  const repository = [...sim.model.repositories.values()][0]!.slug;
  await pausedForEightDays('revoked-token-0003', () => sim.actions.openPullRequest({ repository }));
  sink.clear();

  const deployments = 105;
  for (let i = 0; i < deployments; i++) sim.actions.runDeployment({ repository, environment: i % 2 ? 'Production' : 'Staging' });
  await sb.settle();

  await resumed();
  const steps = sink.deliveries().filter((d) => d.eventKey === 'pandev:deployment').map((d) => (d.body as { pandev: { deployment: { uuid: string; action: string } } }).pandev.deployment);
  expect(new Set(steps.map((step) => step.uuid)).size).toBe(deployments);
  expect(steps.length).toBe(deployments * 3);
  expect(sink.duplicates()).toBe(0);
}, 120_000);

// What the reconciliation cannot rebuild is kept longer, not for ever: an installation left paused for
// good would grow its outbox with every build its workspace's CI reports.
it('keeps no build status once deliveries have been paused for longer than the dead letters are kept, and the reconciliation sends the tip\'s latest', async () => {
  const { simulator: sim, sink, host } = sb;
  const repository = [...sim.model.repositories.values()][0]!.slug;
  await pausedForEightDays('revoked-token-0004', () => sim.actions.openPullRequest({ repository }));
  const settings = settingsStore(hostStores(host).store, hostStores(host).secrets);
  const connection = (await settings.connection())!;
  await settings.saveConnection({ ...connection, disabled: { ...connection.disabled!, at: Date.now() - 91 * DAY } });
  const kept = host.kvs.keys('outbox:');
  sink.clear();

  const [commit] = sim.actions.pushCommits({ repository, commits: 1 }).commits;
  sim.actions.setBuildStatus({ repository, commit: commit!, key: 'ci', state: 'INPROGRESS' });
  sim.actions.setBuildStatus({ repository, commit: commit!, key: 'ci', state: 'SUCCESSFUL' });
  await sb.settle();
  expect(host.kvs.keys('outbox:')).toEqual(kept);
  expect(sb.logs.some((line) => /event dropped on purpose/.test(line.message) && /over 90 days/.test(JSON.stringify(line)))).toBe(true);

  await resumed();
  const statuses = sink.deliveries().filter((d) => d.eventKey.startsWith('repo:commit_status_')).map((d) => (d.body as { commit_status: { state: string; commit: { hash: string } } }).commit_status);
  expect(statuses.map((status) => `${status.commit.hash} ${status.state}`)).toEqual([`${commit} SUCCESSFUL`]);
  expect(sink.duplicates()).toBe(0);
}, 120_000);
