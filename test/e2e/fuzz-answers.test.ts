import { z } from 'zod';
import { prefixes, type DeadLetter, type DroppedRecord } from '../../src/core/deliver/outbox';
import { allEntries } from '../../src/core/ports';
import { hostStores } from '../../src/sandbox/host-store';
import type { Delivery } from '../../src/sandbox/pandev-sink';
import { seeded } from '../helpers/mutate';
import { manualEvents, testSandbox, type TestSandbox } from './helpers';

// Bitbucket Cloud's ANSWERS fuzzed, where fuzz-triggers fuzzes the events: real changes made in the
// simulator, their Forge events fired at the local Forge host, and the answers of one route the
// consumer reads for them (pull request, comment, commit, commits, refs, statuses, deployment,
// repository) broken by the simulator's seeded `mutateAnswer` fault. For every round: no handler
// crashes out of the platform's hands, and each change ends delivered with a body PanDev can parse for
// its key, or as a dead letter or counted drop whose reason names Bitbucket's answer, never a
// TypeError's text; none stays in the outbox. FUZZ_SEED=<n> replays a run.

const SEED = Number(process.env.FUZZ_SEED ?? 20_261_127);
const ROUNDS = 120;

const ROUTES = {
  pullrequest: '/pullrequests/\\d+$',
  comment: '/comments/\\d+$',
  commit: '/commit/[0-9a-f]+$',
  commits: '/commits$',
  refs: '/refs/(branches|tags)$',
  statuses: '/statuses$',
  deployment: '/deployments/[^/]+$',
  repository: '^/2\\.0/repositories/[^/]+/[^/]+$',
} as const;
type Route = keyof typeof ROUTES;

// What PanDev's parsers read of each body: the native objects and the ids they key on.
const Repository = z.looseObject({ type: z.literal('repository'), uuid: z.string(), full_name: z.string() });
const PullRequestBody = z.looseObject({
  repository: Repository,
  pullrequest: z.looseObject({ type: z.literal('pullrequest'), id: z.number().int(), state: z.string(), created_on: z.string(), updated_on: z.string(), source: z.looseObject({}), destination: z.looseObject({}) }),
});
const bodies: Array<[RegExp, z.ZodType]> = [
  [/^pullrequest:comment_/, PullRequestBody.extend({ comment: z.looseObject({ id: z.number().int(), created_on: z.string() }) })],
  [/^pullrequest:(approved|unapproved)$/, PullRequestBody.extend({ approval: z.looseObject({ date: z.string(), user: z.looseObject({ type: z.string() }) }) })],
  [/^pullrequest:changes_request_/, PullRequestBody.extend({ changes_request: z.looseObject({ date: z.string(), user: z.looseObject({ type: z.string() }) }) })],
  [/^pullrequest:/, PullRequestBody],
  [/^repo:push$/, z.looseObject({ repository: Repository, push: z.looseObject({ changes: z.array(z.looseObject({ truncated: z.boolean() })).length(1) }), pandev: z.looseObject({ commits: z.array(z.looseObject({ hash: z.string() })) }) })],
  [/^repo:commit_status_/, z.looseObject({ repository: Repository, commit_status: z.looseObject({ key: z.string(), state: z.string(), commit: z.looseObject({ hash: z.string() }) }) })],
  [/^pandev:deployment$/, z.looseObject({ repository: Repository, deployment: z.looseObject({ uuid: z.string() }), pandev: z.looseObject({ deployment: z.looseObject({ uuid: z.string(), environment: z.looseObject({ uuid: z.string() }) }) }) })],
  [/^repo:/, z.looseObject({ repository: Repository })],
];

/** Why PanDev could not read a delivered body, or undefined when it can. */
function unreadable(delivery: Delivery): string | undefined {
  const schema = bodies.find(([key]) => key.test(delivery.eventKey))?.[1];
  if (!schema) return `no body known for ${delivery.eventKey}`;
  const parsed = schema.safeParse(delivery.body);
  return parsed.success ? undefined : `${delivery.eventKey}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`;
}

// A reason says what Bitbucket answered (or that the body it made was too big to send), never quotes a
// JavaScript failure or a store's refusal as if it were Bitbucket's.
const SAYS_WHAT_BITBUCKET_ANSWERED = /Bitbucket answered|Bitbucket has no|over Bitbucket's 256 KB/;
const CODE_FAILURE = /TypeError|RangeError|SyntaxError|is not a function|is not iterable|Cannot read prop|of undefined|of null|Maximum call stack|provided value/;
const unexplained = (reason: string) => CODE_FAILURE.test(reason) || !SAYS_WHAT_BITBUCKET_ANSWERED.test(reason);

let sb: TestSandbox;
beforeAll(async () => {
  sb = await testSandbox({ simulator: { seed: 'fuzz-answers', repositories: 2 }, liveEvents: false, scheduledTriggers: false, maxPlatformRetries: 3, tuning: { maxEnrichAttempts: 2, sweepGraceSeconds: 0 } });
}, 60_000);
afterAll(() => sb.stop());

