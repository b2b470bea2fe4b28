import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DeploymentFacts, PullRequestFacts } from '../../src/core/metrics/facts';
import { pullRequestMetrics } from '../../src/core/metrics/pull-request';
import { repositoryMetrics } from '../../src/core/metrics/repository';
import { sharedDir } from '../helpers/shared';

// Cases built from real Bitbucket Cloud payloads in ../shared/fixtures (drone/go-scm and the Jenkins
// Bitbucket plugin's webhook bodies and API responses, and Apache DevLake's captures of one repository's
// pull requests, comments, commits and deployments), mapped to facts by a small mapper written here.
// The expected figures were worked out by hand from the timestamps in those files.

const fixtures = path.join(sharedDir, 'fixtures');
const present = existsSync(fixtures);
if (!present) console.log(`skipped: ${fixtures} is absent (the metrics cases from real payloads need ../shared/fixtures)`);
const describeWithFixtures = present ? describe : describe.skip;

const read = (relative: string): any => JSON.parse(readFileSync(path.join(fixtures, relative), 'utf8'));
const goScm = 'drone-go-scm/scm/driver/bitbucket/testdata';
const jenkins = 'jenkinsci-bitbucket-branch-source-plugin/src/test/resources/com/cloudbees/jenkins/plugins/bitbucket/impl/webhook/cloud';
const devlake = 'apache-devlake/derived/backend/plugins/bitbucket/e2e/raw_tables';
const byTime = (a: string, b: string) => Date.parse(a) - Date.parse(b);

/** A Cloud pull request (REST or webhook shape) and what else the app would have fetched, as facts. */
function pullRequestFacts(pr: any, extra: { comments?: any[]; commits?: any[]; diffstat?: any[] } = {}): PullRequestFacts {
  const author = pr.author?.uuid;
  // Reviews by others: approvals or change requests among the participants, and comments.
  const reviews = [
    ...(pr.participants ?? [])
      .filter((p: any) => p.user?.uuid !== author && p.participated_on && (p.approved || p.state === 'changes_requested'))
      .map((p: any) => ({ at: p.participated_on, by: p.user.uuid, kind: p.approved ? 'approval' : 'changes_requested' })),
    ...(extra.comments ?? []).filter((c) => c.user?.uuid !== author).map((c) => ({ at: c.created_on, by: c.user.uuid, kind: 'comment' })),
  ].sort((a, b) => byTime(a.at, b.at));
  const sum = (key: string) => extra.diffstat!.reduce((total, file) => total + file[key], 0);
  return PullRequestFacts.parse({
    repository: pr.destination.repository.uuid, id: pr.id, title: pr.title, author, state: pr.state, createdOn: pr.created_on,
    // Cloud has no merged_on: a merged pull request's updated_on is its merge (the fulfilled event's own time).
    mergedOn: pr.state === 'MERGED' ? pr.updated_on : undefined,
    mergeCommit: pr.merge_commit?.hash, destinationBranch: pr.destination.branch.name,
    firstCommitOn: (extra.commits ?? []).map((c) => c.date).sort(byTime)[0],
    firstReview: reviews[0],
    size: extra.diffstat ? { linesAdded: sum('lines_added'), linesRemoved: sum('lines_removed'), files: extra.diffstat.length } : undefined,
  });
}

/** A Cloud deployment as facts; undefined while it has not completed. */
function deploymentFacts(repository: string, d: any): DeploymentFacts | undefined {
  if (!d.state.completed_on) return undefined;
  return DeploymentFacts.parse({
    repository, uuid: d.uuid,
    // DevLake asked for these fields only, so the environment has no uuid: its name stands in.
    environment: { uuid: d.environment.uuid ?? d.environment.name, name: d.environment.name, type: d.environment.environment_type?.name },
    // A completed deployment says COMPLETED and puts the result in state.status; DevLake's projection left it out.
    result: d.state.status?.name ?? d.state.name, completedOn: d.state.completed_on, commit: d.release.commit.hash,
  });
}

