import { repositoryName } from '../../src/core/admin/dead-letters';
import type { Catalog } from '../../src/core/admin/catalog';
import { keyPart } from '../../src/core/keys';

// How the settings page names a dead letter's repository: a Forge event may carry its UUID alone, and
// the kept repository list may be missing, older than the event, or newer and without it.

const UUID = '{5a1e0000-0000-4000-8000-000000000001}';
const AT = '2026-03-01T12:00:00Z';
const listed = { uuid: UUID, slug: 'ledger', name: 'Billing Ledger', projectKey: 'FIN' };
const kept = (fetchedAt: string, repositories = [listed]): Catalog => ({
  fetchedAt: Date.parse(fetchedAt), repositories, projects: new Map([['FIN', 'Finance']]), byKey: new Map(repositories.map((r) => [keyPart(r.uuid), r])),
});

it('names a listed repository as Repositories does, whatever the event carried', () => {
  expect(repositoryName({ repository: { uuid: UUID.toUpperCase() }, at: AT }, kept('2026-01-01T00:00:00Z'))).toBe('Billing Ledger');
  expect(repositoryName({ repository: { uuid: UUID, slug: 'old-slug' }, at: AT }, kept('2026-01-01T00:00:00Z'))).toBe('Billing Ledger');
});

it('falls back to the slug the event carried', () => {
  expect(repositoryName({ repository: { uuid: UUID, slug: 'ledger' }, at: AT }, undefined)).toBe('ledger');
});

it('says a UUID alone in words: gone from a list read after the event, not listed yet otherwise', () => {
  const change = { repository: { uuid: UUID }, at: AT };
  expect(repositoryName(change, kept('2026-03-02T00:00:00Z', []))).toBe(`a repository no longer in the workspace (${UUID})`);
  expect(repositoryName(change, kept('2026-02-01T00:00:00Z', []))).toBe(`a repository not in the Repositories list yet (${UUID})`);
  expect(repositoryName(change, undefined)).toBe(`a repository not in the Repositories list yet (${UUID})`);
});
