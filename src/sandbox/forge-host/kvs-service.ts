import { z } from 'zod';
import { KvsFailure, ttlMs, validateKey, validateValue } from './kvs-rules';
import { entitySpace, KvsStore, SECRETS, VALUES, type StoredRecord } from './kvs-store';
import { emptyResponse, jsonResponse } from './responses';

// The storage service behind @forge/kvs: the `/api/v1/...` endpoints its storage-api.js posts to,
// with the request and response bodies of its kvs-api.d.ts.

const getOptions = z.looseObject({ metadataFields: z.array(z.string()).optional() });
const setOptions = z.looseObject({
  ttl: z.object({ value: z.number(), unit: z.string() }).optional(),
  keyPolicy: z.enum(['OVERRIDE', 'FAIL_IF_EXISTS']).optional(),
  returnValue: z.enum(['PREVIOUS', 'LATEST']).optional(),
});
const keyItem = z.looseObject({ key: z.string(), entityName: z.string().optional(), options: getOptions.optional(), conditions: z.unknown().optional() });
const setItem = keyItem.extend({ value: z.unknown(), options: setOptions.optional() });
const queryBody = z.looseObject({
  limit: z.number().int().positive().optional(),
  after: z.string().optional(),
  where: z.array(z.looseObject({ property: z.string(), condition: z.string(), values: z.array(z.unknown()) })).optional(),
  options: getOptions.optional(),
});
const batchKeys = z.array(keyItem);
const batchSets = z.array(setItem);
const transactionBody = z.looseObject({ set: z.array(setItem).optional(), delete: z.array(keyItem).optional(), check: z.array(z.unknown()).optional() });

type KeyItem = z.infer<typeof keyItem>;
type SetItem = z.infer<typeof setItem>;

// https://developer.atlassian.com/platform/forge/runtime-reference/storage-api-query: limit 10 by default, 20 at most.
const DEFAULT_QUERY_LIMIT = 10;
const MAX_QUERY_LIMIT = 20;
const MAX_BATCH_ITEMS = 25;
const ROUTE = /^\/api\/v1\/(?:(secret|entity|batch)\/)?(get|set|delete|query)$/;

function notServed(what: string): never {
  throw new KvsFailure(501, 'NOT_IMPLEMENTED', `${what} is not served by the local Forge host`);
}

const notFound = (key: string): Response => jsonResponse(404, { code: 'KEY_NOT_FOUND', message: `Key ${key} not found` });

const keyRef = (item: KeyItem): object => ({ key: item.key, ...(item.entityName ? { entityName: item.entityName } : {}) });

function describe(key: string, record: StoredRecord, entityName?: string): Record<string, unknown> {
  return {
    key,
    ...(entityName ? { entityName } : {}),
    value: record.value,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    ...(record.expireTime === undefined ? {} : { expireTime: new Date(record.expireTime).toISOString() }),
  };
}

/** Refuses some storage calls as Forge does past an installation's quota (a test says which and how often). */
export interface StorageThrottle {
  refuses(key: string): boolean;
}