/** Each round makes fresh changes (a change delivered once is never enriched again), and names the routes its enrichment reads. */
function steps(): Array<{ name: string; routes: Route[]; run: () => unknown }> {
  const a = sb.simulator.actions;
  const repository = [...sb.simulator.model.repositories.values()][0]!.slug;
  const open = () => a.openPullRequest({ repository }).pullRequestId;
  return [
    { name: 'pull request created', routes: ['pullrequest', 'repository', 'commits', 'refs', 'commit'], run: open },
    { name: 'pull request updated', routes: ['pullrequest'], run: () => a.updatePullRequest({ repository, pullRequestId: open(), title: 'Renamed' }) },
    { name: 'pull request merged', routes: ['pullrequest', 'commits', 'refs', 'commit'], run: () => a.mergePullRequest({ repository, pullRequestId: open() }) },
    { name: 'comment', routes: ['comment', 'pullrequest'], run: () => a.addComment({ repository, pullRequestId: open(), content: 'Looks good' }) },
    { name: 'reviewer', routes: ['pullrequest'], run: () => a.approvePullRequest({ repository, pullRequestId: open() }) },
    { name: 'changes requested', routes: ['pullrequest'], run: () => a.requestChanges({ repository, pullRequestId: open() }) },
    { name: 'push', routes: ['commits', 'refs', 'commit', 'repository'], run: () => a.pushCommits({ repository, commits: 2 }) },
    { name: 'tag', routes: ['refs', 'commit'], run: () => a.createTag({ repository, name: `fuzz-${Math.random().toString(36).slice(2, 8)}` }) },
    { name: 'build status', routes: ['statuses', 'commit'], run: () => a.setBuildStatus({ repository, commit: a.pushCommits({ repository, commits: 1 }).commits[0]!, key: 'ci', state: 'SUCCESSFUL', refname: 'main' }) },
    { name: 'deployment', routes: ['deployment'], run: () => a.runDeployment({ repository, environment: 'Production' }) },
    { name: 'repository updated', routes: ['repository'], run: () => a.updateRepository({ repository, description: `fuzzed ${Math.random()}` }) },
  ];
}

// A crash out of the platform's hands, or the metrics' facts of a delivered body lost to an exception.
const crashes = () => sb.logs.filter((line) => /^(invocation-failed|retries-exhausted|no-consumer|retry-data-too-big)|could not keep the facts/.test(line.message)).map((line) => line.message.slice(0, 400));

async function drain() {
  for (let round = 0; round < 10; round++) {
    await sb.settle();
    if (sb.host.kvs.keys('outbox:').length === 0) return;
    await sb.host.runScheduled('five-minute-tick');
  }
}

/** The records under `prefix` not in `seen`, which they join. */
async function fresh<T>(prefix: string, seen: Set<string>): Promise<T[]> {
  const found: T[] = [];
  for await (const { key, value } of allEntries<T>(hostStores(sb.host).store, prefix)) {
    if (seen.has(key)) continue;
    seen.add(key);
    found.push(value);
  }
  return found;
}

it(`every change read through a broken Bitbucket answer is delivered readable, or a dead letter or drop saying why (seed ${SEED})`, async () => {
  const { act } = manualEvents(() => sb);
  const random = seeded(SEED);
  const rounds = steps();
  const failures: unknown[] = [];
  const outcomes = { delivered: 0, dead: 0, dropped: 0 };
  const seen = new Set<string>();
  for (let i = 0; i < ROUNDS && failures.length === 0; i++) {
    const step = rounds[i % rounds.length]!;
    const route = step.routes[Math.floor(random() * step.routes.length)]!;
    const events = act(step.run);
    const before = { delivered: sb.sink.deliveries().length, crashes: crashes().length, mutated: sb.simulator.faults.mutated().length };
    const fault = sb.simulator.faults.add({ method: 'GET', path: ROUTES[route], mutateAnswer: { seed: SEED + i } });
    for (const event of events) await sb.host.fireEvent(event as never);
    await drain();
    sb.simulator.faults.remove(fault);
    const delivered = sb.sink.deliveries().slice(before.delivered);
    const dead = await fresh<DeadLetter>(prefixes.dead, seen);
    const dropped = await fresh<DroppedRecord>(prefixes.dropped, seen);
    outcomes.delivered += delivered.length;
    outcomes.dead += dead.length;
    outcomes.dropped += dropped.length;
    const problems = [
      ...crashes().slice(before.crashes),
      ...delivered.map(unreadable).filter((p): p is string => p !== undefined),
      ...dead.map((letter) => letter.reason).filter(unexplained).map((reason) => `dead letter: ${reason}`),
      ...dropped.map((drop) => drop.detail).filter(unexplained).map((detail) => `drop: ${detail}`),
      // Nothing is deleted here: a change dropped as gone was lost to a misread answer.
      ...dropped.filter((drop) => drop.reason === 'source-gone').map((drop) => `dropped as gone: ${drop.detail}`),
      ...sb.host.kvs.keys('outbox:').map((key) => `left in the outbox: ${key}`),
      ...(delivered.length + dead.length + dropped.length === 0 && events.length > 0 ? ['neither delivered, dead nor dropped'] : []),
    ];
    if (problems.length) failures.push({ seed: SEED, round: i, step: step.name, route, answers: sb.simulator.faults.mutated().slice(before.mutated), problems });
  }
  expect(failures).toEqual([]);
  // The fuzz reached every ending, or it proved little.
  expect(outcomes.delivered).toBeGreaterThan(0);
  expect(outcomes.dead + outcomes.dropped).toBeGreaterThan(0);
}, 120_000);
