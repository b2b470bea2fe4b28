import Button from '@atlaskit/button/new';
import { Checkbox } from '@atlaskit/checkbox';
import SectionMessage from '@atlaskit/section-message';
import { useEffect, useState } from 'react';
import type { PreferencesView } from '../../../src/contract/repositories';
import { api } from './api';
import { Field, fieldError } from './Field';
import { plural } from './format';
import { styles } from './styles';

// Advanced: the PR comment (per-repository exceptions are set in the repository list), how far back
// the backfill reaches, and how often the reconciliation runs.

type Problem = { message: string; field?: string };

export function AdvancedPanel() {
  const [view, setView] = useState<PreferencesView | undefined>();
  const [prComments, setPrComments] = useState(true);
  const [days, setDays] = useState('');
  const [minutes, setMinutes] = useState('');
  const [problem, setProblem] = useState<Problem | undefined>();
  const [saved, setSaved] = useState(false);

  function show(data: PreferencesView) {
    setView(data);
    setPrComments(data.prComments);
    setDays(String(data.backfillDays));
    setMinutes(String(data.reconcileMinutes));
  }

  useEffect(() => {
    void api.preferences().then((result) => (result.ok ? show(result.data) : setProblem(result.error)));
  }, []);

  async function save() {
    setSaved(false);
    const result = await api.savePreferences({ prComments, backfillDays: Number(days), reconcileMinutes: Number(minutes) });
    if (!result.ok) return setProblem(result.error);
    setProblem(undefined);
    show(result.data);
    setSaved(true);
  }

  if (!view) return problem ? <SectionMessage appearance="error"><p>{problem.message}</p></SectionMessage> : <p>Loading…</p>;
  return (
    <div style={styles.stack}>
      <div>
        <Checkbox label="Post a DORA metrics comment on merged pull requests" isChecked={prComments} onChange={() => setPrComments(!prComments)} />
        <div style={styles.help}>{view.overrides ? `${plural(view.overrides, 'repository has', 'repositories have')} their own setting (see PR comment in the list).` : 'Repositories can differ: see PR comment in the list.'}</div>
      </div>
      <Field id="backfillDays" label="Backfill window (days)" type="number" value={days} onChange={setDays} width={120} error={fieldError(problem, 'backfillDays')}
        help="How much history a newly selected repository sends to PanDev: 1 to 365 days." />
      <Field id="reconcileMinutes" label="Reconciliation period (minutes)" type="number" value={minutes} onChange={setMinutes} width={120} error={fieldError(problem, 'reconcileMinutes')}
        help="How often the app re-reads Bitbucket for events the platform did not deliver: a multiple of 5." />
      <div style={styles.row}>
        <Button onClick={() => void save()}>Save advanced settings</Button>
        <span role="status" style={styles.help}>{saved ? 'Saved.' : ''}</span>
      </div>
      {problem && !problem.field && <SectionMessage appearance="error"><p>{problem.message}</p></SectionMessage>}
    </div>
  );
}
