import path from 'node:path';
import type { CloudSimulator } from '../../src/sandbox/cloud-sim';
import type { PanDevSink } from '../../src/sandbox/pandev-sink';
import { cloudConfig, cloudEnv, inProcessBridge, settledPass } from './helpers';

// One repository Bitbucket lists in an unexpected shape must not stop a Cloud bridge polling the rest
// of the workspace: that one is left out, named in the log with what to do, and the others are polled.

let sim: CloudSimulator;
let sink: PanDevSink;
let dir: string;
let stop: () => Promise<void>;
beforeAll(async () => ({ sim, sink, dir, stop } = await cloudEnv('cloud-bad-listing', 3, { pullRequestsPerRepository: 2, historyDays: 5 })), 60_000);
afterAll(() => stop());

const warnings = (lines: string[]) => lines.map((line) => JSON.parse(line) as { level: string; msg: string; reason?: string }).filter((l) => l.level === 'warn');

it('polls the other repositories and names the one it could not list', async () => {
  const [bad, ...good] = [...sim.model.repositories.values()];
  sim.faults.add({ method: 'GET', path: '^/2\\.0/repositories/[^/]+$', corruptItem: { where: { slug: bad!.slug }, set: { uuid: null } } });
  const lines: string[] = [];
  const running = await inProcessBridge(cloudConfig({ sim, sink }, path.join(dir, 'bad.db')), lines);
  try {
    await settledPass(running);
    const delivered = new Set(sink.deliveries().map((d) => (d.body as { repository?: { uuid?: string } }).repository?.uuid));
    for (const repository of good) expect(delivered.has(repository.uuid)).toBe(true);
    expect(delivered.has(bad!.uuid)).toBe(false);
    expect(warnings(lines)).toContainEqual(expect.objectContaining({ msg: 'a repository was left out of the repository listing', reason: expect.stringMatching(new RegExp(`repository "${bad!.slug}" in an unexpected shape \\(uuid.*report it to Atlassian`)) }));
  } finally {
    await running.stop();
  }
}, 60_000);
