import { pullRequestCard } from '../../src/core/metrics/card';
import { diffstat } from '../../src/sandbox/cloud-sim/model/graph';
import { hostStores } from '../../src/sandbox/host-store';
import { testSandbox, type TestSandbox } from './helpers';

// The repository figures a developer reads in the comment, from deployments the simulator ran days
// apart: the simulator's clock is set back, and the app reads the facts at its own (real) time.

let sb: TestSandbox;
afterEach(() => sb.stop());

const DAY = 86_400_000;
const repository = () => [...sb.simulator.model.repositories.values()][0]!;
const ours = (pullRequestId: number) => repository().pullRequests.get(pullRequestId)!.comments.filter((c) => !c.deleted && c.userUuid === sb.simulator.model.app.uuid);
const row = (text: string, label: string) => text.split('\n').find((line) => line.startsWith(`| ${label} |`));

async function mergedPullRequest(): Promise<number> {
  const a = sb.simulator.actions;
  const { pullRequestId: id } = a.openPullRequest({ repository: repository().slug, title: 'Retry the payment webhook', commits: 1 });
  a.approvePullRequest({ repository: repository().slug, pullRequestId: id });
  a.mergePullRequest({ repository: repository().slug, pullRequestId: id });
  await sb.settle();
  return id;
}

it('shows a production outage that began before the window and is still open as not recovered', async () => {
  const now = Date.now();
  // The seeded history ends before the deployments below, so the simulator's clock can go back to them.
  sb = await testSandbox({ simulator: { repositories: 1, baseTime: now - 50 * DAY, historyDays: 5 } });
  // Production deployments have failed since 40 days ago; the last one, 5 days ago, failed too.
  sb.setClock(now - 40 * DAY);
  sb.simulator.actions.runDeployment({ repository: repository().slug, environment: 'Production', outcome: 'FAILED' });
  sb.setClock(now - 5 * DAY);
  sb.simulator.actions.runDeployment({ repository: repository().slug, environment: 'Production', outcome: 'FAILED' });
  await sb.settle();
  sb.setClock(Date.now());
  const id = await mergedPullRequest();

  // The failure 5 days ago is in the change failure rate, so the recovery row cannot say there was none.
  const text = ours(id)[0]!.raw;
  expect(row(text, 'Change failure rate')).toBe('| Change failure rate | 100% (1 of 1 deployment) | **Low** |');
  expect(row(text, 'Failed deployment recovery time')).toBe('| Failed deployment recovery time | not available — no failed production deployment has been followed by a successful one yet | — |');
}, 60_000);

it('gives a pull request larger than one diffstat page as a floor, not as its size', async () => {
  // Bitbucket lists 500 files a page; a simulator that lists 20 makes a 50-commit pull request one that overflows it.
  sb = await testSandbox({ simulator: { repositories: 1, pagelenMax: 20 } });
  const a = sb.simulator.actions;
  const { pullRequestId: id } = a.openPullRequest({ repository: repository().slug, title: 'Move the ledger to the new schema', commits: 50 });
  a.approvePullRequest({ repository: repository().slug, pullRequestId: id });
  a.mergePullRequest({ repository: repository().slug, pullRequestId: id });
  await sb.settle();

  const pr = repository().pullRequests.get(id)!;
  const files = diffstat(repository(), pr.source.hash, pr.destination.hash);
  expect(files.length).toBeGreaterThan(20);
  // What the app could read: the first page, in the diffstat's order.
  const page = files.slice(0, 20);
  const added = page.reduce((sum, file) => sum + file.linesAdded, 0);
  const removed = page.reduce((sum, file) => sum + file.linesRemoved, 0);
  const size = `at least +${added} −${removed} lines in more than 20 files (Bitbucket lists the first 20)`;
  expect(row(ours(id)[0]!.raw, 'Size')).toBe(`| Size | ${size} |`);
  const card = await pullRequestCard(repository().uuid, id, { ...hostStores(sb.host), clock: { now: () => Date.now() } });
  if (!card.available) throw new Error(`the card has no figures: ${card.reason}`);
  expect(card.card.pullRequest.find((r) => r.label === 'Size')!.value).toBe(size);
}, 60_000);
