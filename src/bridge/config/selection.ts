import { createHash } from 'node:crypto';
import type { ShardSpec } from './schema';

// Which repositories this bridge polls: include globs (none = all), `!` globs to exclude, then this
// bridge's share of a stable hash, so several bridges split one instance with no shared state.

export interface RepositoryName {
  /** Data Center: the project key; Cloud: the project key too (workspaces group repositories in projects). */
  project: string;
  slug: string;
  /** What the shard is computed on: never the slug, which a rename changes. */
  stableId: string;
}

export interface Selection {
  project(key: string): boolean;
  /** Selected and in this bridge's shard: the repositories it polls. */
  repository(repo: RepositoryName): boolean;
  /** Selected by the globs, whichever bridge polls it: the webhooks it takes (one Service fronts every shard). */
  selected(repo: RepositoryName): boolean;
}

export function selection(options: { projects: string[]; repos: string[]; shard: ShardSpec }): Selection {
  const projects = globList(options.projects);
  const repos = globList(options.repos);
  return {
    project: (key) => projects(key),
    repository: (repo) => selected(repo) && inShard(repo.stableId, options.shard),
    selected,
  };
  function selected(repo: RepositoryName): boolean {
    return projects(repo.project) && repos(`${repo.project}/${repo.slug}`);
  }
}

export function inShard(stableId: string, shard: ShardSpec): boolean {
  if (shard.count === 1) return true;
  const hash = createHash('sha256').update(stableId).digest();
  return hash.readUInt32BE(0) % shard.count === shard.index;
}

/** `*` any run of characters, `?` one; case-insensitive (project keys are upper case, people type lower). */
function globList(patterns: string[]): (name: string) => boolean {
  const include = patterns.filter((p) => !p.startsWith('!')).map(globRegExp);
  const exclude = patterns.filter((p) => p.startsWith('!')).map((p) => globRegExp(p.slice(1)));
  return (name) => (include.length === 0 || include.some((re) => re.test(name))) && !exclude.some((re) => re.test(name));
}

function globRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}
