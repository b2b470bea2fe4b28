import { z } from 'zod';
import { Tuning } from '../../core/config/settings';

// What the bridge runs with, after the YAML file and the environment are merged and secret files read.
// Secrets are plain strings here and nowhere else: never logged, never printed, never a flag.

// A missing value keeps zod's own message (it names `undefined`), which load.ts turns into "is required".
// The bridge adds its paths to the URL as written (PanDev's /v1/bitbucket/webhook/…): after a ?query or
// a #fragment they would land in it, and every request would go to the host's root.
const HttpUrl = z
  .url({ protocol: /^https?$/, error: (issue) => (issue.input === undefined ? undefined : 'must be an http(s) URL with no query, e.g. https://bitbucket.example.com') })
  .refine((value) => !/[?#]/.test(value), 'must not contain a ?query or #fragment: give the bare base URL, e.g. https://pandev.example.com');
// A password in the URL would be printed wherever the URL is (check, status, logs), and the bridge
// never sends it: the token, from its own variable or file, is what authenticates.
const UrlWithoutCredentials = (tokenSetting: string) =>
  HttpUrl.refine((value) => {
    // zod runs this even after the URL check failed; that failure is the one to report then.
    const url = URL.canParse(value) ? new URL(value) : undefined;
    return !url?.username && !url?.password;
  }, `must not contain a user name or password: the token goes in ${tokenSetting}`);
const Text = z.string().trim().min(1, 'must not be empty');

/** A YAML list, or one string of comma-separated items as the environment variable takes it (`MOB, PLAT`). */
function listOf<T extends z.ZodType>(item: T) {
  return z.preprocess((value) => (typeof value === 'string' ? value.split(',').map((part) => part.trim()).filter(Boolean) : value), z.array(item));
}

/**
 * Why a secret's value cannot be the secret, never quoting it: a control character (a file with a
 * second line, a comment under the token) anywhere; in a token, which travels in an HTTP header, also a
 * character no header carries (a zero-width space pasted with it). Either way every request would fail
 * with an HTTP client's error that reads as a network problem, and a delivery would be retried for
 * hours before it became a dead letter.
 */
export function secretValueProblem(value: string, inHeader: boolean): string | undefined {
  // eslint-disable-next-line no-control-regex
  const control = /[\u0000-\u001f\u007f]/.exec(value);
  if (control) return `holds a line break or another control character (character ${control.index + 1}): give the value alone, on one line`;
  // Copied with its scheme from a curl line or the simulator's output: Bitbucket would then answer 401,
  // which reads as an expired or revoked token.
  const scheme = inHeader ? /^(bearer|basic)\s/i.exec(value) : null;
  if (scheme) return `starts with "${scheme[1]} " as an Authorization header does: give the token alone, without it (the bridge writes the header itself)`;
  const foreign = inHeader ? /[^\u0020-\u00ff]/.exec(value) : null;
  if (foreign) return `holds a character an HTTP header cannot carry (character ${foreign.index + 1}, U+${foreign[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}, such as a zero-width space copied with it): give the token again without it`;
  return undefined;
}

const Secret = (inHeader: boolean) =>
  Text.superRefine((value, ctx) => {
    const problem = secretValueProblem(value, inHeader);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
const AllowHttp = z.boolean({ error: 'must be 1 or 0 (true or false)' }).default(false);

/**
 * The host of an http:// URL that leaves this machine, or nothing. Loopback is no network to cross:
 * the sandbox, the tests and a TLS-terminating sidecar live there.
 */
export function clearTextHost(value: unknown): string | undefined {
  if (typeof value !== 'string' || !URL.canParse(value)) return undefined;
  const url = new URL(value);
  if (url.protocol !== 'http:') return undefined;
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return isLoopback(host) ? undefined : host;
}

/** A host name or address that only this machine reaches. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  return bare === 'localhost' || bare.endsWith('.localhost') || /^127\.\d+\.\d+\.\d+$/.test(bare) || bare === '::1';
}

/** What crosses the network with each URL, for the refusal and the warning. */
export const clearText = {
  bitbucket: { env: 'BITBUCKET_URL', what: 'the personal access token', crosses: 'crosses', optIn: 'BITBUCKET_ALLOW_HTTP', yaml: 'bitbucket.allowHttp', ca: 'BITBUCKET_CA_FILE' },
  pandev: { env: 'PANDEV_URL', what: 'the ingest token and every signed delivery', crosses: 'cross', optIn: 'PANDEV_ALLOW_HTTP', yaml: 'pandev.allowHttp', ca: 'PANDEV_CA_FILE' },
} as const;

export const ShardSpec = z
  .string()
  .regex(/^\d+\/\d+$/, 'must be "i/n", e.g. 0/3 for the first of three bridges')
  .transform((value) => {
    const [index, count] = value.split('/').map(Number) as [number, number];
    return { index, count };
  })
  .refine((shard) => shard.count >= 1 && shard.index < shard.count, 'needs 0 ≤ i < n, e.g. 2/3 for the last of three bridges');
export type ShardSpec = z.infer<typeof ShardSpec>;

export const Listen = z
  .string()
  .regex(/^[^:\s]+:\d{1,5}$/, 'must be host:port, e.g. 127.0.0.1:9464 (0.0.0.0:9464 to serve other hosts)')
  .transform((value) => {
    const at = value.lastIndexOf(':');
    return { host: value.slice(0, at), port: Number(value.slice(at + 1)) };
  })
  .refine((listen) => listen.port <= 65535, 'port must be at most 65535');

export const BridgeConfig = z
  .object({
    bitbucket: z.object({
      edition: z.enum(['datacenter', 'cloud'], { error: (issue) => (issue.input === undefined ? 'is required: "datacenter" or "cloud"' : 'must be "datacenter" or "cloud"') }),
      url: UrlWithoutCredentials('BITBUCKET_TOKEN or BITBUCKET_TOKEN_FILE'),
      /** Where a Data Center instance lives under a path of its host, e.g. /bitbucket. */
      contextPath: z.string().regex(/^(\/[\w.~-]+)+$/, 'must look like /bitbucket (no trailing slash)').optional(),
      token: Secret(true),
      /** Where the token was read from, if a file: it is read again when Bitbucket refuses the token. */
      tokenFile: z.string().optional(),
      /** Cloud API tokens authenticate as email:token (Basic); without it the token is a Bearer token. */
      username: Text.optional(),
      /** Cloud only: the workspace slug or UUID to poll. */
      workspace: Text.optional(),
      projects: listOf(Text).default([]),
      repos: listOf(Text).default([]),
      caFile: Text.optional(),
      timeoutSeconds: z.number().positive().max(300).default(30),
      /** A steady cap under the instance's own limit (Data Center's default bucket refills 5 a second). */
      requestsPerSecond: z.number().positive().max(1000).default(5),
      burst: z.number().int().positive().max(1000).default(10),
      /**
       * Cloud only: the credential's allowance per rolling hour (Bitbucket Cloud's is about 1,000). A
       * pass plans against it and waits for the hour to drain rather than meet 429s without Retry-After.
       */
      requestsPerHour: z.number().int().min(10).max(1_000_000).default(1000),
      concurrency: z.number().int().positive().max(64).default(4),
      /** Part of every delivery id; defaults to the instance URL, so keep it when the host name changes. */
      instanceId: Text.optional(),
      /** http:// to a host off this machine: the token would travel in clear text, so only when asked. */
      allowHttp: AllowHttp,
    }),
    pandev: z.object({
      url: UrlWithoutCredentials('PANDEV_TOKEN or PANDEV_TOKEN_FILE'),
      token: Secret(true),
      signingSecret: Secret(false),
      caFile: Text.optional(),
      /** Where the secrets were read from, if files: read again before each batch of deliveries. */
      tokenFile: z.string().optional(),
      signingSecretFile: z.string().optional(),
      allowHttp: AllowHttp,
    }),
    bridge: z.object({
      db: Text.default('./pandev-bridge.db'),
      pollSeconds: z.number().min(1).max(86_400).default(60),
      backfillDays: z.number().int().min(1).max(365).default(30),
      listen: Listen.default({ host: '127.0.0.1', port: 9464 }),
      /** Data Center's webhooks on a listener of their own, so that BRIDGE_LISTEN (/metrics) need not face it. */
      webhookListen: Listen.optional(),
      /** Host names a listener on loopback answers besides loopback's own (ops/host-check.ts). */
      allowedHosts: listOf(z.string().trim().regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9_.-]+)$/, 'must list host names or addresses as a browser sends them, without scheme or port, e.g. metrics.example.internal')).default([]),
      shard: ShardSpec.default({ index: 0, count: 1 }),
      /** The secret the Data Center webhooks are signed with; webhooks are refused while it is unset. */
      webhookSecret: Secret(false).optional(),
      /** Where it was read from, if a file: read again when a signature does not match. */
      webhookSecretFile: z.string().optional(),
      /** Webhooks saved and not yet handled, at most; past it they get 503 (see webhooks/inbox.ts). */
      webhookBacklog: z.number().int().min(1).max(1_000_000).default(10_000),
      logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
    }),
    /** Delivery retries; the defaults are the Forge app's (12 attempts, 30 s doubling to 15 min). */
    tuning: Tuning.partial().default({}),
  })
  // Runs even when other settings are missing, so a first run lists every setting a Cloud operator lacks.
  .superRefine(
    (config, ctx) => {
      const bitbucket = config.bitbucket as Partial<BridgeConfig['bitbucket']> | undefined;
      if (bitbucket?.edition === 'cloud' && !bitbucket.workspace) {
        ctx.addIssue({ code: 'custom', path: ['bitbucket', 'workspace'], message: 'is required for the cloud edition: the workspace slug to poll' });
      }
      // Bearer tokens and signed bodies in clear text can be read (and the token reused) by anyone on the path.
      for (const section of ['bitbucket', 'pandev'] as const) {
        const settings = config[section] as { url?: unknown; allowHttp?: unknown } | undefined;
        const host = clearTextHost(settings?.url);
        const { what, optIn, yaml, ca } = clearText[section];
        if (host && settings?.allowHttp !== true) {
          ctx.addIssue({ code: 'custom', path: [section, 'url'], message: `is http:// to ${host}: ${what} would cross the network in clear text. Use https:// (${ca} for an internal CA), or set ${optIn}=1 (YAML: ${yaml}) if you accept that` });
        }
      }
    },
    { when: () => true },
  )
  .superRefine((config, ctx) => {
    const { bitbucket } = config;
    // zod runs this after the URL check failed too (a host typed without https://): that failure is the one to report.
    const path = URL.canParse(bitbucket.url) ? new URL(bitbucket.url).pathname.replace(/\/+$/, '') : '';
    // Atlassian's API docs write the Cloud base as https://api.bitbucket.org/2.0; every request would then go to /2.0/2.0/.
    if (bitbucket.edition === 'cloud' && path) {
      ctx.addIssue({ code: 'custom', path: ['bitbucket', 'url'], message: 'must be the bare host for the cloud edition, https://api.bitbucket.org: the bridge adds /2.0 itself' });
    }
    if (bitbucket.contextPath && path) {
      ctx.addIssue({ code: 'custom', path: ['bitbucket', 'contextPath'], message: 'is set while the URL has a path too: give the bare host as the URL and the path here' });
    }
    const { listen, webhookListen } = config.bridge;
    if (webhookListen && bitbucket.edition === 'cloud') {
      ctx.addIssue({ code: 'custom', path: ['bridge', 'webhookListen'], message: 'is for Data Center\'s webhooks, and the cloud edition takes none: unset it' });
    }
    const wildcard = (host: string) => host === '0.0.0.0' || host === '::';
    if (webhookListen && webhookListen.port !== 0 && webhookListen.port === listen.port && (webhookListen.host === listen.host || wildcard(webhookListen.host) || wildcard(listen.host))) {
      ctx.addIssue({ code: 'custom', path: ['bridge', 'webhookListen'], message: `must be another port than BRIDGE_LISTEN's (${listen.port}), e.g. 0.0.0.0:9465` });
    }
  });
export type BridgeConfig = z.infer<typeof BridgeConfig>;

/** Where each setting comes from, for messages an operator can act on. */
export const sources: Record<string, { env?: string; yaml: string }> = {
  'bitbucket.edition': { env: 'BITBUCKET_EDITION', yaml: 'bitbucket.edition' },
  'bitbucket.url': { env: 'BITBUCKET_URL', yaml: 'bitbucket.url' },
  'bitbucket.contextPath': { env: 'BITBUCKET_CONTEXT_PATH', yaml: 'bitbucket.contextPath' },
  'bitbucket.token': { env: 'BITBUCKET_TOKEN or BITBUCKET_TOKEN_FILE', yaml: 'bitbucket.tokenFile' },
  'bitbucket.username': { env: 'BITBUCKET_USERNAME', yaml: 'bitbucket.username' },
  'bitbucket.workspace': { env: 'BITBUCKET_WORKSPACE', yaml: 'bitbucket.workspace' },
  'bitbucket.projects': { env: 'BITBUCKET_PROJECTS', yaml: 'bitbucket.projects' },
  'bitbucket.repos': { env: 'BITBUCKET_REPOS', yaml: 'bitbucket.repos' },
  'bitbucket.caFile': { env: 'BITBUCKET_CA_FILE', yaml: 'bitbucket.caFile' },
  'bitbucket.requestsPerSecond': { env: 'BITBUCKET_REQUESTS_PER_SECOND', yaml: 'bitbucket.requestsPerSecond' },
  'bitbucket.concurrency': { env: 'BITBUCKET_CONCURRENCY', yaml: 'bitbucket.concurrency' },
  'bitbucket.requestsPerHour': { env: 'BITBUCKET_REQUESTS_PER_HOUR', yaml: 'bitbucket.requestsPerHour' },
  'bitbucket.timeoutSeconds': { yaml: 'bitbucket.timeoutSeconds' },
  'bitbucket.burst': { yaml: 'bitbucket.burst' },
  'bitbucket.instanceId': { yaml: 'bitbucket.instanceId' },
  'bitbucket.allowHttp': { env: 'BITBUCKET_ALLOW_HTTP', yaml: 'bitbucket.allowHttp' },
  'pandev.url': { env: 'PANDEV_URL', yaml: 'pandev.url' },
  'pandev.token': { env: 'PANDEV_TOKEN or PANDEV_TOKEN_FILE', yaml: 'pandev.tokenFile' },
  'pandev.signingSecret': { env: 'PANDEV_SIGNING_SECRET or PANDEV_SIGNING_SECRET_FILE', yaml: 'pandev.signingSecretFile' },
  'pandev.caFile': { env: 'PANDEV_CA_FILE', yaml: 'pandev.caFile' },
  'pandev.allowHttp': { env: 'PANDEV_ALLOW_HTTP', yaml: 'pandev.allowHttp' },
  'bridge.db': { env: 'BRIDGE_DB', yaml: 'bridge.db' },
  'bridge.pollSeconds': { env: 'BRIDGE_POLL_SECONDS', yaml: 'bridge.pollSeconds' },
  'bridge.backfillDays': { env: 'BRIDGE_BACKFILL_DAYS', yaml: 'bridge.backfillDays' },
  'bridge.listen': { env: 'BRIDGE_LISTEN', yaml: 'bridge.listen' },
  'bridge.webhookListen': { env: 'BRIDGE_WEBHOOK_LISTEN', yaml: 'bridge.webhookListen' },
  'bridge.allowedHosts': { env: 'BRIDGE_ALLOWED_HOSTS', yaml: 'bridge.allowedHosts' },
  'bridge.shard': { env: 'BRIDGE_SHARD', yaml: 'bridge.shard' },
  'bridge.webhookSecret': { env: 'BRIDGE_WEBHOOK_SECRET or BRIDGE_WEBHOOK_SECRET_FILE', yaml: 'bridge.webhookSecretFile' },
  'bridge.logLevel': { env: 'BRIDGE_LOG_LEVEL', yaml: 'bridge.logLevel' },
  'bridge.webhookBacklog': { env: 'BRIDGE_WEBHOOK_BACKLOG', yaml: 'bridge.webhookBacklog' },
};
