import { failedTry, modeAt } from '../../src/core/backfill/retries';
import { BackfillRecord } from '../../src/core/backfill/state';
import { BitbucketError } from '../../src/core/errors';

// A step that keeps failing at one place is tried later and later, then leaves out what it can, and
// only if that fails too, the rest of the feed.

const start = BackfillRecord.parse({ repository: '{r}', state: 'running', windowDays: 30, since: '2026-10-27T00:00:00Z', requestedAt: 0, updatedAt: 0, cursor: { phase: 'lifecycle', page: 3 } });
const error = (kind: 'server' | 'malformed') => new BitbucketError(kind, kind === 'server' ? 500 : 200, '/2.0/repositories/w/r/diffstat/x', `Bitbucket answered ${kind}`);

function modes(kinds: Array<'server' | 'malformed'>) {
  let record = start;
  return kinds.map((kind) => {
    record = failedTry(record, error(kind)).record;
    return modeAt(record);
  });
}

it('leaves out what it can after six 500s, and the rest of the feed after one more', () => {
  expect(modes(['server', 'server', 'server', 'server', 'server', 'server', 'server'])).toEqual(['as-usual', 'as-usual', 'as-usual', 'as-usual', 'as-usual', 'leave-out', 'skip-feed']);
});

it('gives a malformed answer three tries', () => {
  expect(modes(['malformed', 'malformed', 'malformed'])).toEqual(['as-usual', 'as-usual', 'leave-out']);
});

it('still makes the leave-out try when another kind of error follows many tries', () => {
  expect(modes(['server', 'server', 'server', 'server', 'server', 'malformed']).at(-1)).toBe('leave-out');
});
