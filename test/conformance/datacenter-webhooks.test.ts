import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { verify } from '../../src/core/deliver/sign';
import { startPanDevSink, type PanDevSink } from '../../src/sandbox/pandev-sink';
import { findPullRequest } from '../../src/sandbox/dc-sim/model/pull-requests';
import { fixturesDir, fixturesPresent } from '../helpers/shared';
import { dcEnv, projectRepositories, FAST_TUNING, inProcessBridge, PANDEV, WEBHOOK_SECRET, type DcEnv } from '../bridge/helpers';
import { keyPaths, missingKeyPaths, type PathTypes } from './key-paths';

// Issue 6, item 8: for every Data Center webhook fixture in ../shared/fixtures (drone/go-scm's stash
// webhooks and the Jenkins plugin's native server payloads), the body the bridge delivers for the same
// event key, in the same version's date format (9.x epoch milliseconds, 10.x ISO strings), contains
// every key path of the real one with the same JSON types. Bodies come from the whole bridge over
// loopback: simulator → poll (or webhook, for what only a webhook can tell) → PanDev receiver.

const goScm = 'drone-go-scm/scm/driver/stash/testdata/webhooks';
const server = 'jenkinsci-bitbucket-branch-source-plugin/src/test/resources/com/cloudbees/jenkins/plugins/bitbucket';
type Source = 'poll' | 'webhook';
/** fixture → event key, the version its dates are from, and which of the bridge's paths makes that event. */
const fixtures: Record<string, [string, '9.x' | '10.x', Source]> = {
  [`${goScm}/pr_open.json`]: ['pr:opened', '9.x', 'poll'],
  [`${goScm}/pr_open_iso_dates.json`]: ['pr:opened', '10.x', 'poll'],
  [`${goScm}/pr_merged.json`]: ['pr:merged', '9.x', 'poll'],
  [`${goScm}/pr_merged_iso_dates.json`]: ['pr:merged', '10.x', 'poll'],
  [`${goScm}/pr_declined.json`]: ['pr:declined', '9.x', 'poll'],
  [`${goScm}/pr_declined_iso_dates.json`]: ['pr:declined', '10.x', 'poll'],
  [`${goScm}/pr_from_ref_updated.json`]: ['pr:from_ref_updated', '9.x', 'poll'],
  [`${goScm}/pr_modified_meta.json`]: ['pr:modified', '9.x', 'poll'],
  [`${goScm}/pr_modified_toref.json`]: ['pr:modified', '9.x', 'poll'],
  // A deleted pull request is gone from the REST API: only its webhook tells.
  [`${goScm}/pr_deleted.json`]: ['pr:deleted', '9.x', 'webhook'],
  [`${goScm}/push.json`]: ['repo:refs_changed', '9.x', 'poll'],
  [`${goScm}/push_v5.json`]: ['repo:refs_changed', '9.x', 'poll'],
  [`${goScm}/push_branch_create.json`]: ['repo:refs_changed', '9.x', 'poll'],
  [`${goScm}/push_tag_create.json`]: ['repo:refs_changed', '9.x', 'poll'],
  // Deleted refs are not listed any more either.
  [`${goScm}/push_branch_delete.json`]: ['repo:refs_changed', '9.x', 'webhook'],
  [`${goScm}/push_tag_delete.json`]: ['repo:refs_changed', '9.x', 'webhook'],
  [`${server}/impl/webhook/server/pushPayload.json`]: ['repo:refs_changed', '9.x', 'poll'],
  [`${server}/impl/webhook/server/pushPayload_v10.json`]: ['repo:refs_changed', '10.x', 'poll'],
  [`${server}/impl/webhook/server/signed_payload.json`]: ['repo:refs_changed', '9.x', 'poll'],
  [`${server}/impl/webhook/server/emptyPayload.json`]: ['repo:refs_changed', '9.x', 'poll'],
  [`${server}/impl/webhook/server/tag_created.json`]: ['repo:refs_changed', '9.x', 'poll'],
  [`${server}/impl/webhook/server/annotated_tag_created.json`]: ['repo:refs_changed', '9.x', 'poll'],
  [`${server}/impl/webhook/server/branch_deleted.json`]: ['repo:refs_changed', '9.x', 'webhook'],
  [`${server}/impl/webhook/server/tag_deleted.json`]: ['repo:refs_changed', '9.x', 'webhook'],
  [`${server}/impl/webhook/server/prOpenFromTagPayload.json`]: ['pr:opened', '9.x', 'poll'],
  // These two print pull request dates as strings: a 10.x instance sent them.
  [`${server}/server/events/BitbucketServerPullRequestEventTest/newPRPayload.json`]: ['pr:opened', '10.x', 'poll'],
  [`${server}/server/events/BitbucketServerPullRequestEventTest/deletePRPayload.json`]: ['pr:deleted', '10.x', 'webhook'],
};
/**
 * Fixtures in those folders that are not a Data Center event the bridge forwards, and why:
 * mirror synchronisation is a mirror farm's housekeeping, not a change to code or review; ping.json is
 * the "test connection" body; updatePayload.json and legacyPayload.json are the third-party "Post
 * Webhooks for Bitbucket" plugin's format; apiResponse.json is a REST answer, not a webhook.
 */
