import { testSandbox, type TestSandbox } from './helpers';

// Bitbucket answers the consumer did not expect, each found by fuzz-answers.test.ts and kept here as
// one case: the change still ends delivered, or as a dead letter saying what Bitbucket answered wrong.

let sb: TestSandbox;
beforeAll(async () => (sb = await testSandbox({ scheduledTriggers: false, simulator: { repositories: 1 }, tuning: { maxEnrichAttempts: 2, sweepGraceSeconds: 0 } })));
afterAll(() => sb.stop());
// The records of earlier tests, left out of each test's own.
let earlier = new Set<string>();
beforeEach(() => {
  sb.sink.clear();
  sb.simulator.faults.clear();
  earlier = new Set([...sb.host.kvs.keys('dead:'), ...sb.host.kvs.keys('dropped:')]);
});

async function drain() {
  for (let round = 0; round < 10; round++) {
    await sb.settle();
    if (sb.host.kvs.keys('outbox:').length === 0) return;
    await sb.host.runScheduled('five-minute-tick');
  }
}

const repository = () => [...sb.simulator.model.repositories.values()][0]!;
const records = async (prefix: 'dead:' | 'dropped:') => Promise.all(sb.host.kvs.keys(prefix).filter((key) => !earlier.has(key)).map(async (key) => (await sb.host.kvs.get(key)) as { reason: string; detail?: string }));
const deadReasons = async () => (await records('dead:')).map((letter) => letter.reason);

type Json = Record<string, any>;

/**
 * The simulator's own answer to `below` (a path under the repository, with its query), with `change`
 * applied, answered from now on to every GET whose path matches `path`.
 */
async function answerWith(below: string, path: string, change: (answer: Json) => void) {
  const { workspace, credentials, url } = sb.simulator;
  const response = await fetch(`${url}/2.0/repositories/${workspace.slug}/${repository().slug}${below}`, { headers: { Authorization: `Bearer ${credentials.appToken}` } });
  const answer = (await response.json()) as Json;
  change(answer);
  sb.simulator.faults.add({ method: 'GET', path, status: 200, body: JSON.stringify(answer) });
}

/** The simulator's own answer for the repository, with `change` applied, answered from now on. */
const answerRepositoryWith = (change: (repository: Json) => void) => answerWith('', '^/2\\.0/repositories/[^/]+/[^/]+$', change);

const nested = (depth: number): unknown => (depth === 0 ? 'bottom' : { deeper: nested(depth - 1) });

it.each([
  ['a 300 KB description', (answer: Record<string, unknown>) => void (answer.description = 'x'.repeat(300_000))],
  ['a field nested 60 levels deep', (answer: Record<string, unknown>) => void (answer.extra = nested(60))],
])('delivers a change whose repository Bitbucket answers with %s, which the store will not cache', async (_, change) => {
  // Before, the cache's write failed, and the change was retried and buried under the store's words
  // ("could not read Bitbucket: The provided value has exceeded the maximum size limit").
  await answerRepositoryWith(change);
  sb.simulator.actions.updateRepository({ repository: repository().slug, description: 'changed' });
  await drain();
  expect(await deadReasons()).toEqual([]);
  expect(sb.sink.deliveries().map((d) => [d.eventKey, (d.body as { repository: { uuid: string } }).repository.uuid])).toEqual([['repo:updated', repository().uuid]]);
});

