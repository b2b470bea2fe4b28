import { createHash } from 'node:crypto';
import { verify } from '../../core/deliver/sign';
import { BitbucketError } from '../../core/errors';
import type { Change } from '../../core/change/change';
import { after, knowing } from '../../core/change/same-second';
import { kvKey } from '../../core/keys';
import { sameContent, withContent, type PullRequestMemory } from '../../core/enrich/datacenter/pull-request-events';
import { DcDate, epochMs, type Branch, type PullRequest } from '../../core/enrich/datacenter/schema';
import { refStateStore } from '../../core/pipeline/ref-state';
import { NULL_HASH } from '../../core/payload/datacenter';
import type { BridgeConfig } from '../config/schema';
import type { RotatingSecret } from '../config/secret-file';
import type { Selection } from '../config/selection';
import { watchTips } from '../poll/builds';
import { moveCommits, type MoveCommits } from '../poll/commits';
import { leaveOut } from '../poll/left-out';
import { stageAndQueue, type PollDeps } from '../poll/deps';
import { defaultBranch, orphanedRange } from '../poll/refs';
import { parseWebhook, pushEvents, type PushEvent } from '../webhooks/datacenter-events';
import { countedWebhook } from '../webhooks/same-second';
import type { Inbox } from '../webhooks/inbox';
import type { WebhookResult } from './edition';

// Data Center webhooks at POST /webhooks/bitbucket: verified, parsed and saved (webhooks/inbox.ts)
// before the answer, then handled from the state database under the repository's lock, as the poll
// would have found them (same changes, same delivery ids).

export interface ReceiveDeps {
  config: BridgeConfig;
  deps: PollDeps;
  select: Selection;
  instance: string;
  inbox: Inbox;
  /** BRIDGE_WEBHOOK_SECRET; read again from its file when a signature does not match (a rotated secret). */
  webhookSecret: RotatingSecret;
}

/** Verifies, parses and saves a webhook; answers 202 only once it is in the state database. */
export async function receiveWebhook(headers: Record<string, string | undefined>, raw: Buffer, r: ReceiveDeps): Promise<WebhookResult> {
  const secret = r.webhookSecret;
  if (!secret.value) return { status: 401, message: 'webhooks are off: set BRIDGE_WEBHOOK_SECRET (the secret of the Bitbucket webhook) to receive them' };
  const signed = headers['x-hub-signature'];
  // Told apart from a wrong secret, as each has its own fix; neither makes the secret's file be read again,
  // which anyone who reaches the port could otherwise make the bridge do with every request.
  if (!signed) return { status: 401, message: "X-Hub-Signature is missing: set the webhook's Secret in Bitbucket to BRIDGE_WEBHOOK_SECRET's value" };
  if (!/^sha256=[0-9a-f]{64}$/i.test(signed.trim())) return { status: 401, message: 'X-Hub-Signature is not sha256=<64 hex digits>, the form Data Center signs webhooks with' };
  if (!verify(secret.value, raw, signed) && !(secret.reread() && verify(secret.value, raw, signed))) return { status: 401, message: 'X-Hub-Signature does not match the body and BRIDGE_WEBHOOK_SECRET' };
  let payload: unknown;
  try {
    payload = JSON.parse(raw.toString('utf8'));
  } catch {
    return { status: 400, message: 'the body is not JSON' };
  }
  const eventKey = signedEventKey(headers['x-event-key'], payload);
  if (typeof eventKey !== 'string') return eventKey;
  const parsed = parseWebhook(eventKey, payload);
  if (parsed.kind === 'invalid') return { status: 400, message: parsed.reason };
  if (parsed.kind === 'ignored') return { status: 200, message: `ignored: ${parsed.reason}` };
  const repository = parsed.repository;
  const name = { project: repository.project.key, slug: repository.slug, stableId: String(repository.id) };
  if (!r.select.selected(name)) return { status: 200, message: 'ignored: the repository is not selected (BITBUCKET_PROJECTS, BITBUCKET_REPOS)' };
  // Sharded bridges sit behind one Service, so a webhook reaches any of them: each takes every selected
  // repository's webhooks (Data Center does not send one again). The owner's poll finds pull-request
  // events under the same ids, and PanDev deduplicates; a push it finds as part of a longer move is sent
  // again as that move (its commits twice, never lost). Only the build watch is left to the owner.
  // Data Center sends each webhook once, and a signature never expires: the same bytes again are a
  // copy someone kept. Pushes are handled against the refs as they are now, so a replayed deletion of a
  // branch made again since would reach PanDev as a new deletion.
  // The memory below lasts 30 days; a signed body older than that would pass as new. Data Center sends
  // each webhook as it happens, so no real one is near that old: only a kept copy.
  const sent = DcDate.safeParse((payload as { date?: unknown }).date);
  const age = sent.success ? r.deps.ctx.clock.now() - epochMs(sent.data) : 0;
  if (age > OLDEST_WEBHOOK_MS) {
    return { status: 200, message: `ignored: sent ${Math.floor(age / DAY_MS)} days ago (its date), older than the ${REMEMBER_WEBHOOKS_SECONDS / 86_400} days webhooks are remembered against replays: a kept copy sent again; the poll reads what the repository holds now` };
  }
  const store = r.deps.ctx.store;
  const seen = kvKey('dc', 'webhook-seen', createHash('sha256').update(raw).digest('hex'));
  if (await store.get(seen)) return { status: 200, message: 'ignored: this exact webhook was received before (Data Center sends each once)' };
  if (!(await r.inbox.accept(String(repository.id), raw.toString('utf8')))) {
    return { status: 503, message: `${r.config.bridge.webhookBacklog} webhooks wait to be handled (BRIDGE_WEBHOOK_BACKLOG): this one is refused; the poll finds what it carries, except deletions` };
  }
  // Only once saved: marked first, a kill before the save left the webhook unanswered and nowhere, and
  // the same webhook sent again was turned away as a copy. (Saved twice instead, it is handled twice,
  // which finds nothing new the second time.)
  await store.set(seen, true, { ttlSeconds: REMEMBER_WEBHOOKS_SECONDS });
  return { status: 202, message: 'accepted', background: r.inbox.drain(String(repository.id)) };
}

