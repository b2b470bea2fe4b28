import Button from '@atlaskit/button/new';
import { Checkbox } from '@atlaskit/checkbox';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { PreferencesView } from '../../../src/contract/repositories';
import { ErrorBanner } from './ErrorBanner';
import { api } from './api';
import { Field, fieldError } from './Field';
import { plural } from './format';
import { styles } from './styles';
import { useFirstLoad } from './useFirstLoad';

// Advanced: the PR comment (per-repository exceptions are set in the repository list), how far back
// the backfill reaches, what file stats and build statuses it reads (and what they cost), and how
// often the reconciliation runs.

type Problem = { message: string; field?: string };
type CommitStats = PreferencesView['commitStats'];

/** Each choice with the Bitbucket requests it costs: the backfill shares the workspace's hourly allowance. */
const COMMIT_STATS: Array<{ value: CommitStats; label: string; cost: string }> = [
  { value: 'off', label: 'Off', cost: 'no request: pull requests arrive without lines added and removed' },
  { value: 'pullrequest', label: 'Per pull request', cost: 'one request per pull request (its diffstat)' },
  { value: 'commit', label: 'Every commit', cost: 'one request per commit: several times the pull-request level on most histories' },
];

export function AdvancedPanel({ version, onChanged }: { version: number; onChanged: () => void }) {
  const [view, setView] = useState<PreferencesView | undefined>();
  const [prComments, setPrComments] = useState(true);
  const [days, setDays] = useState('');
  const [minutes, setMinutes] = useState('');
  const [commitStats, setCommitStats] = useState<CommitStats>('pullrequest');
  const [buildStatuses, setBuildStatuses] = useState(false);
  const [problem, setProblem] = useState<Problem | undefined>();
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  // Set at once, where `busy` waits for a render: Enter pressed twice must not save twice.
  const working = useRef(false);
  const [failed, setFailed] = useState(0);
  const banner = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (failed) (problem?.field ? document.getElementById(problem.field) : banner.current)?.focus();
  }, [failed]);

  function show(data: PreferencesView) {
    setView(data);
    setPrComments(data.prComments);
    setDays(String(data.backfillDays));
    setMinutes(String(data.reconcileMinutes));
    setCommitStats(data.commitStats);
    setBuildStatuses(data.backfillBuildStatuses);
  }

  useFirstLoad(version, api.preferences, show, setProblem);

  // A repository's own PR comment setting is changed in the list: its count here follows the page's
  // refresh, and only the count, so what the admin is editing here stays as typed.
  useEffect(() => {
    if (version === 0 || !view) return;
    void api.preferences().then((result) => result.ok && setView((shown) => shown && { ...shown, overrides: result.data.overrides }));
  }, [version]);

  async function save(event: FormEvent) {
    event.preventDefault();
    if (working.current) return;
    working.current = true;
    setBusy(true);
    setSaved(false);
    // Only what the admin changed here: another admin's save since this page loaded stays as they set it.
    const shown = view!;
    const result = await api.savePreferences({
      ...(prComments !== shown.prComments ? { prComments } : {}),
      ...(days !== String(shown.backfillDays) ? { backfillDays: Number(days) } : {}),
      ...(minutes !== String(shown.reconcileMinutes) ? { reconcileMinutes: Number(minutes) } : {}),
      ...(commitStats !== shown.commitStats ? { commitStats } : {}),
      ...(buildStatuses !== shown.backfillBuildStatuses ? { backfillBuildStatuses: buildStatuses } : {}),
    });
    working.current = false;
    setBusy(false);
    if (!result.ok) {
      setProblem(result.error);
      // The focus goes to what went wrong: the field the answer names, or the message.
      return setFailed((n) => n + 1);
    }
    setProblem(undefined);
    show(result.data);
    setSaved(true);
    // The repository list shows each repository's PR comment setting, most of them this one.
    onChanged();
  }

  if (!view) return problem ? <ErrorBanner><p>{problem.message}</p></ErrorBanner> : <p>Loading…</p>;
  return (
    <form onSubmit={(event) => void save(event)} noValidate style={styles.stack}>
      <div>
        <Checkbox label="Post a DORA metrics comment on merged pull requests" isChecked={prComments} onChange={() => setPrComments(!prComments)} />
        <div style={styles.help}>{view.overrides ? `${plural(view.overrides, 'repository has its', 'repositories have their')} own setting (see PR comment in the list).` : 'Repositories can differ: see PR comment in the list.'}</div>
      </div>
      <Field id="backfillDays" label="Backfill window (days)" type="number" value={days} onChange={setDays} width={120} error={fieldError(problem, 'backfillDays')}
        help="How much history a newly selected repository sends to PanDev: 1 to 365 days." />
      <fieldset style={{ ...styles.field, border: 0, margin: 0, padding: 0 }} aria-describedby="commitStats-help">
        <legend style={styles.label}>File stats in the backfill</legend>
        {COMMIT_STATS.map((choice) => (
          <label key={choice.value} style={styles.choice}>
            <input type="radio" name="commitStats" value={choice.value} checked={commitStats === choice.value} onChange={() => setCommitStats(choice.value)} />
            <span>{choice.label}: <span style={styles.help}>{choice.cost}</span></span>
          </label>
        ))}
        <div id="commitStats-help" style={styles.help}>Backfill requests count against Bitbucket's hourly allowance (1,000 by default), so more stats mean a longer backfill.</div>
      </fieldset>
      <div>
        <Checkbox label="Build statuses in the backfill" isChecked={buildStatuses} onChange={() => setBuildStatuses(!buildStatuses)} />
        <div style={styles.help}>Bitbucket Cloud has no feed of build statuses: one request per pull request in the window, for its head commit's. Live, and in the reconciliation of branches that move, they are sent either way.</div>
      </div>
      <Field id="reconcileMinutes" label="Reconciliation period (minutes)" type="number" value={minutes} onChange={setMinutes} width={120} error={fieldError(problem, 'reconcileMinutes')}
        help="How often the app re-reads Bitbucket for events the platform did not deliver: a multiple of 5." />
      <div style={styles.row}>
        <Button type="submit" isLoading={busy}>Save advanced settings</Button>
        <span role="status" style={styles.help}>{saved ? 'Saved.' : ''}</span>
      </div>
      <div ref={banner} tabIndex={-1}>{problem && !problem.field && <ErrorBanner><p>{problem.message}</p></ErrorBanner>}</div>
    </form>
  );
}