describeWithFixtures('metrics from real Bitbucket Cloud payloads', () => {
  it('a merged pull request from a fulfilled webhook: 12-character merge hash, no reviewer, first commit unseen', () => {
    const facts = pullRequestFacts(read(`${goScm}/webhooks/pr_fulfilled.json`).pullrequest);
    expect(facts).toMatchObject({ state: 'MERGED', mergeCommit: '4f8f6de9d0ff', mergedOn: '2018-07-03T01:28:05.903251+00:00' });
    // A deployment made up for the case, an hour after the merge, of the full 40-character merge commit.
    const deployment = DeploymentFacts.parse({
      repository: facts.repository, uuid: '{made-up}', environment: { uuid: '{prod}', type: 'Production' }, result: 'SUCCESSFUL',
      completedOn: '2018-07-03T02:28:05.903251Z', commit: '4f8f6de9d0ff0123456789abcdef0123456789ab',
    });
    const contains = jest.fn(() => undefined);
    const m = pullRequestMetrics(facts, { deployments: [deployment], contains, now: Date.parse('2018-07-04T00:00:00Z'), windowStart: Date.parse('2018-06-04T00:00:00Z') });
    expect(m).toMatchObject({
      coding: { unavailable: 'first commit not seen yet' },
      pickup: { unavailable: 'merged without a review by anyone other than the author' },
      deploy: { seconds: 3600 },
      lead: { unavailable: 'first commit not seen yet' },
    });
    expect(contains).not.toHaveBeenCalled();
  });

  it('an open pull request with its diffstat, shown live an hour after it was opened', () => {
    const facts = pullRequestFacts(read(`${goScm}/pr.json`), { diffstat: read(`${goScm}/pr_diffstat.json`).values });
    const m = pullRequestMetrics(facts, { deployments: [], contains: () => false, now: Date.parse(facts.createdOn) + 3_600_000, windowStart: 0, live: true });
    expect(m).toMatchObject({ pickup: { seconds: 3600, running: true }, deploy: { unavailable: 'not merged yet' }, size: { linesAdded: 15, linesRemoved: 15, files: 1 } });
  });

  it("an author's approval of their own pull request is not a review", () => {
    const pr = read(`${jenkins}/pullrequest_updated.json`).pullrequest;
    expect(pr.participants.some((p: any) => p.approved && p.user.uuid === pr.author.uuid)).toBe(true);
    const facts = pullRequestFacts(pr);
    expect(facts.firstReview).toBeUndefined();
    const input = { deployments: [], contains: () => false, now: Date.parse(pr.updated_on), windowStart: 0 };
    expect(pullRequestMetrics(facts, input).pickup).toEqual({ unavailable: 'no review by anyone other than the author yet' });
    // Opened 2018-09-21T14:57:59, last updated 2026-07-30T01:35:49: still waiting.
    expect(pullRequestMetrics(facts, { ...input, live: true }).pickup).toEqual({ seconds: 247_833_470, running: true });
  });

  describe("one repository's captures (DevLake, bitbucket.org likyh/likyhphp)", () => {
    const load = () => {
      const comments = read(`${devlake}/_raw_bitbucket_api_pullrequest_comments.json`).map((row: any) => row.data);
      const commits = read(`${devlake}/_raw_bitbucket_api_pull_request_commits.json`);
      const pullRequests: PullRequestFacts[] = read(`${devlake}/_raw_bitbucket_api_pull_requests.json`).map(({ data }: any) =>
        pullRequestFacts(data, {
          comments: comments.filter((c: any) => c.pullrequest.id === data.id),
          commits: commits.filter((row: any) => row.request_url.includes(`/pullrequests/${data.id}/commits`)).map((row: any) => row.data),
        }),
      );
      const repository = pullRequests[0]!.repository;
      const deployments = read(`${devlake}/_raw_bitbucket_api_deployments.json`).map((row: any) => deploymentFacts(repository, row.data)).filter(Boolean) as DeploymentFacts[];
      return { pullRequests, deployments, commentsOn: new Set(comments.map((c: any) => c.pullrequest.id)) };
    };

    it('pull request 3: commits years older than the pull request, only the author commenting, no deployments yet', () => {
      const { pullRequests, commentsOn } = load();
      expect(pullRequests).toHaveLength(57);
      // Every comment in the capture is the author's own: nobody else reviewed anything.
      expect(commentsOn.size).toBeGreaterThan(5);
      expect(pullRequests.filter((pr) => pr.firstReview)).toEqual([]);
      const pr3 = pullRequests.find((pr) => pr.id === 3)!;
      // First commit 2015-08-09T08:58:59, opened 2022-08-12T14:53:19.79, merged 15:03:37.47.
      const m = pullRequestMetrics(pr3, { deployments: [], contains: () => false, now: Date.parse('2022-08-15T00:00:00Z'), windowStart: Date.parse('2022-07-16T00:00:00Z') });
      expect(m).toMatchObject({
        coding: { seconds: 221_205_260 },
        pickup: { unavailable: 'merged without a review by anyone other than the author' },
        deploy: { unavailable: 'no production deployments in this repository' },
        lead: { seconds: 221_205_260 + 618, basis: 'merge' },
      });
    });

    it('the repository in August 2022: 27 merged pull requests, one with a known first commit, no deployments', () => {
      const { pullRequests } = load();
      expect(repositoryMetrics({ pullRequests, deployments: [], contains: () => false, now: Date.parse('2022-08-15T00:00:00Z') })).toEqual({
        days: 30,
        deploymentFrequency: { unavailable: 'no production deployments in this repository' },
        leadTime: { seconds: 221_205_878, basis: 'merge', pullRequests: 1, merged: 27 },
        changeFailureRate: { rate: 0, failures: 0, reverts: 0, total: 27, basis: 'merged-pull-requests' },
        recoveryTime: { unavailable: 'no failed production deployments in the last 30 days' },
      });
    });

    it('the repository in February 2023: only explicit SUCCESSFUL and FAILED results count, ties broken by uuid', () => {
      const { pullRequests, deployments } = load();
      expect(deployments).toHaveLength(24); // three UNDEPLOYED rows never completed
      const now = Date.parse('2023-02-21T00:00:00Z');
      expect(repositoryMetrics({ pullRequests, deployments, contains: () => undefined, now })).toEqual({
        days: 30,
        deploymentFrequency: { count: 1, perDay: 1 / 30, perWeek: 7 / 30 },
        leadTime: { unavailable: 'no pull requests merged in the last 30 days' },
        changeFailureRate: { rate: 0.5, failures: 1, reverts: 0, total: 2, basis: 'deployments' },
        // The FAILED and SUCCESSFUL rows share a timestamp; by uuid the failure comes last.
        recoveryTime: { unavailable: 'no failed production deployment has been followed by a successful one yet' },
      });
      const pr3 = pullRequests.find((pr) => pr.id === 3)!;
      expect(pullRequestMetrics(pr3, { deployments, contains: () => undefined, now, windowStart: now - 30 * 86_400_000 }).lead).toEqual({
        unavailable: 'cannot tell whether the deployment of 83ed48081d1f includes the merge commit', toMerge: { seconds: 221_205_878 },
      });
    });
  });
});
