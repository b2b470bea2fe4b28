import { renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { StatusReport } from '../../src/bridge/cli/status';
import { loadConfig } from '../../src/bridge/config/load';
import type { CloudSimulator } from '../../src/sandbox/cloud-sim';
import type { PanDevSink } from '../../src/sandbox/pandev-sink';
import { runCommand } from '../helpers/cli';
import { cloudEnv, cloudVars, FAST_TUNING, inProcessBridge, settledPass } from './helpers';

// A Cloud API token revoked while the bridge runs: Cloud answers every request 401. That is one problem
// for the whole workspace, not each repository's; a token that cannot read one repository (403 or 404)
// is that repository's alone.

let sim: CloudSimulator;
let sink: PanDevSink;
let dir: string;
let stop: () => Promise<void>;
beforeAll(async () => ({ sim, sink, dir, stop } = await cloudEnv('bridge-cloud-token', 4)));
afterAll(() => stop());

const CONCURRENCY = 2;
/** The API token (or its file) is each test's own. */
const env = (db: string, token: Record<string, string>) => cloudVars({ sim, sink }, path.join(dir, db), { BITBUCKET_TOKEN: '', BITBUCKET_CONCURRENCY: String(CONCURRENCY), ...token });
const bridge = (vars: Record<string, string>) => inProcessBridge({ ...loadConfig({ env: vars }), tuning: FAST_TUNING });

/** As a secret mount is updated: a new file moved over the old one. */
function writeSecret(file: string, value: string): void {
  writeFileSync(`${file}.new`, `${value}\n`, { mode: 0o600 });
  renameSync(`${file}.new`, file);
}

async function status(db: string): Promise<{ code: number; report: StatusReport }> {
  const { code, stdout } = await runCommand(['status', '--json'], { BRIDGE_DB: db });
  return { code, report: StatusReport.parse(JSON.parse(stdout)) };
}

const pushDeliveries = (tip: string) => sink.deliveries().filter((d) => d.eventKey === 'repo:push' && (d.body as any).push.changes.some((c: any) => c.new?.target?.hash === tip)).length;
/** A fault on one repository's requests (the bridge names it by UUID, `{…}` percent-encoded). */
const under = (repo: { uuid: string }, rest: string) => `${repo.uuid.replace(/[{}]/g, '')}(%7D|\\})${rest}`;

it('an API token revoked mid-run: each pass stops at the refusal, status says once what to do in Cloud\'s terms, and the new token in the file resumes every cursor, nothing lost or sent twice', async () => {
  const tokenFile = path.join(dir, 'api-token');
  const db = path.join(dir, 'revoked.db');
  writeSecret(tokenFile, sim.credentials.admin.apiToken);
  const running = await bridge(env('revoked.db', { BITBUCKET_TOKEN_FILE: tokenFile }));
  try {
    const first = await settledPass(running);
    expect(first.failed).toBe(0);
    const before = (await status(db)).report.repositories;

    const { apiToken: fresh } = sim.rotateToken('admin');
    const tips = [...sim.model.repositories.values()].slice(0, 2).map((repo) => sim.actions.pushCommits({ repository: repo.slug, commits: 1 }).commits[0]!);
    sim.resetStats();
    for (let pass = 0; pass < 2; pass++) expect(await settledPass(running)).toMatchObject({ failed: 0, refused: first.repositories });
    // No storm: each pass asked at most as many requests as it runs at once, not one per repository.
    expect(sim.stats().byCredential.invalid ?? 0).toBeLessThanOrEqual(2 * CONCURRENCY);

    const waiting = await status(db);
    expect(waiting.code).toBe(1);
    expect(waiting.report.attention.map((item) => item.kind)).toEqual(['token-refused']);
    const message = waiting.report.attention[0]!.message;
    for (const advice of [/401/, /API token/, /BITBUCKET_USERNAME/, /read:pullrequest:bitbucket/, /BITBUCKET_TOKEN_FILE/, /BITBUCKET_TOKEN and restart/]) expect(message).toMatch(advice);
    expect(message).not.toMatch(/personal access token/);
    expect(waiting.report.repositories).toEqual(before);

    writeSecret(tokenFile, fresh);
    for (let pass = 0; pass < 2 && !tips.every((tip) => pushDeliveries(tip) > 0); pass++) expect(await settledPass(running)).toMatchObject({ failed: 0, refused: 0 });
    for (const tip of tips) expect(pushDeliveries(tip)).toBe(1);
    expect(sink.duplicates()).toBe(0);
    const after = await status(db);
    expect(after.report.attention).toEqual([]);
    expect(after.report.outbox).toBe(0);
    expect(after.code).toBe(0);
  } finally {
    await running.stop();
  }
}, 120_000);

it('a token that cannot read one repository (403) or no longer finds another (404): only those fail, each with its own reason, and the rest are read', async () => {
  const db = path.join(dir, 'unreadable.db');
  const running = await bridge(env('unreadable.db', { BITBUCKET_TOKEN: sim.credentials.admin.apiToken }));
  const [hidden, gone] = [...sim.model.repositories.values()];
  const faults = [
    // Cloud refuses every read of a repository its user may not read (its pull requests are asked first).
    sim.faults.add({ path: under(hidden!, ''), status: 403, body: JSON.stringify({ type: 'error', error: { message: 'You may not have access to this repository or it no longer exists in this workspace.' } }) }),
    sim.faults.add({ path: under(gone!, '/pullrequests'), status: 404, body: JSON.stringify({ type: 'error', error: { message: 'Repository not found' } }) }),
  ];
  try {
    expect(await settledPass(running)).toMatchObject({ repositories: 4, failed: 2, refused: 0 });
    const { report } = await status(db);
    expect(report.attention.map((item) => item.kind)).toEqual(['repository-failing', 'repository-failing']);
    expect(report.attention.map((item) => item.repository).sort()).toEqual([hidden!, gone!].map((repo) => `${sim.workspace.slug}/${repo.slug}`).sort());
    expect(report.repositories.filter((repo) => repo.lastSuccessAt !== null)).toHaveLength(2);
  } finally {
    faults.forEach((fault) => sim.faults.remove(fault));
    await running.stop();
  }
}, 60_000);

it('a backfill whose API token is refused exits 1 and says which token to create, in Cloud\'s terms', async () => {
  // A token revoked before the backfill began: Cloud refuses the very first request, the workspace's.
  const run = await runCommand(['backfill', '--wait', '5'], env('backfill-refused.db', { BITBUCKET_TOKEN: 'ATATT-revoked-long-ago' }));
  expect(run.stdout).toMatch(/Bitbucket refused the token: no repository was read\. Create a new API token with the scopes read:repository:bitbucket, read:pullrequest:bitbucket/);
  expect(run.stdout).not.toMatch(/personal access token/);
  expect(run.code).toBe(1);
}, 60_000);
