import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';

// The part of manifest.yml the host wires: functions, product triggers, queue consumers, scheduled
// triggers, UI-module resolvers, scopes and backend egress. Anything else is left to @forge/manifest.

const entry = z.looseObject({ key: z.string() });
const egressEntry = z.union([z.string(), z.looseObject({ address: z.string() }), z.looseObject({ remote: z.string() })]);
const manifestSchema = z.looseObject({
  app: z.looseObject({ id: z.string() }),
  modules: z.record(z.string(), z.array(entry)),
  permissions: z
    .looseObject({
      scopes: z.array(z.string()).optional(),
      external: z.looseObject({ fetch: z.looseObject({ backend: z.array(egressEntry).optional() }).optional() }).optional(),
    })
    .optional(),
});
const functionSchema = z.looseObject({ key: z.string(), handler: z.string(), timeoutSeconds: z.number().optional() });
const triggerSchema = z.looseObject({
  key: z.string(),
  function: z.string(),
  events: z.array(z.union([z.string(), z.looseObject({ eventType: z.string() })])),
});
const consumerSchema = z.looseObject({ key: z.string(), queue: z.string(), function: z.string() });
const scheduledSchema = z.looseObject({ key: z.string(), function: z.string(), interval: z.enum(['fiveMinute', 'hour', 'day', 'week']) });
const uiResolverSchema = z.looseObject({ key: z.string(), resolver: z.looseObject({ function: z.string() }) });

export const INTERVAL_SECONDS = { fiveMinute: 300, hour: 3600, day: 86_400, week: 604_800 } as const;

export interface ManifestFunction {
  key: string;
  /** `index.forward` → file 'index', export 'forward'. */
  file: string;
  exportName: string;
  timeoutSeconds?: number;
}

export interface AppManifest {
  /** The uuid part of `ari:cloud:ecosystem::app/<uuid>`. */
  appId: string;
  functions: Map<string, ManifestFunction>;
  triggers: Array<{ key: string; functionKey: string; events: string[] }>;
  consumers: Array<{ key: string; queue: string; functionKey: string }>;
  scheduled: Array<{ key: string; functionKey: string; interval: keyof typeof INTERVAL_SECONDS }>;
  resolvers: Array<{ moduleKey: string; moduleType: string; functionKey: string }>;
  scopes: string[];
  external: Record<string, unknown>;
  /** Backend egress patterns, e.g. '*.pandev-metrics.com', 'https://metrics.example.com', '*'. */
  egress: string[];
  /** Modules the host cannot run (Forge Remote endpoints, legacy consumer resolvers). */
  unsupported: string[];
}

function splitHandler(handler: string): { file: string; exportName: string } {
  const dot = handler.lastIndexOf('.');
  return { file: handler.slice(0, dot), exportName: handler.slice(dot + 1) };
}

export function readManifest(appDir: string): AppManifest {
  const raw = manifestSchema.parse(parse(readFileSync(path.join(appDir, 'manifest.yml'), 'utf8')));
  const modules = raw.modules;
  const unsupported: string[] = [];
  // Entries with `endpoint:` (Forge Remote) or the legacy `resolver:` consumer form have no `function`.
  const wired = <T>(type: string, schema: z.ZodType<T>): T[] =>
    (modules[type] ?? []).flatMap((m) => {
      const parsed = schema.safeParse(m);
      if (!parsed.success) unsupported.push(`${type} '${m.key}'`);
      return parsed.success ? [parsed.data] : [];
    });

  const functions = new Map(
    wired('function', functionSchema).map((f) => [f.key, { key: f.key, ...splitHandler(f.handler), timeoutSeconds: f.timeoutSeconds }] as const),
  );
  const resolvers = Object.entries(modules)
    .filter(([type]) => type.includes(':'))
    .flatMap(([type, list]) =>
      list.flatMap((m) => {
        const parsed = uiResolverSchema.safeParse(m);
        return parsed.success ? [{ moduleKey: parsed.data.key, moduleType: type, functionKey: parsed.data.resolver.function }] : [];
      }),
    );
  const backend = raw.permissions?.external?.fetch?.backend ?? [];
  return {
    appId: raw.app.id.replace(/^ari:cloud:ecosystem::app\//, ''),
    functions,
    triggers: wired('trigger', triggerSchema).map((t) => ({
      key: t.key,
      functionKey: t.function,
      events: t.events.map((e) => (typeof e === 'string' ? e : e.eventType)),
    })),
    consumers: wired('consumer', consumerSchema).map((c) => ({ key: c.key, queue: c.queue, functionKey: c.function })),
    scheduled: wired('scheduledTrigger', scheduledSchema).map((s) => ({ key: s.key, functionKey: s.function, interval: s.interval })),
    resolvers,
    scopes: raw.permissions?.scopes ?? [],
    external: raw.permissions?.external ?? {},
    egress: backend.flatMap((b) => (typeof b === 'string' ? [b] : typeof b.address === 'string' ? [b.address] : [])),
    unsupported,
  };
}
