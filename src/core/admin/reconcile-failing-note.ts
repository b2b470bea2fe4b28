import type { FailingRepository } from '../reconcile/failing';
import { formatDuration } from '../metrics/render';
import { plural } from '../words';

// Repositories whose reconciliation keeps failing, as the Status says it: which, Bitbucket's answer in
// words (the raw error, a request path and a JSON body, helps the logs, not the admin), and what to do.

const NAMED = 3;

function answer(r: FailingRepository): string {
  switch (r.kind) {
    case 'forbidden':
    case 'unauthorized':
      return `Bitbucket refuses the app access to it (${r.status ?? 403})`;
    case 'not-found':
      return `Bitbucket answers that it is not found (${r.status ?? 404}), though it is still listed`;
    case 'server':
      return `Bitbucket answers with an error (${r.status ?? 'server error'})`;
    case 'network':
      return 'Bitbucket does not answer in time';
    case 'rate-limited':
      return 'Bitbucket is rate-limiting the app (429)';
    case undefined:
      return `it failed: ${r.message}`;
    default:
      return `Bitbucket did not answer as expected (${r.status ?? r.kind})`;
  }
}

function advice(repositories: FailingRepository[]): string {
  const parts: string[] = [];
  if (repositories.some((r) => r.kind === 'forbidden' || r.kind === 'unauthorized' || r.kind === 'not-found')) {
    parts.push('Where Bitbucket refuses access or does not find it, check in Bitbucket that the repository still exists and that PanDev Metrics may read it (reinstall the app if its permissions were changed), or deselect it under Repositories if it should not be forwarded.');
  }
  if (repositories.some((r) => r.kind === 'server' || r.kind === 'network' || r.kind === 'malformed' || r.kind === 'rate-limited')) {
    parts.push('Where Bitbucket answers with an error, the trouble is on its side: bitbucket.status.atlassian.com says whether there is an incident; if it lasts for a day, ask Atlassian support about that repository.');
  }
  if (!parts.length) parts.push('If it keeps happening, reinstall PanDev Metrics in this workspace.');
  return parts.join(' ');
}

/** `name` gives a repository's name from its UUID. */
export function reconcileFailingNote(failing: { repositories: FailingRepository[]; more: boolean }, name: (uuid: string) => string, now: number): string {
  const { repositories, more } = failing;
  const consequence = 'Changes Bitbucket sent no event for are not read from it until a pass succeeds; nothing is lost meanwhile, since the next pass that succeeds reads again from the last one that did.';
  if (repositories.length === 1 && !more) {
    const [r] = repositories as [FailingRepository];
    return `The reconciliation of ${name(r.repository)} has failed ${r.failures} passes in a row, for ${formatDuration((now - r.since) / 1000)}: ${answer(r)}. ${consequence} ${advice(repositories)}`;
  }
  const listed = repositories.slice(0, NAMED).map((r) => `${name(r.repository)} (${answer(r)})`).join('; ');
  const rest = repositories.length - NAMED;
  const count = `${more ? 'at least ' : ''}${plural(repositories.length, 'repository', 'repositories')}`;
  return `The reconciliation keeps failing for ${count}: ${listed}${rest > 0 ? `; and ${rest} more` : ''}. ${consequence} ${advice(repositories)}`;
}
