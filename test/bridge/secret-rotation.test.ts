import { renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sweepOutbox } from '../../src/core/pipeline/sweep';
import { startPanDevSink, type PanDevSink } from '../../src/sandbox/pandev-sink';
import { dcEnv, inProcessBridge, PANDEV, projectRepositories, settledPass, type DcEnv } from './helpers';

// Secrets given as files are mounted secrets that something else rotates (a Kubernetes Secret, a Vault
// agent). A running bridge takes the new value from the file without a restart: a restart that came a
// day later would have cost the webhooks saved meanwhile, and every delivery of that day.

let env: DcEnv;
beforeAll(async () => (env = await dcEnv({ seed: 'secret-rotation', projects: 1, repositoriesPerProject: 1, pullRequestsPerRepository: 2, corruptPullRequest: false })));
afterAll(() => env.stop());

/** As a secret mount is updated: a new file moved over the old one, mode 0600. */
function writeSecret(file: string, value: string): void {
  writeFileSync(`${file}.new`, `${value}\n`, { mode: 0o600 });
  renameSync(`${file}.new`, file);
}

const logged = (lines: string[]) => lines.map((line) => JSON.parse(line) as { msg: string; reason?: string });

describe('a rotated secret file', () => {
  it('Bitbucket: a PAT replaced in BITBUCKET_TOKEN_FILE is used from the next 401 on, and the token is never logged', async () => {
    const tokenFile = path.join(env.dir, 'bitbucket-pat');
    writeSecret(tokenFile, env.sim.credentials.admin.token);
    const lines: string[] = [];
    const running = await inProcessBridge(env.config({ BITBUCKET_TOKEN: '', BITBUCKET_TOKEN_FILE: tokenFile, BRIDGE_DB: `${env.dir}/bitbucket.db` }), lines);
    try {
      expect((await settledPass(running)).failed).toBe(0);
      const old = env.sim.credentials.admin.token;
      const fresh = env.sim.rotateToken('admin');
      const repo = projectRepositories(env.sim)[0]!;
      const tip = env.sim.actions.pushCommits({ repository: `${repo.projectKey}/${repo.slug}`, commits: 1 }).commits[0]!;

      // Revoked in Bitbucket, not yet written to the file: the pass stops and says what to do.
      expect((await settledPass(running)).refused).toBeGreaterThan(0);
      const failure = logged(lines).find((line) => line.msg.startsWith('Bitbucket refused the token'));
      expect(failure?.reason).toMatch(/401/);
      expect(failure?.reason).toMatch(/BITBUCKET_TOKEN_FILE names \(read again at the next 401, no restart\)/);

      writeSecret(tokenFile, fresh);
      for (let pass = 0; pass < 2 && !env.sink.deliveries().some((d) => (d.body as any).changes?.[0]?.toHash === tip); pass++) {
        expect((await settledPass(running)).failed).toBe(0);
      }
      expect(env.sink.deliveries().some((d) => d.eventKey === 'repo:refs_changed' && (d.body as any).changes[0].toHash === tip)).toBe(true);
      expect(logged(lines).filter((line) => line.msg === 'the Bitbucket token changed in its file; using the new value from now on')).toHaveLength(1);
      expect(lines.some((line) => line.includes(old) || line.includes(fresh))).toBe(false);
    } finally {
      await running.stop();
    }
  });

  it('webhooks: a secret replaced in BRIDGE_WEBHOOK_SECRET_FILE verifies the next webhook (Data Center does not send a refused one again)', async () => {
    const secretFile = path.join(env.dir, 'webhook-key');
    writeSecret(secretFile, 'old-webhook-secret');
    const lines: string[] = [];
    const running = await inProcessBridge(env.config({ BITBUCKET_TOKEN: env.sim.credentials.admin.token, BRIDGE_WEBHOOK_SECRET: '', BRIDGE_WEBHOOK_SECRET_FILE: secretFile, BRIDGE_DB: `${env.dir}/webhook.db` }), lines);
    const hook = env.sim.webhooks.register(`${running.ops.url}/webhooks/bitbucket`, 'new-webhook-secret');
    try {
      await settledPass(running);
      // The webhook's secret was changed in Bitbucket and in the mounted file.
      writeSecret(secretFile, 'new-webhook-secret');
      const repo = projectRepositories(env.sim)[0]!;
      env.sim.actions.pushCommits({ repository: `${repo.projectKey}/${repo.slug}`, commits: 1 });
      await env.sim.webhooks.idle();
      expect(env.sim.webhooks.deliveries().map((d) => d.status)).toEqual([202]);
      expect(logged(lines).map((line) => line.msg)).toContain('the webhook secret changed in its file; using the new value from now on');
      expect(lines.some((line) => line.includes('old-webhook-secret') || line.includes('new-webhook-secret'))).toBe(false);
    } finally {
      env.sim.webhooks.remove(hook);
      await running.stop();
    }
  });

  describe('PanDev', () => {
    let sink: PanDevSink;
    const rotated = { token: 'rotated-ingest-token', secret: 'rotated-signing-secret' };
    beforeAll(async () => (sink = await startPanDevSink(rotated)));
    afterAll(() => sink.stop());

    it('a token and signing secret replaced in their files end the pause PanDev\'s 401 put on deliveries, without a restart, and nothing is a dead letter', async () => {
      const tokenFile = path.join(env.dir, 'pandev-token');
      const secretFile = path.join(env.dir, 'pandev-signing-secret');
      // PanDev issued new ones; the files still hold the old ones.
      writeSecret(tokenFile, PANDEV.token);
      writeSecret(secretFile, PANDEV.secret);
      const lines: string[] = [];
      const config = env.config({ BITBUCKET_TOKEN: env.sim.credentials.admin.token, PANDEV_URL: sink.url, PANDEV_TOKEN: '', PANDEV_TOKEN_FILE: tokenFile, PANDEV_SIGNING_SECRET: '', PANDEV_SIGNING_SECRET_FILE: secretFile, BRIDGE_DB: `${env.dir}/pandev.db` });
      // No grace: the sweep the running bridge makes every five minutes, made here at once.
      const running = await inProcessBridge({ ...config, tuning: { ...config.tuning, sweepGraceSeconds: 0 } }, lines);
      try {
        await settledPass(running);
        const kept = running.bridge.store.count('outbox:');
        expect(kept).toBeGreaterThan(0);
        expect(running.bridge.store.count('dead:')).toBe(0);
        expect(sink.deliveries()).toHaveLength(0);

        writeSecret(tokenFile, rotated.token);
        writeSecret(secretFile, rotated.secret);
        const repo = projectRepositories(env.sim)[0]!;
        const tip = env.sim.actions.pushCommits({ repository: `${repo.projectKey}/${repo.slug}`, commits: 1 }).commits[0]!;
        for (let pass = 0; pass < 2 && !sink.deliveries().some((d) => (d.body as any).changes?.[0]?.toHash === tip); pass++) await settledPass(running);
        expect(sink.deliveries().some((d) => d.eventKey === 'repo:refs_changed' && (d.body as any).changes[0].toHash === tip)).toBe(true);

        // What the pause kept goes with the next sweep, once each.
        await sweepOutbox(running.bridge.ctx, running.bridge.queue);
        await running.bridge.queue.idle();
        expect(running.bridge.store.count('outbox:')).toBe(0);
        expect(running.bridge.store.count('dead:')).toBe(0);
        expect(sink.deliveries().length).toBeGreaterThan(kept);
        expect(sink.duplicates()).toBe(0);
        const messages = logged(lines).map((line) => line.msg);
        expect(messages).toContain('the PanDev ingest token changed in its file; using the new value from now on');
        expect(messages).toContain('the PanDev signing secret changed in its file; using the new value from now on');
        expect(messages).toContain('deliveries resumed: PanDev took the token or signing secret saved since it refused the last');
        expect(lines.some((line) => [PANDEV.token, PANDEV.secret, rotated.token, rotated.secret].some((secret) => line.includes(secret)))).toBe(false);
      } finally {
        await running.stop();
      }
    });

    it('a sweep that finds the refused token and secret replaced sends what the pause kept at once, even where the sweep holds its re-queued ids off', async () => {
      const tokenFile = path.join(env.dir, 'pandev-token-2');
      const secretFile = path.join(env.dir, 'pandev-signing-secret-2');
      writeSecret(tokenFile, PANDEV.token);
      writeSecret(secretFile, PANDEV.secret);
      // A receiver of its own: the first test's receiver holds these very ids already.
      const fresh = await startPanDevSink(rotated);
      const config = env.config({ BITBUCKET_TOKEN: env.sim.credentials.admin.token, PANDEV_URL: fresh.url, PANDEV_TOKEN: '', PANDEV_TOKEN_FILE: tokenFile, PANDEV_SIGNING_SECRET: '', PANDEV_SIGNING_SECRET_FILE: secretFile, BRIDGE_DB: `${env.dir}/pandev-2.db` });
      const running = await inProcessBridge({ ...config, tuning: { ...config.tuning, sweepGraceSeconds: 0 } }, []);
      try {
        await settledPass(running);
        const kept = running.bridge.store.count('outbox:');
        expect(kept).toBeGreaterThan(0);
        expect(fresh.deliveries()).toHaveLength(0);
        writeSecret(tokenFile, rotated.token);
        writeSecret(secretFile, rotated.secret);
        // As Forge's tick sweeps: its hold-off waits out a consumer that may still hold a late entry, and a
        // paused entry is in none, while the admin who replaced the credentials watches for it.
        await sweepOutbox(running.bridge.ctx, running.bridge.queue, { holdOffSeconds: 3600 });
        await running.bridge.queue.idle();
        expect(running.bridge.store.count('outbox:')).toBe(0);
        expect(fresh.deliveries()).toHaveLength(kept);
        expect(fresh.duplicates()).toBe(0);
      } finally {
        await running.stop();
        await fresh.stop();
      }
    });
  });
});
