import type { DcSimulator } from '../../../src/sandbox/dc-sim';
import { call, firstRepository, repoPath, repoRef, startSim, type Json } from './helpers';

const ISO_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+0000$/;
const ISO_MILLIS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** The date-valued fields of one pull request's REST answers and of the webhooks its changes send. */
async function dates(sim: DcSimulator): Promise<{ entity: unknown[]; commit: unknown[]; envelope: unknown[]; version: string }> {
  const repo = firstRepository(sim);
  const merged = repo.seeded.find((pr) => pr.state === 'MERGED' && pr.id !== sim.corrupt?.pullRequestId) as { id: number };
  const pr = (await call(sim, `${repoPath(repo)}/pull-requests/${merged.id}`)).json;
  const activities = (await call(sim, `${repoPath(repo)}/pull-requests/${merged.id}/activities`)).json.values;
  const commits = (await call(sim, `${repoPath(repo)}/commits?limit=5`)).json.values;
  const opened = sim.actions.openPullRequest({ repository: repoRef(repo) });
  const comment = sim.actions.addComment({ repository: repoRef(repo), pullRequestId: opened.pullRequestId });
  const merge = sim.actions.mergePullRequest({ repository: repoRef(repo), pullRequestId: opened.pullRequestId });
  const bodies = [...opened.events, ...comment.events, ...merge.events].map((event) => event.body as Json);
  const push = bodies.find((body) => body.eventKey === 'repo:refs_changed' && body.commits?.length);
  const status = (await call(sim, `/rest/build-status/1.0/commits/${commits[0].id}`)).json.values[0];
  return {
    entity: [
      pr.createdDate, pr.updatedDate, pr.closedDate, ...activities.map((a: Json) => a.createdDate),
      ...bodies.filter((body) => body.pullRequest).flatMap((body) => [body.pullRequest.createdDate, body.pullRequest.updatedDate]),
      bodies.find((body) => body.comment)?.comment.createdDate, status.dateAdded, status.createdDate,
    ],
    commit: [...commits.flatMap((c: Json) => [c.authorTimestamp, c.committerTimestamp]), push.toCommit.authorTimestamp, ...push.commits.map((c: Json) => c.committerTimestamp)],
    envelope: bodies.map((body) => body.date),
    version: (await call(sim, '/application-properties')).json.version,
  };
}

describe('9.x and 10.x date formats', () => {
  it('9.x prints epoch milliseconds everywhere (commit times whole seconds), webhook envelopes ISO', async () => {
    const sim = await startSim({ dateFormat: '9.x' });
    try {
      const found = await dates(sim);
      expect(sim.version).toBe('9.4.0');
      expect(found.version).toBe('9.4.0');
      expect(found.entity.every((value) => typeof value === 'number' && value > 1.7e12)).toBe(true);
      expect(found.commit.every((value) => typeof value === 'number' && value % 1000 === 0)).toBe(true);
      expect(found.envelope.every((value) => ISO_OFFSET.test(String(value)))).toBe(true);
    } finally {
      await sim.stop();
    }
  });

  it('10.x prints pull request dates as `…+0000` strings and commit times as `….000Z` strings', async () => {
    const [nine, ten] = await Promise.all([startSim({ dateFormat: '9.x' }), startSim({ dateFormat: '10.x' })]);
    try {
      const [a, b] = [await dates(nine), await dates(ten)];
      expect(ten.version).toBe('10.3.0');
      expect(b.entity.every((value) => ISO_OFFSET.test(String(value)))).toBe(true);
      expect(b.commit.every((value) => ISO_MILLIS.test(String(value)))).toBe(true);
      // Same instants, other spelling (10.x drops the milliseconds of entity dates).
      expect(a.commit.slice(0, 10).map((ms) => new Date(ms as number).toISOString())).toEqual(b.commit.slice(0, 10));
      expect(a.entity.slice(0, 3).map((ms) => Math.floor((ms as number) / 1000))).toEqual(b.entity.slice(0, 3).map((iso) => Date.parse(String(iso)) / 1000));
    } finally {
      await Promise.all([nine.stop(), ten.stop()]);
    }
  });
});