/** How long a taken webhook is remembered against replays: one digest row each, dropped after this. */
const REMEMBER_WEBHOOKS_SECONDS = 30 * 24 * 3600;
const DAY_MS = 86_400_000;
/** A day short of that memory: the digest of a body taken on its day covers the rest. */
const OLDEST_WEBHOOK_MS = REMEMBER_WEBHOOKS_SECONDS * 1000 - DAY_MS;

/** One saved webhook (verified and parsed once already), run under its repository's lock by the inbox. */
export async function handleWebhook(body: string, r: Omit<ReceiveDeps, 'inbox' | 'webhookSecret'>): Promise<void> {
  const payload: unknown = JSON.parse(body);
  const eventKey = signedEventKey(undefined, payload);
  const parsed = typeof eventKey === 'string' ? parseWebhook(eventKey, payload) : undefined;
  if (parsed?.kind !== 'push' && parsed?.kind !== 'pull-request') return;
  const repository = parsed.repository;
  const key = String(repository.id);
  if (parsed.kind === 'push') {
    const moves = await pushMoves(parsed.event, r.deps).catch((error: unknown) => {
      if (!(error instanceof BitbucketError && error.kind === 'not-found')) throw error;
      // The repository was renamed, moved or deleted since Data Center sent this: it answers 404 under
      // the name the webhook carries, on every try. Its deletions (and tags) need no read and are in no
      // other source, so they go now; its branch moves are left to the poll, which lists the repository
      // by id and reads them under its new name (they stay unknown here, so the poll finds them new).
      r.deps.log.warn({ repositoryId: key, repository: `${repository.project.key}/${repository.slug}` }, 'a push webhook names a repository Bitbucket no longer has under that name (renamed, moved or deleted): its deletions are sent, and the poll finds its other branch moves');
      return pushMoves({ ...parsed.event, changes: parsed.event.changes.filter(needsNoRead) }, r.deps);
    });
    // Their builds are watched as if the poll had seen the move (the poll will find the tips known);
    // a repository another shard polls is watched there. Before the moves are staged: staging records
    // each ref's new tip, and killed after that, the webhook handled again (or the poll) would find the
    // tips known and never watch them.
    const tips = moves.event.changes.filter((change) => change.ref.type === 'BRANCH' && change.type !== 'DELETE').map((change) => change.toHash);
    if (r.select.repository({ project: repository.project.key, slug: repository.slug, stableId: key })) await watchTips({ id: key, name: `${repository.project.key}/${repository.slug}` }, tips, 'webhook', r.deps);
    await stageAndQueue(pushEvents(moves.event, r.instance, moves.commits), r.deps);
    await rememberTips(moves.event, r.deps);
    return;
  }
  // Another shard's poll keeps this pull request's record: none is started here.
  const polled = r.select.repository({ project: repository.project.key, slug: repository.slug, stableId: key });
  const counted = await countedWebhook(r.deps.ctx.store, key, parsed.change(r.instance), body);
  const modification = parsed.eventKey === 'pr:modified' ? await modificationIsNew(key, parsed.pullRequest, counted, polled, r.deps) : { change: counted };
  if (!modification) return;
  await stageAndQueue(parsed.build(modification.change), r.deps);
  // Only once it is staged: a kill in between would leave the memory saying the poll saw it, and the
  // webhook, handled again from the inbox, would be dropped as not new.
  await modification.remember?.();
  if (parsed.eventKey === 'pr:opened' && polled) await rememberOpened(key, parsed.pullRequest, r.deps);
}

