import path from 'node:path';
import type { BridgeConfig } from '../../src/bridge/config/schema';
import { openSqliteStore } from '../../src/bridge/state/sqlite-store';
import { prefixes, type DeadLetter } from '../../src/core/deliver/outbox';
import { keyPart } from '../../src/core/keys';
import { allEntries } from '../../src/core/ports';
import type { CloudSimulator } from '../../src/sandbox/cloud-sim';
import type { PanDevSink } from '../../src/sandbox/pandev-sink';
import { cloudConfig, cloudEnv, dcEnv, inProcessBridge, projectRepositories } from './helpers';

// A repository deleted in Bitbucket, or taken out of the selection, must not keep its rows in the state
// for the life of the installation; one still listed keeps all of its own, and a listing that failed,
// or a day not yet over, takes nothing.

const HOUR = 3_600_000;

/** One bridge's first pass (it lists the repositories), `after` ms from now by its clock. */
async function passAt(config: BridgeConfig, after: number) {
  const running = await inProcessBridge(config, [], { clock: { now: () => Date.now() + after } });
  try {
    const summary = await running.runPass();
    await running.bridge.queue.idle();
    return summary;
  } finally {
    await running.stop();
  }
}
async function withState<T>(db: string, read: (store: ReturnType<typeof openSqliteStore>) => T | Promise<T>): Promise<T> {
  const store = openSqliteStore(db);
  try {
    return await read(store);
  } finally {
    store.close();
  }
}
/**
 * The state's rows of a repository (Cloud: its UUID, Data Center: its id): every key naming it where
 * keys name their repository, second (`ref:<repository>:…`) or third (`dc:pr:<repository>:…`).
 */
const rowsOf = (db: string, repository: string) =>
  withState(db, async (store) => {
    const part = keyPart(repository);
    const rows: string[] = [];
    for await (const { key } of allEntries(store, '', 1000)) {
      const [first, second, third] = key.split(':');
      if ((['activity', 'ref', 'reviewer'].includes(first!) && second === part) || (['dc', 'bridge', 'metrics', 'cache'].includes(first!) && third === part)) rows.push(key);
    }
    return rows;
  });
/** What forgetting leaves of a repository's rows: its ref tips, which lapse by themselves (ref-state.ts). */
const refTips = (rows: string[]) => rows.filter((key) => key.startsWith('ref:'));
/** The dead letters of the repository. */
const deadLettersOf = (db: string, repository: string) =>
  withState(db, async (store) => {
    const letters: string[] = [];
    for await (const { key, value } of allEntries<DeadLetter>(store, prefixes.dead)) if (keyPart(value.entry.change.repository.uuid) === keyPart(repository)) letters.push(key);
    return letters;
  });

