import { datacenterIntents, toSecond } from '../../src/core/change/datacenter-intents';
import type { Change } from '../../src/core/change/change';
import { deliveryId } from '../../src/core/change/delivery-id';
import { pullRequestEvents } from '../../src/core/enrich/datacenter/pull-request-events';
import { Activity, DcDate, epochMs, PullRequest } from '../../src/core/enrich/datacenter/schema';
import { quietLogger } from './helpers';

// The platform-free Data Center pieces: both versions' dates, and delivery ids that the poll (epoch
// milliseconds) and the webhook (ISO to the second) compute alike.

const repository = { id: 7, slug: 'api', name: 'API', project: { key: 'PRJ' } };
const user = { name: 'alice', id: 3, slug: 'alice', displayName: 'Alice' };
const ref = (branch: string) => ({ id: `refs/heads/${branch}`, displayId: branch, latestCommit: 'abc', repository });

describe('Data Center dates', () => {
  it('accepts 9.x epoch milliseconds and 10.x ISO strings (with +0000 or Z) as one instant', () => {
    const ms = Date.UTC(2018, 6, 5, 19, 21, 30);
    for (const value of [ms, '2018-07-05T19:21:30+0000', '2018-07-05T19:21:30.000Z', '2018-07-05T21:21:30+0200']) {
      expect(DcDate.safeParse(value).success).toBe(true);
      expect(epochMs(value)).toBe(ms);
    }
    expect(DcDate.safeParse('yesterday').success).toBe(false);
  });

  it('parses a pull request and its activities in either format', () => {
    for (const date of [1530818490848, '2018-07-05T19:21:30+0000']) {
      expect(PullRequest.safeParse({ id: 1, title: 't', state: 'OPEN', createdDate: date, updatedDate: date, fromRef: ref('f'), toRef: ref('main') }).success).toBe(true);
      expect(Activity.safeParse({ id: 1, createdDate: date, user, action: 'APPROVED' }).success).toBe(true);
    }
  });
});

describe('Data Center delivery ids', () => {
  const base = { edition: 'datacenter' as const, workspace: 'https://bitbucket.example.com', repository: { uuid: '7', slug: 'PRJ/api' }, pullRequestId: 5 };

  it('are the same from the poll (milliseconds) and the webhook (seconds) for recurring events', () => {
    const poll: Change = { ...base, origin: 'poll', at: new Date(1530818490848).toISOString(), kind: 'reviewer', reviewers: [{ user: { id: 3, name: 'alice' }, status: 'approved', at: new Date(1530818490848).toISOString() }] };
    const hook: Change = { ...poll, origin: 'webhook', reviewers: [{ user: { id: 3, name: 'alice' }, status: 'approved', at: new Date(epochMs('2018-07-05T19:21:30+0000')).toISOString() }] };
    expect(datacenterIntents(poll).intents[0]!.id).toBe(datacenterIntents(hook).intents[0]!.id);
    expect(datacenterIntents(poll).intents[0]!.eventKey).toBe('pr:reviewer:approved');
    expect(toSecond(1530818490848)).toBe('2018-07-05T19:21:30Z');
  });

  it('version what recurs and not what happens once', () => {
    const declined = (at: string): Change => ({ ...base, origin: 'poll', at, kind: 'pullrequest', action: 'rejected' });
    expect(datacenterIntents(declined('2026-01-01T00:00:00Z')).intents[0]!.id).not.toBe(datacenterIntents(declined('2026-01-02T00:00:00Z')).intents[0]!.id);
    const opened = (at: string): Change => ({ ...base, origin: 'poll', at, kind: 'pullrequest', action: 'created' });
    expect(datacenterIntents(opened('2026-01-01T00:00:00Z')).intents[0]!.id).toBe(datacenterIntents(opened('2026-03-01T00:00:00Z')).intents[0]!.id);
  });

  it('tell a second decline within one second apart, and keep a first decline\'s id as it was', () => {
    const at = '2026-01-01T00:00:00.250Z';
    const declined = (occurrence?: number): Change => ({ ...base, origin: 'poll', at, kind: 'pullrequest', action: 'rejected', ...(occurrence ? { occurrence } : {}) });
    // Ids PanDev already holds are made as before: the decline's second, nothing more.
    const before = deliveryId({ edition: 'datacenter', workspace: base.workspace, entity: 'pullrequest:7:5', eventKey: 'pr:declined', version: toSecond(at) });
    expect(datacenterIntents(declined()).intents[0]!.id).toBe(before);
    expect(datacenterIntents(declined(2)).intents[0]!.id).not.toBe(before);
    expect(datacenterIntents(declined(3)).intents[0]!.id).not.toBe(datacenterIntents(declined(2)).intents[0]!.id);
  });

  it.each([
    ['a pull request edit', 'pr:modified', 'pullrequest:7:5', (at: string): Change => ({ ...base, origin: 'poll', at, kind: 'pullrequest', action: 'updated', updatedOn: at })],
    ['a comment edit', 'pr:comment:edited', 'pullrequest:7:5:comment:9', (at: string): Change => ({ ...base, origin: 'poll', at, kind: 'comment', action: 'updated', commentId: 9 })],
    ['an approval', 'pr:reviewer:approved', 'pullrequest:7:5:reviewer:3', (at: string): Change => ({ ...base, origin: 'poll', at, kind: 'reviewer', reviewers: [{ user: { id: 3, name: 'alice' }, status: 'approved', at }] })],
  ])('tell %s within one second apart, and keep the first one\'s id as it was', (_, eventKey, entity, made) => {
    const at = '2026-01-01T00:00:00.250Z';
    const id = (occurrence?: number) => datacenterIntents({ ...made(at), ...(occurrence ? { occurrence } : {}) }).intents[0]!.id;
    expect(id()).toBe(deliveryId({ edition: 'datacenter', workspace: base.workspace, entity, eventKey, version: toSecond(at) }));
    expect(new Set([id(), id(2), id(3)]).size).toBe(3);
  });

  it('come out the same from a 9.x and a 10.x activity feed', () => {
    const events = (date: number | string) => {
      const pr = PullRequest.parse({ id: 5, title: 't', state: 'OPEN', createdDate: date, updatedDate: date, fromRef: ref('f'), toRef: ref('main') });
      const activities = ['OPENED', 'APPROVED', 'REVIEWED', 'UNAPPROVED', 'DECLINED'].map((action, i) => Activity.parse({ id: i + 1, createdDate: date, user, action }));
      return pullRequestEvents({ instance: 'x', repository, origin: 'poll' }, pr, activities).events.map((e) => `${e.intent.eventKey} ${e.intent.id}`);
    };
    expect(events(1530818490848)).toEqual(events('2018-07-05T19:21:30+0000'));
    expect(events(1530818490848).map((e) => e.split(' ')[0])).toEqual(['pr:opened', 'pr:reviewer:approved', 'pr:reviewer:needs_work', 'pr:reviewer:unapproved', 'pr:declined']);
  });
});

describe('logs', () => {
  it('mask credentials at any depth', () => {
    const lines: string[] = [];
    quietLogger(lines).warn({ headers: { Authorization: 'Bearer pat-123' }, config: { bitbucket: { token: 'pat-456' }, pandev: { signingSecret: 'sec-789' } } }, 'something');
    expect(lines.join('')).not.toMatch(/pat-123|pat-456|sec-789/);
    expect(lines.join('')).toContain('[redacted]');
  });
});
