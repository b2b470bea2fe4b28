import { startDcSimulator, type DcSimulator, type DcSimulatorOptions } from '../../../src/sandbox/dc-sim';
import type { DcRepository } from '../../../src/sandbox/dc-sim/model/repository';
import { BASE_TIME, request, type Json, type Reply } from '../sim-common/helpers';

export { BASE_TIME, FakeClock, type Json, type Reply } from '../sim-common/helpers';

/** Unlimited by default, so tests that do not test the rate limit never trip over it. */
export function startSim(options: DcSimulatorOptions = {}): Promise<DcSimulator> {
  return startDcSimulator({ seed: 'dc-sim-tests', baseTime: BASE_TIME, rateLimit: null, ...options });
}

export type As = 'admin' | 'user' | 'revoked' | 'basic-user' | 'none';

export function authorization(sim: DcSimulator, as: As): string | undefined {
  switch (as) {
    case 'admin': return `Bearer ${sim.credentials.admin.token}`;
    case 'user': return `Bearer ${sim.credentials.user.token}`;
    case 'revoked': return `Bearer ${sim.credentials.revoked.token}`;
    case 'basic-user': {
      const { username, token } = sim.credentials.user;
      return `Basic ${Buffer.from(`${username}:${token}`).toString('base64')}`;
    }
    case 'none': return undefined;
  }
}

/** `path` is relative to `${sim.url}/rest/api/1.0` unless it starts with `/rest/`, `/plugins/` or `http`. */
export function call(sim: DcSimulator, path: string, options: { as?: As; method?: string; body?: unknown } = {}): Promise<Reply> {
  const target = path.startsWith('http') ? path : /^\/(rest|plugins)\//.test(path) ? `${sim.url}${path}` : `${sim.url}/rest/api/1.0${path}`;
  return request(target, authorization(sim, options.as ?? 'admin'), options);
}

/** Follows `nextPageStart` to the last page, returning every value and the number of pages. */
export async function collect(sim: DcSimulator, path: string, as: As = 'admin'): Promise<{ values: Json[]; pages: number }> {
  const values: Json[] = [];
  let start: number | undefined = 0;
  let pages = 0;
  while (start !== undefined) {
    const reply = await call(sim, `${path}${path.includes('?') ? '&' : '?'}start=${start}`, { as });
    expect(reply.status).toBe(200);
    values.push(...reply.json.values);
    start = reply.json.isLastPage ? undefined : reply.json.nextPageStart;
    pages += 1;
  }
  return { values, pages };
}

export const repoPath = (repo: DcRepository): string => `/projects/${repo.projectKey}/repos/${repo.slug}`;

/** `PROJECT/slug`, as the actions name repositories. */
export const repoRef = (repo: DcRepository): string => `${repo.projectKey}/${repo.slug}`;

export function firstRepository(sim: DcSimulator): DcRepository {
  const repo = sim.model.repositories[0];
  if (!repo) throw new Error('the simulator has no repositories');
  return repo;
}
