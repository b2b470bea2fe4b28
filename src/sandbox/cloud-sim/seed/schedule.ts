// Seeded history is planned first (every random draw happens while planning) and then replayed in time
// order across all repositories, so the operations see the world as it was at each instant.
import type { Prng } from '../../sim-common/prng';
import type { SimModel } from '../model/state';
import type { Repository } from '../model/types';
import type { OpContext } from '../ops/context';
import type { Micros } from '../util/time';

interface Step {
  at: Micros;
  seq: number;
  content: Prng;
  run: (ctx: OpContext) => void;
}

export class Schedule {
  private readonly steps: Step[] = [];

  constructor(private readonly model: SimModel) {}

  add(at: Micros, content: Prng, run: (ctx: OpContext) => void): void {
    this.steps.push({ at: Math.round(at), seq: this.steps.length, content, run });
  }

  replay(): void {
    for (const step of [...this.steps].sort((a, b) => a.at - b.at || a.seq - b.seq)) {
      step.run({ model: this.model, rng: step.content, at: step.at });
    }
  }
}

/** What the planners of one repository share. */
export interface RepositoryPlan {
  model: SimModel;
  /** Decides what happens; `content` generates hashes and file names when it happens. */
  plan: Prng;
  content: Prng;
  schedule: Schedule;
  /** Nothing is planned after this instant: the history ends a little before `baseTime`. */
  end: Micros;
  repo(): Repository;
}

export function at(plan: RepositoryPlan, when: Micros, run: (ctx: OpContext) => void): void {
  if (when <= plan.end) plan.schedule.add(when, plan.content, run);
}
