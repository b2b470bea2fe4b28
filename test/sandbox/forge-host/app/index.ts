import api, { fetch, getAppContext, route } from '@forge/api';
import { InvocationError, InvocationErrorCode, InvocationLimitReachedError, Queue, RateLimitError, type AsyncEvent } from '@forge/events';
import { kvs, WhereConditions } from '@forge/kvs';
import Resolver from '@forge/resolver';

// A tiny Forge app for the local host's tests. It uses only the real SDK, so whatever works here
// works because the host answers the SDK as Forge would.

const flaky = new Queue({ key: 'flaky' });
const broken = new Queue({ key: 'broken' });
const chain = new Queue({ key: 'chain' });
const long = new Queue({ key: 'long' });
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const bare = (uuid: string): string => uuid.replace(/[{}]/g, '');

interface PushEvent {
  eventType: string;
  repository: { uuid: string };
  delayInSeconds?: number;
}

export async function onPush(event: PushEvent, context: { installContext: string }): Promise<void> {
  const pushedAt = Date.now();
  await kvs.set(`push:${bare(event.repository.uuid)}`, { eventType: event.eventType, installContext: context.installContext, pushedAt });
  await flaky.push({ body: { repo: event.repository.uuid, pushedAt }, delayInSeconds: event.delayInSeconds ?? 60 });
}

export async function onBroken(): Promise<void> {
  await broken.push({ body: { doomed: true } });
}

async function recordModule(event: { n: number }, expected: string): Promise<void> {
  const before = getAppContext().moduleKey;
  await sleep(Math.random() * 20);
  const after = getAppContext().moduleKey;
  await kvs.set(`probe:${event.n}:${expected}`, { before, after, invocationId: getAppContext().invocationId });
}

export const probeOne = (event: { n: number }): Promise<void> => recordModule(event, 'probe-one');
export const probeTwo = (event: { n: number }): Promise<void> => recordModule(event, 'probe-two');

export async function flakyConsumer(event: AsyncEvent): Promise<InvocationError | void> {
  const attempts = (await kvs.get<unknown[]>('flaky:attempts')) ?? [];
  attempts.push({ at: Date.now(), retryContext: event.retryContext ?? null, body: event.body, queueName: event.queueName });
  await kvs.set('flaky:attempts', attempts);
  const seen = event.retryContext?.retryCount ?? 0;
  if (seen < 2) {
    return new InvocationError({ retryAfter: 30, retryReason: InvocationErrorCode.FUNCTION_UPSTREAM_RATE_LIMITED, retryData: { seen: seen + 1 } });
  }
  await kvs.set('flaky:done', true);
}

export async function brokenConsumer(event: AsyncEvent): Promise<void> {
  const reasons = (await kvs.get<unknown[]>('broken:reasons')) ?? [];
  reasons.push(event.retryContext?.retryReason ?? null);
  await kvs.set('broken:reasons', reasons);
  console.error('broken consumer fails on attempt', reasons.length);
  throw new Error('always broken');
}

/** Starts a chain of consumer invocations, each pushing the next, `hops` long unless the platform stops it. */
export async function onChain(event: { hops: number; tag: string }): Promise<void> {
  await chain.push({ body: { n: 1, hops: event.hops, tag: event.tag } });
}

function refusal(error: unknown): string {
  if (error instanceof InvocationLimitReachedError) return 'InvocationLimitReachedError';
  if (error instanceof RateLimitError) return 'RateLimitError';
  throw error;
}

export async function chainConsumer(event: AsyncEvent): Promise<InvocationError | void> {
  const { n, hops, tag } = event.body as { n: number; hops: number; tag: string };
  // The second link asks to be redelivered once: a redelivery is the platform's, not a push.
  if (n === 2 && !event.retryContext) return new InvocationError({ retryAfter: 1, retryReason: InvocationErrorCode.FUNCTION_RETRY_REQUEST });
  if (n >= hops) return void (await kvs.set(`chain:${tag}`, { reached: n }));
  try {
    await chain.push({ body: { n: n + 1, hops, tag } });
  } catch (error) {
    await kvs.set(`chain:${tag}`, { reached: n, refused: refusal(error), message: (error as Error).message });
  }
}

export async function tick(request: { context: { moduleKey: string } }): Promise<void> {
  await kvs.set('tick:count', ((await kvs.get<number>('tick:count')) ?? 0) + 1);
  await kvs.set('tick:moduleKey', request.context.moduleKey);
}

export async function slow(): Promise<void> {
  await kvs.set('slow:remaining', getAppContext().invocationRemainingTimeInMillis());
  await sleep(1100);
  await kvs.set('slow:finished', true);
}

