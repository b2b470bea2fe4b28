import type { Change } from '../change/change';
import type { DeliveryIntent } from '../change/intents';
import type { Body } from '../payload/cloud';

/**
 * A delivery whose body a source built from data it already holds (backfill and reconciliation read
 * whole feeds, so fetching each object again would double their cost).
 */
export interface Prebuilt {
  change: Change;
  intent: DeliveryIntent;
  body: Body;
}

export function withPandev(body: Body, extra: Body): Body {
  return { ...body, pandev: { ...(body.pandev as Body | undefined), ...extra } };
}
