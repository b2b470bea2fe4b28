import SectionMessage from '@atlaskit/section-message';
import { useCallback, useEffect, useState } from 'react';
import type { StatusView } from '../../../src/contract/status';
import { AdvancedPanel } from './AdvancedPanel';
import { ErrorBanner } from './ErrorBanner';
import { api } from './api';
import { ConnectionPanel } from './ConnectionPanel';
import { DeadLetters } from './DeadLetters';
import { RepositoriesPanel } from './RepositoriesPanel';
import { StatusPanel } from './StatusPanel';
import { styles } from './styles';

// Workspace settings → PanDev Metrics. The status answer decides what the page shows: a member who is
// not a workspace admin gets the refusal and nothing else. Any other failure of the status leaves the
// rest of the page in place: the admin may need Connection or Dead letters to fix what caused it.

/** Until the status says otherwise: it asks for less often while a status call is costly. */
const REFRESH_SECONDS = 15;

export function App() {
  const [status, setStatus] = useState<StatusView | undefined>();
  const [refused, setRefused] = useState<{ code: string; message: string } | undefined>();
  const [version, setVersion] = useState(0);
  const [refreshSeconds, setRefreshSeconds] = useState(REFRESH_SECONDS);

  const refresh = useCallback(async () => {
    const result = await api.status();
    if (result.ok) {
      setStatus(result.data);
      setRefused(undefined);
      setRefreshSeconds(result.data.refreshSeconds);
    } else setRefused(result.error);
    setVersion((v) => v + 1);
  }, []);

  useEffect(() => void refresh(), [refresh]);
  // Deliveries arrive on their own: the status follows without a reload, at the pace it asks for.
  useEffect(() => {
    const timer = setInterval(() => void refresh(), refreshSeconds * 1000);
    return () => clearInterval(timer);
  }, [refresh, refreshSeconds]);

  const changed = () => void refresh();
  return (
    <main style={styles.page}>
      <h1 style={styles.h1}>PanDev Metrics</h1>
      {refused?.code === 'forbidden' ? (
        <SectionMessage appearance="error" title="Administrators only"><p>{refused.message}</p></SectionMessage>
      ) : !refused && !status ? (
        <p>Loading…</p>
      ) : (
        <>
          <section aria-labelledby="status-heading" style={{ ...styles.section, borderTop: 'none', marginTop: 0 }}>
            <h2 id="status-heading" style={styles.h2}>Status</h2>
            <div style={styles.stack}>
              {refused && <ErrorBanner title="The status could not be read"><p>{refused.message}</p></ErrorBanner>}
              {status && <StatusPanel status={status} />}
            </div>
          </section>
          <section aria-labelledby="connection-heading" style={styles.section}>
            <h2 id="connection-heading" style={styles.h2}>Connection</h2>
            <ConnectionPanel version={version} onChanged={changed} />
          </section>
          <section aria-labelledby="repositories-heading" style={styles.section}>
            <h2 id="repositories-heading" style={styles.h2}>Repositories</h2>
            <RepositoriesPanel version={version} onChanged={changed} />
          </section>
          <section aria-labelledby="dead-letters-heading" style={styles.section}>
            <h2 id="dead-letters-heading" style={styles.h2}>Dead letters</h2>
            <DeadLetters version={version} onChanged={changed} />
          </section>
          <section aria-labelledby="advanced-heading" style={styles.section}>
            <h2 id="advanced-heading" style={styles.h2}>Advanced</h2>
            <AdvancedPanel version={version} onChanged={changed} />
          </section>
        </>
      )}
    </main>
  );
}
