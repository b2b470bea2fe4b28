import { readFileSync } from 'node:fs';
import type { Logger } from '../../core/ports';
import { secretValueProblem } from './schema';

// A secret given as a file is usually a mounted secret that something else rotates (a Kubernetes
// Secret, a Vault agent rewriting it): reading the file again lets a running bridge take the new value,
// where reading it once at start kept the expired one until someone restarted it. A value given in a
// variable cannot change under a running process, so it stays as it was.

export interface RotatingSecret {
  /** The value in use. */
  readonly value: string;
  /**
   * Reads the file again (nothing for a variable's value); true when it now holds another value, which
   * `value` becomes. A file that is missing or empty for a moment (a writer between truncate and write)
   * keeps the old value.
   */
  reread(): boolean;
}

export interface RotatingOptions {
  log?: Logger;
  /** The value travels in an HTTP header (a token). */
  inHeader?: boolean;
  /**
   * Reads at most this often: where a request from anyone who reaches the port asks for it (a webhook
   * with a wrong signature), a flood of them reads the file no more than that.
   */
  minIntervalMs?: number;
  now?: () => number;
}

/**
 * `what` names the secret in the log ("the Bitbucket token"); the log says that the value changed and
 * which file it came from, never the value.
 */
export function rotatingSecret(initial: string, file: string | undefined, what: string, options: RotatingOptions = {}): RotatingSecret {
  const { log, inHeader = false, minIntervalMs = 0, now = Date.now } = options;
  let value = initial;
  let problem: string | undefined;
  let readAt = -Infinity;
  return {
    get value() {
      return value;
    },
    reread() {
      if (file === undefined || now() - readAt < minIntervalMs) return false;
      readAt = now();
      let text: string;
      try {
        text = readFileSync(file, 'utf8').trim();
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? String(error);
        if (problem !== code) log?.warn({ file, problem: code }, `could not read ${what} again from its file; the value read before stays in use`);
        problem = code;
        return false;
      }
      if (!text || text === value) {
        problem = undefined;
        return false;
      }
      // A rewrite that left a second line in the file would fail every request from now on, as a
      // network error: the value in use stays, as it does for a file missing for a moment.
      const invalid = secretValueProblem(text, inHeader);
      if (invalid) {
        if (problem !== invalid) log?.warn({ file, problem: invalid }, `${what} in its file is not usable; the value read before stays in use`);
        problem = invalid;
        return false;
      }
      problem = undefined;
      value = text;
      log?.info({ file }, `${what} changed in its file; using the new value from now on`);
      return true;
    },
  };
}
