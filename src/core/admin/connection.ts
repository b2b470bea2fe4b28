import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { ActivateOutput, CheckResult, ConnectionSaveInput, ConnectionView, GenerateSecretInput, SecretView } from '../../contract/connection';
import type { BackfillRecord } from '../backfill/state';
import { secretKeys, settingsStore } from '../config/settings';
import { liftPause, waitingWords } from '../deliver/lift-pause';
import type { KeptDeliveries } from '../pipeline/sweep';
import type { ForwardQueue } from '../pipeline/queue';
import { loadCatalog } from './catalog';
import { checkConnection, readCheckedSettings, type CheckDependencies } from './check';
import type { AdminContext } from './context';
import { AdminActionError } from './errors';
import { plural } from '../words';
import { isSelectedIn, requestBackfills, selectionState } from './selection';

// Connection: save the PanDev URL and secrets, check them, activate. Secrets go in and never come
// out (the page sees whether one is set and, for a long one, its last four characters), except a signing secret the
// app generates, which is shown once so the admin can paste it into PanDev.

export const CHECK_KEY = 'config:check';
// The check is stored with a digest of what it checked: activation needs a pass for the settings saved now.
const StoredCheck = z.object({ fingerprint: z.string(), result: z.custom<CheckResult>((value) => typeof value === 'object' && value !== null) });

/** Four characters tell two saved secrets apart; of a short one they would be half of it, so none then. */
const HINTED_FROM = 16;
/** Time the resolver keeps after queueing the kept deliveries, to record the check and answer. */
const RESUME_MARGIN_MS = 3_000;

function secretView(value: string | undefined): SecretView {
  if (!value) return { set: false };
  return value.length >= HINTED_FROM ? { set: true, last4: value.slice(-4) } : { set: true };
}

function fingerprint(baseUrl: string | undefined, token: string | undefined, secret: string | undefined): string {
  return createHash('sha256').update(JSON.stringify([baseUrl ?? '', token ?? '', secret ?? ''])).digest('hex');
}

async function current(ctx: AdminContext) {
  const settings = settingsStore(ctx.store, ctx.secrets);
  const [connection, credentials, stored] = await Promise.all([settings.connection(), settings.credentials(), ctx.store.get(CHECK_KEY)]);
  const print = fingerprint(connection?.baseUrl, credentials.token, credentials.signingSecret);
  return { settings, connection, credentials, print, check: storedCheck(stored, print) };
}

function storedCheck(stored: unknown, print: string): (CheckResult & { current: boolean }) | undefined {
  const check = StoredCheck.safeParse(stored);
  return check.success ? { ...check.data.result, current: check.data.fingerprint === print } : undefined;
}

/** The last check as the status reads it: whether it passed, and whether it checked the settings saved now. */
export function lastCheckOf(stored: unknown, baseUrl: string | undefined, credentials: { token?: string; signingSecret?: string }): (CheckResult & { current: boolean }) | undefined {
  return storedCheck(stored, fingerprint(baseUrl, credentials.token, credentials.signingSecret));
}

export async function getConnection(ctx: AdminContext): Promise<ConnectionView> {
  const { connection, credentials, check } = await current(ctx);
  return {
    ...(connection ? { baseUrl: connection.baseUrl } : {}),
    token: secretView(credentials.token),
    signingSecret: secretView(credentials.signingSecret),
    ...(connection?.activatedAt ? { activatedAt: connection.activatedAt } : {}),
    ...(connection?.disabled ? { disabled: connection.disabled } : {}),
    ...(check ? { lastCheck: check } : {}),
  };
}

/** host:port, with the scheme's default port left out, so http→https on one host is no move. */
const hostOf = (url: string): string => new URL(url).host.toLowerCase();

export async function saveConnection(ctx: AdminContext, input: z.output<typeof ConnectionSaveInput>): Promise<ConnectionView> {
  const settings = settingsStore(ctx.store, ctx.secrets);
  const existing = await settings.connection();
  // A token PanDev issued for one host is not sent to another: a URL pointed elsewhere (a typo, a test
  // instance, a look-alike name) would otherwise receive it with the first delivery or check.
  if (!input.token && existing && hostOf(existing.baseUrl) !== hostOf(input.baseUrl) && (await settings.credentials()).token) {
    throw new AdminActionError(
      'precondition-failed',
      `The saved ingest token is for ${hostOf(existing.baseUrl)}; it is not sent to ${hostOf(input.baseUrl)}. Enter the ingest token that PanDev at ${hostOf(input.baseUrl)} issued, then save.`,
      'token',
    );
  }
  if (input.token) await ctx.secrets.set(secretKeys.token, input.token);
  if (input.signingSecret) await ctx.secrets.set(secretKeys.signingSecret, input.signingSecret);
  await settings.saveConnection({ ...existing, baseUrl: input.baseUrl });
  ctx.log.info({ baseUrl: input.baseUrl, token: input.token ? 'replaced' : 'kept', signingSecret: input.signingSecret ? 'replaced' : 'kept' }, 'connection saved');
  return getConnection(ctx);
}

