import { InvalidArgumentError } from 'commander';

// What the sandbox's commands share: the --port value and what to say when it cannot be had, and the
// bound on simulated repositories.

export function port(value: string): number {
  const parsed = Number(value);
  if (!/^\d+$/.test(value) || parsed > 65535) throw new InvalidArgumentError('expected a port number, 0..65535 (0: any free port)');
  return parsed;
}

/**
 * A simulator holds every repository's seeded history in memory (about a quarter of a megabyte each),
 * and the sandbox backfills them all: 100,000 ran out of memory before printing anything.
 */
export const MAX_REPOSITORIES = 1000;

export function repositoryCount(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > MAX_REPOSITORIES) throw new InvalidArgumentError(`expected a whole number from 1 to ${MAX_REPOSITORIES}`);
  return n;
}

export class PortInUseError extends Error {}

/** A server's start, with a taken port said as the mistake it is (a bare EADDRINUSE says neither what nor what to do). */
export async function listening<T>(start: Promise<T>, port: number, flag = '--port'): Promise<T> {
  try {
    return await start;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    throw new PortInUseError(`port ${port} on 127.0.0.1 is in use (another sandbox, simulator or receiver?): stop what holds it, or pick another with ${flag} (${flag} 0 takes any free port)`, { cause: error });
  }
}
