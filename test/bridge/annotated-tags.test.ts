import { refStateStore } from '../../src/core/pipeline/ref-state';
import { dcEnv, inProcessBridge, projectRepositories, until, WEBHOOK_SECRET, type DcEnv } from './helpers';

// An annotated tag is two objects: the tag (its own hash) and the commit it points at. Data Center's
// repo:refs_changed names the tag object as `toHash` (the Jenkins plugin's annotated_tag_created.json),
// and its tag list shows both, `hash` and `latestCommit`. The poll must see the tag as the webhook
// does, or the same tag is two events to PanDev, and a moved tag to the bridge.

let env: DcEnv;
beforeAll(async () => (env = await dcEnv({ seed: 'annotated-tags', projects: 1, repositoriesPerProject: 1, pullRequestsPerRepository: 2, corruptPullRequest: false })));
afterAll(() => env.stop());

const tagPushes = (name: string) => env.sink.deliveries().filter((d) => d.eventKey === 'repo:refs_changed' && (d.body as any).changes[0].ref.id === `refs/tags/${name}`);
/** Tags are listed every tenth pass. */
const TAG_PASSES = 10;

describe('annotated tags', () => {
  it('are one event whichever of the webhook and the poll sees them, named by the tag object as Data Center names them', async () => {
    const running = await inProcessBridge(env.config());
    const repo = projectRepositories(env.sim)[0]!;
    const repository = `${repo.projectKey}/${repo.slug}`;
    const passes = async () => {
      for (let i = 0; i < TAG_PASSES; i++) await running.runPass();
      await running.bridge.queue.idle();
    };
    try {
      await running.runPass();

      // The poll alone: the body carries what the webhook would.
      const polled = env.sim.actions.createTag({ repository, name: 'pandev-2.0.0', message: 'Release 2.0.0' });
      const objectId = (polled.events[0]!.body as any).changes[0].toHash as string;
      expect(objectId).not.toBe(polled.commit);
      await passes();
      expect(tagPushes('pandev-2.0.0').map((d) => (d.body as any).changes[0].toHash)).toEqual([objectId]);

      // The webhook first: the poll then finds the tag where the webhook left it, and sends nothing.
      const id = env.sim.webhooks.register(`${running.ops.url}/webhooks/bitbucket`, WEBHOOK_SECRET);
      env.sim.actions.createTag({ repository, name: 'pandev-2.1.0', message: 'Release 2.1.0' });
      await env.sim.webhooks.idle();
      await until(() => tagPushes('pandev-2.1.0').length > 0, 10_000, 'the webhook\'s tag push');
      env.sim.webhooks.remove(id);
      await passes();
      expect(tagPushes('pandev-2.1.0').map((d) => d.headers['x-pandev-origin'])).toEqual(['webhook']);
      expect(env.sink.duplicates()).toBe(0);

      // A bridge before this one recorded an annotated tag by its commit: the same tag, not a move to its
      // tag object. Nothing is sent, and the record now names the tag object.
      const refs = refStateStore(running.bridge.store);
      const older = env.sim.actions.createTag({ repository, name: 'pandev-2.2.0', message: 'Release 2.2.0' });
      await passes();
      expect(tagPushes('pandev-2.2.0')).toHaveLength(1);
      const recorded = await refs.get(String(repo.id), 'tag', 'pandev-2.2.0');
      await refs.set(String(repo.id), 'tag', 'pandev-2.2.0', { ...recorded!, tip: older.commit });
      await passes();
      expect(tagPushes('pandev-2.2.0')).toHaveLength(1);
      expect((await refs.get(String(repo.id), 'tag', 'pandev-2.2.0'))?.tip).toBe(recorded!.tip);
    } finally {
      await running.stop();
    }
  });
});
