import Button from '@atlaskit/button/new';
import { useCallback, useEffect, useRef, useState } from 'react';
import { appendOncePerLetter } from '../../../src/contract/dead-letters';
import type { DeadLetterItem } from '../../../src/contract/resolvers';
import { ErrorBanner } from './ErrorBanner';
import { api } from './api';
import { count, plural } from './format';
import { styles } from './styles';
import { eventWords } from './words';

// Deliveries PanDev did not take, with the reason, and a way to send them again once fixed: one by
// one, or all of them in calls of a few seconds each, with the count so far.

interface Listed {
  items: DeadLetterItem[];
  cursor?: string;
}

/** The replay's answer for one letter, as the page says it after "The <event> event of <repository>". */
const OUTCOME = {
  queued: 'was sent again.',
  'already-delivered': 'had reached PanDev already: nothing was sent again.',
  'not-found': 'was no longer a dead letter (replayed already, perhaps from another tab): nothing was sent again.',
} as const;

interface Replaying {
  replayed: number;
  alreadyDelivered: number;
  running: boolean;
}

export function DeadLetters({ version, onChanged }: { version: number; onChanged: () => void }) {
  const [listed, setListed] = useState<Listed | undefined>();
  // The list's error goes with the next good load; a replay's error stays until the next replay.
  const [listError, setListError] = useState<string | undefined>();
  const [actionError, setActionError] = useState<string | undefined>();
  const [busy, setBusy] = useState<string | undefined>();
  const [replaying, setReplaying] = useState<Replaying | undefined>();
  // What became of the one letter replayed last; its row is gone, so the focus goes to this.
  const [replayedOne, setReplayedOne] = useState<string | undefined>();
  // Counts the Replay all runs that ended: Stop (and, once the list is empty, Replay all) leave the
  // page as they end, and a keyboard user would be left at the top of it.
  const [runsEnded, setRunsEnded] = useState(0);
  const said = useRef<HTMLParagraphElement>(null);
  const stop = useRef(false);
  // How many the admin has opened with Show more: a refresh reads that many again, not just the first page.
  const shown = useRef(0);

  const load = useCallback(async () => {
    const next: Listed = { items: [] };
    do {
      const result = await api.deadLetters(next.cursor);
      if (!result.ok) return setListError(result.error.message);
      next.items = appendOncePerLetter(next.items, result.data.items);
      next.cursor = result.data.cursor;
    } while (next.cursor && next.items.length < shown.current);
    setListed(next);
    setListError(undefined);
  }, []);

  // Reloaded whenever the status is, so a new dead letter shows without a page reload.
  useEffect(() => void load(), [load, version]);

  async function more() {
    if (!listed?.cursor) return;
    setBusy('more');
    const result = await api.deadLetters(listed.cursor);
    setBusy(undefined);
    if (!result.ok) return setListError(result.error.message);
    const items = appendOncePerLetter(listed.items, result.data.items);
    shown.current = items.length;
    setListed({ items, ...(result.data.cursor ? { cursor: result.data.cursor } : {}) });
  }

  async function replay(item: DeadLetterItem) {
    setBusy(item.id);
    setActionError(undefined);
    setReplaying(undefined);
    setReplayedOne(undefined);
    const result = await api.replay(item);
    setBusy(undefined);
    if (!result.ok) setActionError(result.error.message);
    else setReplayedOne(`The ${eventWords(item.eventKey)} event of ${item.repository} ${OUTCOME[result.data.outcome]}`);
    await load();
    onChanged();
  }

  useEffect(() => {
    if (replayedOne) said.current?.focus();
  }, [replayedOne]);

  async function replayAll() {
    stop.current = false;
    setActionError(undefined);
    setReplayedOne(undefined);
    // Only what is dead now (by the server's clock, which the first answer names): a letter that dies
    // again because its cause is not fixed is not replayed in a loop.
    let before: number | undefined;
    const progress: Replaying = { replayed: 0, alreadyDelivered: 0, running: true };
    setReplaying({ ...progress });
    let cursor: string | undefined;
    do {
      const result = await api.replayAll({ ...(before ? { before } : {}), ...(cursor ? { cursor } : {}) });
      if (!result.ok) {
        setActionError(result.error.message);
        break;
      }
      before = result.data.before;
      progress.replayed += result.data.replayed;
      progress.alreadyDelivered += result.data.alreadyDelivered;
      setReplaying({ ...progress });
      cursor = result.data.cursor;
    } while (cursor && !stop.current);
    setReplaying({ ...progress, running: false });
    await load();
    onChanged();
    setRunsEnded((n) => n + 1);
  }

  useEffect(() => {
    const at = document.activeElement;
    if (runsEnded && (!at || at === document.body)) said.current?.focus();
  }, [runsEnded]);

  const errors = (
    <>
      {actionError && <ErrorBanner title="The replay did not work"><p>{actionError}</p></ErrorBanner>}
      {listError && <ErrorBanner title="Could not list the dead letters"><p>{listError}</p></ErrorBanner>}
    </>
  );
  const progress = (replaying && (
    <p role="status" tabIndex={-1} ref={said} data-testid="replay-progress">
      {replaying.running ? 'Replaying: ' : 'Replayed: '}
      {plural(replaying.replayed, 'delivery', 'deliveries')} sent again
      {replaying.alreadyDelivered ? `, ${count(replaying.alreadyDelivered)} had been delivered already` : ''}
      {replaying.running ? '…' : '.'}
    </p>
  )) || (replayedOne && (
    <p role="status" tabIndex={-1} ref={said} data-testid="replay-progress">{replayedOne}</p>
  ));
  if (!listed) return listError ? errors : <p>Loading…</p>;
  if (!listed.items.length) {
    return (
      <div style={styles.stack}>
        {errors}
        {progress}
        <p style={styles.subtle}>No dead letters: every delivery reached PanDev or is still being retried.</p>
      </div>
    );
  }
  const running = !!replaying?.running;
  return (
    <div style={styles.stack}>
      {errors}
      <div style={styles.row}>
        <Button onClick={() => void replayAll()} isLoading={running} isDisabled={running || !!busy}>Replay all</Button>
        {running && <Button appearance="subtle" onClick={() => (stop.current = true)}>Stop</Button>}
        {!running && <span style={styles.help}>Fix the cause first: a replay that fails again waits out its retries before it is back here.</span>}
      </div>
      {progress}
      <table style={styles.table} data-testid="dead-letters">
        <thead>
          <tr><th style={styles.th}>Event</th><th style={styles.th}>Repository</th><th style={styles.th}>Reason</th><th style={styles.th}>When</th><th style={styles.th}>Action</th></tr>
        </thead>
        <tbody>
          {listed.items.map((item) => (
            <tr key={item.id}>
              <td style={styles.td}>{eventWords(item.eventKey)}</td>
              <td style={{ ...styles.td, ...styles.wrap }}>{item.repository}</td>
              <td style={{ ...styles.td, ...styles.wrap }}>{item.reason}</td>
              <td style={styles.td}>{new Date(item.deadAt).toLocaleString()}</td>
              <td style={styles.td}>
                {/* Named for its letter: a column of buttons all called "Replay" says nothing to a screen reader tabbing through. */}
                <Button aria-label={`Replay the ${eventWords(item.eventKey)} event of ${item.repository}`} onClick={() => void replay(item)} isLoading={busy === item.id} isDisabled={running || !!busy}>Replay</Button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div style={styles.row}>
        <span style={styles.subtle}>{plural(listed.items.length, 'dead letter', 'dead letters')} shown{listed.cursor ? '; there are more' : ''}.</span>
        {listed.cursor && <Button onClick={() => void more()} isLoading={busy === 'more'} isDisabled={!!busy}>Show more</Button>}
      </div>
    </div>
  );
}
