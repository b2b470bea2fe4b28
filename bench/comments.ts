import { createHash } from 'node:crypto';
import { settingsStore, type Preferences } from '../src/core/config/settings';
import { containsFor, figuresFor } from '../src/core/metrics/compute';
import type { DeploymentFacts, PullRequestFacts } from '../src/core/metrics/facts';
import { pullRequestMetrics } from '../src/core/metrics/pull-request';
import { repositoryMetrics } from '../src/core/metrics/repository';
import { factsStore } from '../src/core/metrics/store';
import { hostStores } from '../src/sandbox/host-store';
import { MemoryStore } from '../src/sandbox/memory-store';
import { startSandbox, type Sandbox } from '../src/sandbox/sandbox';
import { percentile, table } from './measure';

// Issue 5's figures: the Bitbucket requests the pull request comment adds per merged pull request
// (the same merges with comments on and off, counted by the simulator), and the time to work out a
// repository's 30-day figures from stored facts for 5,000 pull requests.

const MERGES = 20;
const hash = (n: number) => createHash('sha1').update(`commit ${n}`).digest('hex');

interface MergeRun {
  /** Every Bitbucket request of the app while the pull requests were opened, reviewed and merged. */
  requests: number;
  /** Of those, the comment's own: posts, edits, looking for a lost post, the size. */
  comment: number;
  /** Comment requests after the production deployment (its edits). */
  deployEdits: number;
  posted: number;
  edited: number;
}

/** Requests to the routes only the comment uses (the pull request's comments, its size). */
function commentRequests(byRoute: Record<string, number>): number {
  return Object.entries(byRoute)
    .filter(([route]) => /^(POST|PUT) .*\/comments/.test(route) || /^GET .*\/pullrequests\/\{pull_request_id\}\/comments$/.test(route) || /diffstat/.test(route))
    .reduce((sum, [, count]) => sum + count, 0);
}

async function mergeRun(preferences: Partial<Preferences>): Promise<MergeRun> {
  const sb: Sandbox = await startSandbox({ timeScale: 0.001, logger: () => undefined, simulator: { seed: 'bench-comments', repositories: 1, rateLimitPerHour: 0 } });
  try {
    const stores = hostStores(sb.host);
    await settingsStore(stores.store, stores.secrets).savePreferences(preferences);
    const repo = [...sb.simulator.model.repositories.values()][0]!;
    const requests = () => sb.simulator.stats().byCredential.app ?? 0;
    const a = sb.simulator.actions;
    const merges: string[] = [];
    const start = requests();
    for (let i = 0; i < MERGES; i++) {
      const { pullRequestId } = a.openPullRequest({ repository: repo.slug, title: `Change ${i}`, commits: 2 });
      a.approvePullRequest({ repository: repo.slug, pullRequestId });
      merges.push(a.mergePullRequest({ repository: repo.slug, pullRequestId }).mergeCommit);
      await sb.settle();
    }
    const merged = requests() - start;
    const comment = commentRequests(sb.simulator.stats().byRoute);
    // One production deployment of the last merge: every merge above is in it.
    a.runDeployment({ repository: repo.slug, environment: 'Production', commit: merges.at(-1)!, outcome: 'SUCCESSFUL' });
    await sb.settle();
    const ours = [...repo.pullRequests.values()].flatMap((pr) => pr.comments.filter((c) => c.userUuid === sb.simulator.model.app.uuid && !c.deleted));
    return { requests: merged, comment, deployEdits: commentRequests(sb.simulator.stats().byRoute) - comment, posted: ours.length, edited: ours.filter((c) => c.updatedOn !== c.createdOn).length };
  } finally {
    await sb.stop();
  }
}

