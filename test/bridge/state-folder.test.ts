import { execFile } from 'node:child_process';
import { existsSync, readdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { runCli, runCommand as cli, type RunningCli } from '../helpers/cli';
import { dcEnv, type DcEnv } from './helpers';

// BRIDGE_DB's folder must exist or be creatable, and writable by the bridge's user. The configuration
// asked access(2), which says yes to root in /proc: `check` passed, and `bridge` then spun for ever in
// Node's recursive mkdir, deaf to SIGTERM. A symbolic link to a missing volume passed too, and failed
// at start with a bare ENOENT. (A path under a file or in a read-only folder: config.test.ts.)

const root = path.resolve(__dirname, '../..');
const UNDER_PROC = '/proc/pandev-bridge-state/state.db';

let env: DcEnv;
beforeAll(async () => (env = await dcEnv({ seed: 'state-folder', projects: 1, repositoriesPerProject: 1, pullRequestsPerRepository: 1, corruptPullRequest: false })));
afterAll(() => env.stop());

const running: RunningCli[] = [];
// SIGKILL: the spin this guards against ignores SIGTERM.
afterEach(() => running.splice(0).forEach((child) => child.kill('SIGKILL')));

describe('pandev-bitbucket check', () => {
  it('refuses a BRIDGE_DB under /proc, naming the setting and what to do (exit 2)', async () => {
    const { code, stderr } = await cli(['check'], { ...env.env, BRIDGE_DB: UNDER_PROC });
    expect(stderr).toContain(`BRIDGE_DB (YAML: bridge.db)=${UNDER_PROC}: the folder /proc `);
    expect(stderr).toMatch(/point it at a file in a folder of its own|create the state folder/);
    expect(code).toBe(2);
  });

  it('refuses a BRIDGE_DB behind a symbolic link to something missing', async () => {
    const link = path.join(env.dir, 'unmounted');
    symlinkSync(path.join(env.dir, 'no-such-volume'), link);
    const db = path.join(link, 'state', 'state.db');
    const { code, stderr } = await cli(['check'], { ...env.env, BRIDGE_DB: db });
    expect(stderr).toContain(`BRIDGE_DB (YAML: bridge.db)=${db}: ${link} is a symbolic link to something missing`);
    expect(code).toBe(2);
  });

  it('passes a BRIDGE_DB in folders still to be made, and leaves nothing behind', async () => {
    const db = path.join(env.dir, 'fresh', 'state', 'bridge.db');
    const before = readdirSync(env.dir).sort();
    const { code, out } = await cli(['check'], { ...env.env, BRIDGE_DB: db });
    expect(out).toContain('PanDev accepted a signed test delivery');
    expect(code).toBe(0);
    expect(existsSync(path.join(env.dir, 'fresh'))).toBe(false);
    expect(readdirSync(env.dir).sort()).toEqual(before);
  });
});

describe('pandev-bitbucket bridge', () => {
  it('ends its start on a BRIDGE_DB under /proc with the same message, instead of spinning in mkdir', async () => {
    const child = runCli(['bridge'], { ...env.env, BRIDGE_DB: UNDER_PROC, BRIDGE_LOG_LEVEL: 'error' });
    running.push(child);
    await child.waitFor(/BRIDGE_DB/, 20_000);
    expect(child.output()).toContain(`BRIDGE_DB (YAML: bridge.db)=${UNDER_PROC}: the folder /proc `);
    expect(await child.exited()).toBe(2);
  });
});

it('the state store makes its folders one level at a time: a path under /proc is an error naming BRIDGE_DB, not a spin', async () => {
  // In a process of its own, with a deadline: the spin would block this one's event loop for good.
  const script = `require(${JSON.stringify(path.join(root, 'src/bridge/state/sqlite-store.ts'))}).openSqliteStore(${JSON.stringify(UNDER_PROC)})`;
  const { stderr, killed } = await new Promise<{ stderr: string; killed: boolean }>((resolve) => {
    const child = execFile(process.execPath, ['--import', 'tsx', '-e', script], { cwd: root, timeout: 20_000, killSignal: 'SIGKILL' }, (_error, _stdout, stderr) => resolve({ stderr, killed: child.killed }));
  });
  expect(killed).toBe(false);
  expect(stderr).toContain(`BRIDGE_DB (YAML: bridge.db) ${UNDER_PROC}: the folder /proc/pandev-bridge-state could not be created (ENOENT)`);
});
