import type { Change, ReviewerStatus } from '../../src/core/change/change';
import { intentsFor } from '../../src/core/change/intents';

const base = { edition: 'cloud' as const, workspace: '{w}', repository: { uuid: '{r}' }, origin: 'trigger' as const, at: '2026-11-20T10:00:00Z' };
const reviewer = (status: ReviewerStatus): Change => ({ ...base, kind: 'reviewer', pullRequestId: 1, reviewers: [{ user: { uuid: '{u}' }, status, at: '2026-11-20T10:01:00Z' }] });

describe('delivery intents', () => {
  it.each<[ReviewerStatus | undefined, ReviewerStatus, string[]]>([
    [undefined, 'approved', ['pullrequest:approved']],
    ['none', 'approved', ['pullrequest:approved']],
    ['approved', 'none', ['pullrequest:unapproved']],
    [undefined, 'changes_requested', ['pullrequest:changes_request_created']],
    ['changes_requested', 'none', ['pullrequest:changes_request_removed']],
    ['approved', 'changes_requested', ['pullrequest:unapproved', 'pullrequest:changes_request_created']],
    ['changes_requested', 'approved', ['pullrequest:changes_request_removed', 'pullrequest:approved']],
    ['approved', 'approved', []],
    [undefined, 'none', []],
  ])('reviewer %s -> %s gives %j', (before, after, keys) => {
    const { intents } = intentsFor(reviewer(after), () => (before ? [{ status: before, at: '2026-11-20T10:00:00Z' }] : undefined));
    expect(intents.map((i) => i.eventKey)).toEqual(keys);
  });

  // Forge does not keep a reviewer's events in order: one older than the stored status arrives late.
  it.each<[ReviewerStatus, ReviewerStatus, string[]]>([
    ['approved', 'none', ['pullrequest:approved@10:01', 'pullrequest:unapproved@10:05']],
    ['approved', 'changes_requested', ['pullrequest:approved@10:01', 'pullrequest:unapproved@10:05', 'pullrequest:changes_request_created@10:05']],
    ['changes_requested', 'none', ['pullrequest:changes_request_created@10:01', 'pullrequest:changes_request_removed@10:05']],
    ['approved', 'approved', ['pullrequest:approved@10:01']],
    ['none', 'approved', ['pullrequest:approved@10:05']],
  ])('a late %s, after %s was stored, is read against it (the stored one set again: sent already, it keeps its id)', (late, stored, keys) => {
    const { intents } = intentsFor(reviewer(late), () => [{ status: stored, at: '2026-11-20T10:05:00Z' }]);
    expect(intents.map((i) => `${i.eventKey}@${i.version.slice(11, 16)}`)).toEqual(keys);
  });

  // Approved at 10:01, changes requested at 10:02, that request removed at 10:03, approved again at
  // 10:04: whatever order the four events come in, together they give all that in order they give,
  // with the same ids. (One that lands between two seen already cannot take back the clearing sent for
  // the later of them.)
  it('places each of several late events among the statuses seen around it', () => {
    const steps: Array<[ReviewerStatus, string]> = [['approved', '10:01'], ['changes_requested', '10:02'], ['none', '10:03'], ['approved', '10:04']];
    const run = (order: number[]) => {
      const seen: Array<{ status: ReviewerStatus; at: string }> = [];
      const sent = new Set<string>();
      for (const index of order) {
        const [status, time] = steps[index]!;
        const at = `2026-11-20T${time}:00.000Z`;
        const change: Change = { ...base, kind: 'reviewer', pullRequestId: 1, reviewers: [{ user: { uuid: '{u}' }, status, at }] };
        for (const intent of intentsFor(change, () => [...seen]).intents) sent.add(`${intent.eventKey}@${intent.version.slice(11, 16)} ${intent.id}`);
        seen.push({ status, at });
        seen.sort((a, b) => a.at.localeCompare(b.at));
      }
      return [...sent].sort();
    };
    const inOrder = run([0, 1, 2, 3]);
    expect(inOrder.map((line) => line.split(' ')[0])).toEqual(['pullrequest:approved@10:01', 'pullrequest:approved@10:04', 'pullrequest:changes_request_created@10:02', 'pullrequest:changes_request_removed@10:03', 'pullrequest:unapproved@10:02']);
    // Every order of the four, and with repeats; a status skipped as unchanged when it came is sent
    // once the one between it and its like arrives.
    const orders = (left: number[]): number[][] => (left.length ? left.flatMap((first) => orders(left.filter((n) => n !== first)).map((rest) => [first, ...rest])) : [[]]);
    const all = [...orders([0, 1, 2, 3]), [3, 2, 0, 1, 0], [0, 2, 1, 3, 2]];
    expect(all.filter((order) => !inOrder.every((line) => run(order).includes(line)))).toEqual([]);
    // A transition found again (a status set again once a late one lands before it) keeps its one id.
    expect(all.filter((order) => new Set(run(order).map((line) => line.split(' ')[0])).size !== run(order).length)).toEqual([]);
  });

  it('sends an approval skipped as unchanged once the unapproval before it arrives late', () => {
    const seen: Array<{ status: ReviewerStatus; at: string }> = [];
    const sent: string[] = [];
    for (const [status, time] of [['approved', '10:01'], ['approved', '10:03'], ['none', '10:02']] as Array<[ReviewerStatus, string]>) {
      const at = `2026-11-20T${time}:00.000Z`;
      const change: Change = { ...base, kind: 'reviewer', pullRequestId: 1, reviewers: [{ user: { uuid: '{u}' }, status, at }] };
      sent.push(...intentsFor(change, () => [...seen]).intents.map((intent) => `${intent.eventKey}@${intent.version.slice(11, 16)}`));
      seen.push({ status, at });
      seen.sort((a, b) => a.at.localeCompare(b.at));
    }
    expect(sent).toEqual(['pullrequest:approved@10:01', 'pullrequest:unapproved@10:02', 'pullrequest:approved@10:03']);
  });

  it('counts a cleared status it cannot attribute as skipped, with its reason', () => {
    expect(intentsFor(reviewer('none'), () => undefined).skipped.map((s) => s.reason)).toEqual(['reviewer-cleared-prior-unknown']);
  });

  it('gives one id per pull request lifecycle event, whatever source found it', () => {
    const created = (origin: 'trigger' | 'backfill'): Change => ({ ...base, origin, at: origin === 'trigger' ? base.at : '2026-11-21T00:00:00Z', kind: 'pullrequest', action: 'created', pullRequestId: 7 });
    expect(intentsFor(created('trigger')).intents[0]!.id).toBe(intentsFor(created('backfill')).intents[0]!.id);
  });

  it('versions an update by the pull request updated_on, so two updates are two deliveries', () => {
    const update = (updatedOn: string): Change => ({ ...base, kind: 'pullrequest', action: 'updated', pullRequestId: 7, updatedOn });
    const a = intentsFor(update('2026-11-20T10:00:00.000001+00:00')).intents[0]!;
    const b = intentsFor(update('2026-11-20T10:05:00Z')).intents[0]!;
    expect(a.id).not.toBe(b.id);
    expect(a.eventKey).toBe('pullrequest:updated');
  });
});
