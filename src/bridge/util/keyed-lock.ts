// One repository at a time: the webhook receiver and the poll both advance a repository's cursors
// (ref tips, pull request state), and doing so in turn keeps each one's reading of them true.

export function keyedLock() {
  const tails = new Map<string, Promise<unknown>>();
  return async function withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = tails.get(key) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(fn);
    tails.set(key, run);
    try {
      return await run;
    } finally {
      if (tails.get(key) === run) tails.delete(key);
    }
  };
}
export type KeyedLock = ReturnType<typeof keyedLock>;
