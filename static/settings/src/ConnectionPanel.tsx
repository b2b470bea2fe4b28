import Button from '@atlaskit/button/new';
import Lozenge from '@atlaskit/lozenge';
import SectionMessage from '@atlaskit/section-message';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { ConnectionView } from '../../../src/contract/connection';
import type { ResolverResult } from '../../../src/contract/resolvers';
import { ErrorBanner } from './ErrorBanner';
import { api } from './api';
import { CheckAge, CheckResults } from './CheckResults';
import { Field, fieldError } from './Field';
import { GeneratedSecret, ReplaceSecret } from './GeneratedSecret';
import { plural } from './format';
import { styles } from './styles';
import { useFirstLoad } from './useFirstLoad';

// Connection: where PanDev is and the two secrets (write-only: the page shows at most their last four
// characters), Check connection, and Activate once a check of the saved settings has passed.

type Problem = { code: string; message: string; field?: string };

const saved = (secret: ConnectionView['token']) => (secret.set ? `Saved${secret.last4 ? `, ends in ${secret.last4}` : ''}. Leave empty to keep it.` : 'Not saved yet.');

export function ConnectionPanel({ version, onChanged }: { version: number; onChanged: () => void }) {
  const [view, setView] = useState<ConnectionView | undefined>();
  const [baseUrl, setBaseUrl] = useState('');
  const [token, setToken] = useState('');
  const [secret, setSecret] = useState('');
  const [generated, setGenerated] = useState<string | undefined>();
  const [problem, setProblem] = useState<Problem | undefined>();
  const [notice, setNotice] = useState<string | undefined>();
  const [busy, setBusy] = useState<string | undefined>();
  const [confirming, setConfirming] = useState(false);
  // Set at once, where `busy` waits for a render: Enter pressed twice must not save twice.
  const working = useRef(false);
  // After an action that failed, the focus goes to what went wrong: the field it names, or the message.
  // After one that took its own button away (Activate), to what it did, not to the top.
  const outcome = useRef<HTMLDivElement>(null);
  const [finished, setFinished] = useState(0);
  useEffect(() => {
    if (!finished) return;
    const active = document.activeElement;
    if (problem?.field) document.getElementById(problem.field)?.focus();
    else if (problem || !active || active === document.body || (active instanceof HTMLButtonElement && active.disabled)) outcome.current?.focus();
  }, [finished]);
  // The question Generate asks takes the focus while it is there; as it goes, Generate gets it back.
  const generateButton = useRef<HTMLButtonElement>(null);
  const asked = useRef(false);
  useEffect(() => {
    if (confirming) asked.current = true;
    else if (asked.current && document.activeElement === document.body) generateButton.current?.focus();
    if (!confirming) asked.current = false;
  }, [confirming]);

  useFirstLoad(version, api.connection, (data) => {
    setView(data);
    setBaseUrl(data.baseUrl ?? '');
  }, setProblem);

  // The page's refresh brings what changed without this panel (deliveries paused while it is open,
  // another admin's save or check), so it never contradicts the status; what is typed here stays.
  useEffect(() => {
    if (version === 0 || !view || working.current) return;
    void api.connection().then((result) => {
      if (result.ok && !working.current) setView(result.data);
    });
  }, [version]);

  // One connection call at a time: a save during a check, or an activation during a save, would act on
  // settings the admin no longer sees.
  async function run<T>(name: string, action: () => Promise<ResolverResult<T>>, done: (data: T) => Promise<void> | void) {
    if (working.current) return;
    working.current = true;
    setBusy(name);
    setProblem(undefined);
    setNotice(undefined);
    setConfirming(false);
    const result = await action();
    if (result.ok) await done(result.data);
    else {
      setProblem(result.error);
      // A call can fail part way (activation recorded, its backfill not started): show what is saved now.
      await reload();
    }
    working.current = false;
    setBusy(undefined);
    setFinished((n) => n + 1);
    onChanged();
  }

  async function reload() {
    const result = await api.connection();
    if (result.ok) setView(result.data);
  }

  const save = () =>
    run('save', () => api.saveConnection({ baseUrl, ...(token ? { token } : {}), ...(secret ? { signingSecret: secret } : {}) }), (data) => {
      setView(data);
      // As saved (trimmed): otherwise the field would differ from the saved URL and read as an unsaved change.
      setBaseUrl(data.baseUrl ?? '');
      setToken('');
      setSecret('');
      // Paused, a check is what resumes deliveries: the save alone does not say PanDev takes the new values.
      setNotice(data.disabled ? 'Saved. Check the connection now: the paused deliveries resume once it passes.' : 'Saved. Check the connection to make sure PanDev takes deliveries.');
    });
  const generate = () => run('generate', () => api.generateSecret({ replaceActive: !!view?.activatedAt }), (data) => {
    setView(data.connection);
    setSecret('');
    setGenerated(data.secret);
  });
  const check = () => run('check', api.checkConnection, reload);
  const activate = () => run('activate', api.activate, async (data) => {
    await reload();
    setNotice(`Activated. Events are forwarded from now on; backfill requested for ${plural(data.backfillRequested, 'repository', 'repositories')}.`);
  });

  if (!view) return problem ? <ErrorBanner title="Could not load the connection"><p>{problem.message}</p></ErrorBanner> : <p>Loading…</p>;
  const last = view.lastCheck;
  // Check and Activate act on what is saved: with other values in the form, a pass would vouch for what the admin no longer sees.
  const unsaved = baseUrl.trim() !== (view.baseUrl ?? '') || !!token || !!secret;
  const canActivate = !view.activatedAt && !!last?.ok && last.current && !unsaved;
  // The button at work only shows it (isLoading keeps it focusable); the others are disabled meanwhile.
  const another = (name: string) => !!busy && busy !== name;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void save();
  };
  return (
    <div style={styles.stack}>
      <div style={styles.row}>
        {view.activatedAt ? <Lozenge appearance="success">Active</Lozenge> : <Lozenge>Not activated</Lozenge>}
        {view.activatedAt && <span style={styles.subtle}>since {new Date(view.activatedAt).toLocaleString()}</span>}
        {view.disabled && <Lozenge appearance="removed">Deliveries paused</Lozenge>}
      </div>
      {/* Why, in the words that say what to change: a 410, a web page, a refused token or signing secret. */}
      {view.disabled && <p style={styles.help} data-testid="pause-reason">{view.disabled.reason}.</p>}
      <form onSubmit={submit} noValidate style={styles.stack}>
        <Field id="baseUrl" label="PanDev URL" value={baseUrl} onChange={setBaseUrl} type="url" placeholder="https://pandev.example.com" error={fieldError(problem, 'baseUrl')}
          help="The bare address of your PanDev, without a path: the app posts to /v1/bitbucket/webhook/… under it." />
        <Field id="token" label="Ingest token" value={token} onChange={setToken} type="password" error={fieldError(problem, 'token')} help={saved(view.token)} />
        <Field id="signingSecret" label="Signing secret" value={secret} onChange={setSecret} type="password" error={fieldError(problem, 'signingSecret')}
          help={`${saved(view.signingSecret)} Paste PanDev's, or generate one and paste it into PanDev.`}
          after={<Button ref={generateButton} onClick={() => (view.activatedAt ? setConfirming(true) : void generate())} isLoading={busy === 'generate'} isDisabled={another('generate') || confirming}>Generate</Button>} />
        {confirming && <ReplaceSecret onReplace={() => void generate()} onCancel={() => setConfirming(false)} />}
        {/* Only while it is the secret saved: one saved over it (pasted from PanDev, or another admin's) must not be copied into PanDev. */}
        {generated && view.signingSecret.last4 === generated.slice(-4) && <GeneratedSecret secret={generated} />}
        <div style={styles.row}>
          <Button type="submit" isLoading={busy === 'save'} isDisabled={another('save')}>Save</Button>
          <Button onClick={() => void check()} isLoading={busy === 'check'} isDisabled={another('check') || !view.baseUrl || unsaved}>Check connection</Button>
          <Button appearance="primary" onClick={() => void activate()} isLoading={busy === 'activate'} isDisabled={another('activate') || !canActivate}>Activate</Button>
          {unsaved && view.baseUrl ? <span style={styles.help}>Save your changes first: Check connection checks the saved settings.</span>
            : !view.activatedAt && !canActivate && <span style={styles.help}>Activate needs a passing check of the saved settings.</span>}
        </div>
      </form>
      {/* Live regions are in place before what they say: one that appears with its text is often not read out. */}
      <div ref={outcome} tabIndex={-1} data-testid="connection-outcome">
        <div role="alert">{problem && !problem.field && <SectionMessage appearance="error" title="That did not work" headingLevel="h3"><p>{problem.message}</p></SectionMessage>}</div>
        <div role="status">{notice && <SectionMessage appearance="success"><p>{notice}</p></SectionMessage>}</div>
      </div>
      {busy !== 'check' && last && <CheckAge result={last} />}
      {/* Emptied while a check runs, so a check that finds the same again is read out again. */}
      <div role="status" aria-label="Connection check">
        {busy === 'check' ? <p style={styles.subtle}>Checking the connection…</p> : last && <CheckResults result={last} current={last.current} active={!!view.activatedAt} />}
      </div>
    </div>
  );
}
