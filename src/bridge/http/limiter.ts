// The bridge's request budget toward Bitbucket: a token bucket caps the steady rate (Data Center's own
// limiter is a token bucket too, so staying under it avoids 429s instead of discovering them), and a
// semaphore caps requests in flight. A 429 empties the bucket and halves the rate, so every worker
// backs off together; the rate then climbs back to the configured one over half a minute.

export interface Limiter {
  /** Waits for a token and a free slot (or until `signal` aborts); call the returned function when the request is done. */
  acquire(signal?: AbortSignal): Promise<() => void>;
  /** Nothing more before `until` (epoch ms), and a slower pace after: the server asked us to wait. */
  pauseUntil(until: number): void;
}

const RECOVERY_MS = 30_000;
const MIN_RATE = 0.5;

export function limiter(options: { ratePerSecond: number; burst: number; concurrency: number; now?: () => number }): Limiter {
  const now = options.now ?? Date.now;
  let tokens = options.burst;
  let refilledAt = now();
  let pausedUntil = 0;
  let rate = options.ratePerSecond;
  let inFlight = 0;
  const waiting: Array<() => void> = [];

  const refill = () => {
    const at = now();
    const elapsed = at - refilledAt;
    rate = Math.min(options.ratePerSecond, rate + (elapsed / RECOVERY_MS) * options.ratePerSecond);
    // While slowed down, no bursts either: a burst is what the server just refused.
    const burst = rate < options.ratePerSecond ? 1 : options.burst;
    tokens = Math.min(burst, tokens + (elapsed / 1000) * rate);
    refilledAt = at;
  };

  async function takeToken(signal: AbortSignal | undefined): Promise<void> {
    for (;;) {
      refill();
      const pause = pausedUntil - now();
      if (pause <= 0 && tokens >= 1) {
        tokens -= 1;
        return;
      }
      const refillWait = tokens >= 1 ? 0 : ((1 - tokens) / rate) * 1000;
      await sleep(Math.max(pause, refillWait, 1), signal);
    }
  }

  async function takeSlot(signal: AbortSignal | undefined): Promise<void> {
    if (inFlight < options.concurrency) {
      inFlight++;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        // Still queued, so never handed the slot: leave the queue.
        waiting.splice(waiting.indexOf(handOver), 1);
        reject(abortError());
      };
      const handOver = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      waiting.push(handOver);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  function release(): void {
    const next = waiting.shift();
    if (next) next();
    else inFlight--;
  }

  return {
    async acquire(signal) {
      if (signal?.aborted) throw abortError();
      await takeSlot(signal);
      try {
        await takeToken(signal);
      } catch (error) {
        release();
        throw error;
      }
      let released = false;
      return () => {
        if (!released) release();
        released = true;
      };
    },
    pauseUntil(until) {
      refill();
      // Requests in flight when the first 429 came all get one: that is one signal, not several.
      if (pausedUntil <= now()) rate = Math.max(MIN_RATE, rate / 2);
      pausedUntil = Math.max(pausedUntil, until);
      tokens = 0;
    },
  };
}

/** A wait that `signal` ends early (rejecting with an AbortError), its timer cleared. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError());
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function abortError(): Error {
  return Object.assign(new Error('stopped while waiting'), { name: 'AbortError' });
}
