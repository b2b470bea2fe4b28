import { nativeRepositoryChanges } from '../../src/core/payload/repository-changes';
import { Repository } from '../../src/core/enrich/cloud/schema';

// Forge's example of "repository updated" (notes/forge.md §1b) against the native repo:updated's
// `changes`, whose values are plain: {"name": {"new": "repository", "old": "repository_name"}}.

const repository = Repository.parse({ type: 'repository', uuid: '{r}', full_name: 'acme/payments-core', name: 'Payments Core', description: `${'d'.repeat(300)} end` });

it('unwraps each changed value to the plain old and new a native webhook carries', () => {
  const { changes, truncated } = nativeRepositoryChanges({
    name: { old: { value: 'payments', truncated: false }, new: { value: 'Payments Core', truncated: false } },
    website: { old: { value: '', truncated: false }, new: { value: 'https://acme.example', truncated: false } },
  }, repository);
  expect(changes).toEqual({ name: { old: 'payments', new: 'Payments Core' }, website: { old: '', new: 'https://acme.example' } });
  expect(truncated).toEqual([]);
});

it('takes a new value Forge cut from the repository as read, and names an old one that stays cut', () => {
  const { changes, truncated } = nativeRepositoryChanges({
    description: { old: { value: 'o'.repeat(255), truncated: true }, new: { value: 'd'.repeat(255), truncated: true } },
    language: { old: { value: 'go', truncated: false }, new: { value: 'x'.repeat(255), truncated: true } },
  }, repository);
  expect(changes).toEqual({ description: { old: 'o'.repeat(255), new: `${'d'.repeat(300)} end` }, language: { old: 'go', new: 'x'.repeat(255) } });
  expect(truncated).toEqual(['changes.description.old', 'changes.language.new']);
});

it('passes on an entry not in the wrapped form as it is', () => {
  const stored = { name: { old: 'a', new: 'b' }, links: { new: { html: { href: 'https://bitbucket.org/acme/b' } } } };
  expect(nativeRepositoryChanges(stored, repository).changes).toEqual(stored);
});
