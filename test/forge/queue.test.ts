import { forgeMocks, resetForgeMocks } from '../helpers/forge-mocks';
import { PushRefusedError } from '../../src/core/pipeline/queue';
import { forgeForwardQueue } from '../../src/forge/adapters/queue';

// What the core plans around is a refused push: it parks what the push carried (the inbox, the
// outbox, a parked backfill record) for the tick. Forge can also take part of a push and refuse the
// rest (202, PartialSuccessError); thrown as it came, it failed the whole invocation instead, and a
// merge already delivered had its PR comment lost with the redelivery.

beforeEach(resetForgeMocks);

describe('Forge forwarding queue', () => {
  it('pushes a message per event', async () => {
    await forgeForwardQueue().push([{ ids: ['a'] }, { ids: ['b'] }], { delaySeconds: 30 });
    expect(forgeMocks.pushed).toEqual([{ queue: 'pandev-forward', events: [{ body: { ids: ['a'] }, delayInSeconds: 30 }, { body: { ids: ['b'] }, delayInSeconds: 30 }] }]);
  });

  it('turns a rate limit into a refusal the core parks', async () => {
    forgeMocks.failPushes = 1;
    await expect(forgeForwardQueue().push([{ ids: ['a'] }])).rejects.toMatchObject({ name: 'PushRefusedError', refusal: 'rate-limit' });
  });

  it('turns a partial success into a refusal too: what was queued runs, the rest is parked and deduplicated', async () => {
    forgeMocks.partialPushes = 1;
    const push = forgeForwardQueue().push([{ ids: ['a'] }, { ids: ['b'] }]);
    await expect(push).rejects.toBeInstanceOf(PushRefusedError);
    await expect(push).rejects.toMatchObject({ refusal: 'partial', message: expect.stringContaining('1 event') });
    expect(forgeMocks.pushed).toEqual([{ queue: 'pandev-forward', events: [{ body: { ids: ['a'] } }] }]);
  });
});