export function createKvsService(store: KvsStore, throttle?: StorageThrottle): (path: string, body: unknown) => Response {
  const spaceOf = (kind: string | undefined, item: { entityName?: string }): string => {
    if (kind === 'secret') return SECRETS;
    if (kind === 'entity' && !item.entityName) throw new KvsFailure(400, 'INVALID_ENTITY_NAME', 'entityName is required');
    return item.entityName ? entitySpace(item.entityName) : VALUES;
  };

  /** Checks a write and returns its ttl, so a transaction can check every write before applying any. */
  const checkSet = (space: string, item: SetItem): number | undefined => {
    validateKey(item.key);
    validateValue(item.value);
    if (item.conditions !== undefined) notServed('A conditional write');
    if (item.options?.keyPolicy === 'FAIL_IF_EXISTS' && store.get(space, item.key)) {
      throw new KvsFailure(409, 'KEY_ALREADY_EXISTS', `Key ${item.key} already exists`);
    }
    return ttlMs(item.options?.ttl);
  };

  const single = (kind: string | undefined, op: string, body: unknown): Response => {
    if (op === 'get') {
      const item = keyItem.parse(body);
      // Forge checks a key on every call, not only when it is written.
      validateKey(item.key);
      const record = store.get(spaceOf(kind, item), item.key);
      // Answered, not thrown: a missing key is the common case (the ledger check of every new delivery).
      if (!record) return notFound(item.key);
      return jsonResponse(200, describe(item.key, record));
    }
    if (op === 'delete') {
      const item = keyItem.parse(body);
      validateKey(item.key);
      store.delete(spaceOf(kind, item), item.key);
      return emptyResponse(204);
    }
    const item = setItem.parse(body);
    const space = spaceOf(kind, item);
    const { previous, latest } = store.set(space, item.key, item.value, checkSet(space, item));
    const answer = item.options?.returnValue === 'PREVIOUS' ? previous : item.options?.returnValue === 'LATEST' ? latest : undefined;
    return answer ? jsonResponse(200, describe(item.key, answer)) : emptyResponse(204);
  };

  const query = (body: unknown): Response => {
    const q = queryBody.parse(body);
    const where = q.where?.[0];
    if (q.where && (q.where.length > 1 || where?.property !== 'key' || where.condition !== 'BEGINS_WITH')) {
      throw new KvsFailure(400, 'INVALID_QUERY', 'Only one where condition, BEGINS_WITH on key, is supported');
    }
    const after = q.after === undefined ? undefined : Buffer.from(q.after, 'base64url').toString('utf8');
    const keys = store.keys(VALUES, String(where?.values[0] ?? '')).filter((k) => after === undefined || k > after);
    const page = keys.slice(0, Math.min(q.limit ?? DEFAULT_QUERY_LIMIT, MAX_QUERY_LIMIT));
    const wantsExpiry = q.options?.metadataFields?.includes('EXPIRE_TIME') ?? false;
    const data = page.flatMap((key) => {
      const record = store.get(VALUES, key);
      if (!record) return [];
      const expireTime = wantsExpiry && record.expireTime !== undefined ? { expireTime: new Date(record.expireTime).toISOString() } : {};
      return [{ key, value: record.value, ...expireTime }];
    });
    const last = page[page.length - 1];
    const more = last !== undefined && keys.length > page.length;
    return jsonResponse(200, { data, ...(more ? { cursor: Buffer.from(last).toString('base64url') } : {}) });
  };

  const checkBatch = <T extends KeyItem>(items: T[]): T[] => {
    if (items.length === 0 || items.length > MAX_BATCH_ITEMS) {
      throw new KvsFailure(400, 'INVALID_BATCH_SIZE', `A batch holds 1 to ${MAX_BATCH_ITEMS} items, got ${items.length}`);
    }
    const ids = new Set(items.map((i) => `${i.entityName ?? ''}\u0000${i.key}`));
    if (ids.size !== items.length) throw new KvsFailure(400, 'DUPLICATE_KEYS', 'A batch may name each key once');
    return items;
  };

  const batch = (op: string, body: unknown): Response => {
    const successfulKeys: object[] = [];
    const failedKeys: object[] = [];
    const fail = (item: KeyItem, error: unknown): void => {
      if (!(error instanceof KvsFailure)) throw error;
      failedKeys.push({ ...keyRef(item), error: { code: error.code, message: error.message } });
    };
    if (op === 'set') {
      for (const item of checkBatch(batchSets.parse(body))) {
        try {
          const space = spaceOf(undefined, item);
          store.set(space, item.key, item.value, checkSet(space, item));
          successfulKeys.push(keyRef(item));
        } catch (error) {
          fail(item, error);
        }
      }
    } else {
      for (const item of checkBatch(batchKeys.parse(body))) {
        const space = spaceOf(undefined, item);
        const record = store.get(space, item.key);
        if (op === 'delete') {
          store.delete(space, item.key);
          successfulKeys.push(keyRef(item));
        } else if (record) successfulKeys.push(describe(item.key, record, item.entityName));
        else fail(item, new KvsFailure(404, 'KEY_NOT_FOUND', `Key ${item.key} not found`));
      }
    }
    return jsonResponse(200, { successfulKeys, failedKeys });
  };

  // All or nothing: every operation is checked before any is applied.
  const transact = (body: unknown): Response => {
    const t = transactionBody.parse(body);
    if (t.check?.length || t.delete?.some((d) => d.conditions !== undefined)) notServed('A conditional transaction');
    const sets = (t.set ?? []).map((item) => {
      const space = spaceOf(undefined, item);
      return { space, item, ttl: checkSet(space, item) };
    });
    const deletes = t.delete ?? [];
    for (const item of deletes) validateKey(item.key);
    for (const { space, item, ttl } of sets) store.set(space, item.key, item.value, ttl);
    for (const item of deletes) store.delete(spaceOf(undefined, item), item.key);
    return emptyResponse(204);
  };

  return (path, body) => {
    try {
      const key = (body as { key?: unknown } | null)?.key;
      if (throttle && typeof key === 'string' && throttle.refuses(key)) {
        return jsonResponse(429, { code: 'RATE_LIMIT_EXCEEDED', message: 'Too many storage requests for this installation: try again later' });
      }
      if (path === '/api/v1/transaction') return transact(body);
      const [, kind, op] = ROUTE.exec(path) ?? [];
      if (!op) return jsonResponse(404, { code: 'NOT_FOUND', message: `No storage endpoint ${path}` });
      if (kind === 'batch') return op === 'query' ? notServed('Batch query') : batch(op, body);
      if (op === 'query') return kind === 'entity' ? notServed('Custom entity query') : kind === 'secret' ? notServed('Secret query') : query(body);
      return single(kind, op, body);
    } catch (error) {
      if (error instanceof KvsFailure) return jsonResponse(error.status, { code: error.code, message: error.message });
      if (error instanceof z.ZodError) return jsonResponse(400, { code: 'INVALID_REQUEST', message: z.prettifyError(error) });
      throw error;
    }
  };
}
