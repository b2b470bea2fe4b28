import { execFile, spawn } from 'node:child_process';
import path from 'node:path';

// `pandev-bitbucket <command>` as a child process, the way a user starts it: its output collected,
// waited on for a line that says it is up, and stopped with Ctrl-C (SIGINT).

const ROOT = path.resolve(__dirname, '../..');

export interface RunningCli {
  output(): string;
  /** Resolves once the output matches, the process exits, or after `timeoutMs` (the test's assertions then say what is missing). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** The exit code, once it exits on its own. */
  exited(): Promise<number | null>;
  /** SIGINT, then the exit code. */
  stop(): Promise<number | null>;
  /** Sends `signal` and returns at once (a stop's own steps are the test's to watch). */
  kill(signal: NodeJS.Signals): void;
}

export function runCli(args: string[], env: Record<string, string> = {}): RunningCli {
  // `node --import tsx`, as `npm start` runs it: one process, so SIGINT reaches the CLI itself. The tsx
  // command would relay it from a parent, and kill the CLI if a busy event loop answers late.
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  let gone = false;
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => ((gone = true), resolve(code))));
  return {
    output: () => output,
    async waitFor(pattern, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(output) && !gone && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    },
    exited: () => exited,
    stop() {
      child.kill('SIGINT');
      return exited;
    },
    kill: (signal) => void child.kill(signal),
  };
}

/**
 * A command that ends on its own (`status`, `check`), its stdout and stderr apart and its exit code; only
 * PATH of the test's own environment. `packaged`: as `npx pandev-bitbucket` runs it, the package's bin
 * and the compiled dist/ (which `npm ci` builds), not the TypeScript through tsx.
 */
export function runCommand(args: string[], env: Record<string, string>, options: { packaged?: boolean } = {}): Promise<{ code: number; stdout: string; stderr: string; out: string }> {
  const entry = options.packaged ? [path.join(ROOT, 'bin/pandev-bitbucket.js')] : ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts')];
  return new Promise((resolve) => {
    execFile(process.execPath, [...entry, ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr, out: `${stdout}${stderr}` });
    });
  });
}
