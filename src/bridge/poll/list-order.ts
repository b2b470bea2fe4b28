import { z } from 'zod';
import { DcDate, epochMs } from '../../core/enrich/datacenter/schema';
import type { Clock, Logger } from '../../core/ports';
import type { ListOrder, PollState } from './state';

// The pull-request poll lists `state=ALL&order=NEWEST` and stops at the first pull request not updated
// since its watermark. That is right only if "newest" means last updated; Data Center's spec and
// Javadoc (PullRequestOrder.NEWEST) say only "newer pull requests should be shown before older ones".
// On an instance that sorts by creation, an old pull request approved or merged today sits below
// older-created ones the poll stops at, and its events would never be sent. So the poll checks, at no
// cost, the order each answer holds, and from the first answer that rises on, reads each repository's
// whole list on every pass; the state file remembers it, so a restart does not wait to see it again.
// An answer that proves the order by last update (an upgraded Bitbucket) ends that, at no cost either.

const Stamped = z.looseObject({ updatedDate: DcDate });
const Numbered = z.looseObject({ id: z.number() });

/** A listed pull request's updatedDate (epoch ms), even when the rest of it does not parse. */
function listedUpdate(raw: unknown): number | undefined {
  const stamped = Stamped.safeParse(raw);
  return stamped.success ? epochMs(stamped.data.updatedDate) : undefined;
}

/**
 * Whether one answer of the list holds a pull request updated later than one above it: an order not
 * by last update. Equal dates are no sign (Data Center 10 prints them to the second).
 *
 * Only the pull requests of one answer are compared, never the last of one page with the next page:
 * one answer is the list as it stood at one moment, but between two pages the list changes under the
 * poll. A pull request updated meanwhile goes to the top, which the scan has passed (so its new date
 * is never seen in this pass: the next pass finds it); if it was below the page boundary, every pull
 * request above its old place moves down one, so the next page starts with the last one or more
 * already read, and after two such updates the first of those repeats is newer than the last pull
 * request read: a rise across the boundary that says nothing about the order.
 */
export function risesWithin(page: readonly unknown[]): boolean {
  let above = Infinity;
  for (const raw of page) {
    const updated = listedUpdate(raw);
    if (updated === undefined) continue;
    if (updated > above) return true;
    above = updated;
  }
  return false;
}

/**
 * Whether one answer proves the order is by last update after all (a Bitbucket upgraded since, or a
 * finding that was wrong): its dates never rise, and a pull request listed below another has a higher
 * id. Ids are given at creation, so a list by creation has them falling all the way down: one that
 * rises can only be in another order, and with the dates falling it is the one the poll assumes.
 */
export function provesUpdateOrder(page: readonly unknown[]): boolean {
  if (risesWithin(page)) return false;
  let above = Infinity;
  for (const raw of page) {
    const numbered = Numbered.safeParse(raw);
    if (!numbered.success) continue;
    if (numbered.data.id > above) return true;
    above = numbered.data.id;
  }
  return false;
}

export interface ListOrderGuard {
  /** Whether the whole list must be read: the instance was seen sorting by creation (now or before a restart). */
  readAll(): Promise<boolean>;
  /** An answer from `repository` (PROJECT/slug) rose: remember it for the instance. */
  sawCreationOrder(repository: string): Promise<void>;
  /** An answer from `repository` proved the order by last update: forget the finding, if there was one. */
  sawUpdateOrder(repository: string): Promise<void>;
}

/** One per bridge process: the operator is told once per run, whether it found out now or was told by its state. */
export function listOrderGuard(state: PollState, clock: Clock, log: Logger): ListOrderGuard {
  let known: Promise<ListOrder | undefined> | undefined;
  let warned = false;
  const warn = (order: ListOrder) => {
    if (warned) return;
    warned = true;
    log.warn(
      { repository: order.repository, seenAt: new Date(order.at).toISOString(), detail: 'a pull request listed below another was updated after it (order=NEWEST)' },
      'this Bitbucket orders pull requests by creation; the bridge now reads every pull request of each repository on each pass, which costs more requests; please tell PanDev support your Bitbucket version',
    );
  };
  return {
    async readAll() {
      const order = await (known ??= state.listOrder());
      if (order) warn(order);
      return order !== undefined;
    },
    async sawCreationOrder(repository) {
      if (await (known ??= state.listOrder())) return;
      const order: ListOrder = { byCreation: true, repository, at: clock.now() };
      known = Promise.resolve(order);
      await state.saveListOrder(order);
      warn(order);
    },
    async sawUpdateOrder(repository) {
      const order = await (known ??= state.listOrder());
      if (!order) return;
      known = Promise.resolve(undefined);
      warned = false;
      await state.forgetListOrder();
      log.info({ repository, seenAt: new Date(order.at).toISOString() }, 'this Bitbucket lists pull requests by last update again; the bridge reads only what changed since its last pass from the next pass on');
    },
  };
}
