import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { CheckItem, CheckResult } from '../../contract/connection';
import { checkedItems, named } from '../enrich/checked-items';
import { ingestPaths } from '../change/event-keys';
import { settingsStore, type Connection } from '../config/settings';
import { attemptDelivery } from '../deliver/attempt';
import { grouped } from '../words';
import { bitbucketAdvice } from './bitbucket-advice';
import type { AdminContext } from './context';
import { explainPing } from './check-texts';

// Check connection: what the app sees of Bitbucket (workspace, identity, repositories, whether it can
// read their pull requests) and whether PanDev takes a signed test delivery with the saved token.

export interface CheckDependencies {
  /** Repositories the admin can see, read as the admin; compared with the app's count to spot partial access. */
  userRepositoryCount?: () => Promise<number | undefined>;
}

const Workspace = z.object({ slug: z.string(), name: z.string() });
const Identity = z.object({ display_name: z.string().optional(), nickname: z.string().optional() });
// The sample is checked on its own (checkedItems): one repository listed in an unexpected shape failed
// the whole check as "the app cannot read this workspace". A few are asked for, so another will do.
const Count = z.object({ size: z.number().int(), values: z.array(z.unknown()) });
const Sample = z.object({ uuid: z.string(), name: z.string() });
const SAMPLES = 10;

export const PING_EVENT_KEY = 'diagnostics:ping';

/** The saved settings one check runs against, read once: its result is recorded against exactly these. */
export interface CheckedSettings {
  connection: Connection | undefined;
  credentials: { token?: string; signingSecret?: string };
}

export async function readCheckedSettings(ctx: AdminContext): Promise<CheckedSettings> {
  const settings = settingsStore(ctx.store, ctx.secrets);
  const [connection, credentials] = await Promise.all([settings.connection(), settings.credentials()]);
  return { connection, credentials };
}

/** Kept back from the resolver's deadline after the ping: recording the result, lifting a pause, answering. */
const END_MARGIN_MS = 3_000;
/** Below this, a ping would say PanDev is down when only the check's time ran out. */
const MIN_PING_MS = 1_000;

export async function checkConnection(ctx: AdminContext, checked: CheckedSettings, deps: CheckDependencies = {}): Promise<CheckResult> {
  const { connection, credentials } = checked;
  const tuning = await settingsStore(ctx.store, ctx.secrets).tuning();
  const result: CheckResult = { ok: false, at: ctx.clock.now(), items: [] };
  await checkBitbucket(ctx, deps, result);
  if (!connection) result.items.push({ key: 'pandev', status: 'fail', title: 'No PanDev URL saved', detail: 'Enter the PanDev URL and the ingest token, save, then check again.' });
  else if (!credentials.token || !credentials.signingSecret) {
    const missing = !credentials.token ? 'ingest token' : 'signing secret';
    result.items.push({ key: 'pandev', status: 'fail', title: `No ${missing} saved`, detail: `Save the ${missing}, then check again.` });
  } else {
    // Bitbucket's reads came first: after a slow one, PanDev gets what the resolver has left, so the
    // admin reads a result and not the platform's timeout.
    const left = ctx.deadline === undefined ? Infinity : ctx.deadline - ctx.clock.now() - END_MARGIN_MS;
    const timeoutMs = Math.min(tuning.deliveryTimeoutMs, left);
    if (left < Math.min(tuning.deliveryTimeoutMs, MIN_PING_MS)) {
      result.items.push({ key: 'pandev', status: 'fail', title: 'PanDev was not checked: no time was left', detail: 'Bitbucket took the check\'s time to answer. Check again; if it keeps happening, Bitbucket is slow now: see its status page.' });
    } else {
      const url = connection.baseUrl.replace(/\/+$/, '') + ingestPaths.repository;
      const body = JSON.stringify({ diagnostics: { ping: true, workspace: ctx.workspace, at: new Date(result.at).toISOString() } });
      const outcome = await attemptDelivery(
        { url, id: randomUUID(), eventKey: PING_EVENT_KEY, edition: 'cloud', origin: 'diagnostics', attempt: 1, body, token: credentials.token, secret: credentials.signingSecret, userAgent: ctx.userAgent, timeoutMs },
        ctx.send,
      );
      const item = explainPing(outcome, url, connection.baseUrl, timeoutMs);
      const cut = timeoutMs < tuning.deliveryTimeoutMs && item.title.startsWith('PanDev did not answer');
      result.items.push(cut ? { ...item, detail: `Bitbucket's slow answers left PanDev less than its usual ${tuning.deliveryTimeoutMs / 1000} s: check again. ${item.detail}` } : item);
    }
  }
  result.ok = result.items.every((item) => item.status !== 'fail');
  ctx.log.info({ ok: result.ok, items: result.items.map((item) => `${item.key}:${item.status}`) }, 'connection checked');
  return result;
}

