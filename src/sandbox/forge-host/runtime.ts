import { createHash, randomBytes } from 'node:crypto';

// The `__forge_runtime__` object of one invocation, with the fields @forge/api reads (runtime.d.ts:
// ForgeRuntime). Metrics are accepted and discarded: Forge ships them to Atlassian, not to the app.

export interface RuntimeBase {
  appId: string;
  installContext: string;
  workspaceId: string;
  installationId: string;
  environmentId: string;
  proxyUrl: string;
  permissions: { scopes: string[]; external: Record<string, unknown> };
}

export interface RuntimeInvocation {
  invocationId: string;
  functionKey: string;
  moduleKey: string;
  moduleType: string;
  deadline: number;
  accountId?: string;
}

const ignore = (): undefined => undefined;
const NO_METRICS = {
  counter: () => ({ incr: ignore, incrBy: ignore, decr: ignore, decrBy: ignore }),
  timing: () => ({ measure: () => ({ stop: ignore }) }),
  gauge: () => ({ set: ignore }),
};

/** A UUID-shaped id derived from `seed`, so the same workspace keeps the same installation id across restarts. */
export function stableUuid(seed: string): string {
  const hex = createHash('sha256').update(seed).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export function buildRuntime(base: RuntimeBase, call: RuntimeInvocation): object {
  return {
    proxy: { token: 'local-forge-host', url: base.proxyUrl },
    contextAri: base.installContext,
    container: { runtime: 'local-forge-host' },
    appContext: {
      appId: base.appId,
      appVersion: '1.0.0',
      environmentId: base.environmentId,
      environmentType: 'DEVELOPMENT',
      invocationId: call.invocationId,
      installationId: base.installationId,
      functionKey: call.functionKey,
      moduleType: call.moduleType,
      moduleKey: call.moduleKey,
      installation: {
        ari: { installationId: base.installationId, toString: () => `ari:cloud:ecosystem::installation/${base.installationId}` },
        contexts: [{ workspaceId: base.workspaceId, toString: () => base.installContext }],
      },
      permissions: base.permissions,
    },
    ...(call.accountId === undefined ? {} : { aaid: call.accountId }),
    lambdaContext: { awsRequestId: call.invocationId, getRemainingTimeInMillis: () => Math.max(0, call.deadline - Date.now()) },
    tracing: { traceId: randomBytes(16).toString('hex'), spanId: randomBytes(8).toString('hex') },
    realtime: {},
    metrics: NO_METRICS,
    featureFlags: () => false,
  };
}
