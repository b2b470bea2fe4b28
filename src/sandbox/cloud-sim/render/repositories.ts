// Repositories, the workspace and projects.
import type { Project, Repository } from '../model/types';
import { isoApi } from '../util/time';
import { account } from './accounts';
import { encodeUuid, HTML, link, repoApi, repoHtml, type JsonObject, type RenderContext } from './context';

/** The short form other objects embed (pull request endpoints, commits, statuses). */
export function repositoryRef(ctx: RenderContext, repo: Repository): JsonObject {
  return {
    type: 'repository',
    full_name: `${ctx.model.workspace.slug}/${repo.slug}`,
    links: { self: link(repoApi(ctx, repo)), html: link(repoHtml(ctx, repo)), avatar: link(`https://bytebucket.org/ravatar/${encodeUuid(repo.uuid)}?ts=default`) },
    name: repo.name,
    uuid: repo.uuid,
  };
}

export function workspaceRef(ctx: RenderContext): JsonObject {
  const { slug, uuid, name } = ctx.model.workspace;
  return {
    type: 'workspace', uuid, name, slug,
    links: { avatar: link(`${HTML}/workspaces/${slug}/avatar/?ts=1`), html: link(`${HTML}/${slug}/`), self: link(`${ctx.api}/workspaces/${slug}`) },
  };
}

export function workspace(ctx: RenderContext): JsonObject {
  const ref = workspaceRef(ctx);
  const { slug, createdOn } = ctx.model.workspace;
  return {
    ...ref,
    links: {
      ...(ref.links as JsonObject),
      members: link(`${ctx.api}/workspaces/${slug}/members`),
      owners: link(`${ctx.api}/workspaces/${slug}/members?q=permission%3D%22owner%22`),
      projects: link(`${ctx.api}/workspaces/${slug}/projects`),
      repositories: link(`${ctx.api}/repositories/${slug}`),
      snippets: link(`${ctx.api}/snippets/${slug}`),
    },
    is_private: true,
    is_privacy_enforced: false,
    forking_mode: 'allow_forks',
    created_on: isoApi(createdOn),
  };
}

function projectRef(ctx: RenderContext, project: Project): JsonObject {
  const slug = ctx.model.workspace.slug;
  return {
    type: 'project', key: project.key, uuid: project.uuid, name: project.name,
    links: {
      self: link(`${ctx.api}/workspaces/${slug}/projects/${project.key}`),
      html: link(`${HTML}/${slug}/workspace/projects/${project.key}`),
      avatar: link(`${HTML}/${slug}/workspace/projects/${project.key}/avatar/32?ts=1`),
    },
  };
}

export function project(ctx: RenderContext, value: Project): JsonObject {
  const repos = [...ctx.model.repositories.values()].filter((repo) => repo.projectKey === value.key);
  const updated = Math.max(value.createdOn, ...repos.map((repo) => repo.createdOn));
  return {
    ...projectRef(ctx, value),
    owner: { ...workspaceRef(ctx), type: 'team', display_name: ctx.model.workspace.name },
    workspace: workspaceRef(ctx),
    description: `${value.name} team repositories`,
    is_private: true,
    created_on: isoApi(value.createdOn),
    updated_on: isoApi(updated),
    has_publicly_visible_repos: false,
  };
}

export function repository(ctx: RenderContext, repo: Repository): JsonObject {
  const api = repoApi(ctx, repo);
  const ref = repositoryRef(ctx, repo);
  return {
    ...ref,
    links: {
      ...(ref.links as JsonObject),
      pullrequests: link(`${api}/pullrequests`),
      commits: link(`${api}/commits`),
      forks: link(`${api}/forks`),
      watchers: link(`${api}/watchers`),
      branches: link(`${api}/refs/branches`),
      tags: link(`${api}/refs/tags`),
      downloads: link(`${api}/downloads`),
      source: link(`${api}/src`),
      clone: [
        { name: 'https', href: `https://bitbucket.org/${ctx.model.workspace.slug}/${repo.slug}.git` },
        { name: 'ssh', href: `git@bitbucket.org:${ctx.model.workspace.slug}/${repo.slug}.git` },
      ],
      hooks: link(`${api}/hooks`),
    },
    slug: repo.slug,
    description: repo.description,
    scm: 'git',
    website: repo.website,
    owner: account(ctx, ctx.model.owner()),
    workspace: workspaceRef(ctx),
    is_private: true,
    project: projectRef(ctx, ctx.model.project(repo.projectKey)),
    fork_policy: 'no_public_forks',
    created_on: isoApi(repo.createdOn),
    updated_on: isoApi(repo.updatedOn),
    size: 40_000 + repo.commits.size * 3_217,
    language: repo.language.toLowerCase(),
    uuid: repo.uuid,
    mainbranch: { name: repo.mainBranch, type: 'branch' },
    override_settings: { default_merge_strategy: false, branching_model: false },
    // Real responses and webhooks carry `parent: null` for repositories that are not forks.
    parent: null,
    enforced_signed_commits: null,
    has_issues: repo.hasIssues,
    has_wiki: repo.hasWiki,
  };
}
