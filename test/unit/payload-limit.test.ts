import { PayloadTooLargeError, serializeWithinLimit, WEBHOOK_BODY_LIMIT } from '../../src/core/payload/limit';

describe('256 KB webhook limit', () => {
  it('leaves a normal body byte-for-byte as JSON.stringify gives it', () => {
    const body = { pullrequest: { id: 1, rendered: { title: { html: '<p>x</p>' } } } };
    expect(serializeWithinLimit(body)).toBe(JSON.stringify(body));
  });

  it('drops rendered copies first and names what it cut', () => {
    const html = 'h'.repeat(200 * 1024);
    const body = { pullrequest: { id: 1, description: 'keep', rendered: { description: { raw: 'r', html } }, summary: { raw: 's', html } } };
    const json = serializeWithinLimit(body);
    expect(Buffer.byteLength(json)).toBeLessThanOrEqual(WEBHOOK_BODY_LIMIT);
    const parsed = JSON.parse(json);
    expect(parsed.pullrequest.description).toBe('keep');
    expect(parsed.pullrequest.rendered).toBeUndefined();
    expect(parsed.pandev.truncated).toEqual(expect.arrayContaining(['pullrequest.rendered', 'pullrequest.summary.html']));
  });

  it('trims long text and the extra commit list next', () => {
    const body = { pullrequest: { description: 'd'.repeat(300 * 1024) }, pandev: { commits: Array.from({ length: 500 }, (_, i) => ({ hash: String(i) })) } };
    const parsed = JSON.parse(serializeWithinLimit(body));
    expect(parsed.pullrequest.description.length).toBeLessThan(20 * 1024);
    expect(parsed.pandev.commits).toHaveLength(100);
    expect(parsed.pandev.commits_truncated).toBe(true);
  });

  it('refuses what cannot be brought under the limit', () => {
    const body = { many: Array.from({ length: 30_000 }, (_, i) => ({ id: i, name: `item-${i}` })) };
    expect(() => serializeWithinLimit(body)).toThrow(PayloadTooLargeError);
  });
});