async function figuresRun(count: number): Promise<{ ms: number[]; pages: number }> {
  const now = Date.UTC(2026, 10, 25);
  const store = new MemoryStore({ now: () => now });
  const facts = factsStore(store);
  const repository = '{bench}';
  const hour = 3_600_000;
  for (let i = 0; i < count; i++) {
    const opened = now - ((i * 29 * 24 * hour) / count) - 48 * hour;
    const pr: PullRequestFacts = {
      repository, id: i + 1, title: i % 25 === 0 ? `Revert change ${i}` : `Change ${i}`, author: `{a${i % 40}}`, state: 'MERGED',
      createdOn: new Date(opened).toISOString(), firstCommitOn: new Date(opened - 5 * hour).toISOString(),
      firstReview: { at: new Date(opened + hour).toISOString(), by: `{r${i % 13}}`, kind: 'approval' },
      mergedOn: new Date(opened + 6 * hour).toISOString(), mergeCommit: hash(i),
      size: { linesAdded: i % 300, linesRemoved: i % 70, files: 1 + (i % 9) }, revert: i % 25 === 0,
    };
    await facts.putPullRequest(pr);
    await facts.putCommit(repository, pr.mergeCommit!, { parents: [hash(i + 1)], date: pr.mergedOn });
    if (i % 10 === 9) {
      const deployment: DeploymentFacts = { repository, uuid: `{d${i}}`, environment: { uuid: '{prod}', name: 'Production', type: 'Production' }, result: i % 70 === 9 ? 'FAILED' : 'SUCCESSFUL', completedOn: new Date(opened + 8 * hour).toISOString(), commit: pr.mergeCommit! };
      await facts.putDeployment(deployment);
    }
  }
  // Reading the facts back is a number of list pages (on Forge, KVS round trips); working out the
  // figures from them is the engine's own time, measured apart.
  let pages = 0;
  const counted = factsStore({ ...store, get: store.get.bind(store), set: store.set.bind(store), delete: store.delete.bind(store), list: (prefix, options) => (pages++, store.list(prefix, options)) });
  const subject = (await facts.pullRequest(repository, count))!;
  await figuresFor(counted, subject, now);
  const [pullRequests, deployments, known] = await Promise.all([facts.pullRequests(repository), facts.deployments(repository), facts.commits(repository)]);
  const windowStart = now - 30 * 86_400_000;
  const contains = containsFor(known, windowStart);
  const ms: number[] = [];
  for (let run = 0; run < 15; run++) {
    const started = performance.now();
    pullRequestMetrics(subject, { deployments, contains, now, windowStart });
    repositoryMetrics({ pullRequests, deployments, contains, now, days: 30 });
    ms.push(performance.now() - started);
  }
  return { ms, pages };
}

export async function commentsBenchmark(): Promise<string> {
  const off = await mergeRun({ prComments: false });
  const on = await mergeRun({ prComments: true, commitStats: 'off' });
  const withSize = await mergeRun({ prComments: true, commitStats: 'pullrequest' });
  const figures = await figuresRun(5000);
  // Counted on the comment's own routes: the totals of two runs also differ by the forwarding path's
  // cache hits (repository lookups), which would blur a figure this small.
  const per = (run: MergeRun) => (run.comment / MERGES).toFixed(2);
  return [
    `Pull request comment and DORA figures (issue 5): ${MERGES} merged pull requests, then one production deployment that includes them all`,
    table([
      ['forwarding only (comments off): requests per merge', (off.requests / MERGES).toFixed(2)],
      ['comment, file stats off: extra requests per merge', `${per(on)} (goal ≤ 1)  [${on.posted} comments posted]`],
      ['comment, pull-request file stats: extra per merge', `${per(withSize)} (the post + the size, one diffstat)`],
      ['production deployment: comment requests', `${on.deployEdits} for ${on.edited} comments edited`],
      ['30-day figures, 5,000 pull requests: computing', `p50 ${percentile(figures.ms, 50).toFixed(1)} ms, max ${Math.max(...figures.ms).toFixed(1)} ms (15 runs)`],
      ['30-day figures, 5,000 pull requests: reading facts', `${figures.pages} store list pages of 100 (KVS round trips on Forge)`],
    ]),
  ].join('\n');
}
