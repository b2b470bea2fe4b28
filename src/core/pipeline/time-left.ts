import type { Clock } from '../ports';

/**
 * Paces a loop of like units of work (repositories, comment edits) against an invocation's deadline:
 * the next one starts only if, as slow as the slowest so far, it would still leave `margin` for the
 * invocation's own ending. Without a deadline every unit fits.
 */
export function timeLeft(clock: Clock, deadline: number | undefined, options: { margin: number; estimate?: number }) {
  let slowest = options.estimate ?? 0;
  return {
    /** Whether one more unit fits; when it does, call the returned function once the unit is done. */
    begin(): (() => void) | undefined {
      const began = clock.now();
      if (deadline !== undefined && began + slowest + options.margin > deadline) return undefined;
      return () => {
        slowest = Math.max(slowest, clock.now() - began);
      };
    },
  };
}
