import type { CloudSimulator } from '../../../src/sandbox/cloud-sim';
import type { Repository } from '../../../src/sandbox/cloud-sim/model/types';
import { collect, firstRepository, repoPath, startSim, type Json } from './helpers';

const KINDS = ['update', 'approval', 'changes_request', 'comment'];
const dateOf = (entry: Json): string => {
  const kind = KINDS.find((key) => key in entry) as string;
  return kind === 'comment' ? entry.comment.created_on : entry[kind].date;
};

describe('pull request activity', () => {
  let sim: CloudSimulator;
  let repo: Repository;
  beforeAll(async () => {
    sim = await startSim();
    repo = firstRepository(sim);
  });
  afterAll(() => sim.stop());

  it('lists the repository activity newest first, interleaving pull requests', async () => {
    const { values } = await collect(sim, `${repoPath(sim, repo)}/pullrequests/activity?pagelen=50`);
    const dates = values.map(dateOf);
    expect(dates).toEqual([...dates].sort().reverse());
    for (const entry of values) {
      expect(Object.keys(entry).filter((key) => KINDS.includes(key))).toHaveLength(1);
      expect(entry.pull_request).toMatchObject({ type: 'pullrequest', id: expect.any(Number), title: expect.any(String) });
    }
    const ids = values.map((entry: Json) => entry.pull_request.id);
    const switches = ids.filter((id: number, index: number) => index > 0 && id !== ids[index - 1]).length;
    expect(switches).toBeGreaterThan(new Set(ids).size);
    expect(new Set(ids)).toEqual(new Set(repo.pullRequests.keys()));
  });

  it('records each pull request from creation to its final state, with its current reviews', async () => {
    for (const pr of repo.pullRequests.values()) {
      const { values } = await collect(sim, `${repoPath(sim, repo)}/pullrequests/${pr.id}/activity`);
      const updates = values.filter((entry: Json) => entry.update).map((entry: Json) => entry.update);
      expect(updates.at(-1).state).toBe('OPEN');
      expect(updates[0].state).toBe(pr.state);
      expect(updates.at(-1).date).toBe((await collect(sim, `${repoPath(sim, repo)}/pullrequests?state=ALL&q=id=${pr.id}`)).values[0].created_on);
      const approvers = values.filter((entry: Json) => entry.approval).map((entry: Json) => entry.approval.user.uuid);
      expect(new Set(approvers)).toEqual(new Set(pr.participants.filter((p) => p.approved).map((p) => p.userUuid)));
      const comments = values.filter((entry: Json) => entry.comment).map((entry: Json) => entry.comment.id);
      expect(comments.sort()).toEqual(pr.comments.map((comment) => comment.id).sort());
      for (const entry of values) {
        const who = entry.approval?.user.uuid ?? entry.changes_request?.user.uuid ?? entry.comment?.user.uuid;
        if (who && !entry.comment) expect(who).not.toBe(pr.authorUuid);
      }
    }
  });

  it('seeds reviews and discussion by people other than the author, and commits before each pull request', async () => {
    const prs = [...sim.model.repositories.values()].flatMap((candidate) => [...candidate.pullRequests.values()]);
    expect(prs.filter((pr) => pr.reviewerUuids.length > 0).length).toBeGreaterThan(prs.length / 2);
    expect(prs.some((pr) => pr.participants.some((p) => p.state === 'changes_requested' || p.approved))).toBe(true);
    expect(prs.some((pr) => pr.comments.some((comment) => comment.userUuid !== pr.authorUuid))).toBe(true);
    for (const pr of repo.pullRequests.values()) {
      const commits = (await collect(sim, `${repoPath(sim, repo)}/pullrequests/${pr.id}/commits`)).values;
      expect(Date.parse(commits.at(-1).date) * 1000).toBeLessThan(pr.createdOn);
    }
  });
});
