import { CHANGED_MAX_PAGES } from '../../core/reconcile/repositories';
import type { ChangesCut } from '../../core/reconcile/changes-cut';

/**
 * Cloud: the workspace query for pushed repositories cut at its cap (core/reconcile/changes-cut.ts,
 * which keeps the record), in the bridge's terms: its variables rather than the settings page.
 */
export function changesCutMessage(cut: ChangesCut): string {
  return `the workspace query for repositories pushed since ${new Date(cut.since).toISOString()} stopped at its cap of ${CHANGED_MAX_PAGES} pages after ${cut.read} repositories, with more to come. No push is lost: every pass reads the repositories it did not reach as if pushed (their branches and deployments), which spends more of the hour's requests (BITBUCKET_REQUESTS_PER_HOUR), so passes take longer and pushes can reach PanDev later. It ends once every selected repository has had a good pass since then; if it lasts, a repository whose poll keeps failing (listed here) holds that date back: fix its cause, or leave it out with BITBUCKET_REPOS or BITBUCKET_PROJECTS`;
}
