import path from 'node:path';
import { StatusReport } from '../../src/bridge/cli/status';
import { openSqliteStore } from '../../src/bridge/state/sqlite-store';
import { runCommand } from '../helpers/cli';
import { dcEnv, FAST_TUNING, inProcessBridge, outboxEntries, settledPass, type DcEnv } from './helpers';

// PanDev down or failing: the bridge polls on and its outbox grows, and nothing fails until the oldest
// deliveries run out of attempts (about 1 h 45 min by default) and turn into dead letters. `status`
// says why the outbox waits at once, and from half an hour on that it needs someone (exit 1).

let env: DcEnv;
beforeAll(async () => (env = await dcEnv({ seed: 'status-deliveries-failing', projects: 1, repositoriesPerProject: 1, pullRequestsPerRepository: 2, corruptPullRequest: false })));
afterAll(() => env.stop());

async function status(db: string) {
  const json = await runCommand(['status', '--json'], { BRIDGE_DB: db });
  const text = await runCommand(['status'], { BRIDGE_DB: db });
  return { code: json.code, report: StatusReport.parse(JSON.parse(json.stdout)), text: text.stdout };
}

// A retry a quarter of an hour away: the failed deliveries stay in the outbox while the test looks at them.
const SLOW_RETRIES = { ...FAST_TUNING, baseDelaySeconds: 900, maxDelaySeconds: 900 };

/** A backfill into a PanDev that answers 500, on a bridge whose clock is `behindMs` behind (what it stages is that old to `status`). */
async function failedBackfill(db: string, behindMs: number) {
  const running = await inProcessBridge({ ...env.config({ BRIDGE_DB: db }), tuning: SLOW_RETRIES }, [], { clock: { now: () => Date.now() - behindMs } });
  try {
    env.sink.setFaults({ share: 1, kinds: ['500'] });
    expect((await settledPass(running)).failed).toBe(0);
  } finally {
    await running.stop();
    env.sink.setFaults(null);
  }
  const entries = await outboxEntries(db);
  expect(entries.length).toBeGreaterThan(0);
  expect(entries.every((entry) => entry.attempts === 1)).toBe(true);
  return entries;
}

it('deliveries PanDev has failed for over half an hour need attention (exit 1), with its answer and what to check; once PanDev takes them, nothing does', async () => {
  const db = path.join(env.dir, 'failing.db');
  const entries = await failedBackfill(db, 40 * 60_000);

  const failing = await status(db);
  expect(failing.code).toBe(1);
  expect(failing.report.retrying).toEqual({ deliveries: entries.length, since: new Date(Math.min(...entries.map((entry) => entry.createdAt))).toISOString(), attempts: 1, lastError: expect.stringContaining('PanDev answered 500') });
  expect(failing.report.attention).toEqual([
    expect.objectContaining({ kind: 'deliveries-failing', at: failing.report.retrying!.since, message: expect.stringMatching(new RegExp(`^PanDev has not taken ${entries.length} deliveries for 40 min, 1 attempt so far; the last answer: PanDev answered 500.*become dead letters once their attempts run out.*\`pandev-bitbucket check\``)) }),
  ]);
  expect(failing.text).toContain(`needs attention (1):\n  ${failing.report.retrying!.since} PanDev has not taken ${entries.length} deliveries`);
  expect(failing.text).toContain(`outbox      ${entries.length} waiting; ${entries.length} of them failed at PanDev and wait for a retry`);

  // A start resumes the outbox at once, whatever retry was planned.
  const resumed = await inProcessBridge(env.config({ BRIDGE_DB: db }));
  try {
    await resumed.bridge.queue.idle();
  } finally {
    await resumed.stop();
  }
  const recovered = await status(db);
  expect(recovered.code).toBe(0);
  expect(recovered.report.retrying).toBeNull();
  expect(recovered.report.attention).toEqual([]);
  expect(recovered.text).toContain('outbox      0 waiting\n');
}, 120_000);

it('deliveries PanDev failed only minutes ago are information, not attention: the outbox line says why they wait', async () => {
  const db = path.join(env.dir, 'fresh.db');
  const entries = await failedBackfill(db, 0);

  const { code, report, text } = await status(db);
  expect(code).toBe(0);
  expect(report.attention).toEqual([]);
  expect(report.retrying).toEqual(expect.objectContaining({ deliveries: entries.length, attempts: 1 }));
  expect(text).toMatch(new RegExp(`outbox      ${entries.length} waiting; ${entries.length} of them failed at PanDev and wait for a retry \\(the oldest since \\S+, 1 attempt so far\\): PanDev answered 500`));
}, 120_000);

// The Forge settings page's "PanDev failing" record (core/deliver/failing.ts) is the app's: `status`
// reads the outbox itself, so a bridge that wrote it only kept a key nothing reads.
it("keeps no record of the Forge settings page's 'PanDev failing' warning in its state file", async () => {
  const db = path.join(env.dir, 'no-forge-record.db');
  await failedBackfill(db, 0);
  const store = openSqliteStore(db);
  try {
    expect(await store.get('deliveries:failing')).toBeUndefined();
  } finally {
    store.close();
  }
}, 120_000);
