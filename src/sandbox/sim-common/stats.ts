// Request accounting for tests and benchmarks: how many calls a client made, to which routes, with
// which credential, and how many were rate limited or faulted. Shared: both simulators report the same
// SimStats through /_sim/stats, so tests and benchmarks read either one alike.

export interface SimStats {
  total: number;
  byRoute: Record<string, number>;
  byCredential: Record<string, number>;
  rateLimited: number;
  faulted: number;
}

export class StatsRecorder {
  private stats: SimStats = StatsRecorder.empty();

  private static empty(): SimStats {
    return { total: 0, byRoute: {}, byCredential: {}, rateLimited: 0, faulted: 0 };
  }

  request(route: string, credential: string): void {
    this.stats.total += 1;
    this.stats.byRoute[route] = (this.stats.byRoute[route] ?? 0) + 1;
    this.stats.byCredential[credential] = (this.stats.byCredential[credential] ?? 0) + 1;
  }

  rateLimited(): void {
    this.stats.rateLimited += 1;
  }

  faulted(): void {
    this.stats.faulted += 1;
  }

  snapshot(): SimStats {
    return structuredClone(this.stats);
  }

  reset(): void {
    this.stats = StatsRecorder.empty();
  }
}