describe('Cloud', () => {
  let sim: CloudSimulator;
  let sink: PanDevSink;
  let db: string;
  let stop: () => Promise<void>;
  beforeEach(async () => {
    let dir: string;
    ({ sim, sink, dir, stop } = await cloudEnv('bridge-forget', 3));
    db = path.join(dir, 'state.db');
  });
  afterEach(() => stop());
  const config = (extra: Record<string, string> = {}) => cloudConfig({ sim, sink }, db, extra);

  it('forgets a deleted and a deselected repository a day after the listing last held them, and nothing of one still listed', async () => {
    const [kept, deleted, deselected] = [...sim.model.repositories.values()];
    expect((await passAt(config(), 0)).failed).toBe(0);
    const before = { kept: (await rowsOf(db, kept!.uuid)), deleted: (await rowsOf(db, deleted!.uuid)), deselected: (await rowsOf(db, deselected!.uuid)) };
    // Cursors, ref tips, reviewer and figure memory of each.
    for (const rows of Object.values(before)) expect(rows.length).toBeGreaterThan(3);

    sim.actions.deleteRepository({ repository: deleted!.slug });
    const without = { BITBUCKET_REPOS: `!${deselected!.projectKey}/${deselected!.slug}` };
    await passAt(config(without), 0);
    // Within the day: kept, so that a repository listed again loses nothing.
    await passAt(config(without), 2 * HOUR);
    expect((await rowsOf(db, deleted!.uuid))).toEqual(before.deleted);
    expect((await rowsOf(db, deselected!.uuid))).toEqual(before.deselected);

    // Past the day, a listing that failed says nothing about what Bitbucket has.
    const fault = sim.faults.add({ method: 'GET', path: `^/2.0/repositories/[^/]+/?$`, status: 500 });
    const faulted = sim.stats().faulted;
    try {
      expect((await passAt(config(without), 25 * HOUR)).repositories).toBe(0);
    } finally {
      sim.faults.remove(fault);
    }
    expect(sim.stats().faulted).toBeGreaterThan(faulted);
    expect((await rowsOf(db, deleted!.uuid))).toEqual(before.deleted);
    expect((await rowsOf(db, deselected!.uuid))).toEqual(before.deselected);

    await passAt(config(without), 26 * HOUR);
    expect((await rowsOf(db, deleted!.uuid))).toEqual(refTips(before.deleted));
    expect((await rowsOf(db, deselected!.uuid))).toEqual(refTips(before.deselected));
    expect((await rowsOf(db, kept!.uuid))).toEqual(expect.arrayContaining(before.kept));
  }, 120_000);

  it("keeps a deleted repository's rows while dead letters of it remain, and the dead letters themselves", async () => {
    const [, deleted] = [...sim.model.repositories.values()];
    // PanDev refuses every delivery of the first pass for good: each becomes a dead letter.
    sink.respondNext(400, 1_000_000, 'this payload is refused');
    await passAt(config(), 0);
    sink.respondNormally();
    const dead = await deadLettersOf(db, deleted!.uuid);
    expect(dead.length).toBeGreaterThan(0);
    const rows = await rowsOf(db, deleted!.uuid);

    sim.actions.deleteRepository({ repository: deleted!.slug });
    await passAt(config(), 0);
    await passAt(config(), 26 * HOUR);
    // A replay builds its delivery again from what the state knows of the repository.
    expect(await rowsOf(db, deleted!.uuid)).toEqual(rows);
    expect(await deadLettersOf(db, deleted!.uuid)).toEqual(dead);
  }, 120_000);

  it('sends no commit twice when a repository forgotten after its deselection is selected again', async () => {
    const [, again] = [...sim.model.repositories.values()];
    await passAt(config(), 0);
    sim.actions.pushCommits({ repository: again!.slug, commits: 2 });
    await passAt(config(), 0);
    const without = config({ BITBUCKET_REPOS: `!${again!.projectKey}/${again!.slug}` });
    await passAt(without, 0);
    await passAt(without, 25 * HOUR);
    expect(await rowsOf(db, again!.uuid)).not.toContain(`bridge:cloud:${keyPart(again!.uuid)}`);

    const pushes = () => sink.deliveries().filter((d) => d.eventKey === 'repo:push') as Array<{ id: string; body: { pandev: { commits: Array<{ hash: string }> } } }>;
    const delivered = new Set(pushes().flatMap((push) => push.body.pandev.commits.map((commit) => commit.hash)));
    const before = new Set(sink.deliveries().map((d) => d.id));
    await passAt(config(), 26 * HOUR);
    const sent = pushes().filter((push) => !before.has(push.id));
    expect(sent.flatMap((push) => push.body.pandev.commits.map((commit) => commit.hash)).filter((hash) => delivered.has(hash))).toEqual([]);
    // Nor anything else: what it delivered before keeps its ids.
    expect(sink.deliveries().filter((d) => !before.has(d.id)).map((d) => d.eventKey)).toEqual([]);
  }, 120_000);
});

