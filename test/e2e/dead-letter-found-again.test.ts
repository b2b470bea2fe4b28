import { acceptDeliveries, reconcileNow, reconcilePasses, refuseDeliveries, PATIENT_PANDEV_MS, testSandbox, type TestSandbox } from './helpers';
import { data, settingsCaller } from './settings-helpers';

// A delivery PanDev refused for good is a dead letter until an admin replays it. The reconciliation
// (or a backfill) that finds its change again must leave it so: staged afresh, it went to PanDev a
// second time under the same X-Request-UUID, was buried again (the day's dead counted it twice), and
// the later burial overwrote the letter, origin and time.

let sb: TestSandbox;
beforeAll(async () => {
  sb = await testSandbox({ scheduledTriggers: false, tuning: { deliveryTimeoutMs: PATIENT_PANDEV_MS }, simulator: { seed: 'found-again', repositories: 3, pullRequestsPerRepository: 0 } });
});
afterAll(() => sb.stop());
const call = settingsCaller(() => sb);

it('leaves a dead letter found again by the reconciliation alone: not sent again, not buried again', async () => {
  refuseDeliveries(sb);
  const repositories = [...sb.simulator.model.repositories.values()];
  for (let i = 0; i < 6; i++) sb.simulator.actions.openPullRequest({ repository: repositories[i % repositories.length]!.slug });
  await sb.settle();
  const letters = (await sb.outbox().listDead(undefined, 1000)).entries.map(({ value }) => value);
  expect(letters.filter((letter) => letter.entry.eventKey === 'pullrequest:created')).toHaveLength(6);
  const received = sb.sink.received();
  expect(received).toBe(letters.length);

  // The reconciliation reads every one of those pull requests, and the pushes' refs.
  await reconcileNow(sb);
  expect(reconcilePasses(sb)).toHaveLength(3);

  expect(sb.sink.received()).toBe(received);
  expect((await sb.outbox().listDead(undefined, 1000)).entries.map(({ value }) => value)).toEqual(letters);
  expect(sb.host.kvs.keys('outbox:')).toEqual([]);
  const status = data(await call('status/get', {}));
  expect(status.deliveries.dead).toBe(letters.length);
  expect(status.deadLetters.count).toBe(letters.length);
});

/** A tag made while PanDev refuses every delivery, in the repository at `index`: its making is a dead letter. */
async function buriedTag(index: number, name: string) {
  const repository = [...sb.simulator.model.repositories.values()][index]!.slug;
  refuseDeliveries(sb);
  const target = sb.simulator.actions.pushCommits({ repository, commits: 1 }).commits[0]!;
  await sb.settle();
  sb.simulator.actions.createTag({ repository, name, target });
  await sb.settle();
  const letters = (await sb.outbox().listDead(undefined, 1000)).entries.filter(({ value }) => value.entry.change.kind === 'push' && value.entry.change.ref.name === name);
  return { repository, target, letters };
}

it('gives a ref move made again its own id when the first one is a dead letter', async () => {
  const a = sb.simulator.actions;
  const { repository, target, letters: tagLetters } = await buriedTag(0, 'v1');
  expect(tagLetters).toHaveLength(1);

  acceptDeliveries(sb);
  a.deleteTag({ repository, name: 'v1' });
  await sb.settle();
  a.createTag({ repository, name: 'v1', target });
  await sb.settle();
  // The deletion and the re-creation reach PanDev; the re-creation is not taken for the dead letter.
  const tagDeliveries = sb.sink.deliveries().filter((d) => d.eventKey === 'repo:push' && JSON.stringify(d.body).includes('"name":"v1"'));
  expect(tagDeliveries).toHaveLength(2);
  expect(tagDeliveries.map((d) => d.id)).not.toContain(tagLetters[0]!.value.entry.id);
  expect(sb.host.kvs.keys('outbox:')).toEqual([]);
});

it("gives a ref made again its own id past the ledger's 35 days while the first making is still a dead letter", async () => {
  const a = sb.simulator.actions;
  const { repository, target, letters } = await buriedTag(1, 'v2');
  const tagLetter = letters[0];
  expect(tagLetter).toBeDefined();

  acceptDeliveries(sb);
  a.deleteTag({ repository, name: 'v2' });
  await sb.settle();
  // Dead letters are kept 90 days: the deleted tag's record must outlive the ledger while they do.
  const realNow = Date.now.bind(Date);
  const later = jest.spyOn(Date, 'now').mockImplementation(() => realNow() + 40 * 24 * 3_600_000);
  try {
    expect((await sb.outbox().listDead(undefined, 1000)).entries.map(({ value }) => value.entry.id)).toContain(tagLetter!.value.entry.id);
    a.createTag({ repository, name: 'v2', target });
    await sb.settle();
  } finally {
    later.mockRestore();
  }
  const made = sb.sink.deliveries().filter((d) => d.eventKey === 'repo:push' && JSON.stringify(d.body).includes('"name":"v2"') && JSON.stringify(d.body).includes('"new":{'));
  expect(made.map((d) => d.id)).not.toContain(tagLetter!.value.entry.id);
  expect(made).toHaveLength(1);
  expect(sb.host.kvs.keys('outbox:')).toEqual([]);
});
