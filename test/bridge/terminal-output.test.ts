import path from 'node:path';
import { runCommand } from '../helpers/cli';
import { dcEnv, inProcessBridge, projectRepositories, settledPass, type DcEnv } from './helpers';

// `status`, `check` and `dead-letters list` print text the bridge did not write: PanDev's (or a proxy's)
// answer quoted in a dead letter's reason, Bitbucket's error text in a failure reason. An operator reads
// them in a terminal, where an escape sequence in that text would act: retitle the window, clear the
// screen, move the cursor over lines printed before it, or (bidi overrides) show text reordered.

// OSC retitle, clear screen, cursor up, an 8-bit CSI, a right-to-left override and its pop.
const HOSTILE = 'refused \u001b]0;owned\u0007\u001b[2J\u001b[1A\u009b31m\u202egnp.exe\u202c end';
const controls = (text: string) => text.replace(/\n/g, '').match(/[\p{Cc}\p{Cf}]/gu) ?? [];

let env: DcEnv;
let db: string;
beforeAll(async () => {
  env = await dcEnv({ seed: 'terminal-output', projects: 1, repositoriesPerProject: 2, pullRequestsPerRepository: 1, corruptPullRequest: false });
  db = path.join(env.dir, 'state.db');
  // Every delivery refused for good with the hostile text, and one repository failing with it too.
  env.sink.respondNext(400, 10_000, HOSTILE);
  const running = await inProcessBridge(env.config({ BRIDGE_DB: db }));
  try {
    await settledPass(running);
    const [repo] = projectRepositories(env.sim);
    env.sim.faults.add({ path: `^/rest/api/1\\.0/projects/${repo!.projectKey}/repos/${repo!.slug}/`, status: 502, body: HOSTILE });
    expect((await running.runPass()).failed).toBe(1);
  } finally {
    await running.stop();
  }
});
afterAll(() => env.stop());

it('dead-letters list prints the reasons PanDev gave without the control characters in them', async () => {
  const { code, stdout } = await runCommand(['dead-letters', 'list'], { BRIDGE_DB: db });
  expect(code).toBe(0);
  expect(stdout).toContain('PanDev rejected the delivery (400)');
  expect(stdout).toContain('gnp.exe');
  expect(controls(stdout)).toEqual([]);
});

it('status prints a repository failure quoting Bitbucket without the control characters in it', async () => {
  const { stdout } = await runCommand(['status'], { BRIDGE_DB: db });
  expect(stdout).toContain('needs attention');
  expect(stdout).toContain('gnp.exe');
  expect(controls(stdout)).toEqual([]);
});

it('check prints PanDev refusing the test delivery without the control characters in its answer', async () => {
  env.sink.respondNext(400, 1, HOSTILE);
  const { code, stdout } = await runCommand(['check'], { ...env.env, BRIDGE_DB: db });
  expect(code).toBe(1);
  expect(stdout).toContain('PanDev answered 400');
  expect(stdout).toContain('gnp.exe');
  expect(controls(stdout)).toEqual([]);
});

it('status keeps a Data Center error message on its own line: a line break in it cannot print a line of its own', async () => {
  // Data Center's JSON errors carry messages whose text is not the bridge's; a line break decoded
  // from one would let that text print what reads as a line of the bridge's own status.
  const forged = 'ok every repository is polled and nothing needs attention';
  const own = path.join(env.dir, 'forged-line.db');
  const running = await inProcessBridge(env.config({ BRIDGE_DB: own }));
  try {
    const [, repo] = projectRepositories(env.sim);
    const fault = env.sim.faults.add({ path: `^/rest/api/1\\.0/projects/${repo!.projectKey}/repos/${repo!.slug}/`, status: 500, body: JSON.stringify({ errors: [{ message: `refused\n${forged}` }] }) });
    // The first repository still fails with the hostile text set up above: two failures.
    expect((await running.runPass()).failed).toBe(2);
    env.sim.faults.remove(fault);
  } finally {
    await running.stop();
  }
  const { stdout } = await runCommand(['status'], { BRIDGE_DB: own });
  expect(stdout).toContain(`refused ${forged}`);
  expect(stdout.split('\n').filter((line) => line.trimStart().startsWith(forged))).toEqual([]);
});
