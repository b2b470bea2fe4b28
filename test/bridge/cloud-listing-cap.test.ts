import path from 'node:path';
import { readStatus } from '../../src/bridge/cli/status';
import type { CloudSimulator } from '../../src/sandbox/cloud-sim';
import type { PanDevSink } from '../../src/sandbox/pandev-sink';
import { cloudConfig, cloudEnv, inProcessBridge } from './helpers';

// A Cloud bridge lists the workspace's repositories up to 200 pages. Past the cap, the repositories
// were not polled and nothing said so (the Data Center edition says so in the log and in `status`).
// Here the simulator answers one repository a page, so 201 repositories are one past the cap.

let sim: CloudSimulator;
let sink: PanDevSink;
let dir: string;
let stop: () => Promise<void>;
beforeAll(async () => ({ sim, sink, dir, stop } = await cloudEnv('cloud-listing-cap', 201, { pullRequestsPerRepository: 0, historyDays: 1, pagelenMax: 1 })), 60_000);
afterAll(() => stop());

const warnings = (lines: string[]) => lines.map((line) => JSON.parse(line) as { level: string; msg: string }).filter((l) => l.level === 'warn').map((l) => l.msg);

it('says in the log and in status that the listing was cut at its cap, how many were read, and what to change', async () => {
  const first = [...sim.model.repositories.values()][0]!;
  // One repository selected, so the pass itself stays small: the listing still reads every page.
  const config = cloudConfig({ sim, sink }, path.join(dir, 'cap.db'), { BITBUCKET_REPOS: `${first.projectKey}/${first.slug}` });
  const lines: string[] = [];
  const running = await inProcessBridge(config, lines);
  try {
    await running.runPass();
    const expected = 'the repository listing stopped at its cap of 200 pages after 200 repositories, with more to come: repositories past them are not polled. Give each bridge a token that reads fewer repositories (a project access token, one bridge per project), or install the Forge app in this workspace instead';
    expect(warnings(lines)).toContain(expected);
    const report = await readStatus(running.bridge.store);
    expect(report.attention).toContainEqual(expect.objectContaining({ kind: 'listing-cut', repository: null, message: expected }));
  } finally {
    await running.stop();
  }
}, 60_000);
