// Build statuses of a commit: the ones set live, over the CI build every seeded commit got (derived
// from the commit, so a large seeded history keeps none of them in memory).
import { node } from './commits';
import type { DcModel } from './state';
import type { BuildStatus } from './types';
import type { DcRepository } from './repository';
import { MINUTE } from '../util/dates';
import { hashText, unit } from '../util/hash';

/** The repository whose seeded history a commit id belongs to (the build-status API has no repository in its path). */
export function repositoryOfCommit(model: DcModel, hash: string): DcRepository | undefined {
  const locator = model.commitIds.decode(hash);
  if (locator) return model.repositories.find((repo) => repo.index === locator.repoIndex);
  return model.repositories.find((repo) => repo.commits.has(hash));
}

function seededBuild(model: DcModel, repo: DcRepository, hash: string): BuildStatus | undefined {
  if (!model.commitIds.decode(hash)) return undefined;
  const at = node(model, repo, hash)?.at;
  if (at === undefined) return undefined;
  const roll = unit(model.identity.key, hashText(hash));
  const number = 100 + Math.floor(roll * 900);
  const createdAt = at + MINUTE + Math.floor(roll * MINUTE);
  return {
    key: 'CI-BUILD', state: roll < 0.88 ? 'SUCCESSFUL' : 'FAILED', name: `${repo.slug} #${number}`,
    url: `https://ci.example.com/job/${repo.slug}/${number}/`, description: roll < 0.88 ? 'Build passed' : 'Tests failed',
    createdAt, updatedAt: createdAt + 2 * MINUTE + Math.floor(roll * 8 * MINUTE),
  };
}

/** Newest first, as the build-status resource orders them by default. */
export function buildStatuses(model: DcModel, hash: string): BuildStatus[] {
  const repo = repositoryOfCommit(model, hash);
  const byKey = new Map<string, BuildStatus>();
  const seeded = repo ? seededBuild(model, repo, hash) : undefined;
  if (seeded) byKey.set(seeded.key, seeded);
  for (const [key, status] of model.statuses.get(hash) ?? []) byKey.set(key, status);
  return [...byKey.values()].sort((a, b) => b.updatedAt - a.updatedAt);
}
