import { createHash } from 'node:crypto';

// X-Request-UUID: a UUIDv5 (RFC 9562 §5.5) of the event's identity, so every retry, and every source that
// finds the same event (trigger, reconciliation, backfill, poll), sends the same id and PanDev
// deduplicates on it. Node's crypto does this in a few lines; no dependency needed.

/** Our namespace: UUIDv5 of the URL namespace and "https://pandev-metrics.com/bitbucket". */
export const PANDEV_NAMESPACE = uuidv5('https://pandev-metrics.com/bitbucket', '6ba7b811-9dad-11d1-80b4-00c04fd430c8');

export interface EventIdentity {
  edition: string;
  /** Cloud workspace UUID or Data Center instance id. */
  workspace: string;
  /** A stable name of the thing the event is about, e.g. `pullrequest:{repo-uuid}:42`. */
  entity: string;
  eventKey: string;
  /** Which occurrence of the event this is, e.g. the `updated_on` of an update. */
  version: string;
}

export function deliveryId(identity: EventIdentity): string {
  const name = [identity.edition, identity.workspace.toLowerCase(), identity.entity.toLowerCase(), identity.eventKey, identity.version].join('\n');
  return uuidv5(name, PANDEV_NAMESPACE);
}

export function uuidv5(name: string, namespace: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const hash = createHash('sha1').update(ns).update(name, 'utf8').digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Timestamps from different sources differ in precision and zone notation; versions use one form. */
export function normalizeTime(value: string | number): string {
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : date.toISOString();
}
