import { kvKey } from '../../src/core/keys';
import type { Repository } from '../../src/sandbox/cloud-sim/model/types';
import { reconcileNow, shortLimitSandbox, PATIENT_PANDEV_MS, testSandbox, type TestSandbox } from './helpers';
import { settingsCaller } from './settings-helpers';

// A Bitbucket read that hangs (Bitbucket slow, a stuck connection) answers after 30 s, longer than the
// consumer's limit (120 s, scaled here to a fifth: 24 s, and the host stops a function at it, as Forge
// does). The app must give up on the read in time, say why, and leave the work for a retry or the
// next pass, instead of being stopped with nothing recorded.

const HANGS_MS = 30_000;
const stopped = (sb: TestSandbox) => sb.logs.filter((line) => /ran past its|FUNCTION_TIME_OUT/.test(line.message)).map((line) => line.message);
const gaveUp = (sb: TestSandbox, what: RegExp) => sb.logs.filter((line) => what.test(line.message) && /did not answer .* within [\d.]+ s/.test(line.message));
/** A read inside one repository: the app names repositories by UUID, percent-encoded braces and all. */
const inside = (repository: Repository) => `^/2\\.0/repositories/[^/]+/[^/]*${repository.uuid.replace(/[{}]/g, '')}[^/]*/`;

describe('the consumer', () => {
  let sb: TestSandbox;
  beforeAll(async () => {
    sb = await testSandbox({ scheduledTriggers: false, functionTimeoutScale: 0.2, maxPlatformRetries: 3, tuning: { deliveryTimeoutMs: PATIENT_PANDEV_MS }, simulator: { seed: 'read-timeout', repositories: 1 } });
  });
  afterAll(() => sb.stop());

  it('gives up on a hanging pull request read in time, and the retried delivery arrives once', async () => {
    const { simulator: sim, sink } = sb;
    const repository = [...sim.model.repositories.values()][0]!;
    const readsBefore = pullRequestReads(sb);
    sim.faults.add({ path: `${inside(repository)}pullrequests/\\d+$`, latencyMs: HANGS_MS, times: 1 });
    const { pullRequestId } = sim.actions.openPullRequest({ repository: repository.slug });
    await sb.settle();

    expect(stopped(sb)).toEqual([]);
    expect(gaveUp(sb, /enrichment failed, will retry/)).toHaveLength(1);
    const created = sink.deliveries().filter((d) => d.eventKey === 'pullrequest:created' && (d.body as any).pullrequest.id === pullRequestId);
    expect(created).toHaveLength(1);
    expect(sink.duplicates()).toBe(0);
    // The read that hung and the retry's: giving up added no request of its own.
    expect(pullRequestReads(sb) - readsBefore).toBe(2);
    expect(sb.host.kvs.keys('outbox:')).toEqual([]);
  }, 120_000);
});

describe('the reconciliation', () => {
  let sb: TestSandbox;
  beforeAll(async () => {
    // No platform retry: a batch Forge stopped is not run again, so only the app's own handling counts.
    sb = await shortLimitSandbox('read-timeout-reconcile', 2, 0);
    // The first pass sets the watermarks; what follows happens after them.
    await reconcileNow(sb);
  });
  afterAll(() => sb.stop());

  it('ends in time when one repository hangs, leaving it for the next pass, which delivers what it missed once', async () => {
    const { simulator: sim, sink } = sb;
    const [slow, quick] = [...sim.model.repositories.values()] as [Repository, Repository];
    const stateOf = (repository: Repository) => sb.host.kvs.get(kvKey('reconcile', 'repo', repository.uuid)) as Promise<{ watermark: number; error?: string } | undefined>;
    const watermarkBefore = (await stateOf(slow))!.watermark;
    const opened = [slow, quick].map((repository) => ({ repository, id: sim.actions.openPullRequest({ repository: repository.slug }).pullRequestId }));
    const delivered = (repository: Repository, id: number) =>
      sink.deliveries().filter((d) => d.eventKey === 'pullrequest:created' && (d.body as any).repository.uuid === repository.uuid && (d.body as any).pullrequest.id === id);
    const hang = sim.faults.add({ path: inside(slow), latencyMs: HANGS_MS });

    await reconcileNow(sb);
    expect(stopped(sb)).toEqual([]);
    expect(gaveUp(sb, /reconciliation of a repository failed/)).toHaveLength(1);
    const state = (await stateOf(slow))!;
    expect(state.error).toMatch(/did not answer .* within/);
    expect(state.watermark).toBe(watermarkBefore);
    expect(delivered(slow, opened[0]!.id)).toEqual([]);

    sim.faults.remove(hang);
    await reconcileNow(sb);
    for (const { repository, id } of opened) expect(delivered(repository, id)).toHaveLength(1);
    expect((await stateOf(slow))!.error).toBeUndefined();
    expect(sink.duplicates()).toBe(0);
  }, 120_000);
});

describe('the settings page', () => {
  let sb: TestSandbox;
  beforeAll(async () => {
    sb = await testSandbox({ scheduledTriggers: false, functionTimeoutScale: 0.2, simulator: { seed: 'read-timeout-page', repositories: 1 } });
  });
  afterAll(() => sb.stop());
  const call = settingsCaller(() => sb);

  it('says Bitbucket did not answer in time when the admin check hangs, instead of running into the resolver\'s limit', async () => {
    // Every call of the page first reads the admin's role as the admin.
    sb.simulator.faults.add({ path: '^/2\\.0/user/workspaces/[^/]+/permission$', latencyMs: HANGS_MS, times: 1 });
    expect(await call('status/get')).toMatchObject({ ok: false, error: { code: 'unavailable', message: expect.stringMatching(/^Bitbucket did not answer in time\. Wait a few minutes and try again/) } });
    expect(stopped(sb)).toEqual([]);
    expect(await call('status/get')).toMatchObject({ ok: true });
  }, 60_000);
});

function pullRequestReads(sb: TestSandbox): number {
  const byRoute = sb.simulator.stats().byRoute;
  return Object.entries(byRoute).filter(([route]) => /^GET .*\/pullrequests\/\{[^}]+\}$/.test(route)).reduce((n, [, count]) => n + count, 0);
}
