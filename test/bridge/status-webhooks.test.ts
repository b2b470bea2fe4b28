import path from 'node:path';
import Database from 'better-sqlite3';
import { StatusReport } from '../../src/bridge/cli/status';
import { WEBHOOK_ACTIVITY_KEY } from '../../src/bridge/webhooks/activity';
import { signature } from '../../src/sandbox/dc-sim';
import { runCommand } from '../helpers/cli';
import { dcEnv, inProcessBridge, postWebhook, projectRepositories, settledPass, until, WEBHOOK_SECRET, type DcEnv } from './helpers';

// An operator who set up Data Center's webhook asks `status` whether webhooks arrive: are they on, when
// was the last one taken, when and why was the last one refused, how many of each in the last day, and
// what to fix when the latest are refused or none arrive while the poll keeps finding changes. The
// bridge keeps these in its state file, so `status` (another process) reads them, across restarts.

let env: DcEnv;
let repository: string;
beforeAll(async () => {
  env = await dcEnv({ seed: 'status-webhooks', projects: 1, repositoriesPerProject: 1, pullRequestsPerRepository: 2, corruptPullRequest: false });
  const repo = projectRepositories(env.sim)[0]!;
  repository = `${repo.projectKey}/${repo.slug}`;
});
afterAll(() => env.stop());

async function status(db: string): Promise<{ code: number; text: string; report: StatusReport }> {
  const text = await runCommand(['status'], { BRIDGE_DB: db });
  const json = await runCommand(['status', '--json'], { BRIDGE_DB: db });
  expect(json.code).toBe(text.code);
  return { code: text.code, text: text.stdout, report: StatusReport.parse(JSON.parse(json.stdout)) };
}

/** The answers Data Center got from the bridge since `from`, as its webhook page would list them. */
function answers(from: number): { taken: number; refused: number } {
  const sent = env.sim.webhooks.deliveries().slice(from);
  return { taken: sent.filter((d) => d.status === 202).length, refused: sent.filter((d) => d.status === 401).length };
}

it('shows webhooks taken and refused, names the setting to fix while the latest are refused, and keeps the counts across a restart', async () => {
  const db = path.join(env.dir, 'taken.db');
  const from = env.sim.webhooks.deliveries().length;
  let running = await inProcessBridge(env.config({ BRIDGE_DB: db }));
  const rightSecret = env.sim.webhooks.register(`${running.ops.webhookUrl}/webhooks/bitbucket`, WEBHOOK_SECRET);
  try {
    await settledPass(running);
    env.sim.actions.openPullRequest({ repository, title: 'Webhooks arrive' });
    await env.sim.webhooks.idle();
    // Then someone changes the webhook's secret in Bitbucket.
    env.sim.webhooks.remove(rightSecret);
    const wrongSecret = env.sim.webhooks.register(`${running.ops.webhookUrl}/webhooks/bitbucket`, 'a-secret-the-bridge-does-not-have');
    env.sim.actions.openPullRequest({ repository, title: 'Refused' });
    await env.sim.webhooks.idle();
    env.sim.webhooks.remove(wrongSecret);
    await running.bridge.queue.idle();
  } finally {
    await running.stop();
  }
  const first = answers(from);
  expect(first.taken).toBeGreaterThan(0);
  expect(first.refused).toBeGreaterThan(0);

  const refused = await status(db);
  expect(refused.code).toBe(1);
  expect(refused.report.webhooks).toMatchObject({ enabled: true, lastTaken: { status: 202, eventKey: 'pr:opened' }, lastRefused: { status: 401, eventKey: 'pr:opened' }, last24h: { taken: first.taken, ignored: 0, refused: first.refused } });
  expect(refused.report.webhooks!.lastRefused!.reason).toMatch(/does not match the body and BRIDGE_WEBHOOK_SECRET/);
  const item = refused.report.attention.find((a) => a.kind === 'webhooks-refused');
  expect(item?.message).toMatch(/Secret in Bitbucket .* must equal BRIDGE_WEBHOOK_SECRET/);
  expect(refused.text).toMatch(/^webhooks {4}on since \S+: \d+ taken, 0 ignored, \d+ refused in the last 24 h$/m);
  expect(refused.text).toMatch(/last taken {3}\S+ pr:opened$/m);
  expect(refused.text).toMatch(/last refused \S+ pr:opened HTTP 401: X-Hub-Signature does not match/);
  expect(refused.text.indexOf('Secret in Bitbucket')).toBeLessThan(refused.text.indexOf('outbox'));

  // The secret put right: the next webhook taken clears the attention, and the day's counts add up over the restart.
  const again = env.sim.webhooks.deliveries().length;
  running = await inProcessBridge(env.config({ BRIDGE_DB: db }));
  const fixed = env.sim.webhooks.register(`${running.ops.webhookUrl}/webhooks/bitbucket`, WEBHOOK_SECRET);
  try {
    env.sim.actions.openPullRequest({ repository, title: 'Secret fixed' });
    await env.sim.webhooks.idle();
    await running.bridge.queue.idle();
    // With webhooks arriving, the poll finds nothing they did not bring: no word of silent webhooks.
    await settledPass(running);
  } finally {
    env.sim.webhooks.remove(fixed);
    await running.stop();
  }
  const second = answers(again);
  const clear = await status(db);
  expect(clear.report.attention).toEqual([]);
  expect(clear.code).toBe(0);
  expect(clear.report.webhooks).toMatchObject({ enabled: true, lastRefused: { status: 401 }, last24h: { taken: first.taken + second.taken, refused: first.refused } });
  expect(Date.parse(clear.report.webhooks!.lastTaken!.at)).toBeGreaterThan(Date.parse(clear.report.webhooks!.lastRefused!.at));
  expect(clear.report.webhooks!.enabledSince).toBe(refused.report.webhooks!.enabledSince);
});

