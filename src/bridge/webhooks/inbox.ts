import { z } from 'zod';
import { BitbucketError, errorMessage, InvalidInputError } from '../../core/errors';
import { PayloadTooLargeError } from '../../core/payload/limit';
import { kvKey } from '../../core/keys';
import { recordNotice } from '../ops/notices';
import type { Clock, Logger } from '../../core/ports';
import type { SqliteStore } from '../state/sqlite-store';
import type { KeyedLock } from '../util/keyed-lock';

// Data Center sends a webhook once and never again, and some of what webhooks say no poll can find
// (deletions). So a verified webhook is written to the state database before it is answered 202, and
// handled from there, in arrival order per repository and under that repository's lock (its poll may
// be running): a crash or a stop between the answer and the outbox loses nothing, as the next start
// handles what is left. The backlog is bounded: past it, webhooks are refused with 503 (the poll finds
// what they carry, except deletions) rather than filling the disk while Bitbucket or PanDev is down.

// `failingSince`: the first failed try. The day before giving up counts from there, not from `at`: a
// webhook saved just before a long outage (the bridge down, then restarted) gets its day of tries.
const Entry = z.object({ body: z.string(), at: z.number(), attempts: z.number().default(0), failingSince: z.number().optional() });
type Entry = z.infer<typeof Entry>;

/** A webhook whose Bitbucket reads keep failing is tried on each pass for this long after its first failure, then given up. */
const GIVE_UP_AFTER_MS = 24 * 3600_000;
const PREFIX = `${kvKey('dc', 'inbox')}:`;

export interface InboxOptions {
  store: SqliteStore;
  lock: KeyedLock;
  clock: Clock;
  log: Logger;
  /** Webhooks waiting, at most; more are refused. */
  max: number;
  /** Handles one saved webhook; a failure leaves it for a later try, unless the webhook itself is at fault. */
  handle(body: string): Promise<void>;
  /** The bridge is stopping: leave the rest for the next start. */
  stopping(): boolean;
}

export interface Inbox {
  /** Saves a verified webhook; false when the backlog is full. */
  accept(repo: string, body: string): Promise<boolean>;
  /** Handles the repository's saved webhooks, oldest first; resolves when none is left (or one failed). */
  drain(repo: string): Promise<void>;
  /** Drains every repository with saved webhooks (at start, and after each pass for those that failed). */
  resume(): Promise<void>;
}