type Payload<T> = { payload: T; context: { accountId?: string } };
const resolver = new Resolver();

resolver.define('whoami', async ({ context }: Payload<unknown>) => {
  const user = await api.asUser().requestBitbucket(route`/2.0/user`);
  const app = await api.asApp().requestBitbucket(route`/2.0/workspaces/${'{ws}'}`);
  const missing = await api.asApp().requestBitbucket(route`/2.0/repositories/${'nope'}`);
  return {
    accountId: context.accountId,
    moduleKey: getAppContext().moduleKey,
    user: await user.json(),
    app: await app.json(),
    missing: { status: missing.status, text: await missing.text() },
  };
});

resolver.define('fetch', async ({ payload }: Payload<{ url: string }>) => {
  try {
    return { status: (await fetch(payload.url)).status };
  } catch (error) {
    return { error: (error as Error).name, message: (error as Error).message };
  }
});

resolver.define('set', async ({ payload }: Payload<{ key: string; value: unknown; ttlSeconds?: number }>) => {
  const ttl = payload.ttlSeconds === undefined ? undefined : { value: payload.ttlSeconds, unit: 'SECONDS' as const };
  await kvs.set(payload.key, payload.value, ttl && { ttl });
  return { ok: true };
});

resolver.define('get', async ({ payload }: Payload<{ key: string }>) => ({ value: (await kvs.get(payload.key)) ?? null }));

resolver.define('page', async ({ payload }: Payload<{ prefix: string; limit: number; cursor?: string }>) => {
  const query = kvs.query().where('key', WhereConditions.beginsWith(payload.prefix)).limit(payload.limit);
  return (payload.cursor ? query.cursor(payload.cursor) : query).getMany();
});

resolver.define('secret', async ({ payload }: Payload<{ key: string; value: string }>) => {
  await kvs.setSecret(payload.key, payload.value);
  const listed = await kvs.query().where('key', WhereConditions.beginsWith(payload.key)).getMany();
  return { secret: await kvs.getSecret(payload.key), plain: (await kvs.get(payload.key)) ?? null, listed: listed.results.length };
});

resolver.define('batch', async () => {
  const set = await kvs.batchSet([
    { key: 'batch:a', value: 1 },
    { key: 'bad/key', value: 2 },
  ]);
  const got = await kvs.batchGet([{ key: 'batch:a' }, { key: 'batch:missing' }]);
  await kvs.transact().set('tx:a', 'A').set('tx:b', 'B').delete('batch:a').execute();
  return { set, got, after: { a: (await kvs.get('tx:a')) ?? null, batchA: (await kvs.get('batch:a')) ?? null } };
});

/** Push requests of `sizes` events each, in a row; what became of each. */
resolver.define('burst', async ({ payload }: Payload<{ sizes: number[] }>) => {
  const outcomes: string[] = [];
  for (const size of payload.sizes) {
    try {
      await chain.push(Array.from({ length: size }, () => ({ body: { n: 1, hops: 1, tag: 'burst' }, delayInSeconds: 900 })));
      outcomes.push('accepted');
    } catch (error) {
      outcomes.push(refusal(error));
    }
  }
  return outcomes;
});

/** One event of about `bytes` to a queue; what the SDK said. */
resolver.define('push-sized', async ({ payload }: Payload<{ queue: 'long' | 'flaky'; bytes: number; retryBytes?: number }>) => {
  const queue = payload.queue === 'long' ? long : flaky;
  try {
    await queue.push({ body: { blob: 'x'.repeat(payload.bytes), retryBytes: payload.retryBytes ?? 0 }, delayInSeconds: payload.queue === 'flaky' ? 900 : 0 });
    return { outcome: 'accepted' };
  } catch (error) {
    return { outcome: (error as Error).constructor.name, message: (error as Error).message };
  }
});

/** Asks once to be retried with `retryBytes` of retryData; records each attempt's retry context. */
export async function longConsumer(event: AsyncEvent): Promise<InvocationError | void> {
  const attempts = (await kvs.get<unknown[]>('long:attempts')) ?? [];
  attempts.push(event.retryContext ? { retryCount: event.retryContext.retryCount, retryDataBytes: JSON.stringify(event.retryContext.retryData ?? null).length } : null);
  await kvs.set('long:attempts', attempts);
  const { retryBytes } = event.body as { retryBytes: number };
  if (retryBytes && !event.retryContext) return new InvocationError({ retryAfter: 1, retryReason: InvocationErrorCode.FUNCTION_RETRY_REQUEST, retryData: { blob: 'r'.repeat(retryBytes) } });
}

export const handler = resolver.getDefinitions();
