import path from 'node:path';
import { changeFromForgeEvent } from '../../src/core/change/forge-events';
import { intentsFor } from '../../src/core/change/intents';
import type { CloudSimulator, ForgeEvent } from '../../src/sandbox/cloud-sim';
import type { PanDevSink } from '../../src/sandbox/pandev-sink';
import { cloudConfig, cloudEnv, inProcessBridge } from './helpers';

// Issue 6, item 8, Cloud edition: the same bridge polls a Bitbucket Cloud workspace (the Cloud
// simulator) with an API token, through the core's reconciliation, and delivers what happened with
// the very ids the Forge app gives the same events, so a workspace moving between them sends nothing twice.

let sim: CloudSimulator;
let sink: PanDevSink;
let dir: string;
let stop: () => Promise<void>;
beforeAll(async () => ({ sim, sink, dir, stop } = await cloudEnv('bridge-cloud', 3)));
afterAll(() => stop());

describe('the bridge, cloud edition', () => {
  it('backfills a workspace, then delivers live changes with the ids the Forge app would give them', async () => {
    const running = await inProcessBridge(cloudConfig({ sim, sink }, path.join(dir, 'state.db')));
    try {
      const first = await running.runPass();
      await running.bridge.queue.idle();
      expect(first).toMatchObject({ repositories: 3, failed: 0 });
      const backfilled = sink.deliveries();
      expect(backfilled.length).toBeGreaterThan(20);
      for (const key of ['pullrequest:created', 'pullrequest:fulfilled', 'repo:push']) expect(backfilled.some((d) => d.eventKey === key)).toBe(true);
      expect(backfilled.every((d) => d.headers['x-pandev-edition'] === 'cloud')).toBe(true);

      const fired: ForgeEvent[] = [];
      const unsubscribe = sim.onEvent((event) => fired.push(event));
      const repository = [...sim.model.repositories.values()][0]!.slug;
      const a = sim.actions;
      const pr = a.openPullRequest({ repository, title: 'Polled, not triggered' });
      a.approvePullRequest({ repository, pullRequestId: pr.pullRequestId });
      a.mergePullRequest({ repository, pullRequestId: pr.pullRequestId });
      unsubscribe();
      await new Promise((resolve) => setTimeout(resolve, 20));
      await running.runPass();
      await running.bridge.queue.idle();

      const expectedIds = fired
        .filter((e) => ['avi:bitbucket:created:pullrequest', 'avi:bitbucket:fulfilled:pullrequest', 'avi:bitbucket:updated:pullrequest-reviewer-status'].includes(e.eventType))
        .flatMap((e) => intentsFor(changeFromForgeEvent(e, e.timestamp ?? new Date().toISOString())).intents.map((i) => i.id));
      expect(expectedIds.length).toBeGreaterThanOrEqual(3);
      const ids = new Set(sink.deliveries().map((d) => d.id));
      expect(expectedIds.filter((id) => !ids.has(id))).toEqual([]);
      expect(sink.duplicates()).toBe(0);
    } finally {
      await running.stop();
    }
  });
});