describe('Data Center', () => {
  it('forgets a repository a day after it was taken out of the selection, and nothing of the others', async () => {
    const env = await dcEnv({ seed: 'bridge-forget', projects: 1, repositoriesPerProject: 3, corruptPullRequest: false });
    try {
      const db = env.config().bridge.db;
      const [first, second, deselected] = projectRepositories(env.sim).map((repo) => ({ id: String(repo.id), name: `${repo.projectKey}/${repo.slug}` }));
      expect((await passAt(env.config(), 0)).failed).toBe(0);
      const before = await Promise.all([first!, second!, deselected!].map((repo) => rowsOf(db, repo.id)));
      for (const rows of before) expect(rows.length).toBeGreaterThan(3);

      const without = env.config({ BITBUCKET_REPOS: `!${deselected!.name}` });
      await passAt(without, 0);
      await passAt(without, 2 * HOUR);
      expect(await rowsOf(db, deselected!.id)).toEqual(before[2]);
      await passAt(without, 25 * HOUR);
      expect(await rowsOf(db, deselected!.id)).toEqual(refTips(before[2]!));
      expect(await rowsOf(db, first!.id)).toEqual(expect.arrayContaining(before[0]!));
      expect(await rowsOf(db, second!.id)).toEqual(expect.arrayContaining(before[1]!));
    } finally {
      await env.stop();
    }
  }, 120_000);

  it('forgets a repository the listing no longer holds only once Bitbucket answers it is gone (404, or another repository under its name), not while it refuses to say', async () => {
    const env = await dcEnv({ seed: 'bridge-forget-gone', projects: 3, repositoriesPerProject: 1, pullRequestsPerRepository: 1, corruptPullRequest: false });
    try {
      const db = env.config().bridge.db;
      const [deleted, replaced, kept] = projectRepositories(env.sim).map((repo) => ({ id: String(repo.id), project: repo.projectKey, path: `^/rest/api/1\\.0/projects/${repo.projectKey}/repos/${repo.slug}$` }));
      await passAt(env.config(), 0);
      const before = await Promise.all([deleted!, replaced!, kept!].map((repo) => rowsOf(db, repo.id)));
      // The admin's user no longer sees the three: Data Center lists none of them and says nothing more.
      for (const repo of [deleted!, replaced!, kept!]) env.sim.setProjectAccess('admin', repo.project, false);
      await passAt(env.config(), 0);
      // A day on, Bitbucket refuses to say (401 without the permission): nothing is forgotten.
      await passAt(env.config(), 25 * HOUR);
      for (const [i, repo] of [deleted!, replaced!, kept!].entries()) expect(await rowsOf(db, repo.id)).toEqual(before[i]);
      // Then one answers 404, another answers with a repository of another id under its name.
      const faults = [
        env.sim.faults.add({ path: deleted!.path, status: 404, body: JSON.stringify({ errors: [{ context: null, message: 'Repository does not exist.', exceptionName: 'com.atlassian.bitbucket.repository.NoSuchRepositoryException' }] }) }),
        env.sim.faults.add({ path: replaced!.path, status: 200, body: JSON.stringify({ id: 9_999, slug: 'reused', name: 'reused' }) }),
      ];
      try {
        await passAt(env.config(), 26 * HOUR);
      } finally {
        faults.forEach((fault) => env.sim.faults.remove(fault));
      }
      expect(await rowsOf(db, deleted!.id)).toEqual(refTips(before[0]!));
      expect(await rowsOf(db, replaced!.id)).toEqual(refTips(before[1]!));
      expect(await rowsOf(db, kept!.id)).toEqual(before[2]);
    } finally {
      await env.stop();
    }
  }, 120_000);

  it('keeps every row of a repository renamed: the listing holds its id', async () => {
    const env = await dcEnv({ seed: 'bridge-forget-renamed', projects: 1, repositoriesPerProject: 2, pullRequestsPerRepository: 1, corruptPullRequest: false });
    try {
      const db = env.config().bridge.db;
      const repo = projectRepositories(env.sim)[0]!;
      await passAt(env.config(), 0);
      const before = await rowsOf(db, String(repo.id));
      env.sim.actions.updateRepository({ repository: `${repo.projectKey}/${repo.slug}`, name: 'Renamed Meanwhile' });
      for (const after of [0, 25 * HOUR, 50 * HOUR]) expect((await passAt(env.config(), after)).failed).toBe(0);
      expect(await rowsOf(db, String(repo.id))).toEqual(expect.arrayContaining(before));
    } finally {
      await env.stop();
    }
  }, 120_000);

  it('sends no commit twice when a repository forgotten after its deselection is selected again', async () => {
    const env = await dcEnv({ seed: 'bridge-forget-again', projects: 1, repositoriesPerProject: 1, pullRequestsPerRepository: 1, corruptPullRequest: false });
    try {
      const repo = projectRepositories(env.sim)[0]!;
      const name = `${repo.projectKey}/${repo.slug}`;
      const db = env.config().bridge.db;
      await passAt(env.config(), 0);
      // A move after the backfill, delivered by a later pass (a quiet pass reads pull requests or branches in turn).
      const [tip] = env.sim.actions.pushCommits({ repository: name, commits: 1 }).commits;
      const pushes = () => env.sink.deliveries().filter((d) => d.eventKey === 'repo:refs_changed') as Array<{ id: string; body: { pandev: { commits: Array<{ id: string }> } } }>;
      for (let pass = 0; pass < 3 && !pushes().some((push) => push.body.pandev.commits.some((commit) => commit.id === tip)); pass++) await passAt(env.config(), 0);
      expect(pushes().filter((push) => push.body.pandev.commits.some((commit) => commit.id === tip))).toHaveLength(1);

      const without = env.config({ BITBUCKET_REPOS: `!${name}` });
      await passAt(without, 0);
      await passAt(without, 25 * HOUR);
      expect(await rowsOf(db, String(repo.id))).not.toContain(`dc:repo:${repo.id}`);

      // Nothing moved meanwhile: PanDev deduplicates deliveries by id, not the commits they carry, and
      // one carrying commits delivered before counts them again.
      const delivered = new Set(pushes().flatMap((push) => push.body.pandev.commits.map((commit) => commit.id)));
      const before = new Set(pushes().map((push) => push.id));
      await passAt(env.config(), 26 * HOUR);
      const again = pushes().filter((push) => !before.has(push.id));
      expect(again.flatMap((push) => push.body.pandev.commits.map((commit) => commit.id)).filter((id) => delivered.has(id))).toEqual([]);
      expect(again).toEqual([]);
    } finally {
      await env.stop();
    }
  }, 120_000);
});
