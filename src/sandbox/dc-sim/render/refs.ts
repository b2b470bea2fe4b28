// Branches, tags and build statuses.
import type { DcTag, BuildStatus } from '../model/types';
import { entityDate } from '../util/dates';
import type { JsonObject, RenderContext } from './context';

export function branch(name: string, hash: string, isDefault: boolean): JsonObject {
  return { id: `refs/heads/${name}`, displayId: name, type: 'BRANCH', latestCommit: hash, latestChangeset: hash, isDefault };
}

/** `hash` is the tag object of an annotated tag; lightweight tags print null there. */
export function tag(value: DcTag): JsonObject {
  return { id: `refs/tags/${value.name}`, displayId: value.name, type: 'TAG', latestCommit: value.target, latestChangeset: value.target, hash: value.objectId };
}

/**
 * The build-status 1.0 resource: `dateAdded` is what it has always printed (and what older clients
 * read); `createdDate`/`updatedDate` are what the 9.2 spec documents for the same resource.
 */
export function buildStatus(ctx: RenderContext, value: BuildStatus): JsonObject {
  return {
    state: value.state, key: value.key, name: value.name, url: value.url, description: value.description,
    dateAdded: entityDate(ctx.dateFormat, value.updatedAt),
    createdDate: entityDate(ctx.dateFormat, value.createdAt), updatedDate: entityDate(ctx.dateFormat, value.updatedAt),
  };
}