async function checkBitbucket(ctx: AdminContext, deps: CheckDependencies, result: CheckResult): Promise<void> {
  const workspace = { workspace: ctx.workspace };
  let count: z.infer<typeof Count>;
  try {
    const [space, repositories] = await Promise.all([
      ctx.bitbucket.get({ endpoint: 'workspace', params: workspace, query: { fields: 'slug,name' } }, Workspace),
      ctx.bitbucket.get({ endpoint: 'repositories', params: workspace, query: { pagelen: SAMPLES, fields: 'size,values.uuid,values.name,values.slug' } }, Count),
    ]);
    result.workspace = space;
    count = repositories;
  } catch (error) {
    result.items.push({ key: 'bitbucket', status: 'fail', title: 'The app cannot read this workspace', detail: bitbucketAdvice(error, 'check again') });
    return;
  }
  // Who the app's requests run as; Bitbucket may not describe an app user, which is no reason to fail.
  const identity = await ctx.bitbucket.get({ endpoint: 'currentUser', params: {}, query: { fields: 'display_name,nickname' } }, Identity).catch(() => undefined);
  result.actingAs = identity?.display_name ?? identity?.nickname ?? 'the app\'s own Forge user';
  result.repositories = count.size;
  result.items.push({
    key: 'bitbucket',
    status: 'pass',
    title: `Workspace ${result.workspace.name}`,
    detail: `The app acts as ${result.actingAs} in ${result.workspace.slug} and can read ${grouped(count.size)} ${count.size === 1 ? 'repository' : 'repositories'}.`,
  });
  result.items.push(await checkAccess(ctx, deps, count));
}

async function checkAccess(ctx: AdminContext, deps: CheckDependencies, count: z.infer<typeof Count>): Promise<CheckItem> {
  const partial = (title: string, detail: string): CheckItem => ({ key: 'access', status: 'warn', title, detail });
  const userCount = await deps.userRepositoryCount?.().catch(() => undefined);
  if (userCount !== undefined && userCount > count.size) {
    const unread = userCount - count.size;
    return partial(
      `Partial access: ${grouped(count.size)} of ${grouped(userCount)} ${userCount === 1 ? 'repository' : 'repositories'}`,
      unread === 1
        ? 'You can see 1 repository the app cannot read; it is neither forwarded nor backfilled. Check that the app is installed for the whole workspace and that its access to it is not restricted.'
        : `You can see ${grouped(unread)} repositories the app cannot read; they are neither forwarded nor backfilled. Check that the app is installed for the whole workspace and that its access to them is not restricted.`,
    );
  }
  const { items, malformed } = checkedItems(count.values, Sample, named.repository);
  const sample = items[0];
  if (!sample && malformed[0]) return partial('Could not check access to pull requests', `${malformed[0].reason}. Report it to Atlassian support; the app reads the repositories Bitbucket lists whole.`);
  if (!sample) return { key: 'access', status: 'warn', title: 'No repositories', detail: 'The workspace has no repository the app can read yet: nothing will be forwarded until one exists.' };
  try {
    await ctx.bitbucket.get({ endpoint: 'pullRequests', params: { workspace: ctx.workspace, repo_slug: sample.uuid }, query: { pagelen: 1, fields: 'values.id' } }, z.object({}).loose());
  } catch (error) {
    return partial(`Partial access: cannot read pull requests of ${sample.name}`, `${bitbucketAdvice(error, 'check again')} Pull-request events of such repositories become dead letters until access is restored.`);
  }
  return { key: 'access', status: 'pass', title: 'Full read access', detail: `The app reads every repository you can see${userCount === undefined ? '' : ` (${grouped(userCount)})`} and their pull requests.` };
}
