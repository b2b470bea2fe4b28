import { deliveryId, normalizeTime } from '../../src/core/change/delivery-id';
import type { CloudSimulator, SimTypes } from '../../src/sandbox/cloud-sim';
import { isoApi, isoSeconds } from '../../src/sandbox/cloud-sim/util/time';

// What a backfill of the simulated workspace must deliver, read straight from the simulator's model
// (not from the app's code): every pull-request event in the window with the id a live event would
// have had, each pull request's first commit and reviews, the deployments' steps, the moved refs.

export interface Expected {
  ids: Map<string, string>;
  firstCommit: Map<string, string | null>;
  reviews: Map<string, string[]>;
  /** Branch or tag name → tip, per repository, for refs whose tip is in the window. */
  refs: Map<string, string>;
}

const ms = (micros: number) => Math.floor(micros / 1000);

export function expectedBackfill(sim: CloudSimulator, repositories: SimTypes.Repository[], since: number): Expected {
  const ws = sim.workspace.uuid;
  const out: Expected = { ids: new Map(), firstCommit: new Map(), reviews: new Map(), refs: new Map() };
  const add = (entity: string, eventKey: string, version: string) => out.ids.set(deliveryId({ edition: 'cloud', workspace: ws, entity, eventKey, version }), `${eventKey} ${entity} ${version}`);
  for (const repo of repositories) {
    for (const pr of repo.pullRequests.values()) {
      const entity = `pullrequest:${repo.uuid}:${pr.id}`;
      if (ms(pr.createdOn) >= since) {
        add(entity, 'pullrequest:created', 'created');
        out.firstCommit.set(entity, firstCommitOf(repo, pr));
      }
      const reviews: string[] = [];
      for (const entry of pr.activity) {
        if (ms(entry.date) < since) continue;
        if (entry.kind === 'update' && entry.state === 'OPEN' && entry.date !== pr.createdOn) add(entity, 'pullrequest:updated', normalizeTime(isoApi(entry.date)));
        if (entry.kind === 'update' && entry.state === 'MERGED') add(entity, 'pullrequest:fulfilled', 'fulfilled');
        if (entry.kind === 'update' && entry.state === 'DECLINED') add(entity, 'pullrequest:rejected', 'rejected');
        if (entry.kind === 'approval' || entry.kind === 'changes_request') {
          const key = entry.kind === 'approval' ? 'pullrequest:approved' : 'pullrequest:changes_request_created';
          // Reviewers are named by account id, which Forge's reviewer events and the activity log both carry.
          const reviewer = sim.model.userByUuid(entry.userUuid).accountId;
          add(`${entity}:reviewer:${reviewer}`, key, normalizeTime(isoApi(entry.date)));
          reviews.push(`${key} ${reviewer}`);
        }
        if (entry.kind === 'comment') {
          const comment = pr.comments.find((c) => c.id === entry.commentId)!;
          const commentEntity = `${entity}:comment:${comment.id}`;
          add(commentEntity, 'pullrequest:comment_created', 'created');
          if (comment.deleted) add(commentEntity, 'pullrequest:comment_deleted', 'deleted');
          else if (comment.updatedOn - comment.createdOn >= 10 * 60 * 1_000_000 && ms(comment.updatedOn) >= since) add(commentEntity, 'pullrequest:comment_updated', normalizeTime(isoApi(comment.updatedOn)));
        }
      }
      if (reviews.length) out.reviews.set(entity, reviews.sort());
    }
    for (const deployment of repo.deployments) {
      if (ms(deployment.updatedOn) < since) continue;
      const steps = deployment.state === 'COMPLETED' ? ['pending', 'started', 'completed'] : deployment.state === 'IN_PROGRESS' ? ['pending', 'started'] : ['pending'];
      for (const step of steps) add(`deployment:${repo.uuid}:${deployment.uuid}`, 'pandev:deployment', step);
    }
    for (const [name, tip] of repo.branches) if (ms(repo.commits.get(tip)!.date) >= since) out.refs.set(`${repo.uuid} branch ${name}`, tip);
    for (const tag of repo.tags.values()) if (ms(repo.commits.get(tag.target)!.date) >= since) out.refs.set(`${repo.uuid} tag ${tag.name}`, tag.target);
  }
  return out;
}

/** The oldest commit reachable from the pull request's head and not from what it merged into. */
function firstCommitOf(repo: SimTypes.Repository, pr: SimTypes.PullRequest): string | null {
  const base = pr.mergeHash ? repo.commits.get(pr.mergeHash)!.parents[0]! : pr.destination.hash;
  const excluded = new Set<string>();
  const walk = (from: string, into: Set<string>) => {
    const stack = [from];
    while (stack.length) {
      const hash = stack.pop()!;
      const commit = repo.commits.get(hash);
      if (!commit || into.has(hash)) continue;
      into.add(hash);
      stack.push(...commit.parents);
    }
  };
  walk(base, excluded);
  const own = new Set<string>();
  const stack = [pr.source.hash];
  while (stack.length) {
    const hash = stack.pop()!;
    if (excluded.has(hash) || own.has(hash) || !repo.commits.has(hash)) continue;
    own.add(hash);
    stack.push(...repo.commits.get(hash)!.parents);
  }
  const dates = [...own].map((hash) => repo.commits.get(hash)!.date).sort((a, b) => a - b);
  return dates.length ? isoSeconds(dates[0]!) : null;
}
