import { z } from 'zod';
import { Page, Repository } from '../../core/enrich/datacenter/schema';
import type { HttpResponse } from '../../core/ports';
import type { BridgeConfig } from '../config/schema';
import { selection, type RepositoryName } from '../config/selection';
import { bitbucketGet, type BitbucketHttp } from '../http/bitbucket';
import { bitbucketUnavailable, fail, notBitbucket, notBitbucketCloud, partialAccess, pass, patRejected, unreachable, workspaceUnreadable, type Finding } from './explain';
import { webPage } from '../../core/deliver/web-page';
import { BitbucketError, type BitbucketFailureKind } from '../../core/errors';
import { cloudFailureReason } from '../poll/failure-reason';

// `check`'s questions to Bitbucket, in the order a failure is most useful: is this Bitbucket at all (no
// credentials needed), does the token work and as whom, which repositories can it read, and can it
// read what the configuration selects.

const MAX_REPOSITORY_PAGES = 50;

// Which versions the bridge supports: Data Center 8.0 and later, whose REST 1.0 API is the 9.2 spec's
// for everything it reads (its tests run the 9.x and 10.x forms of it). Bitbucket Server 5.5 added the
// personal access tokens it signs in with (notes §5.3); between the two it is untested and may work.
const PAT_SINCE = [5, 5] as const;
const TESTED_SINCE = [8, 0] as const;

function versionSupport(version: string): 'tested' | 'untested' | 'no-tokens' {
  const [major, minor] = version.split('.').map((part) => Number.parseInt(part, 10));
  // A version we cannot read (a custom build string) is not held against the instance.
  if (major === undefined || Number.isNaN(major)) return 'tested';
  const below = (floor: readonly [number, number]) => major < floor[0] || (major === floor[0] && (minor ?? 0) < floor[1]);
  return below(PAT_SINCE) ? 'no-tokens' : below(TESTED_SINCE) ? 'untested' : 'tested';
}

type Answer = { response: HttpResponse; text: string } | { finding: Finding };

async function ask(http: BitbucketHttp, url: string, config: BridgeConfig, caOption: string): Promise<Answer> {
  try {
    const response = await bitbucketGet(http, url);
    return { response, text: await response.text() };
  } catch (error) {
    return { finding: unreachable('Bitbucket', url, error, caOption) };
  }
}

const isJson = (response: HttpResponse) => (response.headers.get('content-type') ?? '').includes('json');
const unavailable = (status: number) => status === 429 || status >= 500;

export async function checkDatacenter(config: BridgeConfig, http: BitbucketHttp): Promise<Finding[]> {
  const findings: Finding[] = [];
  const probe = `${http.baseUrl}/rest/api/1.0/application-properties`;
  const properties = await ask(http, probe, config, 'BITBUCKET_CA_FILE');
  if ('finding' in properties) return [properties.finding];
  if (properties.response.status === 401) return [patRejected(config)];
  if (unavailable(properties.response.status)) return [bitbucketUnavailable(properties.response.status, probe)];
  if (properties.response.status === 404 || !isJson(properties.response)) return [notBitbucket(config, properties.response.status, probe)];
  const version = z.looseObject({ version: z.string(), displayName: z.string().optional() }).safeParse(JSON.parse(properties.text));
  // Data Center's displayName is "Bitbucket" itself.
  const named = `${version.success ? `${version.data.displayName ?? 'Bitbucket Data Center'} ${version.data.version}` : 'Bitbucket Data Center'} at ${http.baseUrl}`;
  const support = version.success ? versionSupport(version.data.version) : 'tested';
  // Before personal access tokens the token is refused below, and "expired or revoked" would be the wrong advice.
  if (support === 'no-tokens') return [fail(named, `Bitbucket Server before ${PAT_SINCE.join('.')} has no personal access tokens, which is how the bridge signs in: upgrade to Bitbucket Data Center ${TESTED_SINCE.join('.')} or later.`)];
  findings.push(support === 'untested'
    ? pass(named, `Warning: older than the versions the bridge supports (Data Center ${TESTED_SINCE.join('.')} and later), and no longer supported by Atlassian: reads may fail or miss data. Upgrade Bitbucket, or tell PanDev support what fails.`)
    : pass(named));

  const readable: Repository[] = [];
  let user: string | null = null;
  let start = 0;
  for (let page = 0; page < MAX_REPOSITORY_PAGES; page++) {
    const answer = await ask(http, `${http.baseUrl}/rest/api/1.0/repos?permission=REPO_READ&limit=1000&start=${start}`, config, 'BITBUCKET_CA_FILE');
    if ('finding' in answer) return [...findings, answer.finding];
    if (answer.response.status === 401) return [...findings, patRejected(config)];
    if (answer.response.status !== 200) return [...findings, fail(`Bitbucket answered ${answer.response.status} when listing repositories`, answer.text.slice(0, 300))];
    user ??= answer.response.headers.get('x-ausername');
    const body = Page(Repository).parse(JSON.parse(answer.text));
    readable.push(...body.values);
    if (body.isLastPage || body.nextPageStart == null) break;
    start = body.nextPageStart;
  }
  if (!user) return [...findings, patRejected(config)];
  findings.push(pass(`authenticated as ${user}; the token can read ${readable.length} repositories`));
  findings.push(...(await selectionFindings(config, http, readable.map((r) => ({ project: r.project.key, slug: r.slug, stableId: String(r.id), repository: r })))));
  return findings;
}

