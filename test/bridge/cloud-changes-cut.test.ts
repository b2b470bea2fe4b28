import path from 'node:path';
import { StatusReport } from '../../src/bridge/cli/status';
import type { CloudSimulator } from '../../src/sandbox/cloud-sim';
import type { PanDevSink } from '../../src/sandbox/pandev-sink';
import { runCommand } from '../helpers/cli';
import { cloudConfig, cloudEnv, inProcessBridge } from './helpers';

// A Cloud bridge asks one workspace query which repositories were pushed since the oldest watermark,
// at most 50 pages. Cut there, every pass reads the repositories it did not reach as if pushed: nothing
// is lost, but the hour's requests go, and the app's settings page says why while `status` said
// nothing. Here the simulator answers one repository a page, so 52 pushed repositories are two past it.

let sim: CloudSimulator;
let sink: PanDevSink;
let dir: string;
let stop: () => Promise<void>;
beforeAll(async () => ({ sim, sink, dir, stop } = await cloudEnv('cloud-changes-cut', 52, { pullRequestsPerRepository: 0, historyDays: 1, pagelenMax: 1 })), 60_000);
afterAll(() => stop());

const warnings = (lines: string[]) => lines.map((line) => JSON.parse(line) as { level: string; msg: string }).filter((l) => l.level === 'warn').map((l) => l.msg);

async function status(db: string) {
  const json = await runCommand(['status', '--json'], { BRIDGE_DB: db });
  const text = await runCommand(['status'], { BRIDGE_DB: db });
  return { code: json.code, report: StatusReport.parse(JSON.parse(json.stdout)), text: text.stdout };
}

const CUT = /^the workspace query for repositories pushed since (\S+) stopped at its cap of 50 pages after 50 repositories, with more to come\. No push is lost: every pass reads the repositories it did not reach as if pushed .*BITBUCKET_REQUESTS_PER_HOUR.* It ends once every selected repository has had a good pass since then; if it lasts, a repository whose poll keeps failing .* BITBUCKET_REPOS or BITBUCKET_PROJECTS$/;

it('says in status that the workspace query for pushed repositories was cut, what it costs and what to do, until a pass reads it whole', async () => {
  const db = path.join(dir, 'changes-cut.db');
  const lines: string[] = [];
  // The bridge's clock an hour ahead of Bitbucket's stands for the time between two passes: the second
  // pass's query starts after every change the simulator holds, as it would an hour on.
  const running = await inProcessBridge(cloudConfig({ sim, sink }, db), lines, { clock: { now: () => Date.now() + 3_600_000 } });
  try {
    // The first pass asks for the whole backfill window, which every repository changed in.
    expect((await running.runPass()).failed).toBe(0);
    const cut = warnings(lines).filter((msg) => CUT.test(msg));
    expect(cut).toHaveLength(1);
    const shown = await status(db);
    expect(shown.code).toBe(1);
    expect(shown.report.attention).toEqual([expect.objectContaining({ kind: 'changes-cut', repository: null, repositoryId: null, message: cut[0] })]);
    expect(shown.text).toContain(`needs attention (1):\n  ${shown.report.attention[0]!.at} ${cut[0]}`);

    // Every repository has had a pass since: the query is whole again, and the attention goes.
    expect((await running.runPass()).failed).toBe(0);
    const cleared = await status(db);
    expect(cleared.report.attention).toEqual([]);
    expect(cleared.code).toBe(0);
    expect(warnings(lines).filter((msg) => CUT.test(msg))).toHaveLength(1);
  } finally {
    await running.stop();
  }
}, 120_000);
