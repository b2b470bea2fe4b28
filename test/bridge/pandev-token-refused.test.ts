import path from 'node:path';
import { StatusReport } from '../../src/bridge/cli/status';
import { runCommand } from '../helpers/cli';
import { dcEnv, inProcessBridge, outboxEntries, settledPass, type DcEnv } from './helpers';

// PanDev refusing the ingest token (rotated there before the new one reached the bridge) refuses every
// delivery alike: the bridge pauses them all in the outbox, none turns into a dead letter, `status`
// says what to change, and once `check` passes with the new token each is delivered exactly once.

let env: DcEnv;
beforeAll(async () => (env = await dcEnv({ seed: 'pandev-token-refused', projects: 1, repositoriesPerProject: 2, pullRequestsPerRepository: 2, corruptPullRequest: false })));
afterAll(() => env.stop());

it('pauses on a refused token with the variables to change, and `check` with the right token resumes every delivery exactly once', async () => {
  const db = path.join(env.dir, 'refused.db');
  const refused = await inProcessBridge(env.config({ BRIDGE_DB: db, PANDEV_TOKEN: 'revoked-ingest-token' }));
  try {
    await settledPass(refused);
    expect(refused.bridge.store.count('dead:')).toBe(0);
    expect(await refused.bridge.metrics.registry.metrics()).toMatch(/^pandev_bridge_deliveries_paused 1$/m);
  } finally {
    await refused.stop();
  }
  const kept = (await outboxEntries(db)).map((entry) => entry.id);
  expect(kept.length).toBeGreaterThan(0);
  expect(env.sink.deliveries()).toHaveLength(0);
  expect(env.sink.rejected().map((r) => r.status)).toContain(401);

  const status = await runCommand(['status', '--json'], { BRIDGE_DB: db });
  expect(status.code).toBe(1);
  const report = StatusReport.parse(JSON.parse(status.stdout));
  expect(report.attention.map((item) => item.kind)).toEqual(['deliveries-paused']);
  const message = report.attention[0]!.message;
  for (const advice of [/PanDev refused the ingest token \(401\)/, /save it in PANDEV_TOKEN or PANDEV_TOKEN_FILE/, /PANDEV_TOKEN_FILE \(read again, no restart\)/, /pandev-bitbucket check/]) expect(message).toMatch(advice);
  expect(message).not.toMatch(/PANDEV_URL/);
  expect(message).not.toContain('revoked-ingest-token');

  const check = await runCommand(['check'], { ...env.env, BRIDGE_DB: db });
  expect(check.code).toBe(0);
  expect(check.stdout).toMatch(/resumed/);
  expect(StatusReport.parse(JSON.parse((await runCommand(['status', '--json'], { BRIDGE_DB: db })).stdout)).attention).toEqual([]);

  const resumed = await inProcessBridge(env.config({ BRIDGE_DB: db }));
  try {
    await resumed.bridge.queue.idle();
  } finally {
    await resumed.stop();
  }
  const sent = env.sink.deliveries().map((d) => d.id);
  expect(kept.filter((id) => sent.filter((s) => s === id).length !== 1)).toEqual([]);
  expect(env.sink.duplicates()).toBe(0);
  expect(await outboxEntries(db)).toEqual([]);
});
