import { Checkbox } from '@atlaskit/checkbox';
import Lozenge from '@atlaskit/lozenge';
import { Fragment } from 'react';
import type { RepositoryPage, RepositoryRow } from '../../../src/contract/repositories';
import type { Input } from './api';
import { BackfillProgress } from './BackfillProgress';
import { ago, count } from './format';
import { styles } from './styles';
import { eventWords } from './words';

// The rows of one page, under a heading row per project (the list comes sorted by project); the
// heading's checkbox selects or deselects the whole project, across pages.

interface RowsProps {
  page: RepositoryPage;
  busy: boolean;
  onSelect: (input: Input<'repositories/select'>) => void;
  onPrComments: (repository: string, value: boolean) => void;
}

export function RepositoryRows({ page, busy, onSelect, onPrComments }: RowsProps) {
  const projects = new Map(page.projects.map((p) => [p.key, p]));
  return (
    <>
      {page.items.map((row, i) => {
        const project = projects.get(row.project.key);
        const heading = i === 0 || page.items[i - 1]!.project.key !== row.project.key;
        return (
          <Fragment key={row.uuid}>
            {heading && project && (
              <tr>
                <th colSpan={4} scope="colgroup" style={styles.group}>
                  <Checkbox
                    label={`${project.name || 'No project'} — ${count(project.selected)} of ${count(project.repositories)} selected`}
                    isChecked={project.selected === project.repositories}
                    isIndeterminate={project.selected > 0 && project.selected < project.repositories}
                    isDisabled={busy}
                    onChange={() => onSelect({ scope: 'project', project: project.key, selected: project.selected < project.repositories })}
                  />
                </th>
              </tr>
            )}
            <Row row={row} busy={busy} onSelect={onSelect} onPrComments={onPrComments} />
          </Fragment>
        );
      })}
    </>
  );
}

function Row({ row, busy, onSelect, onPrComments }: { row: RepositoryRow } & Omit<RowsProps, 'page'>) {
  return (
    <tr data-testid={`repository-${row.slug}`}>
      <td style={{ ...styles.td, ...styles.wrap }}>
        <Checkbox label={row.name} isChecked={row.selected} isDisabled={busy} onChange={() => onSelect({ scope: 'repositories', repositories: [row.uuid], selected: !row.selected })} />
      </td>
      <td style={styles.td}>{row.lastEvent ? <span title={lastEventDetail(row.lastEvent)}>{eventWords(row.lastEvent.key)}, {ago(row.lastEvent.at)}</span> : <span style={styles.subtle}>none yet</span>}</td>
      <td style={styles.td}>{row.backfill ? <BackfillProgress backfill={row.backfill} name={row.name} /> : <span style={styles.subtle}>—</span>}</td>
      <td style={styles.td}>
        <div style={styles.row}>
          <Checkbox
            label={row.prComments.value ? 'On' : 'Off'}
            aria-label={`PR comment for ${row.name}`}
            isChecked={row.prComments.value}
            isDisabled={busy}
            onChange={() => onPrComments(row.uuid, !row.prComments.value)}
          />
          {row.prComments.overridden && <Lozenge>own setting</Lozenge>}
        </div>
      </td>
    </tr>
  );
}

/** The column shows the newest change delivered; when it happened and when PanDev last got anything can differ (a replay). */
function lastEventDetail(event: NonNullable<RepositoryRow['lastEvent']>): string {
  const found = event.origin ? `, found by ${event.origin === 'reconcile' ? 'reconciliation' : event.origin}` : '';
  return `Happened ${new Date(event.at).toLocaleString()}${found}. Last delivery to PanDev ${new Date(event.deliveredAt).toLocaleString()}.`;
}
