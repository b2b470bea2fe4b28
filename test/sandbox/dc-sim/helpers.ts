import { startDcSimulator, type DcSimulator, type DcSimulatorOptions } from '../../../src/sandbox/dc-sim';
import type { DcRepository } from '../../../src/sandbox/dc-sim/model/repository';

export { FakeClock } from '../cloud-sim/helpers';

/** A fixed end of history, so every run of these tests sees the same seeded instance. */
export const BASE_TIME = Date.UTC(2026, 0, 15, 12, 0, 0);

/** Responses as the tests read them: loose on purpose, each assertion checks the shape it relies on. */
export type Json = any;

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

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: Json;
}

/** `path` is relative to `${sim.url}/rest/api/1.0` unless it starts with `/rest/`, `/plugins/` or `http`. */
export async function call(sim: DcSimulator, path: string, options: { as?: As; method?: string; body?: unknown } = {}): Promise<Reply> {
  const auth = authorization(sim, options.as ?? 'admin');
  const target = path.startsWith('http') ? path : /^\/(rest|plugins)\//.test(path) ? `${sim.url}${path}` : `${sim.url}/rest/api/1.0${path}`;
  const response = await fetch(target, {
    method: options.method ?? 'GET',
    headers: { ...(auth ? { Authorization: auth } : {}), ...(options.body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  let json: Json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
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
