import ProgressBar from '@atlaskit/progress-bar';
import type { BackfillView } from '../../../src/contract/repositories';
import { count, duration, plural } from './format';
import { styles } from './styles';

// One repository's backfill: a bar while it runs, its state otherwise.

export function BackfillProgress({ backfill, name }: { backfill: BackfillView; name: string }) {
  const { state, done, total, etaSeconds, error } = backfill;
  if (state === 'done') return <div><span style={styles.subtle}>done: {plural(done, 'pull request')}</span><Skipped backfill={backfill} /></div>;
  if (state === 'cancelled') return <span style={styles.subtle}>cancelled</span>;
  if (state === 'gone') return <span style={styles.subtle}>skipped: deleted in Bitbucket</span>;
  if (state === 'failed') return <span style={styles.error}>failed{error ? `: ${error}` : ''}</span>;
  return (
    <div style={{ minWidth: 140 }}>
      <ProgressBar ariaLabel={`Backfill of ${name}`} value={total ? done / total : 0} isIndeterminate={state === 'running' && !total} />
      <span style={styles.help}>
        {state === 'queued' ? 'queued' : total ? `${count(done)} of ${plural(total, 'pull request')}` : plural(done, 'pull request')}
        {etaSeconds ? ` · about ${duration(etaSeconds)} left` : ''}
      </span>
      <Skipped backfill={backfill} />
    </div>
  );
}

/** What Bitbucket kept failing to give: the newest in full, every kept one on hover. */
function Skipped({ backfill }: { backfill: BackfillView }) {
  const skipped = backfill.skipped;
  if (!skipped) return null;
  return (
    <div style={styles.error} title={skipped.recent.join('\n')}>
      {count(skipped.count)} left out after repeated failures, latest: {skipped.recent.at(-1)}
    </div>
  );
}