/** A change pushMoves sends without reading Bitbucket: a deletion (of a branch or a tag) or any tag move. */
function needsNoRead(change: PushEvent['changes'][number]): boolean {
  return change.type === 'DELETE' || change.ref.type === 'TAG';
}

/**
 * The event key comes from the signed body: X-Event-Key is not covered by X-Hub-Signature, so trusting
 * it would let a captured body (say a pr:opened) be replayed as pr:merged or pr:deleted. Data Center
 * sends both and they agree; a header that disagrees is refused. Only the connection test
 * (`diagnostics:ping`, body `{"test": true}`) has no key in its body.
 */
function signedEventKey(header: string | undefined, payload: unknown): string | WebhookResult {
  const body = payload as { eventKey?: unknown; test?: unknown } | null;
  if (body?.test === true && body.eventKey === undefined) return 'diagnostics:ping';
  if (typeof body?.eventKey !== 'string' || !body.eventKey) return { status: 400, message: 'the body has no eventKey: not a Data Center webhook' };
  if (header !== undefined && header !== body.eventKey) {
    return { status: 400, message: `X-Event-Key (${header}) disagrees with the signed body's eventKey (${body.eventKey}); the body's is the one signed, so the request is refused` };
  }
  return body.eventKey;
}

/**
 * Each ref change as a move from where the bridge last delivered the ref, with its commits read. A
 * webhook can come late: the repository's poll (which holds its lock) may have delivered the ref to
 * this tip or past it already, and sending it again would deliver those commits under new ids and set
 * the recorded tip back. So a change the recorded tip covers is dropped (its tip is the recorded one,
 * or no commit of it lies beyond it), and one that does not start at the recorded tip (a webhook lost,
 * or refused when the bridge was down) is sent from the recorded tip, as the poll would send it.
 */
async function pushMoves(event: PushEvent, deps: PollDeps): Promise<{ event: PushEvent; commits: Map<string, MoveCommits> }> {
  const refs = refStateStore(deps.ctx.store);
  const repo = String(event.repository.id);
  const changes: PushEvent['changes'] = [];
  const read = new Map<string, MoveCommits>();
  let base: Branch | undefined | null = null;
  for (const change of event.changes) {
    const known = await refs.get(repo, change.ref.type === 'TAG' ? 'tag' : 'branch', change.ref.displayId);
    const to = change.type === 'DELETE' ? null : change.toHash;
    if (known && known.tip === to) continue;
    const from = change.type === 'ADD' ? null : change.fromHash;
    const rebased = known !== undefined && known.tip !== from;
    const move = rebased ? { ...change, fromHash: known.tip ?? NULL_HASH, type: !known.tip ? ('ADD' as const) : to ? ('UPDATE' as const) : ('DELETE' as const) } : change;
    if (move.ref.type !== 'BRANCH' || move.type === 'DELETE') {
      changes.push(move);
      continue;
    }
    if (move.type === 'ADD' && base === null) base = await defaultBranch(event.repository, deps);
    // A new branch is what it adds to the default branch, as the poll reads it: nothing when made at the
    // default branch's tip (its history is the default branch's, delivered already).
    const exclude = move.type === 'ADD' ? (base && base.displayId !== move.ref.displayId ? base.latestCommit : undefined) : move.fromHash;
    const orphaned = move.type === 'UPDATE' ? { orphaned: orphanedRange(event.repository, deps, move.ref.displayId, known?.at ?? epochMs(event.date)) } : {};
    const commits: MoveCommits = exclude === move.toHash ? { commits: [], truncated: false, files: new Map() } : await moveCommits(deps.client, event.repository, { to: move.toHash, ...(exclude ? { exclude, ...orphaned } : {}) }, (malformed) => leaveOut(malformed, event.repository, deps));
    // Nothing beyond the recorded tip: the poll delivered this move already.
    if (rebased && move.type === 'UPDATE' && commits.commits.length === 0 && !commits.forced) continue;
    read.set(move.ref.id, commits);
    changes.push(move);
  }
  return { event: { ...event, changes }, commits: read };
}

