import type { Prng } from '../../sim-common/prng';
import type { ForgeEvent } from '../events/types';
import type { SimModel } from '../model/state';
import type { Micros } from '../util/time';

/**
 * What an operation needs: the model, a random stream for generated content (hashes, uuids, file names)
 * and the instant it is asked to happen at. The seeder passes historical instants, live actions pass
 * the clock's now; both run the same code, so seeded history and live changes look alike.
 */
export interface OpContext {
  model: SimModel;
  rng: Prng;
  at: Micros;
}

/** Every operation reports the Forge events Bitbucket would send for it (the seeder drops them). */
export interface Emitted {
  events: ForgeEvent[];
}
