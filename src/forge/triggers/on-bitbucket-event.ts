import type { DropReason } from '../../contract/status';
import { changeFromForgeEvent, ForgeEventHeader } from '../../core/change/forge-events';
import { settingsStore } from '../../core/config/settings';
import { outboxStore } from '../../core/deliver/outbox';
import { errorMessage, InvalidInputError } from '../../core/errors';
import { parkChange } from '../../core/pipeline/inbox';
import { pausedTooLong } from '../../core/pipeline/pause';
import { serializationKey } from '../../core/pipeline/queue';
import { forgeContext } from '../adapters/context';
import { forgeForwardQueue } from '../adapters/queue';
import { forgeSecrets, forgeStore } from '../adapters/kvs-store';
import { forgeLogger as log } from '../adapters/logger';

// A product trigger has 25 seconds: it only parses, filters and queues. Anything that can fail slowly
// (Bitbucket, PanDev) happens in the consumer, which can retry.

export async function onBitbucketEvent(event: unknown): Promise<void> {
  const header = ForgeEventHeader.safeParse(event);
  const eventType = header.success ? header.data.eventType : 'unknown';
  const repository = header.success ? header.data.repository?.uuid : undefined;
  const drop = (reason: DropReason, detail: string) => dropEvent(reason, detail, eventType, repository);
  try {
    if (header.success && header.data.selfGenerated) return drop('self-generated', 'the app caused this event itself');
    const settings = settingsStore(forgeStore, forgeSecrets);
    const connection = await settings.connection();
    if (!connection?.activatedAt) return drop('not-activated', 'PanDev is not connected and activated yet; the backfill covers history on activation');
    const leftInPause = pausedTooLong(connection, Date.now(), eventType);
    if (leftInPause) return drop('paused-too-long', leftInPause);
    const change = changeFromForgeEvent(event, new Date().toISOString());
    if (!(await settings.isSelected(change.repository.uuid))) return drop('repository-not-selected', `repository ${change.repository.uuid} is not selected in the settings`);
    try {
      await forgeForwardQueue().push([{ change }], { serializeBy: serializationKey(change) });
    } catch (error) {
      // The platform refused the push (rate limit, outage): park the change; the tick queues it later.
      log.warn({ eventType, repository, error: errorMessage(error) }, 'queue refused the event; parked for the next tick');
      await parkChange(forgeStore, change, errorMessage(error), Date.now());
    }
  } catch (error) {
    if (error instanceof InvalidInputError) return drop('invalid-event', error.message);
    log.error({ eventType, repository, error: errorMessage(error) }, 'could not take the event');
    throw error;
  }
}

// Expected drops (the app's own events, unselected repositories, a long pause) can be most events of a workspace:
// they are counted, at most one write per instance every half minute. Malformed events are rare and
// worth a look: each is also kept with its detail.
const EXPECTED = new Set<DropReason>(['self-generated', 'not-activated', 'repository-not-selected', 'paused-too-long']);

async function dropEvent(reason: DropReason, detail: string, eventType: string, repository: string | undefined): Promise<void> {
  log.info({ reason, detail, eventType, repository }, 'event dropped on purpose');
  const { stats } = forgeContext();
  stats.count('dropped', reason);
  if (EXPECTED.has(reason)) return stats.flush(30_000);
  const at = Date.now();
  await outboxStore(forgeStore).recordDrop({ at, reason, detail, eventKey: eventType, ...(repository ? { repository } : {}) }, `${at}-${Math.random().toString(36).slice(2, 10)}`);
  await stats.flush();
}
