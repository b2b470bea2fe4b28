import { startCloudSimulator, type CloudSimulator, type CloudSimulatorOptions } from '../../../src/sandbox/cloud-sim';
import type { Repository } from '../../../src/sandbox/cloud-sim/model/types';

/** A fixed end of history, so every run of these tests sees the same seeded workspace. */
export const BASE_TIME = Date.UTC(2026, 0, 15, 12, 0, 0);

/** Responses as the tests read them: loose on purpose, each assertion checks the shape it relies on. */
 
export type Json = any;

export function startSim(options: CloudSimulatorOptions = {}): Promise<CloudSimulator> {
  return startCloudSimulator({ seed: 'cloud-sim-tests', baseTime: BASE_TIME, ...options });
}

export type As = 'admin' | 'member' | 'app' | 'basic-admin' | 'none';

export function authorization(sim: CloudSimulator, as: As): string | undefined {
  switch (as) {
    case 'admin': return `Bearer ${sim.credentials.admin.token}`;
    case 'member': return `Bearer ${sim.credentials.member.token}`;
    case 'app': return `Bearer ${sim.credentials.appToken}`;
    case 'basic-admin': {
      const { email, apiToken } = sim.credentials.admin;
      return `Basic ${Buffer.from(`${email}:${apiToken}`).toString('base64')}`;
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

/** `path` is relative to `/2.0` unless it is an absolute URL (a `next` link). */
export async function call(sim: CloudSimulator, path: string, options: { as?: As; method?: string; body?: unknown } = {}): Promise<Reply> {
  const auth = authorization(sim, options.as ?? 'admin');
  const response = await fetch(path.startsWith('http') ? path : `${sim.url}/2.0${path}`, {
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

/** Follows `next` links to the end, returning every value and the number of pages. */
export async function collect(sim: CloudSimulator, path: string, as: As = 'admin'): Promise<{ values: Json[]; pages: number }> {
  const values: Json[] = [];
  let next: string | undefined = path;
  let pages = 0;
  while (next) {
    const reply = await call(sim, next, { as });
    expect(reply.status).toBe(200);
    values.push(...reply.json.values);
    next = reply.json.next;
    pages += 1;
  }
  return { values, pages };
}

export const repoPath = (sim: CloudSimulator, repo: Repository): string => `/repositories/${sim.workspace.slug}/${repo.slug}`;

export function firstRepository(sim: CloudSimulator): Repository {
  const repo = [...sim.model.repositories.values()][0];
  if (!repo) throw new Error('the simulator has no repositories');
  return repo;
}

/** A clock the test moves by hand. */
export class FakeClock {
  constructor(public ms: number) {}

  now(): number {
    return this.ms;
  }

  advance(ms: number): void {
    this.ms += ms;
  }
}