const notForwarded = ['mirrorSynchronized.json', 'mirrorSynchronized_refLimitExceeded.json', 'ping.json', 'updatePayload.json', 'legacyPayload.json', 'apiResponse.json'];


const ours = new Map<string, PathTypes>();
const record = (format: string, source: Source, sink: PanDevSink) => {
  for (const d of sink.deliveries()) {
    const key = `${format} ${source} ${d.eventKey}`;
    keyPaths(d.body, ours.get(key) ?? ours.set(key, new Map()).get(key));
  }
};

/** A history, then live changes of every kind; the poll finds them, a webhook-only bridge hears them. */
async function scenario(env: DcEnv, format: string): Promise<void> {
  const webhookSink = await startPanDevSink({ secret: PANDEV.secret, token: PANDEV.token });
  const polling = await inProcessBridge(env.config());
  const listening = await inProcessBridge({ ...env.config({ BRIDGE_DB: path.join(env.dir, 'webhooks.db'), PANDEV_URL: webhookSink.url }), tuning: FAST_TUNING });
  try {
    await polling.runPass();
    env.sim.webhooks.register(`${listening.ops.url}/webhooks/bitbucket`, WEBHOOK_SECRET);
    const a = env.sim.actions;
    const repo = projectRepositories(env.sim)[0]!;
    const repository = `${repo.projectKey}/${repo.slug}`;
    // Open pull requests the first pass saw, so the next one can tell what changed: the fork's too.
    const open = (r: typeof repo) => [...r.summaries()].filter((s) => s.state === 'OPEN').map((s) => findPullRequest(env.sim.model, r, s.id)!);
    const targets = projectRepositories(env.sim).flatMap((r) => open(r).map((pr) => ({ repository: `${r.projectKey}/${r.slug}`, pr })));
    const fork = targets.find((t) => t.pr.from.repositoryId !== env.sim.model.repository(...(t.repository.split('/') as [string, string]))!.id);
    for (const t of [fork, targets.find((t) => t !== fork)].filter((t) => t !== undefined)) a.updatePullRequest({ repository: t.repository, pullRequestId: t.pr.id, title: `${t.pr.title} (edited)`, description: 'Now with tests' });
    const plain = targets.find((t) => t !== fork && t.repository === repository) ?? targets.find((t) => t !== fork)!;
    a.createBranch({ repository: plain.repository, name: 'release' });
    a.updatePullRequest({ repository: plain.repository, pullRequestId: plain.pr.id, toBranch: 'release' });
    a.createBranch({ repository, name: 'feature/conformance' });
    a.pushCommits({ repository, branch: 'feature/conformance', commits: 2 });
    a.createTag({ repository, name: `v-${format}-light` });
    a.createTag({ repository, name: `v-${format}-annotated`, message: 'Release' });
    const doomed = a.openPullRequest({ repository, title: 'Short-lived' });
    a.declinePullRequest({ repository, pullRequestId: doomed.pullRequestId });
    a.deletePullRequest({ repository, pullRequestId: doomed.pullRequestId });
    a.deleteBranch({ repository, name: 'feature/conformance' });
    a.deleteTag({ repository, name: `v-${format}-light` });
    await env.sim.webhooks.idle();
    // Tags are listed every tenth pass.
    for (let i = 0; i < 10; i++) await polling.runPass();
    for (let i = 0; i < 40; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      await Promise.all([polling.bridge.queue.idle(), listening.bridge.queue.idle()]);
    }
    record(format, 'poll', env.sink);
    record(format, 'webhook', webhookSink);
  } finally {
    await Promise.all([polling.stop(), listening.stop()]);
    await webhookSink.stop();
  }
}

