// Commits and file changes. Lists show parents as `{id, displayId}`; a single commit (and a push
// webhook's `toCommit`) expands its parents one level, as Data Center does.
import { findCommit } from '../model/commits';
import type { DcRepository } from '../model/repository';
import type { DcCommit, FileChange } from '../model/types';
import { commitDate } from '../util/dates';
import type { JsonObject, RenderContext } from './context';
import { person } from './entities';

/** Data Center abbreviates commit ids to 11 characters. */
export const displayId = (hash: string): string => hash.slice(0, 11);

export interface CommitStyle {
  /** Expand parents into commits (one level). */
  expandParents?: boolean;
  /** Show a known author as the whole user (expanded parents print only name and email). */
  fullAuthors?: boolean;
}

export function commit(ctx: RenderContext, repo: DcRepository, value: DcCommit, style: CommitStyle = {}): JsonObject {
  const full = style.fullAuthors ?? true;
  const parents = value.parents.map((id) => {
    const parent = style.expandParents ? findCommit(ctx.model, repo, id) : undefined;
    return parent ? commit(ctx, repo, parent, { fullAuthors: false }) : { id, displayId: displayId(id) };
  });
  return {
    id: value.id, displayId: displayId(value.id),
    author: person(ctx, value.author, full), authorTimestamp: commitDate(ctx.dateFormat, value.authorAt),
    committer: person(ctx, value.committer, full), committerTimestamp: commitDate(ctx.dateFormat, value.committerAt),
    message: value.message, parents,
  };
}

function path(text: string): JsonObject {
  const components = text.split('/');
  const name = components.at(-1) ?? text;
  const dot = name.lastIndexOf('.');
  return {
    components, parent: components.slice(0, -1).join('/'), name, ...(dot > 0 ? { extension: name.slice(dot + 1) } : {}), toString: text,
  };
}

export function change(ctx: RenderContext, browse: string, value: FileChange): JsonObject {
  return {
    contentId: value.contentId, fromContentId: value.fromContentId, path: path(value.path),
    ...(value.type === 'DELETE' ? {} : { executable: false }), percentUnchanged: -1, type: value.type, nodeType: 'FILE',
    ...(value.type === 'ADD' ? {} : { srcExecutable: false }),
    links: { self: [{ href: `${browse}#${value.path}` }] }, properties: { gitChangeType: value.type },
  };
}
