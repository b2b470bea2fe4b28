import { CLOCK_ALLOWANCE_MS } from '../../src/core/reconcile/clock-allowance';
import { pushedSince } from '../../src/core/reconcile/repositories';

// Whether the workspace query's answer says a repository was pushed since its last pass.

const W = Date.parse('2026-11-27T08:00:00.000Z');
const answer = (at: number) => ({ changed: new Map([['{repo}', at]]) });

it('takes a change after the last pass as a push, and one before its overlap as none', () => {
  expect(pushedSince(answer(W + 1), '{REPO}', W)).toBe(true);
  expect(pushedSince(answer(W - CLOCK_ALLOWANCE_MS), '{repo}', W)).toBe(true);
  expect(pushedSince(answer(W - CLOCK_ALLOWANCE_MS - 1), '{repo}', W)).toBe(false);
  expect(pushedSince(answer(W), '{other}', W)).toBe(false);
});

it('never takes the change the last pass was planned with for news, even dated in the millisecond that pass started', () => {
  // Bitbucket dated it 08:00:00.000149, the pass started at 08:00:00.000: to the millisecond, the same.
  expect(pushedSince(answer(W), '{repo}', W, W)).toBe(false);
  expect(pushedSince(answer(W - 1000), '{repo}', W, W - 1000)).toBe(false);
  // Dated by a clock ahead of ours, past the pass that dealt with it.
  expect(pushedSince(answer(W + 5000), '{repo}', W, W + 5000)).toBe(false);
  // A later change is news again.
  expect(pushedSince(answer(W + 1), '{repo}', W, W)).toBe(true);
});

it('reads a repository the query did not reach before its cap as pushed only if the cut falls within its overlap', () => {
  expect(pushedSince({ changed: new Map(), cutAt: W - 1000 }, '{repo}', W)).toBe(true);
  expect(pushedSince({ changed: new Map(), cutAt: W - CLOCK_ALLOWANCE_MS - 1 }, '{repo}', W)).toBe(false);
});
