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
  /** Set when PanDev answered 410: deliveries wait in the outbox until an admin checks again. */
  disabled: z.object({ at: z.number(), reason: z.string() }).optional(),
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
});
export type Tuning = z.infer<typeof Tuning>;

export const Selection = z.object({ mode: z.enum(['all', 'selected']) });
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
});
export type Preferences = z.infer<typeof Preferences>;

export const secretKeys = { token: 'pandev-token', signingSecret: 'pandev-signing-secret' } as const;

const keys = {
  connection: 'config:connection',
  tuning: 'config:tuning',
  preferences: 'config:preferences',
  selection: 'config:selection',
  selected: (repositoryUuid: string) => kvKey('selected', repositoryUuid),
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
    async isSelected(repositoryUuid: string): Promise<boolean> {
      const selection = await this.selection();
      return selection.mode === 'all' || (await store.get<boolean>(keys.selected(repositoryUuid))) === true;
    },
    setSelected: (repositoryUuid: string, selected: boolean) =>
      selected ? store.set(keys.selected(repositoryUuid), true) : store.delete(keys.selected(repositoryUuid)),
    async credentials(): Promise<{ token?: string; signingSecret?: string }> {
      const [token, signingSecret] = await Promise.all([secrets.get(secretKeys.token), secrets.get(secretKeys.signingSecret)]);
      return { token, signingSecret };
    },
  };
}
export type SettingsStore = ReturnType<typeof settingsStore>;
