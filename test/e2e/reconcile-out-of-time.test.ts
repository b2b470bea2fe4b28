import { kvKey } from '../../src/core/keys';
import { reconcileNow, shortLimitSandbox, type TestSandbox } from './helpers';
import { data, settingsCaller } from './settings-helpers';

// A pass reads a repository's activity log first, and then the pull requests its entries name. When
// the list of those pull requests answers far slower than the log did, the pass runs short of time
// before it has them all (the consumer's limit, 120 s, is scaled here to a fifth: 24 s, and the host
// stops a function at it, as Forge does). Entries without their pull request cannot be sent: the
// repository's pass fails, its watermark stays, and the next pass reads the same period whole.

let sb: TestSandbox;
const call = settingsCaller(() => sb);
beforeAll(async () => {
  sb = await shortLimitSandbox('reconcile-out-of-time', 1, 50);
  // The first pass sets the watermark; what follows happens after it.
  await reconcileNow(sb);
});
afterAll(() => sb.stop());

const PULL_REQUEST_LIST = '^/2\\.0/repositories/[^/]+/[^/]+/pullrequests$';

it('fails the repository’s pass, not a part of it, when the pull requests the activity names cannot all be read in time; the next pass sends them all once', async () => {
  const { simulator: sim, sink } = sb;
  const repository = [...sim.model.repositories.values()][0]!;
  // Sixty pull requests: the list of those updated takes two pages of 50.
  const opened = Array.from({ length: 60 }, () => sim.actions.openPullRequest({ repository: repository.slug }).pullRequestId);
  sink.clear();
  // The list answers ten seconds late; the log, read first, at once: after the list's first page, two
  // more requests as slow would end past the deadline.
  const slow = sim.faults.add({ path: PULL_REQUEST_LIST, latencyMs: 10_000 });

  await reconcileNow(sb);
  expect(sb.logs.filter((line) => /ran past its/.test(line.message)).map((line) => line.message)).toEqual([]);
  const created = () => sink.deliveries().filter((d) => d.eventKey === 'pullrequest:created').map((d) => (d.body as any).pullrequest.id as number);
  // Nothing of the period is sent: what the first page held would go without the rest.
  expect(created()).toEqual([]);
  const state = (await sb.host.kvs.get(kvKey('reconcile', 'repo', repository.uuid))) as { error?: string; watermark: number };
  expect(state.error).toMatch(/^The pass ran short of time before it could read the pull requests the newest activity names: Bitbucket answered too slowly\. /);
  const watermark = state.watermark;
  expect(sb.logs.some((line) => /reconciliation of a repository failed; it will be retried next pass/.test(line.message))).toBe(true);
  // A second pass alike: the Status, which speaks of a repository failing from its second pass on,
  // tells it as Bitbucket answering too slowly, with the advice for that (not a reinstall).
  await reconcileNow(sb);
  expect(created()).toEqual([]);
  const notes = data(await call('status/get', {})).notes.map((note) => note.text).filter((text) => text.startsWith('The reconciliation'));
  expect(notes).toEqual([expect.stringMatching(new RegExp(`^The reconciliation of ${repository.name} has failed 2 passes in a row, for .*: Bitbucket does not answer in time\\. .*bitbucket\\.status\\.atlassian\\.com`))]);
  expect(notes[0]).not.toMatch(/reinstall/);

  sim.faults.remove(slow);
  await reconcileNow(sb);
  expect(created().sort((a, b) => a - b)).toEqual(opened);
  const after = (await sb.host.kvs.get(kvKey('reconcile', 'repo', repository.uuid))) as { error?: string; watermark: number };
  expect(after.error).toBeUndefined();
  expect(after.watermark).toBeGreaterThan(watermark);
  expect(data(await call('status/get', {})).notes.filter((note) => note.text.startsWith('The reconciliation'))).toEqual([]);
  expect(sink.duplicates()).toBe(0);
}, 180_000);