it("delivers a new branch's push when the cached repository names a main branch renamed since", async () => {
  // Before, the commit walk bounded by the stale name answered 404 and the push was dropped as gone.
  // The main branch as the repository's last read named it, cached with the repository; renamed since.
  await answerRepositoryWith((answer) => void (answer.mainbranch = { type: 'branch', name: 'master-before-rename' }));
  sb.simulator.actions.updateRepository({ repository: repository().slug, description: 'read again' });
  await drain();
  sb.simulator.faults.clear();
  sb.sink.clear();
  sb.simulator.actions.createBranch({ repository: repository().slug, name: 'feature/stale-main' });
  const { commits } = sb.simulator.actions.pushCommits({ repository: repository().slug, branch: 'feature/stale-main', commits: 2 });
  await drain();
  const pushes = sb.sink.deliveries().filter((d) => d.eventKey === 'repo:push').map((d) => d.body as { pandev: { ref: { name: string }; commits: Array<{ hash: string }> } });
  const ours = pushes.filter((body) => body.pandev.ref.name === 'feature/stale-main');
  expect(ours.flatMap((body) => body.pandev.commits.map((c) => c.hash))).toEqual(expect.arrayContaining(commits));
  expect(await records('dropped:')).toEqual([]);
});

// Fields the app only passes on to PanDev (names, texts, dates kept for the metrics, paging hints)
// answered null or of another type: the change is delivered with them as Bitbucket sent them, or
// without them. Before, each one dead-lettered the whole change.
describe('fields the app only passes on', () => {
  const slug = () => repository().slug;
  const delivered = (key: string) => sb.sink.deliveries().filter((d) => d.eventKey === key).map((d) => d.body as Json);

  it.each([
    ["its author's display_name null", (pr: Json) => void (pr.author.display_name = null)],
    ['a reviewer whose display_name is a number', (pr: Json) => void (pr.reviewers = [{ ...pr.author, display_name: 17 }])],
    ["a participant's role null", (pr: Json) => void (pr.participants = [{ type: 'participant', user: pr.author, role: null, approved: false }])],
  ])('delivers a pull request update when Bitbucket answers the pull request with %s', async (_, change) => {
    const { pullRequestId } = sb.simulator.actions.openPullRequest({ repository: slug() });
    await drain();
    sb.sink.clear();
    await answerWith(`/pullrequests/${pullRequestId}`, `/pullrequests/${pullRequestId}$`, change);
    sb.simulator.actions.updatePullRequest({ repository: slug(), pullRequestId, title: 'Renamed' });
    await drain();
    expect(await deadReasons()).toEqual([]);
    expect(delivered('pullrequest:updated').map((body) => body.pullrequest.id)).toEqual([pullRequestId]);
  });

  it("delivers a repository update when Bitbucket answers the repository with its owner's uuid not a string", async () => {
    // Before, the owner was taken for an account unchecked, and matching the actor against it threw
    // ("a.uuid?.toLowerCase is not a function"), dead-lettering the change under the code's words.
    await answerRepositoryWith((answer) => void (answer.owner = { ...answer.owner, uuid: ['{not-a-string}'] }));
    sb.simulator.actions.updateRepository({ repository: slug(), description: 'owner changed' });
    await drain();
    expect(await deadReasons()).toEqual([]);
    expect(delivered('repo:updated').map((body) => body.repository.uuid)).toEqual([repository().uuid]);
  });

  it("delivers a push whose commits Bitbucket answers without a date, message or author's raw name", async () => {
    sb.simulator.faults.add({ method: 'GET', path: '/commits$', corruptItem: { index: 0, set: { date: null, message: null, author: { raw: null } } } });
    const { commits } = sb.simulator.actions.pushCommits({ repository: slug(), commits: 2 });
    await drain();
    expect(await deadReasons()).toEqual([]);
    const pushed = delivered('repo:push').flatMap((body) => (body.pandev.commits as Json[]).map((c) => c.hash));
    expect(pushed).toEqual(expect.arrayContaining(commits));
  });

  it("delivers a push whose commit's author Bitbucket matched to an account without a type: the raw name kept, the account left out with a logged reason", async () => {
    const raw = 'Dana Developer <dana@example.com>';
    const user = { uuid: '{4d1f0c2e-0000-4000-8000-00000000a17e}', display_name: 'Dana', account_id: 'dana-1' };
    sb.simulator.faults.add({ method: 'GET', path: '/commits$', corruptItem: { index: 0, set: { author: { type: 'author', raw, user } } } });
    const logged = sb.logs.length;
    const { commits } = sb.simulator.actions.pushCommits({ repository: slug(), commits: 1 });
    await drain();
    expect(await deadReasons()).toEqual([]);
    const [body, ...others] = delivered('repo:push');
    expect(others).toEqual([]);
    expect(body!.pandev.commits.map((c: Json) => [c.hash, c.author])).toEqual([[commits[0], { raw, uuid: null, account_id: null }]]);
    // The native commit keeps `author.raw`, as Bitbucket's own webhook carries it; only `user` goes.
    expect(body!.push.changes[0].commits.map((c: Json) => c.author)).toEqual([{ type: 'author', raw }]);
    const said = sb.logs.slice(logged).filter((line) => line.message.includes(commits[0]!.slice(0, 12)) && /account left out/.test(line.message));
    expect(said.map((line) => line.message)).toEqual([expect.stringContaining('type: missing, where the app needs a string')]);
  });

  it('delivers a push whose branch Bitbucket lists on a page with pagelen as a string', async () => {
    await answerWith('/refs/branches?q=name%3D%22main%22&pagelen=1', '/refs/branches$', (page) => void (page.pagelen = '1'));
    const { commits } = sb.simulator.actions.pushCommits({ repository: slug(), branch: 'main', commits: 1 });
    await drain();
    expect(await deadReasons()).toEqual([]);
    expect(delivered('repo:push').flatMap((body) => (body.pandev.commits as Json[]).map((c) => c.hash))).toEqual(commits);
  });

  it('delivers a build status whose commit Bitbucket answers with a null date', async () => {
    const commit = sb.simulator.actions.pushCommits({ repository: slug(), commits: 1 }).commits[0]!;
    await drain();
    sb.sink.clear();
    await answerWith(`/commit/${commit}`, `/commit/${commit}$`, (answer) => void (answer.date = null));
    sb.simulator.actions.setBuildStatus({ repository: slug(), commit, key: 'ci', state: 'SUCCESSFUL', refname: 'main' });
    await drain();
    expect(await deadReasons()).toEqual([]);
    expect(delivered('repo:commit_status_created').map((body) => [body.commit_status.commit.hash, body.commit_status.commit.date])).toEqual([[commit, null]]);
  });
});

