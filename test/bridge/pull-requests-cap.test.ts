import { readStatus, StatusReport } from '../../src/bridge/cli/status';
import { runCommand } from '../helpers/cli';
import { inProcessBridge, oneRepositoryBridge, settledPass, type DcEnv } from './helpers';

// A repository's pull-request list is read newest first, at most 2,000 pages. Cut there, the pull
// requests past it were never read and the watermark moved past them all the same: what changed on
// them never reached PanDev, and nothing said so. Here the simulator answers one pull request a page,
// so 2,001 pull requests opened between two passes are one past the cap.

let env: DcEnv;
let running: Awaited<ReturnType<typeof inProcessBridge>>;
let repository: string;
let stop: () => Promise<void>;
beforeAll(async () => ({ env, running, repository, stop } = await oneRepositoryBridge({ seed: 'pull-requests-cap', pullRequestsPerRepository: 0, historyDays: 1, pageMax: 1 })), 60_000);
afterAll(() => stop());

async function status() {
  const db = running.bridge.config.bridge.db;
  const json = await runCommand(['status', '--json'], { BRIDGE_DB: db });
  const text = await runCommand(['status'], { BRIDGE_DB: db });
  return { code: json.code, report: StatusReport.parse(JSON.parse(json.stdout)), text: text.stdout };
}

const CUT = /^the pull-request list stopped at its cap of 2000 pages after 2000 pull requests, with more to come \(the last one read was updated \S+\): the pull requests past them are not read, so what changed on them since the pass before .* is not sent to PanDev, and later passes do not go back for it\. If an administrator lowered page\.max\.\* .*turn on Data Center webhooks \(BRIDGE_WEBHOOK_SECRET\).*a narrower window \(BRIDGE_BACKFILL_DAYS\).*for what PanDev is missing$/;

it('says in status for a day which repository had pull requests past the list cap, that PanDev misses them, and what to change', async () => {
  const opened: number[] = [];
  for (let i = 0; i < 2001; i++) {
    const pr = env.sim.actions.openPullRequest({ repository, title: `Change ${i}`, commits: 1 });
    opened.push(pr.pullRequestId);
    // Their branches would reach the branch listing's own cap (refs-cap.test.ts): that is another story.
    env.sim.actions.deleteBranch({ repository, name: pr.fromBranch });
  }
  expect((await settledPass(running)).failed).toBe(0);
  // The first one opened is the last updated: past the cap, never read.
  const delivered = new Set(env.sink.deliveries().filter((d) => d.eventKey === 'pr:opened').map((d) => (d.body as { pullRequest: { id: number } }).pullRequest.id));
  expect(opened.filter((id) => !delivered.has(id))).toEqual([opened[0]]);

  const shown = await status();
  expect(shown.code).toBe(1);
  expect(shown.report.attention).toEqual([expect.objectContaining({ kind: 'pull-requests-cut', repository, message: expect.stringMatching(CUT) })]);
  expect(shown.text).toContain(`${repository} (${shown.report.attention[0]!.repositoryId}): ${shown.report.attention[0]!.at} the pull-request list stopped`);

  // The next pass reads the list to its end, which says nothing of what was missed: it stays a day.
  expect((await settledPass(running)).failed).toBe(0);
  expect((await readStatus(running.bridge.store)).attention).toEqual([expect.objectContaining({ kind: 'pull-requests-cut' })]);
  expect((await readStatus(running.bridge.store, Date.now() + 25 * 3_600_000)).attention.filter((item) => item.kind === 'pull-requests-cut')).toEqual([]);
}, 180_000);
