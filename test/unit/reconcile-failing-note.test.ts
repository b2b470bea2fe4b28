import { reconcileFailingNote } from '../../src/core/admin/reconcile-failing-note';
import type { FailingRepository } from '../../src/core/reconcile/failing';

// The Status's note on repositories whose reconciliation keeps failing: Bitbucket's answer in words,
// not the raw error, and advice that fits the answers it names.

const NOW = Date.parse('2026-11-29T12:00:00Z');
const HOUR = 3_600_000;
const names: Record<string, string> = { '{a}': 'api', '{b}': 'web', '{c}': 'infra', '{d}': 'docs', '{e}': 'tools' };
const name = (uuid: string) => names[uuid] ?? uuid;

function failing(repository: string, kind: string | undefined, status?: number, message = 'GET /2.0/repositories/w/x answered {"type":"error"}'): FailingRepository {
  return { repository, since: NOW - 2 * HOUR, lastAt: NOW - 60_000, failures: 8, ...(kind ? { kind } : {}), ...(status !== undefined ? { status } : {}), message };
}

it('names one repository, how long and how many passes, Bitbucket’s answer in words, and what to do about a refusal', () => {
  const note = reconcileFailingNote({ repositories: [failing('{a}', 'forbidden', 403)], more: false }, name, NOW);
  expect(note).toMatch(/^The reconciliation of api has failed 8 passes in a row, for 2 h: Bitbucket refuses the app access to it \(403\)\. /);
  expect(note).toContain('nothing is lost meanwhile');
  expect(note).toContain('check in Bitbucket that the repository still exists');
  expect(note).not.toContain('bitbucket.status.atlassian.com');
  // The raw answer is for the logs.
  expect(note).not.toContain('/2.0/repositories');
});

it.each([
  ['unauthorized', 401, 'Bitbucket refuses the app access to it (401)', 'check in Bitbucket'],
  ['not-found', 404, 'Bitbucket answers that it is not found (404), though it is still listed', 'check in Bitbucket'],
  ['server', 502, 'Bitbucket answers with an error (502)', 'bitbucket.status.atlassian.com'],
  ['network', undefined, 'Bitbucket does not answer in time', 'bitbucket.status.atlassian.com'],
  ['rate-limited', 429, 'Bitbucket is rate-limiting the app (429)', 'bitbucket.status.atlassian.com'],
  ['malformed', 200, 'Bitbucket did not answer as expected (200)', 'bitbucket.status.atlassian.com'],
])('says a %s answer in words, with the advice that fits it', (kind, status, words, advice) => {
  const note = reconcileFailingNote({ repositories: [failing('{a}', kind, status)], more: false }, name, NOW);
  expect(note).toContain(`: ${words}. `);
  expect(note).toContain(advice);
});

it('gives the message of a failure that is not Bitbucket’s answer, and the last resort for advice', () => {
  const note = reconcileFailingNote({ repositories: [failing('{a}', undefined, undefined, 'the job ran out of time')], more: false }, name, NOW);
  expect(note).toContain(': it failed: the job ran out of time. ');
  expect(note).toContain('If it keeps happening, reinstall PanDev Metrics in this workspace.');
});

it('names the first three of several with their answers, counts the rest, and joins the advice of each kind', () => {
  const repositories = [failing('{a}', 'forbidden', 403), failing('{b}', 'server', 500), failing('{c}', 'not-found', 404), failing('{d}', 'server', 503), failing('{e}', 'network')];
  const note = reconcileFailingNote({ repositories, more: false }, name, NOW);
  expect(note).toMatch(/^The reconciliation keeps failing for 5 repositories: api \(Bitbucket refuses the app access to it \(403\)\); web \(Bitbucket answers with an error \(500\)\); infra \(Bitbucket answers that it is not found \(404\), though it is still listed\); and 2 more\. /);
  expect(note).not.toContain('docs');
  expect(note).toContain('check in Bitbucket that the repository still exists');
  expect(note).toContain('bitbucket.status.atlassian.com');
});

it('says "at least" when the record had no room for every failing repository, even for one', () => {
  expect(reconcileFailingNote({ repositories: [failing('{a}', 'server', 500)], more: true }, name, NOW)).toMatch(/^The reconciliation keeps failing for at least 1 repository: api \(/);
  expect(reconcileFailingNote({ repositories: [failing('{a}', 'server', 500), failing('{b}', 'server', 500)], more: true }, name, NOW)).toMatch(/^The reconciliation keeps failing for at least 2 repositories: api \(.*\); web \(.*\)\. Changes/);
});
