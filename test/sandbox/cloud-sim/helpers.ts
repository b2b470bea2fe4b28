import { startCloudSimulator, type CloudSimulator, type CloudSimulatorOptions } from '../../../src/sandbox/cloud-sim';
import type { Repository } from '../../../src/sandbox/cloud-sim/model/types';
import { BASE_TIME, request, type Json, type Reply } from '../sim-common/helpers';

export { BASE_TIME, FakeClock, type Json, type Reply } from '../sim-common/helpers';

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

/** `path` is relative to `/2.0` unless it is an absolute URL (a `next` link). */
export function call(sim: CloudSimulator, path: string, options: { as?: As; method?: string; body?: unknown } = {}): Promise<Reply> {
  return request(path.startsWith('http') ? path : `${sim.url}/2.0${path}`, authorization(sim, options.as ?? 'admin'), options);
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
