import { readStatus } from '../../src/bridge/cli/status';
import { activitiesCutMessage } from '../../src/bridge/poll/pull-requests';
import { inProcessBridge, oneRepositoryBridge, settledPass, type DcEnv } from './helpers';

// A pull request's activities are read newest first, down to the last one processed, at most 50 pages.
// Cut there, the older new ones were never read (the next pass reads down to the newest only) and
// nothing said so. Here the simulator answers one activity a page, so 55 comments are five past the cap.

let env: DcEnv;
let running: Awaited<ReturnType<typeof inProcessBridge>>;
let repository: string;
let stop: () => Promise<void>;
beforeAll(async () => ({ env, running, repository, stop } = await oneRepositoryBridge({ seed: 'activities-cap', pullRequestsPerRepository: 0, historyDays: 1, pageMax: 1 })), 60_000);
afterAll(() => stop());

/** Enough passes that a quiet repository reads its pull requests at least once. */
async function passes(): Promise<void> {
  for (let i = 0; i < 2; i++) await settledPass(running);
}

it('says in status which pull request had activities past the cap, that PanDev misses them, and what to change', async () => {
  const pr = env.sim.actions.openPullRequest({ repository, title: 'Much discussed' });
  await passes();
  expect((await readStatus(running.bridge.store)).attention).toEqual([]);
  for (let i = 0; i < 55; i++) env.sim.actions.addComment({ repository, pullRequestId: pr.pullRequestId, text: `Point ${i}` });
  await passes();
  const message = activitiesCutMessage(pr.pullRequestId, 50);
  expect(message).toMatch(/stopped at its cap of 50 pages after 50 activities, with older ones since the last pass still to come: those .* are not sent to PanDev\. If an administrator lowered page\.max/);
  const attention = (await readStatus(running.bridge.store)).attention;
  expect(attention).toEqual([expect.objectContaining({ kind: 'activities-cut', repository, message })]);
}, 120_000);
