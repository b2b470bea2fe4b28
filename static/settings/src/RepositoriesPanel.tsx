import Button from '@atlaskit/button/new';
import SectionMessage from '@atlaskit/section-message';
import { useCallback, useEffect, useState } from 'react';
import type { RepositoryPage } from '../../../src/contract/repositories';
import type { ResolverResult } from '../../../src/contract/resolvers';
import { api, type Input } from './api';
import { Field } from './Field';
import { ago, plural } from './format';
import { RepositoryRows } from './RepositoryRows';
import { styles } from './styles';

// Repositories: the workspace's repositories grouped by project, searchable, a page at a time; select
// or deselect one, a project or all. A change applies to the next event.

const PAGE = 50;

export function RepositoriesPanel({ onChanged }: { onChanged: () => void }) {
  const [search, setSearch] = useState('');
  const [query, setQuery] = useState('');
  const [offset, setOffset] = useState(0);
  const [page, setPage] = useState<RepositoryPage | undefined>();
  const [problem, setProblem] = useState<string | undefined>();
  // Kept apart from the list's own error: the reload after a failed change must not clear it.
  const [actionProblem, setActionProblem] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  // Searching waits for a pause in typing: one request per search, not per key.
  useEffect(() => {
    const timer = setTimeout(() => {
      setQuery(search.trim());
      setOffset(0);
    }, 300);
    return () => clearTimeout(timer);
  }, [search]);

  const load = useCallback(async (refresh = false) => {
    const result = await api.repositories({ offset, limit: PAGE, ...(query ? { search: query } : {}), ...(refresh ? { refresh } : {}) });
    if (result.ok) {
      setPage(result.data);
      setProblem(undefined);
    } else setProblem(result.error.message);
  }, [offset, query]);

  useEffect(() => void load(), [load]);

  async function change<T>(action: () => Promise<ResolverResult<T>>) {
    setBusy(true);
    setActionProblem(undefined);
    const result = await action();
    if (!result.ok) setActionProblem(result.error.message);
    await load();
    setBusy(false);
    onChanged();
  }
  const select = (input: Input<'repositories/select'>) => change(() => api.select(input));
  const prComments = (repository: string, value: boolean) => change(() => api.overridePrComments({ repository, prComments: value }));

  if (!page) return problem ? <SectionMessage appearance="error" title="Could not list the repositories"><p>{problem}</p></SectionMessage> : <p>Loading…</p>;
  const { selection } = page;
  const last = Math.min(page.offset + PAGE, page.total);
  return (
    <div style={styles.stack}>
      <div style={styles.row}>
        <span data-testid="selection-summary">{selection.selected.toLocaleString('en')} of {plural(selection.repositories, 'repository', 'repositories')} selected.</span>
        <Button onClick={() => void select({ scope: 'all', selected: true })} isDisabled={busy || selection.selected === selection.repositories}>Select all</Button>
        <Button onClick={() => void select({ scope: 'all', selected: false })} isDisabled={busy || selection.selected === 0}>Deselect all</Button>
      </div>
      <Field id="search" label="Search repositories" type="search" value={search} onChange={setSearch} placeholder="Name, slug or project" width={360}
        help={`Listed from Bitbucket ${ago(page.fetchedAt)}.`} after={<Button onClick={() => void load(true)}>Refresh list</Button>} />
      {actionProblem && <SectionMessage appearance="error" title="That change did not work"><p>{actionProblem}</p></SectionMessage>}
      {problem && <SectionMessage appearance="error" title="Could not list the repositories"><p>{problem}</p></SectionMessage>}
      <table style={styles.table} aria-busy={busy}>
        <thead>
          <tr>
            <th style={styles.th}>Repository (selected to forward)</th>
            <th style={styles.th}>Last event</th>
            <th style={styles.th}>Backfill</th>
            <th style={styles.th}>PR comment</th>
          </tr>
        </thead>
        <tbody>
          <RepositoryRows page={page} busy={busy} onSelect={select} onPrComments={prComments} />
        </tbody>
      </table>
      <div style={styles.row}>
        <span style={styles.subtle}>{page.total ? `${page.offset + 1}–${last} of ${page.total.toLocaleString('en')}` : 'No repository matches.'}</span>
        <Button onClick={() => setOffset(Math.max(0, page.offset - PAGE))} isDisabled={page.offset === 0}>Previous</Button>
        <Button onClick={() => page.nextOffset !== undefined && setOffset(page.nextOffset)} isDisabled={page.nextOffset === undefined}>Next</Button>
      </div>
    </div>
  );
}
