import type { KeyValueStore } from '../ports';
import { phaseOrder } from './phases';
import { getBackfill } from './state';

/**
 * How much the ref state knows of a repository's branches and tags. `listed`: its backfill went
 * through them all, recording each one (delivered, or noticed standing still), so a ref the state
 * lacks was created since. `pending`: the backfill has yet to list them and will deliver what moved
 * in its window itself. `unknown`: no backfill vouches for them (it failed, never ran, or left some out).
 */
export async function refsBaseline(store: KeyValueStore, repository: string): Promise<'listed' | 'pending' | 'unknown'> {
  const record = await getBackfill(store, repository);
  if (!record || record.refsIncomplete) return 'unknown';
  const phase = record.cursor?.phase;
  if (record.state === 'done' || (phase !== undefined && phaseOrder.indexOf(phase as never) > phaseOrder.indexOf('refs'))) return 'listed';
  return record.state === 'queued' || record.state === 'running' ? 'pending' : 'unknown';
}
