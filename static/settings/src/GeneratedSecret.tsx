import Button from '@atlaskit/button/new';
import SectionMessage from '@atlaskit/section-message';
import { useEffect, useRef, useState } from 'react';
import { styles } from './styles';

// A signing secret the app just generated: shown this once, to be pasted into PanDev.

export function GeneratedSecret({ secret }: { secret: string }) {
  const [copied, setCopied] = useState<boolean | undefined>();
  async function copy() {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied(true);
    } catch {
      // The product's frame may not grant clipboard access; the secret stays selectable.
      setCopied(false);
    }
  }
  return (
    <SectionMessage appearance="warning" title="Copy the new signing secret into PanDev now" headingLevel="h3">
      <p>It is shown only this once. PanDev checks every delivery's signature with it.</p>
      <div style={{ ...styles.row, marginTop: 8 }}>
        <code style={styles.code} data-testid="generated-secret">{secret}</code>
        <Button onClick={() => void copy()}>Copy</Button>
        <span role="status" style={styles.help}>{copied === true ? 'Copied.' : copied === false ? 'Copying is blocked here: select the text and copy it.' : ''}</span>
      </div>
    </SectionMessage>
  );
}

/** Asked before Generate replaces the secret of an active connection: PanDev refuses what it cannot verify. */
export function ReplaceSecret({ onReplace, onCancel }: { onReplace: () => void; onCancel: () => void }) {
  // Generate is disabled while this asks: the focus comes here, so a screen reader reads the question.
  const question = useRef<HTMLDivElement>(null);
  useEffect(() => question.current?.focus(), []);
  return (
    <div ref={question} tabIndex={-1} role="group" aria-label="Replace the signing secret in use?" aria-describedby="replace-secret-text">
      <SectionMessage appearance="warning" title="Replace the signing secret in use?" headingLevel="h3">
        <p id="replace-secret-text" data-testid="replace-secret">
          Deliveries are signed with the new secret at once. Until PanDev has it too, PanDev refuses them and they
          pause, kept here. Paste the new secret into PanDev straight away, then check the connection to resume them.
        </p>
        <div style={{ ...styles.row, marginTop: 8 }}>
          <Button appearance="warning" onClick={onReplace}>Replace the secret</Button>
          <Button appearance="subtle" onClick={onCancel}>Cancel</Button>
        </div>
      </SectionMessage>
    </div>
  );
}
