import path from 'node:path';
import { readStatus } from '../../src/bridge/cli/status';
import type { CloudSimulator } from '../../src/sandbox/cloud-sim';
import type { PanDevSink } from '../../src/sandbox/pandev-sink';
import { cloudConfig, cloudEnv, inProcessBridge } from './helpers';

// A Cloud repository renamed while the bridge polls it: its UUID stays, so the bridge goes on polling it
// under the same state, and what it delivers from then on names it as Bitbucket now does, as the Forge
// app's deliveries do (its repository-updated trigger refreshes the name); the bridge has no such
// trigger, only its listing of the workspace.

let sim: CloudSimulator;
let sink: PanDevSink;
let dir: string;
let stop: () => Promise<void>;
beforeAll(async () => ({ sim, sink, dir, stop } = await cloudEnv('bridge-cloud-renamed', 2)));
afterAll(() => stop());

// The admin's access token (Bearer), where the other Cloud tests use an API token.
const config = () => cloudConfig({ sim, sink }, path.join(dir, 'state.db'), { BITBUCKET_USERNAME: '', BITBUCKET_TOKEN: sim.credentials.admin.token });

async function pass() {
  // A bridge started anew lists the workspace at its first pass, as a running one does every 10 minutes.
  const running = await inProcessBridge(config());
  try {
    const summary = await running.runPass();
    await running.bridge.queue.idle();
    return { summary, status: await readStatus(running.bridge.store) };
  } finally {
    await running.stop();
  }
}

it('delivers what happens after a rename under the repository\'s new name, and shows that name in status', async () => {
  expect((await pass()).summary).toMatchObject({ repositories: 2, failed: 0 });
  const repository = [...sim.model.repositories.values()][0]!;
  sim.actions.updateRepository({ repository: repository.slug, name: 'Renamed Service' });
  expect(repository.slug).toBe('renamed-service');
  const opened = sim.actions.openPullRequest({ repository: repository.slug, title: 'After the rename' });

  const after = await pass();
  expect(after.summary).toMatchObject({ repositories: 2, failed: 0 });
  const created = sink.deliveries().find((d) => d.eventKey === 'pullrequest:created' && (d.body as { pullrequest: { id: number; title: string } }).pullrequest.title === 'After the rename');
  expect(created).toBeDefined();
  const named = (created!.body as { repository: { uuid: string; full_name: string; name: string } }).repository;
  expect(named.uuid).toBe(repository.uuid);
  expect(named).toMatchObject({ full_name: `${sim.workspace.slug}/renamed-service`, name: 'Renamed Service' });
  expect((created!.body as { pullrequest: { id: number } }).pullrequest.id).toBe(opened.pullRequestId);
  expect(after.status.repositories.find((r) => r.id.includes(repository.uuid.replace(/[{}]/g, '')))).toMatchObject({ name: `${sim.workspace.slug}/renamed-service` });
}, 60_000);