export async function generateSigningSecret(ctx: AdminContext, input: z.output<typeof GenerateSecretInput> = {}): Promise<{ secret: string; connection: ConnectionView }> {
  const connection = await settingsStore(ctx.store, ctx.secrets).connection();
  if (connection?.activatedAt && !input.replaceActive) {
    throw new AdminActionError('precondition-failed', 'Deliveries are signed with the current secret: a new one makes PanDev refuse them until it has it too. Confirm the replacement, then paste the new secret into PanDev at once.');
  }
  // 256 bits, URL-safe so it pastes cleanly into any form.
  const secret = randomBytes(32).toString('base64url');
  await ctx.secrets.set(secretKeys.signingSecret, secret);
  ctx.log.info({}, 'signing secret generated');
  return { secret, connection: await getConnection(ctx) };
}

/**
 * Runs the check and keeps its result; a pass also lifts a pause PanDev put on deliveries, and queues
 * what the pause kept (`queue`) so it goes now, not at the next outbox sweep minutes later.
 */
export async function checkAndRecord(ctx: AdminContext, deps: CheckDependencies, queue: ForwardQueue): Promise<CheckResult> {
  // The result is recorded against the values the check used, not those saved when it finishes: a save
  // made while a check runs (seconds, against a slow Bitbucket or PanDev) must leave it stale.
  const checked = await readCheckedSettings(ctx);
  const result = await checkConnection(ctx, checked, deps);
  const checkedPrint = fingerprint(checked.connection?.baseUrl, checked.credentials.token, checked.credentials.signingSecret);
  const { connection, print } = await current(ctx);
  const deadline = ctx.deadline === undefined ? {} : { deadline: ctx.deadline - RESUME_MARGIN_MS };
  const lifted = await liftPause(ctx, connection, { by: 'check', passed: result.ok, settingsUnchanged: print === checkedPrint, send: { queue, ...deadline } });
  const recorded = lifted ? { ...result, resumed: resumedWords(lifted.kept, ctx.clock.now()) } : result;
  await ctx.store.set(CHECK_KEY, { fingerprint: checkedPrint, result: recorded });
  return recorded;
}

/** What the check that lifted the pause started sending, and what still waits, in words for the admin. */
function resumedWords(kept: KeptDeliveries | undefined, now: number): NonNullable<CheckResult['resumed']> {
  const later = 'the outbox sweep sends them within about ten minutes';
  if (!kept) return { queued: 0, message: `Deliveries resumed: ${later}.` };
  const parts: string[] = [];
  if (kept.due) parts.push(`${plural(kept.due, 'kept delivery is', 'kept deliveries are')} being sent now`);
  if (kept.waiting) parts.push(`${waitingWords(kept, now)}, sent then`);
  if (kept.more) parts.push(parts.length ? later.replace('them', 'the rest') : later);
  const message = `Deliveries resumed: ${parts.length ? parts.join('; ') : 'none was waiting in the outbox'}.`;
  return { queued: kept.due, ...(kept.waiting ? { waiting: kept.waiting } : {}), message };
}

export async function activate(ctx: AdminContext): Promise<{ output: ActivateOutput; requested: BackfillRecord[] }> {
  const { settings, connection, check } = await current(ctx);
  if (!connection) throw new AdminActionError('precondition-failed', 'Save the PanDev URL, the ingest token and the signing secret first.');
  if (connection.activatedAt) return { output: { activatedAt: connection.activatedAt, backfillRequested: 0 }, requested: [] };
  if (!check?.current) throw new AdminActionError('precondition-failed', 'Run Check connection with the settings saved now: Activate needs a passing check.');
  if (!check.ok) throw new AdminActionError('precondition-failed', 'The last check failed: fix what it reports, then check again before activating.');
  const now = ctx.clock.now();
  const [catalog, state, preferences] = await Promise.all([loadCatalog(ctx), selectionState(settings), settings.preferences()]);
  const selected = catalog.repositories.filter((r) => isSelectedIn(state, r.uuid));
  // Backfill is asked for before activation is recorded, so an interrupted call can simply be repeated.
  const { records, deferred } = await requestBackfills(ctx.store, selected, preferences.backfillDays, now);
  await settings.saveConnection({ ...connection, activatedAt: now });
  ctx.log.info({ selected: selected.length, backfillRequested: records.length + deferred, deferred }, 'activated');
  return { output: { activatedAt: now, backfillRequested: records.length + deferred }, requested: records };
}