it('dead-letters a change whose pull request Bitbucket answers without its id, saying which field and what to do', async () => {
  const { pullRequestId } = sb.simulator.actions.openPullRequest({ repository: repository().slug });
  await drain();
  await answerWith(`/pullrequests/${pullRequestId}`, `/pullrequests/${pullRequestId}$`, (pr) => void delete pr.id);
  sb.simulator.actions.updatePullRequest({ repository: repository().slug, pullRequestId, title: 'Renamed' });
  await drain();
  const [reason, ...others] = await deadReasons();
  expect(others).toEqual([]);
  expect(reason).toMatch(new RegExp(`pull_request_id":${pullRequestId}.*unexpected shape \\(id: missing, where the app needs a number\\)`));
  expect(reason).toMatch(/report it \(this reason\) to Atlassian support; replay this dead letter once Bitbucket answers correctly$/);
});

it.each([
  ['its type another word', (pr: Json) => void (pr.type = 'pull_request'), 'type: "pull_request", where the app needs "pullrequest"'],
  ['its creation time an object', (pr: Json) => void (pr.created_on = { at: 17 }), 'created_on: an object, where the app needs a string'],
])('dead-letters a change whose pull request Bitbucket answers with %s, in words, not zod\'s', async (_, change, words) => {
  const { pullRequestId } = sb.simulator.actions.openPullRequest({ repository: repository().slug });
  await drain();
  await answerWith(`/pullrequests/${pullRequestId}`, `/pullrequests/${pullRequestId}$`, change);
  sb.simulator.actions.updatePullRequest({ repository: repository().slug, pullRequestId, title: 'Renamed' });
  await drain();
  const [reason, ...others] = await deadReasons();
  expect(others).toEqual([]);
  expect(reason).toContain(`unexpected shape (${words})`);
});