export function webhookInbox(options: InboxOptions): Inbox {
  const { store } = options;
  const running = new Map<string, Promise<void>>();
  const again = new Set<string>();
  let sequence = 0;

  async function accept(repo: string, body: string): Promise<boolean> {
    if (store.count(PREFIX) >= options.max) return false;
    const at = options.clock.now();
    // Keys sort by arrival: the time, then a counter for webhooks within one millisecond.
    const key = kvKey('dc', 'inbox', repo, `${String(at).padStart(15, '0')}-${String(sequence++ % 1e6).padStart(6, '0')}`);
    await store.set(key, { body, at, attempts: 0 } satisfies Entry);
    return true;
  }

  function drain(repo: string): Promise<void> {
    const current = running.get(repo);
    if (current) {
      // Arrived while a drain runs: it looks again before it ends.
      again.add(repo);
      return current;
    }
    const run = (async () => {
      do {
        again.delete(repo);
        await options.lock(repo, () => handleSaved(repo));
      } while (again.has(repo) && !options.stopping());
    })()
      .catch((error: unknown) => {
        // The state database itself failed: what is saved stays saved, for the next pass or start.
        options.log.error({ repository: repo, reason: errorMessage(error) }, 'saved webhooks could not be read; they are tried again after the next pass');
      })
      .finally(() => running.delete(repo));
    running.set(repo, run);
    return run;
  }

  /** Oldest first; stops at one that fails on Bitbucket, so a repository's webhooks stay in order. */
  async function handleSaved(repo: string): Promise<void> {
    const prefix = `${kvKey('dc', 'inbox', repo)}:`;
    while (!options.stopping()) {
      const [saved] = (await store.list<unknown>(prefix, { limit: 1 })).entries;
      if (!saved) return;
      const entry = Entry.safeParse(saved.value);
      if (!entry.success) {
        await store.delete(saved.key);
        continue;
      }
      try {
        await options.handle(entry.data.body);
      } catch (error) {
        if (options.stopping()) return;
        if (cannotSucceed(error)) {
          // Cut short: the reason may quote the webhook's own (any length) names back.
          options.log.error({ repository: repo, reason: errorMessage(error).slice(0, 500) }, 'a saved webhook could not be handled and is dropped; the poll finds what it can of it');
        } else if (options.clock.now() - (entry.data.failingSince ?? options.clock.now()) < GIVE_UP_AFTER_MS) {
          await store.set(saved.key, { ...entry.data, attempts: entry.data.attempts + 1, failingSince: entry.data.failingSince ?? options.clock.now() });
          options.log.warn({ repository: repo, attempts: entry.data.attempts + 1, reason: errorMessage(error), bitbucket: error instanceof BitbucketError }, 'a saved webhook could not be handled; it is tried again after the next pass');
          return;
        } else {
          options.log.error({ repository: repo, attempts: entry.data.attempts + 1, reason: errorMessage(error) }, 'a saved webhook failed for a day and is given up; the poll finds what it can of it');
          await recordNotice(store, {
            kind: 'webhook-given-up',
            repositoryId: repo,
            at: options.clock.now(),
            message: `a webhook saved at ${new Date(entry.data.at).toISOString()} failed for a day (${errorMessage(error)}) and was given up: the poll delivers what it carried except deletions (pull requests, branches, tags), which PanDev will not get; check the repository in Bitbucket for any`,
          });
        }
      }
      await store.delete(saved.key);
    }
  }

  async function resume(): Promise<void> {
    const repos: string[] = [];
    try {
      // One look per repository (keys are dc:inbox:<repo>:<time>), not every saved body at once.
      for (let after = ''; ; ) {
        const [first] = (await store.list<Entry>(PREFIX, { limit: 1, ...(after ? { cursor: after } : {}) })).entries;
        if (!first) break;
        const repo = first.key.slice(PREFIX.length).split(':')[0]!;
        repos.push(repo);
        after = `${PREFIX}${repo}:~`;
      }
    } catch (error) {
      options.log.error({ reason: errorMessage(error) }, 'saved webhooks could not be listed; they are tried again after the next pass');
    }
    await Promise.all(repos.map(drain));
  }

  return { accept, drain, resume };
}

/**
 * The 4xx that refuse the request the webhook's own names made (a bad name, a URL or header too long):
 * asked again, it is refused again. Others (a proxy's 407, a 409 or 423 of a repository being moved)
 * are the surroundings', and the webhook waits for them to pass.
 */
const REFUSES_THE_REQUEST = new Set([400, 405, 410, 413, 414, 422, 431]);

/**
 * Only a fault of the webhook itself drops it: Bitbucket, PanDev's outbox or the state database
 * being busy or full now (SQLITE_BUSY from a CLI command holding the file) pass, and deletions are
 * in no other source. A 404 is the webhook's too: it names the repository as it was, and one renamed,
 * moved or deleted since answers 404 under that name on every try, while the webhooks behind it
 * (deletions among them) would wait a day; the poll reads the repository under its new name. (A push
 * meets its 404 before this and sends its deletions anyway: handleWebhook.) So do the 4xx that refuse
 * the request itself (above).
 */
function cannotSucceed(error: unknown): boolean {
  if (error instanceof BitbucketError && (error.kind === 'not-found' || (error.kind === 'client' && REFUSES_THE_REQUEST.has(error.status ?? 0)))) return true;
  return error instanceof SyntaxError || error instanceof InvalidInputError || error instanceof PayloadTooLargeError || error instanceof z.ZodError;
}
