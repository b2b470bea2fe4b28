import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { sharedDir } from '../helpers/shared';
import { testSandbox, type TestSandbox } from '../e2e/helpers';

// The key-path check (cloud-webhooks.test.ts) cannot see a link that should not be there or points at
// the wrong place. Real push webhooks (../shared/fixtures) carry `links` by the kind of change: none for
// a deleted ref, `commits` (and `html` to the branch) for a created one, and the range for an update.

const goScm = 'drone-go-scm/scm/driver/bitbucket/testdata/webhooks';
const jenkins = 'jenkinsci-bitbucket-branch-source-plugin/src/test/resources/com/cloudbees/jenkins/plugins/bitbucket/impl/webhook/cloud';
const fixtures = [
  `${goScm}/push.json`, `${goScm}/push_branch_create.json`, `${goScm}/push_branch_delete.json`, `${goScm}/push_tag_create.json`, `${goScm}/push_tag_delete.json`,
  `${jenkins}/commit_created.json`, `${jenkins}/branch_created.json`, `${jenkins}/branch_deleted.json`, `${jenkins}/tag_created.json`, `${jenkins}/tag_deleted.json`,
].map((file) => path.join(sharedDir, 'fixtures', file));
const present = fixtures.every((file) => existsSync(file));

type PushChange = { old: Ref | null; new: Ref | null; links?: Record<string, { href: string }> };
type Ref = { type: string; name: string; target: { hash: string } };

const kind = (change: PushChange) => `${(change.new ?? change.old)!.type} ${!change.old ? 'created' : !change.new ? 'deleted' : 'updated'}`;
const linkNames = (change: PushChange) => Object.keys(change.links ?? {}).sort().join(',') || 'none';

let sb: TestSandbox;
const ours: PushChange[] = [];

beforeAll(async () => {
  if (!present) return;
  sb = await testSandbox({ simulator: { seed: 'push-links', repositories: 1 } });
  const a = sb.simulator.actions;
  const repository = [...sb.simulator.model.repositories.values()][0]!.slug;
  for (const step of [
    () => a.pushCommits({ repository, commits: 2 }),
    () => a.createBranch({ repository, name: 'feature/links' }),
    () => a.deleteBranch({ repository, name: 'feature/links' }),
    () => a.createTag({ repository, name: 'links-1' }),
    () => a.deleteTag({ repository, name: 'links-1' }),
  ]) {
    step();
    await sb.settle();
  }
  for (const d of sb.sink.deliveries()) if (d.eventKey === 'repo:push') ours.push(...(d.body as { push: { changes: PushChange[] } }).push.changes);
}, 60_000);
afterAll(() => sb?.stop());

it('links each kind of push change as Bitbucket does', () => {
  if (!present) return console.warn('skipped: ../shared/fixtures is absent');
  const real = new Map<string, Set<string>>();
  for (const file of fixtures) {
    for (const change of (JSON.parse(readFileSync(file, 'utf8')) as { push: { changes: PushChange[] } }).push.changes) {
      real.set(kind(change), (real.get(kind(change)) ?? new Set()).add(linkNames(change)));
    }
  }
  const mismatched = ours.filter((change) => !real.get(kind(change))?.has(linkNames(change))).map((change) => `${kind(change)}: ${linkNames(change)} (real: ${[...(real.get(kind(change)) ?? [])].join(' | ')})`);
  expect(mismatched).toEqual([]);
  expect(new Set(ours.map(kind))).toEqual(new Set(['branch updated', 'branch created', 'branch deleted', 'tag created', 'tag deleted']));
});

it('points every link at the change itself', () => {
  if (!present) return;
  for (const change of ours.filter((c) => c.links)) {
    const after = change.new!.target.hash;
    const before = change.old?.target.hash;
    const links = change.links!;
    expect(links.commits!.href).toMatch(new RegExp(`/commits\\?include=${after}${before ? `&exclude=${before}` : ''}$`));
    if (links.html) expect(links.html.href).toMatch(before ? new RegExp(`/branches/compare/${after}\\.\\.${before}$`) : new RegExp(`/branch/${change.new!.name}$`));
    if (links.diff) expect(links.diff.href).toMatch(new RegExp(`/diff/${after}\\.\\.${before}$`));
  }
});
