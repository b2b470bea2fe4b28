// The live simulator around the model: the clock, the random stream for live changes, the render
// context, and the listeners (webhook delivery) told about every change. Every live mutation goes
// through `run`, so a listener that reads the REST API back sees the change already applied.
import type { PullRequestSortKey } from './model/pull-requests';
import type { DcModel } from './model/state';
import type { JsonObject, RenderContext } from './render/context';
import type { Clock } from './http/token-bucket';
import type { Prng } from '../sim-common/prng';

/** A native Data Center webhook event: its key (`X-Event-Key`) and the body Data Center would POST. */
export interface DcEvent {
  eventKey: string;
  body: JsonObject;
}

/** What an operation needs: the model, how to render, a random stream for content, and when it happens. */
export interface OpContext {
  model: DcModel;
  render: RenderContext;
  rng: Prng;
  at: number;
}

export interface Emitted {
  events: DcEvent[];
}

export type EventListener = (event: DcEvent) => void;

/** What `/application-properties` reports for the version being simulated. */
export interface VersionInfo {
  version: string;
  buildNumber: string;
  buildDate: string;
}

export interface PullRequestCoordinates {
  repositoryId: number;
  pullRequestId: number;
}

export class DcRuntime {
  private readonly listeners = new Set<EventListener>();
  readonly version: string;
  readonly buildNumber: string;
  readonly buildDate: string;

  constructor(
    readonly model: DcModel, readonly clock: Clock, readonly rng: Prng, readonly render: RenderContext, info: VersionInfo,
    /** The pull request whose own endpoints answer 500, if any. */
    readonly corrupt: PullRequestCoordinates | undefined,
    /** What the pull-request list's `order` sorts by. */
    readonly pullRequestsBy: PullRequestSortKey = 'updated',
    /** Whether comment edits and deletions are listed as activities (DcSimulatorOptions.commentEditActivities). */
    readonly commentEditActivities = true,
  ) {
    ({ version: this.version, buildNumber: this.buildNumber, buildDate: this.buildDate } = info);
  }

  run<T extends Emitted>(op: (ctx: OpContext) => T): T {
    const result = op({ model: this.model, render: this.render, rng: this.rng, at: this.clock.now() });
    for (const event of result.events) {
      for (const listener of this.listeners) {
        try {
          listener(event);
        } catch (error) {
          console.warn('dc-sim: an event listener threw', error);
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
