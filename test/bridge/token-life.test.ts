import { renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { StatusReport } from '../../src/bridge/cli/status';
import { runCommand } from '../helpers/cli';
import { dcEnv, inProcessBridge, projectRepositories, settledPass, type DcEnv } from './helpers';

// A Data Center PAT over its life, seen by a running bridge: it expires or is revoked (Data Center then
// refuses it, 401 IncorrectPasswordAuthenticationException), or its user loses read permission on one
// project (401 AuthorisationException, naming the user: the 9.2 spec's "insufficient permissions").
// The first is one problem for the whole instance; the second is a few repositories'.

let env: DcEnv;
beforeAll(async () => (env = await dcEnv({ seed: 'token-life', projects: 2, repositoriesPerProject: 3, pullRequestsPerRepository: 2, corruptPullRequest: false })));
afterAll(() => env.stop());

/** As a secret mount is updated: a new file moved over the old one. */
function writeSecret(file: string, value: string): void {
  writeFileSync(`${file}.new`, `${value}\n`, { mode: 0o600 });
  renameSync(`${file}.new`, file);
}

async function status(db: string): Promise<StatusReport> {
  const { stdout } = await runCommand(['status', '--json'], { BRIDGE_DB: db });
  return StatusReport.parse(JSON.parse(stdout));
}

const refusedRequests = () => env.sim.stats().byCredential.invalid ?? 0;
const pushDeliveries = (tip: string) => env.sink.deliveries().filter((d) => d.eventKey === 'repo:refs_changed' && (d.body as any).changes[0].toHash === tip).length;

/** A quiet repository reads its pull requests and its branches in turn (repository-pass.ts): a push is seen within two passes. */
async function passesUntil(running: Awaited<ReturnType<typeof inProcessBridge>>, delivered: () => boolean) {
  const summaries = [];
  for (let pass = 0; pass < 2 && !delivered(); pass++) summaries.push(await settledPass(running));
  return summaries;
}

it('a PAT revoked mid-run: each pass stops at the refusal, status says once what to do, and the new token in the file resumes every cursor, nothing lost or sent twice', async () => {
  const tokenFile = path.join(env.dir, 'pat');
  const db = path.join(env.dir, 'revoked.db');
  writeSecret(tokenFile, env.sim.credentials.admin.token);
  const running = await inProcessBridge(env.config({ BITBUCKET_TOKEN: '', BITBUCKET_TOKEN_FILE: tokenFile, BRIDGE_DB: db }));
  try {
    const first = await settledPass(running);
    expect(first.failed).toBe(0);
    const repositories = first.repositories;
    const before = (await status(db)).repositories;

    const fresh = env.sim.rotateToken('admin');
    const tips = projectRepositories(env.sim).slice(0, 3).map((repo) => env.sim.actions.pushCommits({ repository: `${repo.projectKey}/${repo.slug}`, commits: 1 }).commits[0]!);
    env.sim.resetStats();
    for (let pass = 0; pass < 2; pass++) {
      const refused = await settledPass(running);
      expect(refused.failed).toBe(0);
      expect(refused.refused).toBe(repositories);
    }
    // No storm: each pass asked at most as many requests as it runs at once, not one per repository.
    const concurrency = Number(env.env.BITBUCKET_CONCURRENCY);
    expect(refusedRequests()).toBeLessThanOrEqual(2 * concurrency);
    expect(refusedRequests()).toBeLessThan(2 * repositories);

    const waiting = await status(db);
    expect(waiting.attention.map((item) => item.kind)).toEqual(['token-refused']);
    expect(waiting.attention[0]!.message).toMatch(/401/);
    expect(waiting.attention[0]!.message).toMatch(/BITBUCKET_TOKEN_FILE/);
    expect(waiting.attention[0]!.message).toMatch(/BITBUCKET_TOKEN and restart/);
    expect(waiting.attention[0]!.message).toMatch(/Repository read/);
    expect(waiting.repositories).toEqual(before);

    writeSecret(tokenFile, fresh);
    for (const resumed of await passesUntil(running, () => tips.every((tip) => pushDeliveries(tip) > 0))) expect(resumed).toMatchObject({ failed: 0, refused: 0 });
    for (const tip of tips) expect(pushDeliveries(tip)).toBe(1);
    expect(env.sink.duplicates()).toBe(0);
    const after = await status(db);
    expect(after.attention).toEqual([]);
    expect(after.outbox).toBe(0);
    expect(after.deadLetters).toBe(0);
  } finally {
    await running.stop();
  }
});

it('a token that loses read permission on one project: only its repositories fail, with the access to give, and the rest are read on', async () => {
  const db = path.join(env.dir, 'permission.db');
  const running = await inProcessBridge(env.config({ BITBUCKET_TOKEN: env.sim.credentials.admin.token, BRIDGE_DB: db }));
  try {
    expect((await settledPass(running)).failed).toBe(0);
    // This bridge's own backfill sent again what the previous test's did (a fresh state file): not counted.
    const duplicates = env.sink.duplicates();
    const [lost, kept] = [projectRepositories(env.sim)[0]!, projectRepositories(env.sim).at(-1)!];
    expect(lost.projectKey).not.toBe(kept.projectKey);
    const inLost = projectRepositories(env.sim).filter((repo) => repo.projectKey === lost.projectKey);
    env.sim.setProjectAccess('admin', lost.projectKey, false);
    const lostTip = env.sim.actions.pushCommits({ repository: `${lost.projectKey}/${lost.slug}`, commits: 1 }).commits[0]!;
    const keptTip = env.sim.actions.pushCommits({ repository: `${kept.projectKey}/${kept.slug}`, commits: 1 }).commits[0]!;

    for (const pass of await passesUntil(running, () => pushDeliveries(keptTip) > 0)) expect(pass).toMatchObject({ failed: inLost.length, refused: 0 });
    expect(pushDeliveries(keptTip)).toBe(1);
    const report = await status(db);
    expect(report.attention.map((item) => item.kind)).toEqual(inLost.map(() => 'repository-failing'));
    expect(report.attention.map((item) => item.repository).sort()).toEqual(inLost.map((repo) => `${repo.projectKey}/${repo.slug}`).sort());
    for (const item of report.attention) {
      expect(item.message).toMatch(/may no longer read/);
      expect(item.message).toMatch(/BITBUCKET_REPOS=!/);
      expect(item.message).not.toMatch(/expired or was revoked/);
    }

    env.sim.setProjectAccess('admin', lost.projectKey, true);
    for (const pass of await passesUntil(running, () => pushDeliveries(lostTip) > 0)) expect(pass.failed).toBe(0);
    expect(pushDeliveries(lostTip)).toBe(1);
    expect(env.sink.duplicates()).toBe(duplicates);
    expect((await status(db)).attention).toEqual([]);
  } finally {
    await running.stop();
  }
});

it('a backfill whose token is refused after the listing exits 1 and says to replace the token, not that all went well', async () => {
  // Refused from the first repository read on, as a PAT that expires while a long first import runs.
  const fault = env.sim.faults.add({ path: '^/rest/api/1\\.0/projects/[^/]+/repos/[^/]+/', status: 401, body: 'Authentication failed. Please check your credentials and try again.' });
  try {
    // The admin's current token: a test above rotated the one env.env was made with.
    const run = await runCommand(['backfill', '--wait', '5'], { ...env.env, BITBUCKET_TOKEN: env.sim.credentials.admin.token, BRIDGE_DB: path.join(env.dir, 'backfill-refused.db') });
    expect(run.stdout).toMatch(/Bitbucket refused the token: \d+ repositor(y was|ies were) not read\. Create a new personal access token/);
    expect(run.code).toBe(1);
  } finally {
    env.sim.faults.remove(fault);
  }
}, 60_000);

it('a PAT that expired while the bridge was down: the listing meets the refusal, and status says the token is refused, not that listing fails', async () => {
  const db = path.join(env.dir, 'expired-at-start.db');
  const running = await inProcessBridge(env.config({ BITBUCKET_TOKEN: env.sim.credentials.revoked.token, BRIDGE_DB: db }));
  try {
    const pass = await settledPass(running);
    expect(pass).toMatchObject({ failed: 0, refusal: expect.stringMatching(/personal access token expired or was revoked/) });
  } finally {
    await running.stop();
  }
  const report = await status(db);
  expect(report.attention.map((item) => item.kind)).toEqual(['token-refused']);
  expect(report.attention[0]!.message).toMatch(/BITBUCKET_TOKEN_FILE/);
}, 60_000);

