import { z } from 'zod';
import { recentOutcomes } from '../../core/deliver/stats';
import type { KeyValueStore } from '../../core/ports';
import { RepositoryCursor, RetryRecord } from '../poll/state';
import type { SqliteStore } from '../state/sqlite-store';

// What `status` reads from the state database: no tokens needed, safe beside a running bridge (WAL).

/** What `status` needs of a Cloud bridge's cursor (editions/cloud.ts): Cloud's have their own keys. */
const CloudCursor = z.object({ watermark: z.number(), lastSuccessAt: z.number().optional(), error: z.string().optional() });

export interface StatusReport {
  database: string;
  outbox: number;
  deadLetters: number;
  last24h: { delivered: number; retried: number; dead: number; dropped: number };
  repositories: Array<{ id: string; lastSuccessAt: string | null; watermark: string; error?: string; skipped: Array<{ pullRequest: number; reason: string; failures: number }> }>;
}

export async function readStatus(store: SqliteStore): Promise<StatusReport> {
  const outcomes = await recentOutcomes(store, Date.now());
  const retries = new Map<string, StatusReport['repositories'][number]['skipped']>();
  for (const { key, value } of await all(store, 'dc:retry:')) {
    const record = RetryRecord.safeParse(value);
    const repo = key.split(':')[2] ?? '';
    if (record.success) retries.set(repo, [...(retries.get(repo) ?? []), { pullRequest: record.data.id, reason: record.data.reason, failures: record.data.failures }]);
  }
  const repositories: StatusReport['repositories'] = [];
  const iso = (ms?: number) => (ms ? new Date(ms).toISOString() : null);
  for (const { key, value } of await all(store, 'dc:repo:')) {
    const cursor = RepositoryCursor.safeParse(value);
    if (!cursor.success) continue;
    const id = key.slice('dc:repo:'.length);
    repositories.push({ id, lastSuccessAt: iso(cursor.data.lastSuccessAt), watermark: iso(cursor.data.watermark)!, ...(cursor.data.error ? { error: cursor.data.error } : {}), skipped: retries.get(id) ?? [] });
  }
  for (const { key, value } of await all(store, 'bridge:cloud:')) {
    const cursor = CloudCursor.safeParse(value);
    if (!cursor.success) continue;
    repositories.push({ id: key.slice('bridge:cloud:'.length), lastSuccessAt: iso(cursor.data.lastSuccessAt), watermark: iso(cursor.data.watermark)!, ...(cursor.data.error ? { error: cursor.data.error } : {}), skipped: [] });
  }
  return {
    database: store.file,
    outbox: store.count('outbox:'),
    deadLetters: store.count('dead:'),
    last24h: { delivered: outcomes.delivered, retried: outcomes.retried, dead: outcomes.dead, dropped: outcomes.dropped },
    repositories,
  };
}

async function all(store: KeyValueStore, prefix: string): Promise<Array<{ key: string; value: unknown }>> {
  const entries: Array<{ key: string; value: unknown }> = [];
  let cursor: string | undefined;
  do {
    const page = await store.list<unknown>(prefix, { cursor, limit: 500 });
    entries.push(...page.entries);
    cursor = page.cursor;
  } while (cursor);
  return entries;
}

export function formatStatus(report: StatusReport): string {
  const lines = [
    `state       ${report.database}`,
    `outbox      ${report.outbox} waiting`,
    `dead        ${report.deadLetters} (pandev-bitbucket dead-letters list)`,
    `last 24 h   ${report.last24h.delivered} delivered, ${report.last24h.retried} retried, ${report.last24h.dead} dead, ${report.last24h.dropped} dropped`,
    `repositories (${report.repositories.length}):`,
  ];
  for (const repo of report.repositories) {
    lines.push(`  ${repo.id.padEnd(8)} last good poll ${repo.lastSuccessAt ?? 'never'}${repo.error ? `  ERROR ${repo.error}` : ''}`);
    for (const skip of repo.skipped) lines.push(`           pull request ${skip.pullRequest} skipped ${skip.failures}×: ${skip.reason}`);
  }
  return lines.join('\n');
}
