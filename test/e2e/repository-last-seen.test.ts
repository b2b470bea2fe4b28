import type { Change } from '../../src/core/change/change';
import { intentsFor } from '../../src/core/change/intents';
import { cloudBodyBuilder } from '../../src/core/enrich/cloud/body-builder';
import { cloudClient } from '../../src/core/enrich/cloud/client';
import { cloudLookups } from '../../src/core/enrich/cloud/lookups';
import { fetchCloudTransport } from '../../src/core/enrich/cloud/transport';
import type { CloudSimulator } from '../../src/sandbox/cloud-sim';
import { MemoryStore } from '../../src/sandbox/memory-store';
import { firstRepository, startSim } from '../sandbox/cloud-sim/helpers';

// A repository is mostly idle before it is deleted, and its deletion can no longer be read from
// Bitbucket: the body describes it as last seen, though the six-hour cache of it (and the function
// instance's copy in memory) lapsed long before. The store runs on a clock the test moves.

let sim: CloudSimulator;
beforeAll(async () => (sim = await startSim({ seed: 'last-seen', repositories: 1 })));
afterAll(() => sim.stop());

it('describes a repository deleted a day after it was last read by its full name, name and links', async () => {
  let now = Date.now();
  const clock = { now: () => now };
  const store = new MemoryStore(clock);
  const client = cloudClient(fetchCloudTransport({ baseUrl: sim.url, authorization: () => `Bearer ${sim.credentials.appToken}` }));
  const lookups = cloudLookups(client, store, clock.now);
  const repo = firstRepository(sim);
  await lookups.repository(sim.workspace.uuid, repo.uuid);
  now += 24 * 3_600_000;
  sim.actions.deleteRepository({ repository: repo.slug });
  const change = { edition: 'cloud', workspace: sim.workspace.uuid, repository: { uuid: repo.uuid, slug: repo.slug }, origin: 'trigger', at: new Date(now).toISOString(), kind: 'repository', action: 'deleted' } as Change;
  const [intent] = intentsFor(change).intents;
  const requests = client.requests;
  const body = JSON.parse(await cloudBodyBuilder(client, store, lookups)(change, intent!)) as { repository: unknown };
  expect(client.requests).toBe(requests);
  expect(body.repository).toMatchObject({
    uuid: repo.uuid,
    full_name: `${sim.workspace.slug}/${repo.slug}`,
    name: repo.name,
    links: { html: { href: expect.stringMatching(new RegExp(`/${sim.workspace.slug}/${repo.slug}$`)) } },
  });
});