/**
 * pr:modified is the one event the poll cannot date: Data Center records no activity for it, so the poll
 * finds it by comparing title, description and target with what it saw last, and dates it by the pull
 * request's updatedDate then, which later activity may have moved past the webhook's. So the two must
 * not both report one modification: the webhook's is sent only when the poll has not yet seen the pull
 * request at or after it, and then the poll's memory takes the new content, so that the poll does not
 * report it again. Both run under the repository's lock. A pull request the poll first saw already
 * modified (opened and edited between two passes, the webhooks waiting behind the poll's lock) had no
 * earlier content to compare with: the poll reported nothing, so the webhook's is sent, and the
 * poll's memory, as new as the webhook or newer, is kept. The memory is the caller's to write (`remember`),
 * after the change is staged.
 */
async function modificationIsNew(repo: string, pr: PullRequest, counted: Change, polled: boolean, deps: PollDeps): Promise<{ change: Change; remember?: () => Promise<void> } | undefined> {
  const seen = await deps.state.pullRequest(repo, pr.id);
  const memory = seen?.m as PullRequestMemory | undefined;
  // Data Center raises the version with every edit: one past the content remembered is an edit made after
  // what the poll (or a webhook) last saw, though within the same second (10.x) as that read.
  const unseen = memory?.version !== undefined && pr.version !== undefined && pr.version > memory.version;
  // The webhook path counts only the webhooks it handled: the poll may have reported an earlier edit of
  // this second whose webhook was lost, under the count this one would take (change/same-second.ts).
  const change = unseen ? after(memory.counts ?? {}, counted) : counted;
  // The poll counts the modifications it reports in their second: one it then finds in this webhook's
  // second comes after this one, and must not take its id.
  const counts = knowing(memory?.counts ?? {}, change);
  if (!unseen && seen?.f !== undefined && seen.f >= epochMs(pr.updatedDate)) {
    return { change, ...(memory ? { remember: () => deps.state.savePullRequest(repo, pr.id, { ...seen, m: { ...memory, counts } }) } : {}) };
  }
  if (!unseen && seen && (seen.u >= epochMs(pr.updatedDate) || (memory && sameContent(pr, memory)))) return undefined;
  // Not yet seen by the poll either: its first read then compares with this content, not with a pr:opened
  // handled after this (webhooks out of order), and so does not report this modification again.
  if (!(pr.state === 'OPEN' && (seen || polled))) return { change };
  return { change, remember: () => deps.state.savePullRequest(repo, pr.id, { ...(seen ?? UNREAD), m: { ...withContent(pr, memory), counts } }) };
}

/**
 * The content a pull request was opened with, for the poll to compare with when it has not seen the pull
 * request yet. Without it, an edit whose webhook is lost (the bridge down, its backlog full) would meet a
 * poll that finds the pull request already edited and has nothing earlier to compare with: PanDev would
 * never learn of it. With it, the poll reports the edit, dated by the updatedDate it reads, which is the
 * edit's own (so the same delivery id as its webhook) unless later changes moved it on. Not `u`: an edit in
 * the same second (Data Center 10) or millisecond leaves updatedDate as the opening had it, and the poll
 * would pass the pull request over as read. Not `f`: the poll's first read is a comparison now, and a late
 * pr:modified webhook is one the poll has reported.
 */
async function rememberOpened(repo: string, pr: PullRequest, deps: PollDeps): Promise<void> {
  if (await deps.state.pullRequest(repo, pr.id)) return;
  await deps.state.savePullRequest(repo, pr.id, { ...UNREAD, m: withContent(pr, undefined) });
}

/** A record only webhooks have written (see `u` in state.ts); the poll reads every activity of it. */
const UNREAD = { u: 0, a: 0 };

/** The poll then finds these refs where the webhook left them, and sends nothing for them again. */
async function rememberTips(event: PushEvent, deps: PollDeps): Promise<void> {
  const refs = refStateStore(deps.ctx.store);
  const repo = String(event.repository.id);
  for (const change of event.changes) {
    const type = change.ref.type === 'TAG' ? 'tag' : 'branch';
    const known = await refs.get(repo, type, change.ref.displayId);
    // Only a move from where the bridge last saw the ref (pushMoves made every change one).
    if (!known || known.tip === (change.fromHash === NULL_HASH ? null : change.fromHash)) {
      await refs.set(repo, type, change.ref.displayId, { tip: change.type === 'DELETE' ? null : change.toHash, at: deps.ctx.clock.now(), origin: 'webhook' });
    }
  }
}
