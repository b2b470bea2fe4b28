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
  /**
   * What an operator should hear after a listing: each include pattern that matches none of the
   * repositories the token can read (a typo, a project name for its key, a permission missing), and a
   * selection that leaves nothing to poll. Otherwise the bridge is healthy and sends nothing.
   */
  warnings(readable: RepositoryName[], polled: number): string[];
}

export function selection(options: { projects: string[]; repos: string[]; shard: ShardSpec }): Selection {
  const projects = globList(options.projects);
  const repos = globList(options.repos);
  return {
    project: (key) => projects(key),
    repository: (repo) => selected(repo) && inShard(repo.stableId, options.shard),
    selected,
    warnings(readable, polled) {
      const unmatched = (patterns: string[], name: (repo: RepositoryName) => string) =>
        patterns.filter((p) => !p.startsWith('!')).filter((p) => !readable.some((repo) => globRegExp(p).test(name(repo))));
      const messages = [
        ...unmatched(options.projects, (repo) => repo.project).map((p) => `BITBUCKET_PROJECTS (YAML: bitbucket.projects) pattern ${p} matches no project of the repositories the token can read: check the spelling (project keys, e.g. PRJ, not names) and that the token's user can read the project`),
        ...unmatched(options.repos, (repo) => `${repo.project}/${repo.slug}`).map((p) => `BITBUCKET_REPOS (YAML: bitbucket.repos) pattern ${p} matches no repository the token can read: check the spelling (PROJECT/slug) and that the token's user can read the repository`),
      ];
      if (polled > 0) return messages;
      if (!readable.length) return [...messages, "the token can read no repository: give its user read access to the projects to poll (Data Center: a PAT with Project read and Repository read); `pandev-bitbucket check` shows what it reads"];
      return [...messages, 'no repository is selected: BITBUCKET_PROJECTS, BITBUCKET_REPOS and BRIDGE_SHARD leave nothing to poll among the repositories the token can read; `pandev-bitbucket check` lists them'];
    },
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
