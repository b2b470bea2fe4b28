import { goneNote } from '../../src/core/admin/status';

// The settings page writes every count one way ("1,200"): the status notes the server words too.

it('groups the counts of a large workspace whose repositories were deleted mid-backfill', () => {
  const names = Array.from({ length: 1200 }, (_, i) => `repo-${i}`);
  expect(goneNote(names)).toBe('1,200 repositories were deleted in Bitbucket, so their backfill was skipped: repo-0, repo-1, repo-2, repo-3, repo-4 and 1,195 more. Nothing needs doing.');
  expect(goneNote(['payments'])).toBe('payments was deleted in Bitbucket, so its backfill was skipped. Nothing needs doing.');
});
