import Button from '@atlaskit/button/new';
import Lozenge from '@atlaskit/lozenge';
import { token } from '@atlaskit/tokens';
import { invoke } from '@forge/bridge';
import { Fragment, useCallback, useEffect, useId, useState, type CSSProperties } from 'react';
import type { Band, CardAnswer, CardModel, CardRow } from '../../../src/contract/card';

// The pull request card: this pull request's times so far and its repository's DORA figures, each
// with a reason when it is not available. Read-only; the figures come from what the app already holds.

const appearance: Record<Band, 'success' | 'inprogress' | 'moved' | 'removed'> = { Elite: 'success', High: 'inprogress', Medium: 'moved', Low: 'removed' };

const styles = {
  card: { color: token('color.text'), font: token('font.body.small'), padding: token('space.100') },
  heading: { font: token('font.heading.xsmall'), margin: `${token('space.150')} 0 ${token('space.075')}` },
  table: { width: '100%', borderCollapse: 'collapse' },
  // A fixed share for the names: long reasons beside them would otherwise squeeze "Coding time" onto two lines.
  th: { width: '40%', textAlign: 'left', fontWeight: token('font.weight.regular'), color: token('color.text.subtle'), padding: `${token('space.050')} 0`, verticalAlign: 'top' },
  td: { textAlign: 'right', padding: `${token('space.050')} 0 ${token('space.050')} ${token('space.100')}`, verticalAlign: 'top' },
  unavailable: { color: token('color.text.subtlest') },
  note: { color: token('color.text.subtle') },
  footnote: { margin: `${token('space.075')} 0 0` },
  bandsNote: { margin: 0 },
  thresholds: { margin: `${token('space.050')} 0 0`, paddingLeft: token('space.200') },
  failure: { display: 'flex', flexDirection: 'column', alignItems: 'flex-start', gap: token('space.100') },
  definitions: { margin: `${token('space.150')} 0 0` },
  caption: { font: token('font.heading.xxsmall'), color: token('color.text.subtle'), margin: `${token('space.100')} 0 ${token('space.050')}` },
  list: { margin: 0, padding: 0 },
  term: { fontWeight: token('font.weight.semibold'), margin: `${token('space.075')} 0 0` },
  definition: { color: token('color.text.subtle'), margin: 0 },
  // Read by screen readers, not shown: what the card came to, in a region that outlives the loading text.
  announced: { position: 'absolute', width: 1, height: 1, overflow: 'hidden', clip: 'rect(0 0 0 0)', whiteSpace: 'nowrap' },
} satisfies Record<string, CSSProperties>;

export function Card() {
  const [answer, setAnswer] = useState<CardAnswer | { error: string } | undefined>();
  const load = useCallback(() => {
    setAnswer(undefined);
    invoke('card/figures').then(
      (result) => setAnswer(result as CardAnswer),
      (error: unknown) => setAnswer({ error: `The figures could not be loaded: ${error instanceof Error ? error.message : String(error)}` }),
    );
  }, []);
  useEffect(load, [load]);
  // One live region for the card's life: a region that appears and goes with the loading text is
  // not there to announce what replaced it. Failures speak through their own alert.
  const failed = answer !== undefined && ('error' in answer || (!answer.available && answer.retry));
  const said = !answer ? 'Loading figures…' : failed ? '' : !answer.available ? answer.reason : 'Figures loaded.';
  return (
    <>
      <div role="status" style={styles.announced} data-testid="card-announced">{said}</div>
      <Body answer={answer} onRetry={load} />
    </>
  );
}

function Body({ answer, onRetry }: { answer: CardAnswer | { error: string } | undefined; onRetry: () => void }) {
  if (!answer) return <div style={styles.card}>Loading figures…</div>;
  if ('error' in answer) return <Failure message={answer.error} onRetry={onRetry} />;
  if (!answer.available) return answer.retry ? <Failure message={answer.reason} onRetry={onRetry} /> : <div style={{ ...styles.card, ...styles.note }}>{answer.reason}</div>;
  return (
    <div style={styles.card}>
      <Rows title="This pull request" rows={answer.card.pullRequest} />
      <Rows title={`Repository, last ${answer.card.days} days`} rows={answer.card.repository} bandsNote={answer.card.bandsNote} />
      <Definitions card={answer.card} />
    </div>
  );
}

/** A failure that may pass: retried here, since reloading means reloading the whole pull request page. */
function Failure({ message, onRetry }: { message: string; onRetry: () => void }) {
  return (
    <div style={{ ...styles.card, ...styles.failure }}>
      <div role="alert">{message}</div>
      <Button onClick={onRetry}>Try again</Button>
    </div>
  );
}

/** A lone "High" beside a figure does not say what it ranks: its name says it is DORA's band. */
function BandLozenge({ band }: { band: Band }) {
  return (
    <span role="img" aria-label={`DORA band: ${band}`} title={`DORA performance band: ${band}`}>
      <Lozenge appearance={appearance[band]}>{band}</Lozenge>
    </span>
  );
}

function Rows({ title, rows, bandsNote }: { title: string; rows: CardRow[]; bandsNote?: string }) {
  return (
    <section aria-label={title}>
      <h2 style={styles.heading}>{title}</h2>
      <table style={styles.table}>
        <tbody>
          {rows.map((row) => (
            <tr key={row.label}>
              <th scope="row" style={styles.th}>{row.label}</th>
              <td style={{ ...styles.td, ...(row.available ? {} : styles.unavailable) }}>
                {row.value}
                {row.band ? <> <BandLozenge band={row.band} /></> : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {bandsNote && rows.some((row) => row.band) ? <BandsNote note={bandsNote} rows={rows} /> : null}
    </section>
  );
}

/** What a lozenge's band takes for each figure: the words the comment's "Bands:" lines use. */
function BandsNote({ note, rows }: { note: string; rows: CardRow[] }) {
  return (
    <div style={{ ...styles.note, ...styles.footnote }}>
      <p style={styles.bandsNote}>{note}</p>
      <ul style={styles.thresholds}>
        {rows.flatMap((row) => (row.bands ? [<li key={row.label}>{row.label}: {row.bands}</li>] : []))}
      </ul>
    </div>
  );
}

/**
 * What each figure means, folded away so the figures stay the first thing read in the narrow panel:
 * a button that says whether it is open (the ARIA disclosure pattern). The words come with the rows,
 * the same the pull request comment shows. Left out while folded, so a figure's name is then only in
 * its row.
 */
function Definitions({ card }: { card: CardModel }) {
  const [open, setOpen] = useState(false);
  const id = useId();
  const groups = [
    { title: 'This pull request', rows: card.pullRequest.filter((row) => row.definition) },
    { title: `Repository, last ${card.days} days`, rows: card.repository.filter((row) => row.definition) },
  ].filter((group) => group.rows.length > 0);
  return (
    <div style={styles.definitions}>
      <Button appearance="subtle" spacing="compact" aria-expanded={open} aria-controls={open ? id : undefined} onClick={() => setOpen(!open)}>
        What these mean
      </Button>
      {open ? (
        <div id={id}>
          {groups.map((group) => (
            <Fragment key={group.title}>
              <p style={styles.caption}>{group.title}</p>
              <dl style={styles.list}>
                {group.rows.map((row) => (
                  <div key={row.label}>
                    <dt style={styles.term}>{row.label}</dt>
                    <dd style={styles.definition}>{row.definition}</dd>
                  </div>
                ))}
              </dl>
            </Fragment>
          ))}
        </div>
      ) : null}
    </div>
  );
}
