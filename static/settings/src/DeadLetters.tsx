import Button from '@atlaskit/button/new';
import SectionMessage from '@atlaskit/section-message';
import { useCallback, useEffect, useState } from 'react';
import type { DeadLetterItem } from '../../../src/contract/resolvers';
import { api } from './api';
import { styles } from './styles';

// Deliveries PanDev did not take, with the reason, and a way to send them again once fixed.
export function DeadLetters({ version, onChanged }: { version: number; onChanged: () => void }) {
  const [items, setItems] = useState<DeadLetterItem[] | undefined>();
  // The list's error goes with the next good load; a replay's error stays until the next replay.
  const [listError, setListError] = useState<string | undefined>();
  const [actionError, setActionError] = useState<string | undefined>();
  const [busy, setBusy] = useState<string | undefined>();

  const load = useCallback(async () => {
    const result = await api.deadLetters();
    if (result.ok) {
      setItems(result.data.items);
      setListError(undefined);
    } else setListError(result.error.message);
  }, []);

  // Reloaded whenever the status is, so a new dead letter shows without a page reload.
  useEffect(() => void load(), [load, version]);

  async function replay(id: string) {
    setBusy(id);
    setActionError(undefined);
    const result = await api.replay(id);
    setBusy(undefined);
    if (!result.ok) setActionError(result.error.message);
    await load();
    onChanged();
  }

  const errors = (
    <>
      {actionError && <SectionMessage appearance="error" title="The replay did not work"><p>{actionError}</p></SectionMessage>}
      {listError && <SectionMessage appearance="error" title="Could not list the dead letters"><p>{listError}</p></SectionMessage>}
    </>
  );
  if (!items) return listError ? errors : <p>Loading…</p>;
  if (!items.length) return <div style={styles.stack}>{errors}<p style={styles.subtle}>No dead letters: every delivery reached PanDev or is still being retried.</p></div>;
  return (
    <div style={styles.stack}>
      {errors}
      <table style={styles.table} data-testid="dead-letters">
        <thead>
          <tr><th style={styles.th}>Event</th><th style={styles.th}>Repository</th><th style={styles.th}>Reason</th><th style={styles.th}>When</th><th style={styles.th}>Action</th></tr>
        </thead>
        <tbody>
          {items.map((item) => (
            <tr key={item.id}>
              <td style={styles.td}>{item.eventKey}</td>
              <td style={styles.td}>{item.repository}</td>
              <td style={styles.td}>{item.reason}</td>
              <td style={styles.td}>{new Date(item.deadAt).toLocaleString()}</td>
              <td style={styles.td}><Button onClick={() => void replay(item.id)} isLoading={busy === item.id}>Replay</Button></td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
