import Button from '@atlaskit/button/new';
import ProgressBar from '@atlaskit/progress-bar';
import SectionMessage from '@atlaskit/section-message';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { z } from 'zod';
import type { ListingCursor as ListingCursorSchema, RepositoryPage } from '../../../src/contract/repositories';
import type { ResolverResult } from '../../../src/contract/resolvers';
import { ErrorBanner } from './ErrorBanner';
import { api, type Input } from './api';
import { Field } from './Field';
import { ago, count, plural } from './format';
import { RepositoryRows } from './RepositoryRows';
import { styles } from './styles';

// Repositories: the workspace's repositories grouped by project, searchable, a page at a time; select
// or deselect one, a project or all. A change applies to the next event.

const PAGE = 50;

type ListingCursor = z.infer<typeof ListingCursorSchema>;

/** "1,200 of ~5,000": Bitbucket's count is a guess, the list may change while it is read. */
function progressText(loading: RepositoryPage['loading']): string {
  if (!loading) return 'the start';
  return `${count(loading.loaded)}${loading.total !== undefined ? ` of ~${count(loading.total)}` : ''}`;
}

export function RepositoriesPanel({ version, onChanged }: { version: number; onChanged: () => void }) {
  const [search, setSearch] = useState('');
  const [query, setQuery] = useState('');
  const [offset, setOffset] = useState(0);
  const [page, setPage] = useState<RepositoryPage | undefined>();
  const [problem, setProblem] = useState<string | undefined>();
  // Kept apart from the list's own error: the reload after a failed change must not clear it.
  const [actionProblem, setActionProblem] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const [loading, setLoading] = useState<RepositoryPage['loading']>();

  // Searching waits for a pause in typing: one request per search, not per key. Only a search that
  // changed goes back to the first page: run on mount too, this undid a Next clicked in its first 300 ms.
  useEffect(() => {
    if (search.trim() === query) return;
    const timer = setTimeout(() => {
      setQuery(search.trim());
      setOffset(0);
    }, 300);
    return () => clearTimeout(timer);
  }, [search]);

  // A large workspace's list comes from Bitbucket in steps, one call each: the page asks on with the
  // cursor of the last answer until the list is whole. A step that fails keeps what the earlier ones
  // read (on the server), and Continue asks again from there.
  const reading = useRef(0);
  const shown = useRef<RepositoryPage['loading']>(undefined);
  // The App hands a new function each render; the reading must not start over for that.
  const changed = useRef(onChanged);
  changed.current = onChanged;
  // Whether the last reading got the whole list and no change is under way: only then may a refresh of
  // the page read it again (a reading part way goes on from its own cursor, a change reads it itself).
  const settled = useRef(false);
  const load = useCallback(async (how: { refresh?: boolean; from?: ListingCursor } = {}) => {
    const run = ++reading.current;
    settled.current = false;
    let next: ListingCursor | undefined = how.from;
    let first = true;
    do {
      const result = await api.repositories({ offset, limit: PAGE, ...(query ? { search: query } : {}), ...(how.refresh && first ? { refresh: true } : {}), ...(next ? { continue: next } : {}) });
      // A newer reading (another page, search or refresh) took over: its answers are the ones to show.
      if (run !== reading.current) return;
      first = false;
      if (!result.ok) {
        setProblem(next ? `Reading the repository list stopped at ${progressText(shown.current)}. ${result.error.message}` : result.error.message);
        // Part way, Continue goes on from the cursor; a reading that failed at its start is over, and
        // the page's next refresh (or Try again) reads it anew.
        if (!next) settled.current = true;
        return;
      }
      setPage(result.data);
      setProblem(undefined);
      const wasLoading = next !== undefined;
      next = result.data.loading?.cursor;
      shown.current = result.data.loading;
      setLoading(result.data.loading);
      // The status counts from the list too: once it is whole, it can say them.
      if (wasLoading && !next) changed.current();
    } while (next);
    settled.current = true;
  }, [offset, query]);

  useEffect(() => void load(), [load]);
  // The page refreshes on a timer and after any change (an activation's backfill, the workspace's PR
  // comment setting): the rows' last events, backfill progress and settings follow it. A new page or
  // search loads through the effect above.
  useEffect(() => {
    if (settled.current) void load();
  }, [version]);

  // A change disables the controls until the list is read again, which takes the focus from the one the
  // admin used: it goes back to it, or to the count when that control is off now (Deselect all after use).
  const summary = useRef<HTMLSpanElement>(null);
  const used = useRef<Element | null>(null);
  useEffect(() => {
    if (busy || !used.current) return;
    const control = used.current;
    used.current = null;
    if (document.activeElement !== document.body) return;
    if (control instanceof HTMLElement && control.isConnected && !control.matches(':disabled')) control.focus();
    else summary.current?.focus();
  }, [busy]);

  // Previous or Next that reached the first or last page is disabled by the page it brought, and the
  // focus would drop to the page's top: it goes to the range the page shows instead.
  const range = useRef<HTMLSpanElement>(null);
  const turned = useRef(false);
  useEffect(() => {
    if (!turned.current) return;
    turned.current = false;
    const active = document.activeElement;
    if (!active || active === document.body || (active instanceof HTMLButtonElement && active.disabled)) range.current?.focus();
  }, [page]);
  const turnTo = (offset: number) => {
    turned.current = true;
    setOffset(offset);
  };

  async function change<T>(action: () => Promise<ResolverResult<T>>) {
    used.current = document.activeElement;
    setBusy(true);
    settled.current = false;
    setActionProblem(undefined);
    const result = await action();
    if (!result.ok) setActionProblem(result.error.message);
    await load();
    setBusy(false);
    onChanged();
  }
  const select = (input: Input<'repositories/select'>) => change(() => api.select(input));
  const prComments = (repository: string, value: boolean) => change(() => api.overridePrComments({ repository, prComments: value }));

  const progress = loading && (
    <div style={styles.stack} data-testid="repositories-loading">
      <span role="status">Loading repositories… {progressText(loading)}</span>
      <ProgressBar ariaLabel="Repositories read from Bitbucket" value={loading.total ? loading.loaded / loading.total : 0} isIndeterminate={!loading.total} />
    </div>
  );
  const resume = loading && problem && (
    <ErrorBanner title="Could not list the repositories">
      <div style={styles.stack}>
        <p style={{ margin: 0 }}>{problem}</p>
        <div><Button onClick={() => void load({ from: loading.cursor })}>Continue loading</Button></div>
      </div>
    </ErrorBanner>
  );
  if (!page) {
    if (!problem) return <p>Loading…</p>;
    return (
      <ErrorBanner title="Could not list the repositories">
        <div style={styles.stack}>
          <p style={{ margin: 0 }}>{problem}</p>
          <div><Button onClick={() => void load()}>Try again</Button></div>
        </div>
      </ErrorBanner>
    );
  }
  // The first reading is not over: there is no list to show or select from yet, only how far it is.
  if (page.fetchedAt === undefined) return <div style={styles.stack}>{progress}{resume}</div>;
  const { selection } = page;
  const last = Math.min(page.offset + PAGE, page.total);
  return (
    <div style={styles.stack}>
      <div style={styles.row}>
        <span role="status" ref={summary} tabIndex={-1} data-testid="selection-summary">{count(selection.selected)} of {plural(selection.repositories, 'repository', 'repositories')} selected.</span>
        <Button onClick={() => void select({ scope: 'all', selected: true })} isDisabled={busy || selection.selected === selection.repositories}>Select all</Button>
        <Button onClick={() => void select({ scope: 'all', selected: false })} isDisabled={busy || selection.selected === 0}>Deselect all</Button>
      </div>
      {/* Beside a search, "all" could read as the matches: deselecting the workspace by mistake stops its forwarding. */}
      {search.trim() && <span style={styles.help} data-testid="select-all-scope">Select all and Deselect all act on the whole workspace, not only the repositories the search shows.</span>}
      <Field id="search" label="Search repositories" type="search" value={search} onChange={setSearch} placeholder="Name, slug or project" width={360}
        help={`Listed from Bitbucket ${ago(page.fetchedAt)}.`} after={<Button onClick={() => void load({ refresh: true })} isDisabled={!!loading && !problem}>Refresh list</Button>} />
      {actionProblem && <ErrorBanner title="That change did not work"><p>{actionProblem}</p></ErrorBanner>}
      {/* A warning beside the list, not an error for it: the rest of the list is whole and works. */}
      {page.unlisted?.length ? (
        <div data-testid="repositories-unlisted">
          <SectionMessage appearance="warning" title={`${plural(page.unlisted.length, 'repository', 'repositories')} could not be listed`} headingLevel="h3">
            {page.unlisted.map((reason) => <p key={reason}>{reason}</p>)}
          </SectionMessage>
        </div>
      ) : null}
      {page.cut && (
        <div data-testid="repositories-cut">
          <SectionMessage appearance="warning" title="Not every repository is listed" headingLevel="h3"><p>{page.cut}</p></SectionMessage>
        </div>
      )}
      {progress}
      {resume || (problem && <ErrorBanner title="Could not list the repositories"><p>{problem}</p></ErrorBanner>)}
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
        <span ref={range} tabIndex={-1} data-testid="page-range" style={styles.subtle}>{page.total ? `${count(page.offset + 1)}–${count(last)} of ${count(page.total)}` : selection.repositories ? 'No repository matches.' : 'This workspace has no repositories yet.'}</span>
        <Button onClick={() => turnTo(Math.max(0, page.offset - PAGE))} isDisabled={page.offset === 0}>Previous</Button>
        <Button onClick={() => page.nextOffset !== undefined && turnTo(page.nextOffset)} isDisabled={page.nextOffset === undefined}>Next</Button>
      </div>
    </div>
  );
}
