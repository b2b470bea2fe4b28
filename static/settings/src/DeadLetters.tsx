import { useCallback, useEffect, useState } from 'react';
import type { DeadLetterItem } from '../../../src/contract/resolvers';
import { call } from './api';

// Deliveries PanDev did not take, with the reason, and a way to send them again once fixed.
export function DeadLetters() {
  const [items, setItems] = useState<DeadLetterItem[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState<string | undefined>();

  const load = useCallback(async () => {
    const result = await call('deadLetters/list', { limit: 50 });
    if (result.ok) setItems(result.data.items);
    else setError(result.error.message);
  }, []);

  useEffect(() => void load(), [load]);

  async function replay(id: string) {
    setBusy(id);
    const result = await call('deadLetters/replay', { id });
    setBusy(undefined);
    if (!result.ok) setError(result.error.message);
    await load();
  }

  if (error) return <p role="alert">{error}</p>;
  if (!items) return <p>Loading…</p>;
  if (!items.length) return <p>No dead letters: every delivery reached PanDev or is still being retried.</p>;
  return (
    <table>
      <thead>
        <tr><th>Event</th><th>Repository</th><th>Reason</th><th>When</th><th /></tr>
      </thead>
      <tbody>
        {items.map((item) => (
          <tr key={item.id}>
            <td>{item.eventKey}</td>
            <td>{item.repository}</td>
            <td>{item.reason}</td>
            <td>{new Date(item.deadAt).toLocaleString()}</td>
            <td><button type="button" disabled={busy === item.id} onClick={() => void replay(item.id)}>Replay</button></td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
