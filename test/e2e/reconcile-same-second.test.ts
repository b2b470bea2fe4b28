import { kvKey } from '../../src/core/keys';
import { reconcileNow, testSandbox, type TestSandbox } from './helpers';

// Commit dates are whole seconds; a pass's watermark is not. A branch the state has no tip for (no
// backfill listed the refs) is told new from standing by its tip's date against the watermark, so a
// push in the watermark's own second, after it, must still count as after it.

let sb: TestSandbox;
beforeAll(async () => {
  sb = await testSandbox({ liveEvents: false, scheduledTriggers: false, simulator: { seed: 'same-second', repositories: 1, rateLimitPerHour: 0 } });
  await reconcileNow(sb);
});
afterAll(() => sb.stop());

it('delivers a push made in the same second as the watermark, just after it', async () => {
  const repository = [...sb.simulator.model.repositories.values()][0]!;
  const { watermark } = (await sb.host.kvs.get(kvKey('reconcile', 'repo', repository.uuid))) as { watermark: number };
  expect(watermark % 1000).toBeGreaterThan(0);
  // Bitbucket's clock a millisecond past the watermark: the push is after it, its date (whole seconds) before it.
  sb.advance(watermark + 1 - Date.now());
  const [branch] = [...repository.branches.keys()];
  const { commits } = sb.simulator.actions.pushCommits({ repository: repository.slug, branch: branch!, commits: 1 });
  sb.sink.clear();
  await reconcileNow(sb);
  const delivered = sb.sink.deliveries().filter((d) => d.eventKey === 'repo:push').flatMap((d) => ((d.body as any).pandev.commits as Array<{ hash: string }>).map((c) => c.hash));
  // The state had no tip for the branch, so the push lists what the main branch lacks, the new commit first.
  expect(delivered[0]).toBe(commits[0]);
}, 60_000);
