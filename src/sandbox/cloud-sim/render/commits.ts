// Commits, refs and diffstats.
import type { Commit, CommitAuthor, FileChange, Repository, Tag } from '../model/types';
import { isoSeconds } from '../util/time';
import { account } from './accounts';
import { link, rendered, repoApi, repoHtml, type JsonObject, type RenderContext } from './context';
import { repositoryRef } from './repositories';

/** `{hash, type, links}`; pull request endpoints use 12-character hashes, everything else full ones. */
export function commitRef(ctx: RenderContext, repo: Repository, hash: string): JsonObject {
  return {
    hash,
    type: 'commit',
    links: { self: link(`${repoApi(ctx, repo)}/commit/${hash}`), html: link(`${repoHtml(ctx, repo)}/commits/${hash}`) },
  };
}

export function author(ctx: RenderContext, value: CommitAuthor): JsonObject {
  const user = value.userUuid ? ctx.model.user(value.userUuid) : undefined;
  return { type: 'author', raw: `${value.name} <${value.email}>`, ...(user ? { user: account(ctx, user) } : {}) };
}

export function commit(ctx: RenderContext, repo: Repository, value: Commit): JsonObject {
  const self = `${repoApi(ctx, repo)}/commit/${value.hash}`;
  return {
    type: 'commit',
    hash: value.hash,
    date: isoSeconds(value.date),
    author: author(ctx, value.author),
    message: value.message,
    summary: rendered(value.message),
    links: {
      self: link(self),
      html: link(`${repoHtml(ctx, repo)}/commits/${value.hash}`),
      diff: link(`${repoApi(ctx, repo)}/diff/${value.hash}`),
      approve: link(`${self}/approve`),
      comments: link(`${self}/comments`),
      statuses: link(`${self}/statuses`),
      patch: link(`${repoApi(ctx, repo)}/patch/${value.hash}`),
    },
    parents: value.parents.map((parent) => commitRef(ctx, repo, parent)),
    rendered: { message: rendered(value.message) },
    repository: repositoryRef(ctx, repo),
  };
}

/** `GET /commit/{commit}` adds the commit's participants (approvers), none in the simulator. */
export function commitDetail(ctx: RenderContext, repo: Repository, value: Commit): JsonObject {
  return { ...commit(ctx, repo, value), participants: [] };
}

export function branch(ctx: RenderContext, repo: Repository, name: string, hash: string): JsonObject {
  const encoded = encodeURIComponent(name);
  return {
    name,
    links: {
      commits: link(`${repoApi(ctx, repo)}/commits/${encoded}`),
      self: link(`${repoApi(ctx, repo)}/refs/branches/${encoded}`),
      html: link(`${repoHtml(ctx, repo)}/branch/${encoded}`),
      pullrequest_create: link(`${repoHtml(ctx, repo)}/pull-requests/new?source=${encoded}&t=1`),
    },
    default_merge_strategy: 'merge_commit',
    merge_strategies: ['merge_commit', 'squash', 'fast_forward'],
    sync_strategies: ['merge_commit', 'rebase'],
    type: 'branch',
    target: commit(ctx, repo, repo.commits.get(hash) as Commit),
  };
}

export function tag(ctx: RenderContext, repo: Repository, value: Tag): JsonObject {
  const encoded = encodeURIComponent(value.name);
  const annotation = value.annotation;
  const tagger = annotation ? ctx.model.user(annotation.taggerUuid) : undefined;
  return {
    name: value.name,
    type: 'tag',
    message: annotation?.message ?? null,
    date: annotation ? isoSeconds(annotation.date) : null,
    tagger: tagger ? author(ctx, { name: tagger.displayName, email: tagger.email, userUuid: tagger.uuid }) : null,
    target: commit(ctx, repo, repo.commits.get(value.target) as Commit),
    links: {
      self: link(`${repoApi(ctx, repo)}/refs/tags/${encoded}`),
      commits: link(`${repoApi(ctx, repo)}/commits/${encoded}`),
      html: link(`${repoHtml(ctx, repo)}/commits/tag/${encoded}`),
    },
  };
}

function commitFile(ctx: RenderContext, repo: Repository, path: string, hash: string): JsonObject {
  return { path, type: 'commit_file', escaped_path: path, links: { self: link(`${repoApi(ctx, repo)}/src/${hash}/${path}`) } };
}

/** One diffstat entry between `oldHash` and `newHash` (added files have `old: null`). */
export function diffstatEntry(ctx: RenderContext, repo: Repository, change: FileChange, newHash: string, oldHash: string | undefined): JsonObject {
  return {
    type: 'diffstat',
    lines_added: change.linesAdded,
    lines_removed: change.linesRemoved,
    status: change.status,
    old: change.status === 'added' || !oldHash ? null : commitFile(ctx, repo, change.path, oldHash),
    new: commitFile(ctx, repo, change.path, newHash),
  };
}
