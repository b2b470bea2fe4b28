import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openSqliteStore } from '../../src/bridge/state/sqlite-store';
import type { Change } from '../../src/core/change/change';
import { intentsFor } from '../../src/core/change/intents';
import { deadLetterRows } from '../../src/core/deliver/dead-letter-rows';
import { outboxStore } from '../../src/core/deliver/outbox';
import { newEntry } from '../../src/core/pipeline/stage';
import { runCommand } from '../helpers/cli';

// Two burials racing each other can leave two rows of one letter. Rows of one page are made one by the
// listing itself; rows falling on two pages (`dead-letters list` reads 100 a page) are made one here.

const dir = mkdtempSync(path.join(tmpdir(), 'dead-twins-'));
const db = path.join(dir, 'state.db');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('lists a letter whose two rows fall on two pages once', async () => {
  const at = Date.now() - 3_600_000;
  const store = openSqliteStore(db);
  const ids: string[] = [];
  try {
    const outbox = outboxStore(store);
    for (let i = 1; i <= 101; i++) {
      const change: Change = { edition: 'datacenter', workspace: 'dc', repository: { uuid: 'r1' }, origin: 'poll', at: new Date(at).toISOString(), kind: 'pullrequest', action: 'created', pullRequestId: i };
      const entry = newEntry(change, intentsFor(change).intents[0]!, at);
      await outbox.putDead({ entry, reason: 'PanDev refused the payload (400)', deadAt: at + 10 * i });
      ids.push(entry.id);
    }
    // The second row of the 100th newest letter, a moment older: the first row of the second page.
    const twin = (await outbox.getDead(ids[1]!))!;
    await deadLetterRows(store, 90 * 24 * 3600).put({ ...twin, deadAt: twin.deadAt - 1 });
  } finally {
    store.close();
  }
  const answer = await runCommand(['dead-letters', 'list', '--json'], { BRIDGE_DB: db });
  expect(answer.code).toBe(0);
  const listed = (JSON.parse(answer.out) as Array<{ id: string }>).map((letter) => letter.id);
  expect(listed).toEqual([...ids].reverse());
});
