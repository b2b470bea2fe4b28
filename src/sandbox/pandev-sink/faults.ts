import type { FaultKind, FaultPlan } from './types';

// Deterministic fault injection: the same seed and plan fail the same requests on every run, so a
// failing end-to-end test can be replayed.

export function pickFault(plan: FaultPlan | null, random: () => number): FaultKind | undefined {
  if (!plan || plan.kinds.length === 0 || random() >= plan.share) return undefined;
  return plan.kinds[Math.floor(random() * plan.kinds.length)];
}
