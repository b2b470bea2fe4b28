import { PayloadTooLargeError, serializeWithinLimit, SUBJECT_LIMIT, WEBHOOK_BODY_LIMIT } from '../../src/core/payload/limit';

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

  it('never cuts a character in half where it trims long text (emoji are two UTF-16 units)', () => {
    const body = { pullrequest: { title: 'Release 🚀', description: `x${'🚀'.repeat(150 * 1024)}` } };
    const json = serializeWithinLimit(body);
    expect(Buffer.byteLength(json)).toBeLessThanOrEqual(WEBHOOK_BODY_LIMIT);
    // A lone surrogate is valid JSON.stringify output but no text: Postgres' jsonb, for one, refuses it.
    expect(json).not.toMatch(/\\ud[89a-f][0-9a-f]{2}/i);
    expect(JSON.parse(json).pullrequest.description).toMatch(/^x(🚀)+…$/u);
  });

  it('delivers a push of a hundred commits with long messages, shortening the oldest ones', () => {
    // Squash merges list every commit they squashed; in Cyrillic each character is two bytes.
    const message = `Слияние ветки release\n\n${'* исправлена обработка платежей\n'.repeat(60)}`;
    const commits = Array.from({ length: 150 }, (_, i) => ({ hash: `c${i}`, date: '2026-11-20T10:00:00Z', message, author: { raw: 'Dev <dev@example.com>' }, parents: [`c${i + 1}`] }));
    const body = { actor: { type: 'user' }, push: { changes: [{ commits: commits.slice(0, 5), truncated: true }] }, pandev: { commits, commits_truncated: false } };
    const json = serializeWithinLimit(body);
    expect(Buffer.byteLength(json)).toBeLessThanOrEqual(WEBHOOK_BODY_LIMIT);
    const parsed = JSON.parse(json);
    expect(parsed.pandev.commits).toHaveLength(100);
    expect(parsed.pandev.commits[0].message).toBe(message);
    expect(parsed.pandev.commits[99].message).toBe(message.split('\n')[0]);
    expect(parsed.pandev.truncated).toContain('pandev.commits[].message');
  });

  it("delivers a pull request of 3,000 commits with its newest hundred, shortening the oldest ones' messages", () => {
    // A release branch's pull request: its own commits go oldest first under pandev.pullrequest.
    const message = `Merge branch 'develop' into release\n\n${'* fix the settings page\n'.repeat(100)}`;
    const commits = Array.from({ length: 3000 }, (_, i) => ({ hash: `c${i}`, date: '2026-11-20T10:00:00Z', message, author: { raw: 'Dev <dev@example.com>', uuid: null }, parents: [`c${i - 1}`] }));
    const body = { pullrequest: { id: 7 }, pandev: { pullrequest: { commits, first_commit_at: '2026-11-01T09:00:00Z' } } };
    const json = serializeWithinLimit(body);
    expect(Buffer.byteLength(json)).toBeLessThanOrEqual(WEBHOOK_BODY_LIMIT);
    const parsed = JSON.parse(json).pandev;
    expect(parsed.pullrequest.commits.map((c: { hash: string }) => c.hash)).toEqual(commits.slice(-100).map((c) => c.hash));
    expect(parsed.pullrequest).toMatchObject({ commits_truncated: true, first_commit_at: '2026-11-01T09:00:00Z' });
    expect(parsed.pullrequest.commits.at(-1).message).toBe(message);
    expect(parsed.pullrequest.commits[0].message).toBe(message.split('\n')[0]);
    expect(parsed.truncated).toEqual(expect.arrayContaining(['pandev.pullrequest.commits', 'pandev.pullrequest.commits[].message']));
  });

  it('delivers a pull request of many commits with long messages, shortening its oldest commits\' messages', () => {
    const message = (i: number) => `Change ${i}\n\n${'* explain the change at length\n'.repeat(260)}`;
    // Oldest first, as a pull request's commits are listed.
    const commits = Array.from({ length: 150 }, (_, i) => ({ hash: `c${i}`, date: '2026-11-20T10:00:00Z', message: message(i), parents: [] }));
    const body = { pullrequest: { id: 1 }, pandev: { pullrequest: { commits, first_commit_at: null } } };
    const json = serializeWithinLimit(body);
    expect(Buffer.byteLength(json)).toBeLessThanOrEqual(WEBHOOK_BODY_LIMIT);
    const parsed = JSON.parse(json);
    expect(parsed.pandev.pullrequest.commits).toHaveLength(150);
    expect(parsed.pandev.pullrequest.commits[0]).toMatchObject({ message: 'Change 0', message_truncated: true });
    expect(parsed.pandev.pullrequest.commits[149].message).toBe(message(149));
    expect(parsed.pandev.truncated).toContain('pandev.pullrequest.commits[].message');
  });

  // A generated commit's message may be one line of 8–16 KB (under the 16 KB any text is cut to first):
  // a hundred of them are too large, and there is no first line shorter than the message to keep.
  const oneLine = (i: number) => `Update generated bundle ${i}: ${'ab12cd34ef'.repeat(1200)}`;
  const cutLine = (i: number) => `${oneLine(i).slice(0, SUBJECT_LIMIT)}…`;

  it('delivers a push of a hundred commits with one-line messages of 12 KB, cutting the oldest ones by characters', () => {
    const commits = Array.from({ length: 100 }, (_, i) => ({ hash: `c${i}`, date: '2026-11-20T10:00:00Z', message: oneLine(i), author: { raw: 'Dev <dev@example.com>' }, parents: [`c${i + 1}`] }));
    // The native commits carry the message twice (message and summary), as Bitbucket's objects do.
    const native = commits.slice(0, 5).map((c) => ({ ...c, summary: { raw: c.message } }));
    const change = { new: { type: 'branch', name: 'main', target: native[0] }, old: { type: 'branch', name: 'main', target: native[4] }, commits: native, truncated: true };
    const body = { actor: { type: 'user' }, push: { changes: [change] }, pandev: { commits, commits_truncated: false } };
    const json = serializeWithinLimit(body);
    expect(Buffer.byteLength(json)).toBeLessThanOrEqual(WEBHOOK_BODY_LIMIT);
    const parsed = JSON.parse(json);
    expect(parsed.pandev.commits.map((c: { hash: string }) => c.hash)).toEqual(commits.map((c) => c.hash));
    expect(parsed.pandev.commits[99]).toMatchObject({ message: cutLine(99), message_truncated: true });
    expect(parsed.push.changes[0].commits.map((c: { hash: string; message: string }) => [c.hash, c.message])).toEqual(native.map((c, i) => [c.hash, cutLine(i)]));
    expect(parsed.pandev.truncated).toEqual(expect.arrayContaining(['pandev.commits[].message', 'push.changes[].commits[].message', 'push.changes[].new.target.summary.raw']));
  });

  it("delivers a pull request's commits with one-line messages of 12 KB, cutting the oldest ones by characters", () => {
    const commits = Array.from({ length: 100 }, (_, i) => ({ hash: `c${i}`, date: '2026-11-20T10:00:00Z', message: oneLine(i), parents: [] }));
    const body = { pullrequest: { id: 1 }, pandev: { pullrequest: { commits, first_commit_at: null } } };
    const json = serializeWithinLimit(body);
    expect(Buffer.byteLength(json)).toBeLessThanOrEqual(WEBHOOK_BODY_LIMIT);
    const listed = JSON.parse(json).pandev.pullrequest.commits;
    expect(listed).toHaveLength(100);
    expect(listed[0]).toMatchObject({ message: cutLine(0), message_truncated: true });
    expect(listed[99].message).toBe(oneLine(99));
  });

  it('refuses what cannot be brought under the limit', () => {
    const body = { many: Array.from({ length: 30_000 }, (_, i) => ({ id: i, name: `item-${i}` })) };
    expect(() => serializeWithinLimit(body)).toThrow(PayloadTooLargeError);
  });
});
