import { deliveryId, normalizeTime, uuidv5 } from '../../src/core/change/delivery-id';

describe('delivery id', () => {
  it('computes RFC 9562 UUIDv5 (known vector: www.example.com in the DNS namespace)', () => {
    expect(uuidv5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });

  it('is the same for the same identity whatever the timestamp notation, and differs by version', () => {
    const base = { edition: 'cloud', workspace: '{W}', entity: 'pullrequest:{R}:1', eventKey: 'pullrequest:updated' };
    const a = deliveryId({ ...base, version: normalizeTime('2026-01-02T03:04:05.123456+00:00') });
    const b = deliveryId({ ...base, version: normalizeTime('2026-01-02T03:04:05.123Z') });
    const c = deliveryId({ ...base, version: normalizeTime('2026-01-02T03:04:06Z') });
    expect(a).toBe(b);
    expect(a).not.toBe(c);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
