import { z } from 'zod';
import { kvKey } from '../keys';
import type { KeyValueStore, SecretStore } from '../ports';
import { defaultRetryTuning } from '../deliver/retry-policy';

// What an admin configures, as stored. Secrets live apart (Forge `kvs.setSecret`, bridge 0600 files)
// and never come back out through a resolver or a log line.

export const Connection = z.object({
  /** PanDev's base URL; the app appends /v1/bitbucket/webhook/... */
  baseUrl: z.string().url(),
  activatedAt: z.number().optional(),
  /**
   * Set when PanDev refused every delivery (410, a web page, a refused token or signature): deliveries
   * wait in the outbox until a check passes. A pause kept before `cause` existed was a 410's or a page's.
   */
  disabled: z
    .object({
      at: z.number(),
      reason: z.string(),
      cause: z.enum(['gone', 'web-page', 'token', 'signature']).optional(),
      /** Of a refused token or secret, its digest (pause.ts): other credentials saved since are tried. */
      refused: z.string().optional(),
    })
    .optional(),
});
export type Connection = z.infer<typeof Connection>;

export const Tuning = z.object({
  deliveryTimeoutMs: z.number().int().min(100).max(60_000).default(10_000),
  maxAttempts: z.number().int().min(1).max(50).default(defaultRetryTuning.maxAttempts),
  baseDelaySeconds: z.number().min(0.001).max(900).default(defaultRetryTuning.baseDelaySeconds),
  maxDelaySeconds: z.number().min(0.001).max(900).default(defaultRetryTuning.maxDelaySeconds),
  /** Attempts at reading Bitbucket before a change becomes a dead letter. */
  maxEnrichAttempts: z.number().int().min(1).max(50).default(8),
  /** How far past its planned attempt an outbox entry must be before the sweep assumes its retry was lost. */
  sweepGraceSeconds: z.number().min(0).max(86_400).default(300),
  /** The first wait after a 429 that names no Retry-After; it doubles with each further one. */
  rateLimitBackoffSeconds: z.number().min(0.01).max(1800).default(60),
});
export type Tuning = z.infer<typeof Tuning>;

/**
 * `all`: every repository except those marked false; `selected`: only those marked true. A mark counts
 * only in the generation it was written in, so selecting or deselecting all is one write, however
 * many repositories the workspace has.
 */
export const Selection = z.object({ mode: z.enum(['all', 'selected']), generation: z.number().int().min(0).default(0) });
export type Selection = z.infer<typeof Selection>;

/** What an admin sets under Advanced. */
export const Preferences = z.object({
  /** Post the DORA comment on merged pull requests. */
  prComments: z.boolean().default(true),
  /** Per-repository exceptions to `prComments`, by repository UUID. */
  prCommentOverrides: z.record(z.string(), z.boolean()).default({}),
  backfillDays: z.number().int().min(1).max(365).default(30),
  /** The reconciliation runs on a five-minute tick, so periods are multiples of five. */
  reconcileMinutes: z.number().int().min(5).max(1440).multipleOf(5).default(15),
  /** Bitbucket API requests per rolling hour the app plans with (Bitbucket's default allowance is 1,000). */
  requestsPerHour: z.number().int().min(60).max(100_000).default(1000),
  /** File stats in the backfill: none, one request per pull request (its size), or one per commit. */
  commitStats: z.enum(['off', 'pullrequest', 'commit']).default('pullrequest'),
  /** Build statuses in the backfill: Bitbucket has no feed of them, so each pull request head costs a request. */
  backfillBuildStatuses: z.boolean().default(false),
});
export type Preferences = z.infer<typeof Preferences>;

export const secretKeys = { token: 'pandev-token', signingSecret: 'pandev-signing-secret' } as const;

const keys = {
  connection: 'config:connection',
  tuning: 'config:tuning',
  preferences: 'config:preferences',
  selection: 'config:selection',
  selected: (generation: number, repositoryUuid: string) => kvKey('selected', generation, repositoryUuid),
};

export function settingsStore(store: KeyValueStore, secrets: SecretStore) {
  return {
    async connection(): Promise<Connection | undefined> {
      const value = await store.get(keys.connection);
      return value === undefined ? undefined : Connection.parse(value);
    },
    saveConnection: (connection: Connection) => store.set(keys.connection, Connection.parse(connection)),
    async tuning(): Promise<Tuning> {
      return Tuning.parse((await store.get(keys.tuning)) ?? {});
    },
    saveTuning: (tuning: Partial<Tuning>) => store.set(keys.tuning, Tuning.parse(tuning)),
    async preferences(): Promise<Preferences> {
      return Preferences.parse((await store.get(keys.preferences)) ?? {});
    },
    savePreferences: (preferences: Partial<Preferences>) => store.set(keys.preferences, Preferences.parse(preferences)),
    async selection(): Promise<Selection> {
      return Selection.parse((await store.get(keys.selection)) ?? { mode: 'all' });
    },
    saveSelection: (selection: Selection) => store.set(keys.selection, Selection.parse(selection)),
    /** Called for every event: two reads at most. */
    async isSelected(repositoryUuid: string): Promise<boolean> {
      const selection = await this.selection();
      return (await store.get<boolean>(keys.selected(selection.generation, repositoryUuid))) ?? selection.mode === 'all';
    },
    /** Marks a repository, or removes its mark where the mode already says the same. */
    async setSelected(repositoryUuid: string, selected: boolean, selection?: Selection): Promise<void> {
      const { mode, generation } = selection ?? (await this.selection());
      const key = keys.selected(generation, repositoryUuid);
      await (selected === (mode === 'all') ? store.delete(key) : store.set(key, selected));
    },
    /** The marks of the current generation, by `keyPart(uuid)`. */
    async selectionMarks(generation: number): Promise<Map<string, boolean>> {
      const prefix = `${kvKey('selected', generation)}:`;
      const marks = new Map<string, boolean>();
      let cursor: string | undefined;
      do {
        const page = await store.list<boolean>(prefix, { cursor, limit: 100 });
        for (const { key, value } of page.entries) marks.set(key.slice(prefix.length), value);
        cursor = page.cursor;
      } while (cursor);
      return marks;
    },
    /** Selects or deselects everything in one write, then clears the marks of older generations. */
    async resetSelection(mode: Selection['mode']): Promise<Selection> {
      const next = { mode, generation: (await this.selection()).generation + 1 };
      await this.saveSelection(next);
      const current = `${kvKey('selected', next.generation)}:`;
      let cursor: string | undefined;
      do {
        const page = await store.list<boolean>('selected:', { cursor, limit: 100 });
        await Promise.all(page.entries.filter(({ key }) => !key.startsWith(current)).map(({ key }) => store.delete(key)));
        cursor = page.cursor;
      } while (cursor);
      return next;
    },
    async credentials(): Promise<{ token?: string; signingSecret?: string }> {
      const [token, signingSecret] = await Promise.all([secrets.get(secretKeys.token), secrets.get(secretKeys.signingSecret)]);
      return { token, signingSecret };
    },
  };
}
export type SettingsStore = ReturnType<typeof settingsStore>;
