import SectionMessage from '@atlaskit/section-message';
import type { CheckItem, CheckResult } from '../../../src/contract/connection';
import { ago } from './format';
import { styles } from './styles';

// What Check connection found, one message per part: Bitbucket, access, PanDev.

const appearance = { pass: 'success', warn: 'warning', fail: 'error' } as const;

/** When the check ran: kept out of the results' live region, where each refresh that aged it would have it read out again. */
export function CheckAge({ result }: { result: CheckResult }) {
  return <div style={styles.subtle} data-testid="check-age">Checked {ago(result.at)}.</div>;
}

/** `active`: the connection is activated already, so a passing check is no invitation to activate. */
export function CheckResults({ result, current, active }: { result: CheckResult; current: boolean; active: boolean }) {
  return (
    <div style={styles.stack} data-testid="check-results">
      <div style={styles.subtle}>
        {result.ok ? (active ? 'Passed' : 'Ready to activate') : 'Fix what failed, then check again'}
        {current ? '' : ' (the settings changed since; check again)'}.
      </div>
      {result.resumed && <div data-testid="check-resumed">{result.resumed.message}</div>}
      {result.items.map((item: CheckItem) => (
        <SectionMessage key={item.key} appearance={appearance[item.status]} title={item.title} headingLevel="h3">
          <p>{item.detail}</p>
        </SectionMessage>
      ))}
    </div>
  );
}
