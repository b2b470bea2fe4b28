// The live simulator around the model: the clock, the random stream for live changes, the render
// context and the event listeners. Every live mutation goes through `run`, which stamps it with the
// clock's time and then tells the listeners, so a listener that reads the API sees the change applied.
import type { Prng } from '../sim-common/prng';
import type { ForgeEvent } from './events/types';
import type { SimModel } from './model/state';
import type { Emitted, OpContext } from './ops/context';
import type { RenderContext } from './render/context';
import { fromMillis } from './util/time';

export interface Clock {
  now(): number;
}

export type EventListener = (event: ForgeEvent) => void;

export class SimRuntime {
  private readonly listeners = new Set<EventListener>();
  readonly render: RenderContext;

  constructor(readonly model: SimModel, readonly clock: Clock, readonly rng: Prng, origin: string, readonly pagelenMax?: number) {
    this.render = { model, api: `${origin}/2.0` };
  }

  run<T extends Emitted>(op: (ctx: OpContext) => T): T {
    // Clocks tick in milliseconds; a seeded sub-millisecond part makes live times look like Bitbucket's.
    const at = fromMillis(this.clock.now()) + this.rng.int(0, 999);
    const result = op({ model: this.model, rng: this.rng, at });
    for (const event of result.events) {
      for (const listener of this.listeners) {
        try {
          listener(event);
        } catch (error) {
          console.warn('cloud-sim: an event listener threw', error);
        }
      }
    }
    return result;
  }

  onEvent(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
