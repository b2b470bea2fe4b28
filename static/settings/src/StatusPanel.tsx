import Lozenge from '@atlaskit/lozenge';
import ProgressBar from '@atlaskit/progress-bar';
import SectionMessage from '@atlaskit/section-message';
import type { StatusView } from '../../../src/contract/status';
import { BackfillProgress } from './BackfillProgress';
import { ago, count, duration, plural } from './format';
import { styles } from './styles';
import { droppedWords } from './words';

// Status: the badge, and the facts behind it.

const badge = {
  connected: { appearance: 'success', text: 'Connected' },
  'needs-attention': { appearance: 'moved', text: 'Needs attention' },
  disconnected: { appearance: 'removed', text: 'Disconnected' },
} as const;

/**
 * The day's count is of burials, the Dead letters row of letters waiting now: a delivery sent again
 * (replayed, or found again by another source) that fails again is buried twice, one replayed and
 * delivered waits no more, so the two differ and each says which it is.
 */
function buriedText(times: number): string {
  if (!times) return 'no delivery became a dead letter';
  return `${plural(times, 'time', 'times')} a delivery became a dead letter (counted each time: one sent again that fails again counts again)`;
}

/** No backfill yet: before the activation it waits for it; after, only a repository selected later starts one. */
const notStarted = (state: StatusView['state']) => (state === 'disconnected' ? 'not started (it starts on activation)' : 'none yet: a repository selected from now on gets one');

export function StatusPanel({ status }: { status: StatusView }) {
  const { deliveries, backfill } = status;
  const dropped = Object.entries(deliveries.droppedBy).map(([reason, n]) => droppedWords(reason, n)).join(', ');
  return (
    <div style={styles.stack} data-testid="status">
      <div style={styles.row}>
        {/* The refresh that finds the state changed (Connected, Needs attention) says so. */}
        <span role="status"><Lozenge appearance={badge[status.state].appearance} isBold>{badge[status.state].text}</Lozenge></span>
        {status.selectedRepositories !== undefined && status.repositories !== undefined && (
          <span>{count(status.selectedRepositories)} of {plural(status.repositories, 'repository', 'repositories')} selected</span>
        )}
      </div>
      {status.reasons.length > 0 && <ul style={{ margin: 0 }}>{status.reasons.map((reason) => <li key={reason}>{reason}</li>)}</ul>}
      {status.notes.map((note) => (
        <SectionMessage key={note.text} appearance={note.severity === 'info' ? 'information' : 'warning'}><p>{note.text}</p></SectionMessage>
      ))}
      <dl style={{ display: 'grid', gridTemplateColumns: 'max-content 1fr', gap: '4px 16px', margin: 0 }}>
        <dt style={styles.label}>Last sync</dt>
        <dd style={{ margin: 0 }}>{status.lastSync ? `${ago(status.lastSync.at)} (${status.lastSync.source === 'delivery' ? 'a delivery to PanDev' : 'a reconciliation pass'})` : 'never'}</dd>
        <dt style={styles.label}>Last 24 hours</dt>
        <dd style={{ margin: 0 }} data-testid="deliveries">
          {count(deliveries.delivered)} delivered · {plural(deliveries.retried, 'retry', 'retries')} · {buriedText(deliveries.dead)} · {count(deliveries.dropped)} dropped on purpose{dropped ? ` (${dropped})` : ''}
        </dd>
        <dt style={styles.label}>Dead letters</dt>
        <dd style={{ margin: 0 }} data-testid="dead-letter-count">{status.deadLetters.count ? `${count(status.deadLetters.count)}${status.deadLetters.more ? '+' : ''} waiting for a replay` : 'none waiting'}</dd>
        <dt style={styles.label}>Backfill</dt>
        <dd style={{ margin: 0 }}>
          {backfill.repositories === 0 ? notStarted(status.state) : `${count(backfill.finished)} of ${plural(backfill.repositories, 'repository', 'repositories')} done${backfill.etaSeconds ? `, about ${duration(backfill.etaSeconds)} left` : ''}`}
        </dd>
      </dl>
      {backfill.repositories > 0 && backfill.finished < backfill.repositories && (
        <ProgressBar ariaLabel="Backfill of all repositories" value={backfill.total ? backfill.done / backfill.total : backfill.finished / backfill.repositories} />
      )}
      {backfill.active.length > 0 && (
        <table style={styles.table}>
          <caption style={{ ...styles.label, textAlign: 'left' }}>Backfill in progress</caption>
          <thead><tr><th style={styles.th}>Repository</th><th style={styles.th}>Progress</th></tr></thead>
          <tbody>
            {backfill.active.map((row) => (
              <tr key={row.repository}><td style={{ ...styles.td, ...styles.wrap }}>{row.name}</td><td style={styles.td}><BackfillProgress backfill={row} name={row.name} /></td></tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
