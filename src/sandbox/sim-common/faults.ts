// Fault injection: make matching requests slow, fail, answer garbage or drop the connection, so
// clients' retry and skip paths can be exercised against a real socket. Shared: both simulators take
// the same rules through /_sim/faults (each front door answers a fault in its own error shape).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { send, type HttpResult } from './http';
import { mutate, seeded } from './mutate';
import type { Prng } from './prng';

export const FaultRuleSchema = z.object({
  method: z.string().optional(),
  /** RegExp source, matched against the request's pathname. */
  path: z.string().optional(),
  status: z.number().int().min(100).max(599).optional(),
  /** Sent verbatim (e.g. malformed JSON) with the status, 200 if no status is given. */
  body: z.string().optional(),
  latencyMs: z.number().int().min(0).max(120_000).optional(),
  /** Destroy the socket without answering. */
  drop: z.boolean().optional(),
  /**
   * The simulator answers as it would, but one item of the page's `values` (the one whose `id` is
   * `id`, whose fields hold `where`'s values, or the one at `index`) gets `set`'s fields: one
   * malformed item in an otherwise good page. `where` names items without a numeric id (Cloud: a
   * ref's `name`, a commit's `hash`, a status's `key`, a deployment's `uuid`; Data Center: a ref's
   * `displayId`, a commit's `id`, a status's `key`).
   */
  corruptItem: z.object({ id: z.number().int().optional(), where: z.record(z.string(), z.union([z.string(), z.number()])).optional(), index: z.number().int().min(0).optional(), set: z.record(z.string(), z.unknown()) }).optional(),
  /**
   * The simulator answers as it would, but in an answer keyed by id (Data Center's build counts,
   * `{<commit id>: counts}`) the entry `key` is `value`: one malformed entry in an otherwise good answer.
   */
  corruptEntry: z.object({ key: z.string(), value: z.unknown() }).optional(),
  /**
   * The answer as built, then broken by the seeded mutator (./mutate.ts): one to three of its fields
   * dropped, nulled, of another type, emptied, huge, odd unicode, deeply nested. The same seed breaks the
   * same answer the same way, so a fuzz run that fails is replayed by its seeds.
   */
  mutateAnswer: z.object({ seed: z.number().int() }).optional(),
  /** Handle the request first (a write takes effect), then fault the answer: the client never hears back. */
  afterHandling: z.boolean().optional(),
  probability: z.number().min(0).max(1).optional(),
  /** Matches before the rule expires. */
  times: z.number().int().positive().optional(),
});

export type FaultRule = z.infer<typeof FaultRuleSchema>;

interface ActiveRule {
  rule: FaultRule;
  path: RegExp | undefined;
  remaining: number;
}

export class FaultInjector {
  private readonly rules = new Map<string, ActiveRule>();
  private nextId = 1;
  private mutations: string[] = [];

  /** `rng` decides probabilistic rules, so a seeded run fails the same requests every time. */
  constructor(private readonly rng: Prng) {}

  add(rule: FaultRule): string {
    const parsed = FaultRuleSchema.parse(rule);
    const id = `fault-${this.nextId++}`;
    this.rules.set(id, { rule: parsed, path: parsed.path ? new RegExp(parsed.path) : undefined, remaining: parsed.times ?? Infinity });
    return id;
  }

  remove(id: string): void {
    this.rules.delete(id);
  }

  clear(): void {
    this.rules.clear();
    this.mutations = [];
  }

  /** What `mutateAnswer` rules did since the last clear, e.g. `GET /2.0/…/pullrequests/3: id: null`. */
  mutated(): string[] {
    return [...this.mutations];
  }

  /** `json` broken as `rule.mutateAnswer` says (unchanged without it), and noted for `mutated()`. */
  mutateAnswer(rule: FaultRule, method: string, pathname: string, json: unknown): unknown {
    if (!rule.mutateAnswer || json === undefined) return json;
    const mutant = mutate(json, seeded(rule.mutateAnswer.seed));
    this.mutations.push(`${method} ${pathname}: ${mutant.what.join('; ')}`);
    return mutant.value;
  }

  /** The first rule that applies to this request, counted against its `times`. */
  match(method: string, pathname: string): FaultRule | undefined {
    for (const [id, active] of this.rules) {
      if (active.rule.method && active.rule.method.toUpperCase() !== method) continue;
      if (active.path && !active.path.test(pathname)) continue;
      if (!this.rng.chance(active.rule.probability ?? 1)) continue;
      active.remaining -= 1;
      if (active.remaining <= 0) this.rules.delete(id);
      return active.rule;
    }
    return undefined;
  }
}

/** The page with one of its items' fields overwritten (`FaultRule.corruptItem`); any other answer as it was. */
export function corruptedPage(result: HttpResult, rule: NonNullable<FaultRule['corruptItem']>): HttpResult {
  const page = result.json as { values?: unknown } | undefined;
  if (!page || !Array.isArray(page.values)) return result;
  const chosen = (item: Record<string, unknown>, index: number) => rule.id !== undefined ? item.id === rule.id
    : rule.where ? Object.entries(rule.where).every(([field, value]) => item[field] === value)
    : index === rule.index;
  const values = page.values.map((item: Record<string, unknown>, index) => (chosen(item, index) ? { ...item, ...rule.set } : item));
  return { ...result, json: { ...page, values } };
}

/** The keyed answer with one entry replaced (`FaultRule.corruptEntry`); any other answer as it was. */
export function corruptedEntry(result: HttpResult, rule: NonNullable<FaultRule['corruptEntry']>): HttpResult {
  const answer = result.json;
  if (typeof answer !== 'object' || answer === null || Array.isArray(answer)) return result;
  return { ...result, json: { ...answer, [rule.key]: rule.value } };
}

/**
 * Carries out a matched rule: its delay, then a dropped socket or the answer `answer` gives (each
 * simulator's own error shape); true when the request has been fully answered (or dropped).
 */
export async function applyFault(req: IncomingMessage, res: ServerResponse, rule: FaultRule, answer: (rule: FaultRule) => HttpResult): Promise<boolean> {
  // Unreferenced: a slow answer still pending must not keep a stopped simulator's process alive.
  if (rule.latencyMs) await new Promise((resolve) => setTimeout(resolve, rule.latencyMs).unref());
  if (rule.drop) {
    req.socket.destroy();
    return true;
  }
  if (rule.body === undefined && rule.status === undefined) return false;
  send(res, answer(rule));
  return true;
}
