import { changeFromForgeEvent, forgeEventTypes } from '../../src/core/change/forge-events';
import { InvalidInputError } from '../../src/core/errors';

const common = {
  timestamp: '2026-11-20T10:00:00.000Z',
  selfGenerated: false,
  actor: { type: 'user', accountId: 'acc', uuid: '{a}' },
  repository: { uuid: '{r}', slug: 'api' },
  project: { uuid: '{p}' },
  workspace: { uuid: '{w}' },
};
const pullrequest = { id: 3, state: 'OPEN', source: { branch: 'f', commit: { hash: 'abc' } }, destination: { branch: 'main', commit: { hash: 'def' } }, updatedOn: '2026-11-20T10:00:00.123456+00:00' };

// One example per subscribed event, in the shapes of Atlassian's event reference.
const examples: Record<string, Record<string, unknown>> = {
  pullrequest: { pullrequest },
  'pullrequest-comment': { pullrequest, comment: { id: 9 } },
  'pullrequest-reviewer-status': { pullrequest, reviewers: { value: [{ user: { type: 'user', accountId: 'rev', uuid: '{rev}' }, status: 'approved', timestamp: '2026-11-20T10:01:00Z' }], truncated: false } },
  repository: { changes: { name: { old: { value: 'a' }, new: { value: 'b' } } } },
  push: { push: { ref: 'main', mainbranch: true, before: 'aaa', after: 'bbb', created: false, closed: false, forced: false, truncated: false, commits: [] } },
  'build-status': { buildStatus: { key: 'ci', commit: { hash: 'bbb' }, state: 'SUCCESSFUL', url: 'u', createdOn: 't', updatedOn: '2026-11-20T10:02:00Z' } },
  deployment: { pipeline: { uuid: '{pl}' }, deployment: { uuid: '{d}', state: 'COMPLETED', updatedTimestamp: 't' }, environment: { uuid: '{e}', type: 'Production', name: 'Production' } },
};

function example(eventType: string): Record<string, unknown> {
  const [, , action, entity] = eventType.split(':') as [string, string, string, string];
  const key = action === 'push' ? 'push' : entity;
  return { eventType, ...common, ...examples[key] };
}

describe('Forge events become changes', () => {
  it.each(forgeEventTypes)('%s', (eventType) => {
    const change = changeFromForgeEvent(example(eventType), '2026-11-20T10:05:00Z');
    expect(change).toMatchObject({ edition: 'cloud', workspace: '{w}', repository: { uuid: '{r}', slug: 'api' }, origin: 'trigger' });
    expect(change.at).toBe('2026-11-20T10:00:00.000Z');
  });

  it('keeps a repository update whose changes are too large or deep to carry, without those changes', () => {
    const large = { ...example('avi:bitbucket:updated:repository'), changes: { description: { old: { value: 'd'.repeat(40_000) }, new: { value: 'e' } } } };
    expect(changeFromForgeEvent(large, 'now')).toMatchObject({ kind: 'repository', action: 'updated' });
    expect(changeFromForgeEvent(large, 'now')).not.toHaveProperty('changes');
    let deep: Record<string, unknown> = { value: 'x' };
    for (let i = 0; i < 20; i++) deep = { nested: deep };
    const nested = { ...example('avi:bitbucket:updated:repository'), changes: { name: deep } };
    expect(changeFromForgeEvent(nested, 'now')).not.toHaveProperty('changes');
    expect(changeFromForgeEvent(example('avi:bitbucket:updated:repository'), 'now')).toHaveProperty('changes.name.new.value', 'b');
  });

  it('maps reviewer statuses, including a cleared one', () => {
    const event = example('avi:bitbucket:updated:pullrequest-reviewer-status');
    (event.reviewers as { value: Array<{ status: string | null }> }).value[0]!.status = null;
    const change = changeFromForgeEvent(event, 'now');
    expect(change).toMatchObject({ kind: 'reviewer', pullRequestId: 3, reviewers: [{ status: 'none', user: { uuid: '{rev}' } }] });
  });

  it('tells a tag push from a branch push', () => {
    const tag = { ...example('avi:bitbucket:push:repository'), push: { ref: 'v1.0', created: true, closed: false, forced: false, after: 'ccc' } };
    expect(changeFromForgeEvent(tag, 'now')).toMatchObject({ kind: 'push', ref: { name: 'v1.0', type: 'tag' }, before: null, after: 'ccc', created: true });
    const branch = changeFromForgeEvent(example('avi:bitbucket:push:repository'), 'now');
    expect(branch).toMatchObject({ ref: { name: 'main', type: 'branch' }, before: 'aaa', after: 'bbb' });
  });

  it("keeps the commits a forced branch push's event named, bounded, and whether the list is short", () => {
    const push = (fields: Record<string, unknown>) => {
      const event = example('avi:bitbucket:push:repository');
      return changeFromForgeEvent({ ...event, push: { ...(event.push as object), ...fields } }, 'now');
    };
    const commit = (hash: unknown) => ({ hash, message: { value: 'm', truncated: false }, date: 't', author: { user: common.actor } });
    expect(push({ forced: true, commits: [commit('CC2758D231FC'), commit('ab12cd34ef56')] })).toMatchObject({ named: { hashes: ['cc2758d231fc', 'ab12cd34ef56'] } });
    expect(push({ forced: true, commits: [commit('cc2758d231fc')] })).not.toHaveProperty('named.truncated');
    expect(push({ forced: true, truncated: true, commits: [commit('cc2758d231fc')] })).toMatchObject({ named: { hashes: ['cc2758d231fc'], truncated: true } });
    // One it cannot name is left out, and the list is said to be short of the push's.
    expect(push({ forced: true, commits: [commit('cc2758d231fc'), commit(42), { hash: 'x'.repeat(300) }] })).toMatchObject({ named: { hashes: ['cc2758d231fc'], truncated: true } });
    const many = push({ forced: true, commits: Array.from({ length: 150 }, (_, i) => commit(i.toString(16).padStart(12, '0'))) });
    expect(many).toMatchObject({ named: { truncated: true } });
    expect((many as { named: { hashes: string[] } }).named.hashes).toHaveLength(100);
    // Only a forced push can need them: others carry none.
    expect(push({ forced: false, commits: [commit('cc2758d231fc')] })).not.toHaveProperty('named');
    expect(push({ ref: { name: 'v1', type: 'tag' }, forced: true, commits: [commit('cc2758d231fc')] })).not.toHaveProperty('named');
  });

  it('keeps the deployment environment the event names', () => {
    expect(changeFromForgeEvent(example('avi:bitbucket:completed:deployment'), 'now')).toMatchObject({
      kind: 'deployment', action: 'completed', deploymentUuid: '{d}', environmentUuid: '{e}', environment: { type: 'Production' }, pipelineUuid: '{pl}', state: 'COMPLETED',
    });
  });

  it('names the field that is wrong', () => {
    const bad = { ...example('avi:bitbucket:created:pullrequest'), pullrequest: { id: 'three' } };
    expect(() => changeFromForgeEvent(bad, 'now')).toThrow(InvalidInputError);
    expect(() => changeFromForgeEvent(bad, 'now')).toThrow(/pullrequest\.id/);
  });

  it('refuses an event type the app does not handle', () => {
    expect(() => changeFromForgeEvent({ ...example('avi:bitbucket:created:pullrequest'), eventType: 'avi:jira:created:issue' }, 'now')).toThrow(/unknown event type "avi:jira:created:issue"/);
  });
});
