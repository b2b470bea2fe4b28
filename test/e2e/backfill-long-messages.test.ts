import { expectedBackfill } from './backfill-expectations';
import { backfillEnded, backfillRecords, backfillSandbox, missing } from './backfill-sandbox';
import type { TestSandbox } from './helpers';
import { data, settingsCaller } from './settings-helpers';

// Bitbucket's commit object carries its message five times (message, summary and rendered, each
// with raw and HTML): a page of squash merges listing what they squashed is far larger than a page of
// one-line commits. The commit graph a backfill keeps between pieces must still fit Forge's 240 KiB
// per stored value, or the commit graph is left out and every pull request loses its commits.

let sb: TestSandbox;
const call = settingsCaller(() => sb);
afterEach(() => sb.stop());

it('keeps a page of commits with long messages and leaves nothing out', async () => {
  sb = await backfillSandbox({ seed: 'long-messages', repositories: 1 }, {}, { timeScale: 0.0001 });
  const [repo] = [...sb.simulator.model.repositories.values()];
  const squashed = (i: number) => `Squashed change ${i}\n\n${Array.from({ length: 60 }, (_, line) => `* commit ${line}: adjust the settings page layout`).join('\n')}`;
  const { commits } = sb.simulator.actions.pushCommits({ repository: repo!.slug, commits: 30, messages: Array.from({ length: 30 }, (_, i) => squashed(i)) });
  data(await call('connection/activate', {}));
  await backfillEnded(sb);
  const [record] = await backfillRecords(sb);
  expect(record).toMatchObject({ state: 'done', skipped: [], skippedCount: 0 });
  const pushed = sb.sink.deliveries().flatMap((d) => ((d.body as any).pandev?.commits ?? []) as Array<{ hash: string }>).map((c) => c.hash);
  expect(pushed).toEqual(expect.arrayContaining(commits));
  expect(missing(sb, expectedBackfill(sb.simulator, [repo!], Date.parse(record!.since)).ids)).toEqual([]);
}, 120_000);

it('replays a pull request of 150 commits with its commits, and leaves nothing out', async () => {
  sb = await backfillSandbox({ seed: 'many-commits', repositories: 1, pullRequestsPerRepository: 0 }, {}, { timeScale: 0.0001 });
  const [repo] = [...sb.simulator.model.repositories.values()];
  const { pullRequestId, sourceBranch } = sb.simulator.actions.openPullRequest({ repository: repo!.slug, title: 'Many commits' });
  for (let i = 0; i < 3; i++) sb.simulator.actions.pushCommits({ repository: repo!.slug, branch: sourceBranch, commits: 50 });
  data(await call('connection/activate', {}));
  await backfillEnded(sb);
  const [record] = await backfillRecords(sb);
  expect(record).toMatchObject({ state: 'done', skipped: [], skippedCount: 0 });
  const created = sb.sink.deliveries().find((d) => d.eventKey === 'pullrequest:created' && (d.body as any).pullrequest.id === pullRequestId);
  expect(((created!.body as any).pandev.pullrequest.commits as unknown[]).length).toBeGreaterThanOrEqual(150);
}, 120_000);

it('replays a pull request with a long description, and leaves nothing out', async () => {
  sb = await backfillSandbox({ seed: 'long-description', repositories: 1, pullRequestsPerRepository: 0 }, {}, { timeScale: 0.0001 });
  const [repo] = [...sb.simulator.model.repositories.values()];
  const description = Array.from({ length: 1500 }, (_, line) => `* step ${line}: check the settings page`).join('\n');
  const { pullRequestId } = sb.simulator.actions.openPullRequest({ repository: repo!.slug, title: 'Long description', description });
  data(await call('connection/activate', {}));
  await backfillEnded(sb);
  const [record] = await backfillRecords(sb);
  expect(record).toMatchObject({ state: 'done', skipped: [], skippedCount: 0 });
  const created = sb.sink.deliveries().find((d) => d.eventKey === 'pullrequest:created' && (d.body as any).pullrequest.id === pullRequestId);
  // Only the rendered copies went: the text itself is whole.
  expect((created!.body as any).pullrequest.description).toBe(description);
}, 120_000);

