import type { Change } from './change';
import { deliveryId } from './delivery-id';
import type { CloudEventKey, DataCenterEventKey } from './event-keys';
import type { DeliveryIntent } from './intents';

// How an intent is named, shared by the Cloud rules (intents.ts) and the Data Center ones
// (datacenter-intents.ts) so both editions make delivery ids and entity names one way.

export type MakeIntent<K extends CloudEventKey | DataCenterEventKey> = (eventKey: K, entity: string, version: string, reviewer?: DeliveryIntent['reviewer']) => DeliveryIntent;

/** Intents of `change`, each with the delivery id of (edition, workspace, entity, event key, version). */
export function intentMaker<K extends CloudEventKey | DataCenterEventKey>(change: Change): MakeIntent<K> {
  return (eventKey, entity, version, reviewer) => ({
    id: deliveryId({ edition: change.edition, workspace: change.workspace, entity, eventKey, version }),
    eventKey,
    entity,
    version,
    ...(reviewer ? { reviewer } : {}),
  });
}

export function pullRequestEntity(repositoryUuid: string, id: number): string {
  return `pullrequest:${repositoryUuid}:${id}`;
}
