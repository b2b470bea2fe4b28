import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { cloudConfig, cloudEnv, dcEnv, inProcessBridge, PANDEV, projectRepositories, WEBHOOK_SECRET } from './helpers';

// A proxy or WAF in front of Bitbucket may quote the request's Authorization header in its error page.
// The bridge turns such an answer into a repository's failure reason, which it logs and keeps in its
// state file for `status`: the token must reach neither.

/** The state file as bytes on disk, its write-ahead log included (where the newest rows are). */
function stateBytes(db: string): string {
  return ['', '-wal'].map((suffix) => (existsSync(db + suffix) ? readFileSync(db + suffix).toString('latin1') : '')).join('');
}

const failureReason = (lines: string[]) => lines.map((line) => JSON.parse(line) as { msg: string; reason?: string }).find((line) => line.msg.startsWith('repository poll failed'))?.reason;

it('Data Center: an error page that echoes the PAT leaves it out of the log and the state file', async () => {
  const env = await dcEnv({ seed: 'secret-echo', projects: 1, repositoriesPerProject: 2, pullRequestsPerRepository: 2, corruptPullRequest: false });
  const token = env.env.BITBUCKET_TOKEN!;
  const db = path.join(env.dir, 'echo.db');
  const lines: string[] = [];
  const running = await inProcessBridge(env.config({ BRIDGE_DB: db }), lines);
  try {
    await running.runPass();
    const [repo] = projectRepositories(env.sim);
    env.sim.faults.add({ path: `^/rest/api/1\\.0/projects/${repo!.projectKey}/repos/${repo!.slug}/`, status: 502, body: `upstream refused the request (Authorization: Bearer ${token})` });
    expect((await running.runPass()).failed).toBe(1);
    expect(failureReason(lines)).toContain('Authorization: Bearer [redacted]');
  } finally {
    await running.stop();
  }
  try {
    // The other secrets too, which the pass used to sign and send what it delivered.
    expect(env.sink.deliveries().length).toBeGreaterThan(0);
    for (const secret of [token, PANDEV.token, PANDEV.secret, WEBHOOK_SECRET]) {
      expect(lines.join('\n')).not.toContain(secret);
      expect(stateBytes(db)).not.toContain(secret);
    }
  } finally {
    await env.stop();
  }
});

/** A Cloud bridge, and `refuse(route)`: from then on its first repository answers 403 on `route` with a page that echoes the credentials. */
async function cloudEcho(seed: string) {
  const env = await cloudEnv(seed, 2);
  const { email, apiToken } = env.sim.credentials.admin;
  const basic = Buffer.from(`${email}:${apiToken}`).toString('base64');
  const db = path.join(env.dir, 'echo.db');
  const lines: string[] = [];
  const running = await inProcessBridge(cloudConfig(env, db), lines);
  const repo = [...env.sim.model.repositories.values()][0]!;
  const refuse = (route: string) => env.sim.faults.add({ path: `${repo.uuid.replace(/[{}]/g, '')}(%7D|\\})${route}`, status: 403, body: `denied: Authorization: Basic ${basic} (user ${email}, token ${apiToken})` });
  const echoed = `denied: Authorization: Basic [redacted] (user ${email}, token [redacted])`;
  return { ...env, secrets: [apiToken, basic], db, lines, running, refuse, echoed };
}

it('Cloud: an error page that echoes the Basic credentials, or the API token in them, leaves both out', async () => {
  const { db, lines, running, refuse, echoed, secrets, stop } = await cloudEcho('secret-echo-cloud');
  try {
    await running.runPass();
    // Every read of the repository, as Cloud refuses a user without access (a refused feed alone is left out).
    refuse('');
    expect((await running.runPass()).failed).toBe(1);
    expect(failureReason(lines)).toContain(echoed);
  } finally {
    await running.stop();
  }
  try {
    for (const secret of secrets) {
      expect(lines.join('\n')).not.toContain(secret);
      expect(stateBytes(db)).not.toContain(secret);
    }
  } finally {
    await stop();
  }
});

it('Cloud: a refused pull-request feed whose error page echoes the credentials leaves them out of the scope advice too', async () => {
  const { db, lines, running, refuse, echoed, secrets, stop } = await cloudEcho('secret-echo-cloud-scope');
  try {
    // Only the pull requests: the rest of the repository is read, and the advice names the scope.
    refuse('/pullrequests');
    await running.runPass();
    const advice = lines.map((line) => JSON.parse(line) as { msg: string; reason?: string }).find((line) => line.msg.includes('could not read its pull requests'))?.reason;
    expect(advice).toContain(echoed);
    await running.stop();
    expect(stateBytes(db)).toContain('read:pullrequest:bitbucket');
    for (const secret of secrets) {
      expect(lines.join('\n')).not.toContain(secret);
      expect(stateBytes(db)).not.toContain(secret);
    }
  } finally {
    await running.stop();
    await stop();
  }
});