it('replays a pull request of 150 commits with 8 KB messages, and leaves nothing out', async () => {
  sb = await backfillSandbox({ seed: 'many-long-commits', repositories: 1, pullRequestsPerRepository: 0 }, {}, { timeScale: 0.0001 });
  const [repo] = [...sb.simulator.model.repositories.values()];
  const { pullRequestId, sourceBranch } = sb.simulator.actions.openPullRequest({ repository: repo!.slug, title: 'Many long commits' });
  const long = (i: number) => `Change ${i}\n\n${Array.from({ length: 200 }, (_, line) => `* line ${line}: explain the change at length`).join('\n')}`;
  for (let i = 0; i < 3; i++) sb.simulator.actions.pushCommits({ repository: repo!.slug, branch: sourceBranch, commits: 50, messages: Array.from({ length: 50 }, (_, n) => long(i * 50 + n)) });
  data(await call('connection/activate', {}));
  await backfillEnded(sb);
  const [record] = await backfillRecords(sb);
  expect(record).toMatchObject({ state: 'done', skipped: [], skippedCount: 0 });
  expect(missing(sb, expectedBackfill(sb.simulator, [repo!], Date.parse(record!.since)).ids)).toEqual([]);
  const created = sb.sink.deliveries().find((d) => d.eventKey === 'pullrequest:created' && (d.body as any).pullrequest.id === pullRequestId);
  const commits = (created!.body as any).pandev.pullrequest.commits as Array<{ message: string; message_truncated?: true }>;
  expect(commits.length).toBeGreaterThanOrEqual(150);
  // Over Bitbucket's 256 KB, the oldest messages keep their first line, and the body says so. The
  // commits share their second: the oldest by history are the branch's own first ones, then Change 0, 1, …
  const cut = commits.filter((c) => c.message_truncated);
  expect(commits.slice(0, cut.length)).toEqual(cut);
  const changes = cut.filter((c) => c.message.startsWith('Change'));
  expect(changes.length).toBeGreaterThan(0);
  expect(cut.slice(-changes.length)).toEqual(changes);
  expect(changes.map((c) => c.message)).toEqual(changes.map((_, i) => `Change ${i}`));
  expect((created!.body as any).pandev.truncated).toContain('pandev.pullrequest.commits[].message');
  expect(commits.some((c) => /line 199/.test(c.message))).toBe(true);
}, 120_000);

it('replays a pull request of 100 commits with one-line 12 KB messages, cutting the oldest by characters, and leaves nothing out', async () => {
  sb = await backfillSandbox({ seed: 'one-line-messages', repositories: 1, pullRequestsPerRepository: 0 }, {}, { timeScale: 0.0001 });
  const [repo] = [...sb.simulator.model.repositories.values()];
  const { pullRequestId, sourceBranch } = sb.simulator.actions.openPullRequest({ repository: repo!.slug, title: 'Generated bundles' });
  // A generated commit's message: one line, no first line shorter than the message to keep.
  const line = (i: number) => `Update generated bundle ${i}: ${'ab12cd34ef'.repeat(1200)}`;
  for (let i = 0; i < 2; i++) sb.simulator.actions.pushCommits({ repository: repo!.slug, branch: sourceBranch, commits: 50, messages: Array.from({ length: 50 }, (_, n) => line(i * 50 + n)) });
  data(await call('connection/activate', {}));
  await backfillEnded(sb);
  const [record] = await backfillRecords(sb);
  expect(record).toMatchObject({ state: 'done', skipped: [], skippedCount: 0 });
  expect(missing(sb, expectedBackfill(sb.simulator, [repo!], Date.parse(record!.since)).ids)).toEqual([]);
  const created = sb.sink.deliveries().find((d) => d.eventKey === 'pullrequest:created' && (d.body as any).pullrequest.id === pullRequestId);
  const commits = (created!.body as any).pandev.pullrequest.commits as Array<{ message: string; message_truncated?: true }>;
  expect(commits.length).toBeGreaterThanOrEqual(100);
  const cut = commits.filter((c) => c.message_truncated);
  expect(cut.length).toBeGreaterThan(0);
  // The oldest by history go first (the commits share their second): the branch's own first commits
  // keep their one line, then bundle 0, 1, … are cut by characters.
  expect(commits.slice(0, cut.length)).toEqual(cut);
  const generated = cut.filter((c) => c.message.startsWith('Update generated bundle'));
  expect(generated.length).toBeGreaterThan(0);
  expect(cut.slice(-generated.length)).toEqual(generated);
  expect(cut.slice(0, -generated.length).every((c) => c.message.length > 0 && !c.message.includes('\n'))).toBe(true);
  expect(generated.map((c) => /^Update generated bundle (\d+): /.exec(c.message)?.[1])).toEqual(generated.map((_, i) => String(i)));
  expect(generated.every((c) => /^Update generated bundle \d+: (ab12cd34ef)+.*…$/.test(c.message) && c.message.length < 2048)).toBe(true);
  expect(commits.some((c) => !c.message_truncated && c.message.length > 12_000)).toBe(true);
}, 120_000);
