// Native Data Center webhook bodies, shaped after Atlassian's event payload reference and the real
// payloads in ../shared/fixtures (drone/go-scm, jenkinsci bitbucket-branch-source-plugin).
import { findCommit } from '../model/commits';
import type { DcRepository } from '../model/repository';
import type { DcUser, PullRequest } from '../model/types';
import { commit } from '../render/commits';
import type { JsonObject } from '../render/context';
import { repository, user } from '../render/entities';
import { pullRequest } from '../render/pull-requests';
import type { DcEvent, OpContext } from '../runtime';
import { isoOffset } from '../util/dates';

export const ZERO = '0'.repeat(40);

function envelope(ctx: OpContext, eventKey: string, actor: DcUser, at: number): JsonObject {
  return { eventKey, date: isoOffset(at), actor: user(ctx.render, actor) };
}

export function pullRequestEvent(
  ctx: OpContext, eventKey: string, repo: DcRepository, pr: PullRequest, actor: DcUser, at: number, extra: JsonObject = {},
): DcEvent {
  return { eventKey, body: { ...envelope(ctx, eventKey, actor, at), pullRequest: pullRequest(ctx.render, repo, pr, { properties: pr.state === 'MERGED' }), ...extra } };
}

export interface RefChange {
  name: string;
  kind: 'BRANCH' | 'TAG';
  fromHash: string;
  toHash: string;
  /** For a tag: the commit it points at (toHash is the tag object for annotated tags). */
  target?: string;
  /** Commits new to the repository, newest first. */
  commits?: string[];
}

/**
 * `repo:refs_changed`: the ref change, the pushed commits (newest first) and the new tip (`toCommit`,
 * parents expanded one level). Authors whose email belongs to a user print as that user in 9.x and in
 * 10.x alike (a real DC 10 push in go-scm's `fnb_push_update.json` does); only the dates change.
 */
export function refsChanged(ctx: OpContext, repo: DcRepository, actor: DcUser, at: number, change: RefChange): DcEvent {
  const type = change.fromHash === ZERO ? 'ADD' : change.toHash === ZERO ? 'DELETE' : 'UPDATE';
  const prefix = change.kind === 'BRANCH' ? 'refs/heads/' : 'refs/tags/';
  const body: JsonObject = {
    ...envelope(ctx, 'repo:refs_changed', actor, at),
    repository: repository(ctx.render, repo),
    changes: [{
      ref: { id: `${prefix}${change.name}`, displayId: change.name, type: change.kind },
      refId: `${prefix}${change.name}`, fromHash: change.fromHash, toHash: change.toHash, type,
    }],
  };
  const tip = type === 'DELETE' ? undefined : findCommit(ctx.model, repo, change.target ?? change.toHash);
  if (tip) {
    const pushed = (change.commits ?? [tip.id]).flatMap((hash) => findCommit(ctx.model, repo, hash) ?? []);
    body.commits = pushed.map((value) => commit(ctx.render, repo, value));
    body.toCommit = commit(ctx.render, repo, tip, { expandParents: true });
  }
  return { eventKey: 'repo:refs_changed', body };
}

export function repositoryModified(ctx: OpContext, before: JsonObject, repo: DcRepository, actor: DcUser, at: number): DcEvent {
  return { eventKey: 'repo:modified', body: { ...envelope(ctx, 'repo:modified', actor, at), old: before, new: repository(ctx.render, repo) } };
}