/** Literal project keys and repositories in the configuration that the token cannot see, and one read of pull requests. */
async function selectionFindings(config: BridgeConfig, http: BitbucketHttp, readable: Array<RepositoryName & { repository: Repository }>): Promise<Finding[]> {
  const selected = selectedOrProblem(config, readable);
  if ('problem' in selected) return [selected.problem];
  const first = selected.repositories[0]!.repository;
  const url = `${http.baseUrl}/rest/api/1.0/projects/${encodeURIComponent(first.project.key)}/repos/${encodeURIComponent(first.slug)}/pull-requests?state=ALL&limit=1`;
  const answer = await ask(http, url, config, 'BITBUCKET_CA_FILE');
  if ('finding' in answer) return [answer.finding];
  if (answer.response.status === 401 || answer.response.status === 403) {
    return [partialAccess([`pull requests of ${first.project.key}/${first.slug} (answered ${answer.response.status})`], readable.length)];
  }
  // Any other refusal fails every pass of every repository just the same: `check` must not pass it.
  if (answer.response.status !== 200) {
    const title = `Bitbucket answered ${answer.response.status} when reading the pull requests of ${first.project.key}/${first.slug}`;
    if (unavailable(answer.response.status)) return [fail(title, bitbucketUnavailable(answer.response.status, url).detail)];
    return [fail(title, `The repository was listed a moment ago, so this read should work: if it was just renamed, moved or deleted, run check again; otherwise a proxy in front of Bitbucket may not pass ${new URL(url).pathname} through. Bitbucket's answer: ${answer.text.slice(0, 300)}`)];
  }
  return [pass(`${selected.repositories.length} repositories selected for this bridge${shardNote(config)}; pull requests are readable`)];
}

/** What the bridge would poll of `readable`, or why that is not what the configuration means (either edition). */
function selectedOrProblem<T extends RepositoryName>(config: BridgeConfig, readable: T[]): { repositories: T[] } | { problem: Finding } {
  const select = selection({ projects: config.bitbucket.projects, repos: config.bitbucket.repos, shard: config.bridge.shard });
  const literal = (patterns: string[]) => patterns.filter((p) => !p.startsWith('!') && !/[*?]/.test(p));
  const missing = [
    ...literal(config.bitbucket.projects).filter((key) => !readable.some((r) => r.project.toLowerCase() === key.toLowerCase())).map((key) => `project ${key}`),
    ...literal(config.bitbucket.repos).filter((name) => !readable.some((r) => `${r.project}/${r.slug}`.toLowerCase() === name.toLowerCase())).map((name) => `repository ${name}`),
  ];
  if (missing.length) return { problem: partialAccess(missing, readable.length) };
  const repositories = readable.filter((r) => select.repository(r));
  if (!repositories.length) return { problem: fail('no repository is selected', 'BITBUCKET_PROJECTS / BITBUCKET_REPOS (and BRIDGE_SHARD) leave nothing to poll among the repositories the token can read.') };
  return { repositories };
}

const shardNote = (config: BridgeConfig) => (config.bridge.shard.count > 1 ? ` (shard ${config.bridge.shard.index}/${config.bridge.shard.count})` : '');