let nine: DcEnv;
let ten: DcEnv;
beforeAll(async () => {
  if (!fixturesPresent) return;
  nine = await dcEnv({ seed: 'conformance', projects: 1, repositoriesPerProject: 2, pullRequestsPerRepository: 8, corruptPullRequest: false });
  ten = await dcEnv({ seed: 'conformance', projects: 1, repositoriesPerProject: 2, pullRequestsPerRepository: 8, corruptPullRequest: false, dateFormat: '10.x' });
  await scenario(nine, '9.x');
  await scenario(ten, '10.x');
}, 60_000);
afterAll(async () => {
  await nine?.stop();
  await ten?.stop();
});

describe.each(Object.entries(fixtures))('%s', (fixture, [eventKey, format, source]) => {
  it(`our ${eventKey} body (${format}, ${source}) has every key path of the real payload, with the same types`, () => {
    if (!fixturesPresent) return console.warn(`skipped: ${fixturesDir} is absent`);
    const real = keyPaths(JSON.parse(readFileSync(path.join(fixturesDir, fixture), 'utf8')));
    const mine = ours.get(`${format} ${source} ${eventKey}`);
    expect(mine).toBeDefined();
    expect(missingKeyPaths(real, mine!)).toEqual([]);
  });
});

it('covers every Data Center webhook fixture in those folders: each is checked, or named above with why not', () => {
  if (!fixturesPresent) return console.warn(`skipped: ${fixturesDir} is absent`);
  const folders = [goScm, `${server}/impl/webhook/server`, `${server}/server/events/BitbucketServerPullRequestEventTest`, `${server}/server/events/BitbucketServerPushEventTest`];
  const all = folders.flatMap((folder) => readdirSync(path.join(fixturesDir, folder)).filter((f) => f.endsWith('.json')).map((f) => `${folder}/${f}`));
  expect(all.filter((file) => !fixtures[file] && !notForwarded.includes(path.basename(file)))).toEqual([]);
});

describe('signatures', () => {
  it("go-scm's signed Data Center push verifies with its secret, and fails with another", () => {
    if (!fixturesPresent) return console.warn(`skipped: ${fixturesDir} is absent`);
    const raw = readFileSync(path.join(fixturesDir, goScm, 'push.json'));
    const expected = 'sha256=c90565fa018f3039414a7929c9187a147f1ac463076961c4cf411e3c67c541f8';
    expect(verify('71295b197fa25f4356d2fb9965df3f2379d903d7', raw, expected)).toBe(true);
    expect(verify('71295b197fa25f4356d2fb9965df3f2379d903d8', raw, expected)).toBe(false);
  });

  it('accepts that push at POST /webhooks/bitbucket when signed, and answers 401 to the same bytes unsigned', async () => {
    if (!fixturesPresent) return console.warn(`skipped: ${fixturesDir} is absent`);
    const raw = readFileSync(path.join(fixturesDir, goScm, 'push.json'));
    const env = await dcEnv({ seed: 'signed', projects: 1, repositoriesPerProject: 1, pullRequestsPerRepository: 1 });
    // The bridge ignores a body dated over 29 days ago (a kept copy replayed), so its clock reads the push's own date.
    const sentAt = Date.parse((JSON.parse(raw.toString('utf8')) as { date: string }).date);
    const running = await inProcessBridge(env.config({ BRIDGE_WEBHOOK_SECRET: '71295b197fa25f4356d2fb9965df3f2379d903d7' }), [], { clock: { now: () => sentAt + 60_000 } });
    try {
      const post = (signature?: string) => fetch(`${running.ops.url}/webhooks/bitbucket`, {
        method: 'POST', body: raw, headers: { 'Content-Type': 'application/json', 'X-Event-Key': 'repo:refs_changed', ...(signature ? { 'X-Hub-Signature': signature } : {}) },
      });
      // Signed right, so accepted; its repository (PRJ/my-repo) is not on this instance, so nothing is sent.
      expect((await post('sha256=c90565fa018f3039414a7929c9187a147f1ac463076961c4cf411e3c67c541f8')).status).toBe(202);
      expect((await post()).status).toBe(401);
    } finally {
      await running.stop();
      await env.stop();
    }
  });
});