it('webhooks refused for a bad signature may come from anyone who reaches the port: the fix-it names both the Secret in Bitbucket and who can reach the port', async () => {
  const db = path.join(env.dir, 'stranger.db');
  const running = await inProcessBridge(env.config({ BRIDGE_DB: db }));
  try {
    // Not Bitbucket: something on the network posting to the webhook port with a secret of its own.
    const body = { eventKey: 'pr:opened', date: new Date().toISOString() };
    const response = await postWebhook(running, { eventKey: 'pr:opened', body }, signature('a-guess', JSON.stringify(body)));
    expect(response.status).toBe(401);
  } finally {
    await running.stop();
  }
  const { code, report } = await status(db);
  expect(code).toBe(1);
  const message = report.attention.find((a) => a.kind === 'webhooks-refused')?.message;
  expect(message).toMatch(/Secret in Bitbucket .* must equal BRIDGE_WEBHOOK_SECRET/);
  expect(message).toMatch(/something other than Bitbucket posts them, let only Bitbucket reach BRIDGE_WEBHOOK_LISTEN \(else BRIDGE_LISTEN\)/);
});

it('says webhooks are off, and what to set, when Data Center sends them to a bridge without the secret; keeps only a short, plain event key of a sender', async () => {
  const db = path.join(env.dir, 'off.db');
  // An empty variable is an unset one.
  const running = await inProcessBridge(env.config({ BRIDGE_DB: db, BRIDGE_WEBHOOK_SECRET: '' }));
  try {
    const quiet = await status(db);
    expect(quiet.report.webhooks).toMatchObject({ enabled: false, enabledSince: null, lastTaken: null, lastRefused: null, last24h: { taken: 0, ignored: 0, refused: 0 } });
    expect(quiet.text).toMatch(/^webhooks {4}off \(BRIDGE_WEBHOOK_SECRET is not set\)/m);
    expect(quiet.code).toBe(0);
    const eventKey = `pr:opened <>${'x'.repeat(4000)}`;
    const body = JSON.stringify({ eventKey: 'pr:opened' });
    const response = await fetch(`${running.ops.webhookUrl}/webhooks/bitbucket`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Event-Key': eventKey, 'X-Hub-Signature': signature('anything', body) }, body });
    expect(response.status).toBe(401);
  } finally {
    await running.stop();
  }
  const off = await status(db);
  expect(off.code).toBe(1);
  const refused = off.report.webhooks!.lastRefused!;
  expect(refused.reason).toMatch(/^webhooks are off/);
  expect(refused.eventKey).toMatch(/^pr:opened\?{3}x+…$/);
  expect(refused.eventKey!.length).toBeLessThanOrEqual(60);
  expect(off.report.attention.find((a) => a.kind === 'webhooks-refused')?.message).toMatch(/BRIDGE_WEBHOOK_SECRET is not set: if Bitbucket sends them, set it .* to the webhook's Secret in Bitbucket and restart the bridge; if something other than Bitbucket posts them, let only Bitbucket reach/);
});

it('needs attention when webhooks are on but none arrived for over an hour while the poll finds changes, until one arrives', async () => {
  const db = path.join(env.dir, 'silent.db');
  // The bridge starts (with webhooks on) two hours ago, by its clock, and backfills: history, no news.
  let now = Date.now() - 2 * 3600_000;
  const clock = { now: () => now };
  let running = await inProcessBridge(env.config({ BRIDGE_DB: db }), [], { clock });
  try {
    expect((await settledPass(running)).staged).toBeGreaterThan(0);
    const backfilled = await status(db);
    expect(backfilled.report.webhooks).toMatchObject({ enabled: true, pollFoundAt: null, lastTaken: null });
    expect(backfilled.code).toBe(0);
    // Now a change in Bitbucket that no webhook announces (the webhook's URL does not reach the bridge).
    now = Date.now();
    env.sim.actions.openPullRequest({ repository, title: 'Nobody told the bridge' });
    expect((await settledPass(running)).staged).toBeGreaterThan(0);
  } finally {
    await running.stop();
  }
  const silent = await status(db);
  expect(silent.code).toBe(1);
  expect(silent.report.webhooks!.pollFoundAt).not.toBeNull();
  expect(silent.report.attention.map((a) => a.kind)).toEqual(['webhooks-silent']);
  expect(silent.report.attention[0]!.message).toMatch(/none has arrived since they were turned on .*Webhooks\).* BRIDGE_WEBHOOK_LISTEN, else BRIDGE_LISTEN/);

  // "Test connection" in Bitbucket: a ping taken (ignored) says they arrive again.
  running = await inProcessBridge(env.config({ BRIDGE_DB: db }));
  const hook = env.sim.webhooks.register(`${running.ops.webhookUrl}/webhooks/bitbucket`, WEBHOOK_SECRET);
  try {
    env.sim.webhooks.ping(hook);
    await env.sim.webhooks.idle();
  } finally {
    env.sim.webhooks.remove(hook);
    await running.stop();
  }
  const arrived = await status(db);
  expect(arrived.report.webhooks).toMatchObject({ lastTaken: { status: 200, eventKey: 'diagnostics:ping' }, last24h: { taken: 0, ignored: 1, refused: 0 } });
  expect(arrived.text).toMatch(/last taken {3}\S+ diagnostics:ping \(ignored\)$/m);
  expect(arrived.report.attention).toEqual([]);
  expect(arrived.code).toBe(0);
});

it('does not take a build status the poll finds for a change the webhooks missed: no webhook carries one', async () => {
  const db = path.join(env.dir, 'builds.db');
  const running = await inProcessBridge(env.config({ BRIDGE_DB: db }));
  const hook = env.sim.webhooks.register(`${running.ops.webhookUrl}/webhooks/bitbucket`, WEBHOOK_SECRET);
  try {
    await settledPass(running);
    // A push its webhook brings, and CI reports on the new tip before the next poll: the poll finds
    // the push delivered already, and the build status, which only it can find.
    const { commits } = env.sim.actions.pushCommits({ repository, commits: 1 });
    await env.sim.webhooks.idle();
    env.sim.actions.setBuildStatus({ repository, commit: commits.at(-1)!, key: 'ci', state: 'SUCCESSFUL' });
    expect((await settledPass(running)).staged).toBeGreaterThan(0);
  } finally {
    env.sim.webhooks.remove(hook);
    await running.stop();
  }
  const report = (await status(db)).report;
  expect(report.webhooks).toMatchObject({ pollFoundAt: null, last24h: { refused: 0 } });
  expect(report.attention).toEqual([]);
});

it('takes every webhook of a burst with a handful of writes of its row, and takes them when that row cannot be written', async () => {
  const db = path.join(env.dir, 'burst.db');
  const lines: string[] = [];
  const running = await inProcessBridge(env.config({ BRIDGE_DB: db }), lines);
  // Another connection to the same file counts the row's writes, then makes them fail, as a full or
  // broken disk would for that one write.
  const side = new Database(db);
  side.exec(`CREATE TABLE writes (at INTEGER); CREATE TRIGGER counted AFTER UPDATE ON kv WHEN NEW.key = '${WEBHOOK_ACTIVITY_KEY}' BEGIN INSERT INTO writes VALUES (1); END;`);
  const burst = 40;
  const hook = `${running.ops.webhookUrl}/webhooks/bitbucket`;
  const ping = JSON.stringify({ test: true });
  const send = () => fetch(hook, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Event-Key': 'diagnostics:ping', 'X-Hub-Signature': signature(WEBHOOK_SECRET, ping) }, body: ping }).then((r) => r.status);
  try {
    expect(await Promise.all(Array.from({ length: burst }, send))).toEqual(Array(burst).fill(200));
    // The burst's last write comes a second after the first: waited for, so that the disk fails after it.
    const saved = side.prepare('SELECT value FROM kv WHERE key = ?');
    await until(() => (JSON.parse((saved.get(WEBHOOK_ACTIVITY_KEY) as { value: string }).value) as { hours: Array<{ ignored: number }> }).hours.reduce((sum, h) => sum + h.ignored, 0) === burst, 10_000, 'the burst saved');
    side.exec(`CREATE TRIGGER broken BEFORE UPDATE ON kv WHEN NEW.key = '${WEBHOOK_ACTIVITY_KEY}' BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END;`);
    expect(await Promise.all(Array.from({ length: 3 }, send))).toEqual([200, 200, 200]);
  } finally {
    await running.stop();
  }
  const writes = (side.prepare('SELECT COUNT(*) AS n FROM writes').get() as { n: number }).n;
  side.close();
  expect(writes).toBeGreaterThan(0);
  expect(writes).toBeLessThan(burst);
  expect(lines.filter((line) => line.includes('webhook activity could not be saved'))).toHaveLength(1);
  // What was saved before the disk failed is what `status` reads: the whole burst.
  expect((await status(db)).report.webhooks!.last24h.ignored).toBe(burst);
});
