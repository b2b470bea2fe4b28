import path from 'node:path';
import { StatusReport } from '../../src/bridge/cli/status';
import type { CloudSimulator } from '../../src/sandbox/cloud-sim';
import type { PanDevSink } from '../../src/sandbox/pandev-sink';
import { runCommand } from '../helpers/cli';
import { cloudConfig, cloudEnv, inProcessBridge, settledPass, scopeLacking, virtualClock } from './helpers';

// A Cloud token with repository scope only (an admin trying the bridge): the pull requests answer 403,
// and the rest of every repository (pushes, branches, build statuses) is delivered all the same. The
// pull requests stay owed from where they were last read: given the scope, the next pass delivers
// what was missed, once each.

const clock = virtualClock(Date.now());
let sim: CloudSimulator;
let sink: PanDevSink;
let dir: string;
let stop: () => Promise<void>;
beforeAll(async () => ({ sim, sink, dir, stop } = await cloudEnv('bridge-cloud-pull-requests-refused', 3, { clock })));
afterAll(() => stop());

const DAY = 86_400_000;

it('a token without the pull-request scope: pushes are delivered every pass, status names the scope, and the pull requests missed arrive once each when it is given', async () => {
  const db = path.join(dir, 'no-pull-requests.db');
  const lines: string[] = [];
  const windowStart = clock.now() - 30 * DAY;
  const running = await inProcessBridge(cloudConfig({ sim, sink }, db), lines, { clock });
  // Passes BRIDGE_POLL_SECONDS apart, as they run.
  const pass = async () => {
    await clock.sleep(10 * 60_000);
    return settledPass(running);
  };
  const status = async () => {
    const { code, stdout } = await runCommand(['status', '--json'], { BRIDGE_DB: db });
    return { code, report: StatusReport.parse(JSON.parse(stdout)) };
  };
  const pullRequestEvents = () => sink.deliveries().filter((d) => d.eventKey.startsWith('pullrequest:'));
  const fault = sim.faults.add({ path: '/pullrequests', status: 403, body: scopeLacking('read:pullrequest:bitbucket') });
  try {
    // The first pass is the backfill: refused its pull requests, it still reads the rest.
    expect(await pass()).toMatchObject({ repositories: 3, failed: 0, partial: 3, refused: 0 });
    const [withPullRequest, pushedTo] = [...sim.model.repositories.values()];
    const { pullRequestId } = sim.actions.openPullRequest({ repository: withPullRequest!.slug, title: 'opened while the token lacks a scope' });
    const [tip] = sim.actions.pushCommits({ repository: pushedTo!.slug, commits: 1 }).commits;
    expect(await pass()).toMatchObject({ repositories: 3, failed: 0, partial: 3 });
    expect(await pass()).toMatchObject({ repositories: 3, failed: 0, partial: 3 });

    expect(sink.deliveries().filter((d) => d.eventKey === 'repo:push' && (d.body as any).push.changes.some((c: any) => c.new?.target?.hash === tip))).toHaveLength(1);
    expect(pullRequestEvents()).toEqual([]);
    const lackingScope = await status();
    expect(lackingScope.code).toBe(1);
    expect(lackingScope.report.attention).toHaveLength(3);
    for (const item of lackingScope.report.attention) {
      expect(item.kind).toBe('repository-failing');
      expect(item.message).toContain('its pull requests are not read, the rest of it is');
      expect(item.message).toContain('lacks the scope read:pullrequest:bitbucket');
    }
    expect(lackingScope.report.repositories.map((repo) => repo.notRead)).toEqual([['pull requests'], ['pull requests'], ['pull requests']]);
    // Said once per repository when it began, not every pass.
    expect(lines.filter((line) => line.includes('could not read its pull requests'))).toHaveLength(3);

    // A token with the scope: every pull request of the window is read, the one opened meanwhile too.
    sim.faults.remove(fault);
    expect(await pass()).toMatchObject({ repositories: 3, failed: 0, partial: 0 });
    const opened = pullRequestEvents().filter((d) => d.eventKey === 'pullrequest:created' && (d.body as any).pullrequest.id === pullRequestId && (d.body as any).repository.uuid === withPullRequest!.uuid);
    expect(opened).toHaveLength(1);
    const delivered = new Set(pullRequestEvents().map((d) => `${(d.body as any).repository.uuid}#${(d.body as any).pullrequest.id}`));
    const inWindow = [...sim.model.repositories.values()].flatMap((repo) => [...repo.pullRequests.values()].filter((pr) => pr.updatedOn / 1000 >= windowStart + DAY).map((pr) => `${repo.uuid}#${pr.id}`));
    expect(inWindow.length).toBeGreaterThan(1);
    expect(inWindow.filter((key) => !delivered.has(key))).toEqual([]);
    expect(lines.filter((line) => line.includes('read its pull requests again'))).toHaveLength(3);

    // Nothing twice, and nothing more once read.
    const count = sink.deliveries().length;
    expect(await pass()).toMatchObject({ repositories: 3, failed: 0, partial: 0 });
    expect(sink.deliveries()).toHaveLength(count);
    expect(sink.duplicates()).toBe(0);
    expect((await status()).report.attention).toEqual([]);
  } finally {
    sim.faults.remove(fault);
    await running.stop();
  }
}, 60_000);

it('a repository its user may no longer read is refused its pull requests first: it fails as a whole, not as a scope to add', async () => {
  const db = path.join(dir, 'unreadable.db');
  const running = await inProcessBridge(cloudConfig({ sim, sink }, db), [], { clock });
  const [hidden] = [...sim.model.repositories.values()];
  await settledPass(running);
  // Every read of the repository, as Cloud answers a user without access; a quiet pass asks the pull requests only.
  const fault = sim.faults.add({ path: `${hidden!.uuid.replace(/[{}]/g, '')}(%7D|\\})`, status: 403, body: JSON.stringify({ type: 'error', error: { message: 'You may not have access to this repository or it no longer exists in this workspace.' } }) });
  try {
    await clock.sleep(10 * 60_000);
    expect(await settledPass(running)).toMatchObject({ repositories: 3, failed: 1, partial: 0 });
    const { stdout } = await runCommand(['status', '--json'], { BRIDGE_DB: db });
    const [item, ...others] = StatusReport.parse(JSON.parse(stdout)).attention;
    expect(others).toEqual([]);
    expect(item!.repository).toBe(`${sim.workspace.slug}/${hidden!.slug}`);
    expect(item!.message).toContain('its last poll failed');
    expect(item!.message).toContain('may no longer read');
  } finally {
    sim.faults.remove(fault);
    await running.stop();
  }
}, 60_000);
