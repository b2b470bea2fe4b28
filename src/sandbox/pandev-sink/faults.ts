import type { FaultKind, FaultPlan } from './types';

// Deterministic fault injection: the same seed and plan fail the same requests on every run, so a
// failing end-to-end test can be replayed.

/** mulberry32: tiny, fast and good enough to pick which requests fail. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function pickFault(plan: FaultPlan | null, random: () => number): FaultKind | undefined {
  if (!plan || plan.kinds.length === 0 || random() >= plan.share) return undefined;
  return plan.kinds[Math.floor(random() * plan.kinds.length)];
}