export async function checkCloud(config: BridgeConfig, http: BitbucketHttp): Promise<Finding[]> {
  const findings: Finding[] = [];
  const me = await ask(http, `${http.baseUrl}/2.0/user`, config, 'BITBUCKET_CA_FILE');
  if ('finding' in me) return [me.finding];
  if (me.response.status === 401) return [patRejected(config)];
  if (unavailable(me.response.status)) return [bitbucketUnavailable(me.response.status, `${http.baseUrl}/2.0/user`)];
  if (!isJson(me.response)) return [notBitbucketCloud(config, me.response.status, webPage(me.response.headers.get('content-type'), me.text))];
  const account = z.looseObject({ display_name: z.string().optional(), nickname: z.string().optional() }).safeParse(me.response.status === 200 ? JSON.parse(me.text) : {});
  // Workspace and repository access tokens act as no user: /user answers 401 or 403 for them.
  findings.push(pass(me.response.status === 200 && account.success ? `authenticated as ${account.data.display_name ?? account.data.nickname ?? 'a user'}` : 'authenticated with an access token'));
  const workspace = config.bitbucket.workspace!;
  // Every pass starts with this read (the workspace's UUID is part of every delivery id), under a scope
  // of its own: a token without it listed repositories here and passed, and then no pass polled any.
  const workspaceUrl = `${http.baseUrl}/2.0/workspaces/${encodeURIComponent(workspace)}`;
  const found = await ask(http, workspaceUrl, config, 'BITBUCKET_CA_FILE');
  if ('finding' in found) return [...findings, found.finding];
  if (found.response.status === 401) return [patRejected(config)];
  if (unavailable(found.response.status)) return [...findings, bitbucketUnavailable(found.response.status, workspaceUrl)];
  if (found.response.status !== 200) return [...findings, workspaceUnreadable(config, found.response.status)];
  const readable: Array<RepositoryName & { uuid: string }> = [];
  let next: string | undefined = `${http.baseUrl}/2.0/repositories/${encodeURIComponent(workspace)}?pagelen=100&fields=values.uuid,values.slug,values.project.key,next`;
  for (let page = 0; next && page < MAX_REPOSITORY_PAGES; page++) {
    const answer = await ask(http, next, config, 'BITBUCKET_CA_FILE');
    if ('finding' in answer) return [...findings, answer.finding];
    if (answer.response.status === 401) return [patRejected(config)];
    if (answer.response.status === 404 || answer.response.status === 403) return [...findings, fail(`the token cannot read workspace ${workspace} (${answer.response.status})`, 'Check BITBUCKET_WORKSPACE (the workspace slug) and that the token has repository read access in it.')];
    if (unavailable(answer.response.status)) return [...findings, bitbucketUnavailable(answer.response.status, next)];
    if (answer.response.status !== 200 || !isJson(answer.response)) return [...findings, fail(`Bitbucket answered ${answer.response.status} when listing the repositories of ${workspace}`, answer.text.slice(0, 300))];
    const body = z.looseObject({ values: z.array(CloudListed), next: z.string().optional() }).parse(JSON.parse(answer.text));
    readable.push(...body.values.map((r) => ({ uuid: r.uuid, slug: r.slug, project: r.project?.key ?? '', stableId: r.uuid })));
    next = body.next;
  }
  findings.push(pass(`the token can read ${readable.length} repositories in ${workspace}`));
  const selected = selectedOrProblem(config, readable);
  if ('problem' in selected) return [...findings, selected.problem];
  // Listing repositories needs one scope; a pass reads pull requests and deployments too, each with its
  // own: a token without them passed here and then failed every repository of every pass.
  const first = selected.repositories[0]!;
  for (const feed of ['pullrequests', 'deployments'] as const) {
    const url = `${http.baseUrl}/2.0/repositories/${encodeURIComponent(workspace)}/${encodeURIComponent(first.uuid)}/${feed}?pagelen=1`;
    const answer = await ask(http, url, config, 'BITBUCKET_CA_FILE');
    if ('finding' in answer) return [...findings, answer.finding];
    if (answer.response.status === 200) continue;
    const reason = cloudFailureReason(new BitbucketError(cloudFailureKind(answer.response.status), answer.response.status, `GET ${feed}`, `Bitbucket answered ${answer.response.status} when reading the ${feed === 'pullrequests' ? 'pull requests' : 'deployments'} of ${workspace}/${first.slug}`), {
      name: `${workspace}/${first.slug}`, selector: `${first.project}/${first.slug}`, username: Boolean(config.bitbucket.username),
    });
    const [title, detail] = reason.split(' — ');
    return [...findings, fail(title!, detail)];
  }
  findings.push(pass(`${selected.repositories.length} repositories selected for this bridge${shardNote(config)}; pull requests and deployments are readable`));
  return findings;
}

const CloudListed = z.looseObject({ uuid: z.string(), slug: z.string(), project: z.looseObject({ key: z.string() }).optional() });

function cloudFailureKind(status: number): BitbucketFailureKind {
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not-found';
  if (status === 429) return 'rate-limited';
  return status >= 500 ? 'server' : 'client';
}
