import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ForwardContext } from '../../src/core/pipeline/context';
import { watchTips } from '../../src/bridge/poll/builds';
import { pollState } from '../../src/bridge/poll/state';
import { openSqliteStore } from '../../src/bridge/state/sqlite-store';
import { quietLogger } from './helpers';

// Past 1,000 watched tips in one repository the oldest watches end early, and builds they report later
// are not seen: the warning must let an operator find them (which repository, which commits), not
// give a count and a numeric id.

const dir = mkdtempSync(path.join(tmpdir(), 'build-watch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('names the repository and the commits whose watches ended early', async () => {
  const store = openSqliteStore(path.join(dir, 'state.db'));
  const lines: string[] = [];
  const ctx = { clock: { now: () => Date.now() }, log: quietLogger(lines) } as Pick<ForwardContext, 'clock' | 'log'> as ForwardContext;
  const deps = { state: pollState(store), ctx };
  const tip = (i: number) => i.toString(16).padStart(40, '0');
  try {
    await watchTips({ id: '42', name: 'PRJ/monorepo' }, Array.from({ length: 1000 }, (_, i) => tip(i)), 'poll', deps);
    expect(lines.filter((line) => line.includes('more tips moved'))).toHaveLength(0);
    await watchTips({ id: '42', name: 'PRJ/monorepo' }, [tip(1000), tip(1001)], 'webhook', deps);
    const warning = lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((line) => String(line.msg).startsWith('more tips moved'));
    expect(warning).toMatchObject({ level: 'warn', repository: 'PRJ/monorepo', repositoryId: '42', ended: 2, commits: [tip(0), tip(1)] });
  } finally {
    store.close();
  }
});
