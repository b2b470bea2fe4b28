import { dcEnv, inProcessBridge, projectRepositories, settledPass, type DcEnv } from './helpers';

// An operator looking for one repository's deliveries searches the log for its PROJECT/slug, the name
// every other bridge line uses: the delivery lines must carry it beside the numeric id.

const outcomes = ['delivered', 'delivery failed, will retry', 'dead letter'];

describe('delivery log lines name the repository', () => {
  let env: DcEnv;
  beforeAll(async () => (env = await dcEnv({ seed: 'delivery-log-names', projects: 1, repositoriesPerProject: 1, pullRequestsPerRepository: 2, corruptPullRequest: false })));
  afterAll(() => env.stop());

  it('delivered, will retry and dead letter each carry PROJECT/slug and the id', async () => {
    const lines: string[] = [];
    const running = await inProcessBridge(env.config(), lines);
    try {
      const repo = projectRepositories(env.sim)[0]!;
      const name = `${repo.projectKey}/${repo.slug}`;
      // A 503 is retried, then delivered; the next pass's first delivery is refused for good (400).
      env.sink.respondNext(503, 1);
      await settledPass(running);
      env.sim.actions.openPullRequest({ repository: name, title: 'Refused by PanDev' });
      env.sink.respondNext(400, 1);
      await settledPass(running);

      const logged = lines.map((line) => JSON.parse(line) as { msg: string; repository?: string; repositoryName?: string });
      const deliveryLines = logged.filter((line) => outcomes.includes(line.msg));
      expect(new Set(deliveryLines.map((line) => line.msg))).toEqual(new Set(outcomes));
      const names = new Map(env.sim.model.repositories.map((r) => [String(r.id), `${r.projectKey}/${r.slug}`]));
      for (const line of deliveryLines) expect(line.repositoryName).toBe(names.get(line.repository!));
      // What the operator's search finds: this repository's deliveries, the refused one among them.
      const found = lines.filter((line) => line.includes(`"${name}"`)).map((line) => (JSON.parse(line) as { msg: string }).msg);
      expect(found).toEqual(expect.arrayContaining(['delivered', 'dead letter']));
    } finally {
      await running.stop();
    }
  }, 60_000);
});
