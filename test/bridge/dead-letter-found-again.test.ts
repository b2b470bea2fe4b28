import { runBackfill } from '../../src/bridge/backfill';
import { listDead } from '../../src/bridge/cli/dead-letters';
import { dcEnv, inProcessBridge, quietLogger, settledPass, type DcEnv } from './helpers';

// A backfill run again over a window whose deliveries PanDev refused for good (a 400 for each) finds
// their changes again. They stay dead letters for `dead-letters replay`: staged afresh, each went to
// PanDev a second time under the same X-Request-UUID and was buried again, its letter overwritten.

let env: DcEnv;
beforeAll(async () => (env = await dcEnv({ seed: 'dead-found-again', projects: 1, repositoriesPerProject: 1, pullRequestsPerRepository: 3, corruptPullRequest: false })));
afterAll(() => env.stop());

it('sends a dead letter found again by a second backfill no second time', async () => {
  const config = env.config();
  // A refused token pauses deliveries instead (pandev-token-refused.test.ts); a 400 is this delivery's own.
  env.sink.respondNext(400, 10_000, 'payload refused');
  const running = await inProcessBridge(config);
  let letters: Awaited<ReturnType<typeof listDead>>;
  try {
    await settledPass(running);
    letters = await listDead(running.bridge.store);
  } finally {
    await running.stop();
  }
  expect(letters.length).toBeGreaterThan(3);
  const refused = env.sink.received();
  expect(refused).toBe(letters.length);

  const result = await runBackfill(config, { days: 30, waitSeconds: 30, log: quietLogger() });
  expect(result.pass.failed).toBe(0);
  expect(env.sink.received()).toBe(refused);
  expect(result).toMatchObject({ delivered: 0, dead: 0, pending: 0 });

  const after = await inProcessBridge(config);
  try {
    expect(await listDead(after.bridge.store)).toEqual(letters);
  } finally {
    await after.stop();
  }
});
