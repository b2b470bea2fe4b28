import type { CloudSimulator, ForgeEvent } from '../../../src/sandbox/cloud-sim';
import type { Repository } from '../../../src/sandbox/cloud-sim/model/types';

export const ZULU = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;
export const API_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/;
export const SHORT_HASH = /^[0-9a-f]{12}$/;
export const UUID = /^\{[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\}$/;

/** What Forge puts in every repository-scoped event (forge.md §1b). */
export function scope(sim: CloudSimulator, repo: Repository) {
  return {
    timestamp: expect.stringMatching(ZULU),
    selfGenerated: false,
    actor: { type: 'user', accountId: expect.any(String), uuid: expect.stringMatching(UUID) },
    repository: { uuid: repo.uuid, slug: repo.slug },
    project: { uuid: expect.stringMatching(UUID) },
    workspace: { uuid: sim.workspace.uuid },
  };
}

export const forgePullRequest = {
  id: expect.any(Number),
  state: expect.stringMatching(/^(OPEN|MERGED|DECLINED)$/),
  source: { branch: expect.any(String), commit: { hash: expect.stringMatching(SHORT_HASH) } },
  destination: { branch: expect.any(String), commit: { hash: expect.stringMatching(SHORT_HASH) } },
  title: { value: expect.any(String), truncated: false },
  author: { type: 'user', accountId: expect.any(String), uuid: expect.stringMatching(UUID), displayName: expect.any(String) },
  updatedOn: expect.stringMatching(API_TIME),
  createdOn: expect.stringMatching(API_TIME),
  commentCount: expect.any(Number),
  taskCount: 0,
};

/** Records what `onEvent` delivers while a test runs. */
export function recorder(sim: CloudSimulator): { events: ForgeEvent[]; stop: () => void } {
  const events: ForgeEvent[] = [];
  const stop = sim.onEvent((event) => events.push(event));
  return { events, stop };
}

/** The event interface whose `eventType` union includes T. */
type EventOf<T extends ForgeEvent['eventType'], E = ForgeEvent> = E extends { eventType: infer K } ? (T extends K ? E : never) : never;

export function only<T extends ForgeEvent['eventType']>(events: ForgeEvent[], type: T): EventOf<T>[] {
  return events.filter((event): event is EventOf<T> => event.eventType === type);
}
