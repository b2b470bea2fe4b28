import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dcEnv, inProcessBridge, projectRepositories, settledPass, type DcEnv } from './helpers';

// A pull request's activities come newest first, a page at a time by offset. One added while a pass
// reads them pushes the rest down a place: the next page starts with the one the last page ended with.
// Read twice, an activity versioned by its second was counted twice in it (core/change/same-second.ts),
// and PanDev got the second count as a change of its own. Bitbucket sits behind a loopback relay here,
// which makes that change just before the second page is answered.

let env: DcEnv;
let relay: Server;
let running: Awaited<ReturnType<typeof inProcessBridge>>;
let repository: string;
let onSecondPage: (() => void) | undefined;
const second = Math.floor(Date.now() / 1000) * 1000;

beforeAll(async () => {
  env = await dcEnv({ seed: 'same-second-paging', projects: 1, repositoriesPerProject: 1, pullRequestsPerRepository: 1, corruptPullRequest: false, dateFormat: '10.x', baseTime: second - 60_000, clock: { now: () => second } });
  const target = new URL(env.sim.url);
  relay = createServer((req, res) => {
    const url = new URL(req.url ?? '/', target.origin);
    if (url.pathname.endsWith('/activities') && Number(url.searchParams.get('start') ?? 0) > 0 && onSecondPage) {
      onSecondPage();
      onSecondPage = undefined;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const headers = Object.fromEntries(['authorization', 'accept', 'content-type', 'user-agent'].filter((name) => req.headers[name] !== undefined).map((name) => [name, String(req.headers[name])]));
      void fetch(url, { method: req.method, headers, ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}) }).then(async (answer) => {
        const passed = [...answer.headers].filter(([name]) => !['content-length', 'content-encoding', 'transfer-encoding', 'connection', 'keep-alive'].includes(name));
        res.writeHead(answer.status, Object.fromEntries(passed));
        res.end(Buffer.from(await answer.arrayBuffer()));
      });
    });
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  const relayUrl = `http://127.0.0.1:${(relay.address() as AddressInfo).port}${target.pathname.replace(/\/$/, '')}`;
  running = await inProcessBridge(env.config({ BITBUCKET_URL: relayUrl }));
  const repo = projectRepositories(env.sim)[0]!;
  repository = `${repo.projectKey}/${repo.slug}`;
  await settledPass(running);
});
afterAll(async () => {
  await running.stop();
  await new Promise((resolve) => relay.close(resolve));
  await env.stop();
});

const passes = async () => {
  for (let i = 0; i < 3; i++) await settledPass(running);
};

it('is one pr:reviewer:approved when a new activity pushes the approval onto the next page mid-read (10.x dates)', async () => {
  const a = env.sim.actions;
  const { pullRequestId } = a.openPullRequest({ repository, title: 'Approved, then a page of comments' });
  await passes();
  a.approvePullRequest({ repository, pullRequestId });
  // A page is 100 activities (poll/pull-requests-cut.ts): the approval ends the first one.
  for (let i = 0; i < 99; i++) a.addComment({ repository, pullRequestId, text: `comment ${i}` });
  onSecondPage = () => a.addComment({ repository, pullRequestId, text: 'added while the pass reads' });
  await passes();
  expect(onSecondPage).toBeUndefined();
  const approvals = env.sink.deliveries().filter((d) => d.eventKey === 'pr:reviewer:approved' && (d.body as any).pullRequest.id === pullRequestId);
  expect(approvals).toHaveLength(1);
  expect(env.sink.deliveries().filter((d) => d.eventKey === 'pr:comment:added' && (d.body as any).pullRequest.id === pullRequestId)).toHaveLength(100);
});
