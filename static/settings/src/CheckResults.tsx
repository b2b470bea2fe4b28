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

export function CheckResults({ result, current }: { result: CheckResult; current: boolean }) {
  return (
    <div style={styles.stack} data-testid="check-results">
      <div style={styles.subtle}>
        {result.ok ? 'Ready to activate' : 'Fix what failed, then check again'}
        {current ? '' : ' (the settings changed since; check again)'}.
      </div>
      {result.items.map((item: CheckItem) => (
        <SectionMessage key={item.key} appearance={appearance[item.status]} title={item.title} headingLevel="h3">
          <p>{item.detail}</p>
        </SectionMessage>
      ))}
    </div>
  );
}
