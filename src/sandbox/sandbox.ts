import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { ResolverResult } from '../contract/resolvers';
import { secretKeys, settingsStore, type Tuning } from '../core/config/settings';
import { startCloudSimulator, type CloudSimulator, type CloudSimulatorOptions } from './cloud-sim';
import { startForgeHost, type ForgeHost, type ForgeHostOptions, type HostLogLine } from './forge-host';
import { hostStores } from './host-store';
import { startPanDevSink, type Delivery, type PanDevSink } from './pandev-sink';

// The whole product on one machine, offline: a Bitbucket Cloud simulator, a PanDev receiver and the
// local Forge host running the real app, wired the way Atlassian's platform wires them. `npm start`
// and the end-to-end tests both start it here, so what the tests exercise is what a newcomer sees.

export interface SandboxOptions {
  simulator?: CloudSimulatorOptions;
  /** Scales queue delays and retry waits (tests use a small value so retries take milliseconds). */
  timeScale?: number;
  /** Delivery tuning the app would otherwise take from its defaults. */
  tuning?: Partial<Tuning>;
  /** Persist the app's KVS across restarts. */
  storePath?: string;
  /** Leave the app unconnected, as right after installation. */
  connect?: boolean;
  /** How often the local Forge host redelivers a failed queue event before dropping it (Forge counts none: only its retention window). */
  maxPlatformRetries?: number;
  /** An async event's retention window in seconds (× timeScale; Forge's is 24 hours), for tests of a window that closes. */
  platformRetentionSeconds?: number;
  /** False: the host's retries tell nothing of their window, as a platform of @forge/events 1.x (four retries). */
  platformReportsRetentionWindow?: boolean;
  /** False: the host runs queued events of one concurrency key at once, as Forge might (it promises nothing of the key). */
  platformHonoursConcurrencyKeys?: boolean;
  /** Fire the simulator's events at the app as they happen (default); off to fire them by hand. */
  liveEvents?: boolean;
  /** Run the five-minute tick on the host's timer (default); off when a test runs it itself. */
  scheduledTriggers?: boolean;
  /** The local Forge host's limits on async-event pushes (Forge's own by default); tests lower them. */
  asyncEventLimits?: ForgeHostOptions['asyncEventLimits'];
  /** Scales the app's function time limits, and has the host stop a function at its limit (tests only). */
  functionTimeoutScale?: number;
  sinkPort?: number;
  hostPort?: number;
  logger?: (line: HostLogLine) => void;
  onDelivery?: (delivery: Delivery) => void;
}

export interface Sandbox {
  simulator: CloudSimulator;
  sink: PanDevSink;
  /** The local Forge host running the app; replaced by restartHost(). */
  host: ForgeHost;
  /** Stops the app's host as if its process died (pending work stays in storePath) and starts a new one on the same state. */
  restartHost(): Promise<ForgeHost>;
  /** Sandbox-only credentials the app was configured with (never real secrets). */
  pandev: { url: string; token: string; signingSecret: string };
  /** Runs until the app has nothing left to do (queue empty, no invocation running). */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

const appDir = path.resolve(__dirname, '..', '..');

export interface AppHostOptions {
  /** The simulator the app's Bitbucket calls go to, and the sandbox credentials it hands out. */
  bitbucket: { url: string; workspaceUuid: string; appToken: string; users: Array<{ accountId: string; token: string }> };
  timeScale?: number;
  storePath?: string;
  maxPlatformRetries?: number;
  platformRetentionSeconds?: number;
  platformReportsRetentionWindow?: boolean;
  platformHonoursConcurrencyKeys?: boolean;
  port?: number;
  logger?: (line: HostLogLine) => void;
  /** Default true; benchmarks turn the five-minute tick off to measure one path alone. */
  scheduledTriggers?: boolean;
  /** Forge's limits on async-event pushes, lowered by tests (default: Forge's own). */
  asyncEventLimits?: ForgeHostOptions['asyncEventLimits'];
  /** Shorter function time limits, enforced (default: Forge's own, only reported). */
  functionTimeoutScale?: number;
}

/** The real app on the local Forge host, pointed at a Bitbucket simulator (in this process or another). */
export function startAppHost(options: AppHostOptions): Promise<ForgeHost> {
  return startForgeHost({
    appDir,
    // src/index.ts under tsx or jest, dist/index.js when compiled: the sandbox sits beside it either way.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the host must load the app after installing its globals
    loadApp: () => require(path.join(__dirname, '..', 'index')) as Record<string, unknown>,
    bitbucket: {
      baseUrl: options.bitbucket.url,
      appToken: options.bitbucket.appToken,
      userTokens: Object.fromEntries(options.bitbucket.users.map((user) => [user.accountId, user.token])),
    },
    workspaceUuid: options.bitbucket.workspaceUuid,
    timeScale: options.timeScale ?? 1,
    egress: { allowLoopback: true },
    ...(options.storePath ? { storePath: options.storePath } : {}),
    ...(options.maxPlatformRetries !== undefined ? { maxRetries: options.maxPlatformRetries } : {}),
    ...(options.platformRetentionSeconds !== undefined ? { retentionWindowSeconds: options.platformRetentionSeconds } : {}),
    ...(options.platformReportsRetentionWindow === false ? { reportRetentionWindow: false } : {}),
    ...(options.platformHonoursConcurrencyKeys === false ? { honourConcurrencyKeys: false } : {}),
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.scheduledTriggers === false ? { scheduledTriggers: false } : {}),
    ...(options.asyncEventLimits ? { asyncEventLimits: options.asyncEventLimits } : {}),
    ...(options.functionTimeoutScale !== undefined ? { functionTimeoutScale: options.functionTimeoutScale } : {}),
  });
}

/** Throwaway sandbox credentials for the receiver and the app (never real secrets). */
export function sandboxCredentials(): { token: string; signingSecret: string } {
  return { token: `sandbox-token-${randomBytes(12).toString('hex')}`, signingSecret: randomBytes(32).toString('base64url') };
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const { token, signingSecret } = sandboxCredentials();
  const simulator = await startCloudSimulator(options.simulator);
  const sink = await startPanDevSink({ secret: signingSecret, token, ...(options.sinkPort !== undefined ? { port: options.sinkPort } : {}), ...(options.onDelivery ? { onDelivery: options.onDelivery } : {}) });
  const { admin, member } = simulator.credentials;
  const hostOptions: AppHostOptions = {
    bitbucket: {
      url: simulator.url,
      workspaceUuid: simulator.workspace.uuid,
      appToken: simulator.credentials.appToken,
      users: [admin, member].map((c) => ({ accountId: c.user.account_id as string, token: c.token })),
    },
    ...(options.timeScale !== undefined ? { timeScale: options.timeScale } : {}),
    ...(options.storePath ? { storePath: options.storePath } : {}),
    ...(options.maxPlatformRetries !== undefined ? { maxPlatformRetries: options.maxPlatformRetries } : {}),
    ...(options.platformRetentionSeconds !== undefined ? { platformRetentionSeconds: options.platformRetentionSeconds } : {}),
    ...(options.platformReportsRetentionWindow === false ? { platformReportsRetentionWindow: false } : {}),
    ...(options.platformHonoursConcurrencyKeys === false ? { platformHonoursConcurrencyKeys: false } : {}),
    ...(options.hostPort !== undefined ? { port: options.hostPort } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.scheduledTriggers === false ? { scheduledTriggers: false } : {}),
    ...(options.asyncEventLimits ? { asyncEventLimits: options.asyncEventLimits } : {}),
    ...(options.functionTimeoutScale !== undefined ? { functionTimeoutScale: options.functionTimeoutScale } : {}),
  };
  // A host that cannot start (its manifest or built page missing) must not leave the two servers listening.
  const host = await startAppHost(hostOptions).catch(async (error: unknown) => {
    await Promise.all([sink.stop(), simulator.stop()]);
    throw error;
  });
  const sandbox: Sandbox = {
    simulator,
    sink,
    host,
    pandev: { url: sink.url, token, signingSecret },
    settle: () => sandbox.host.idle(),
    async restartHost() {
      if (!options.storePath) throw new Error('restartHost needs a storePath: without one the app would lose its state');
      await sandbox.host.stop();
      sandbox.host = await startAppHost(hostOptions);
      return sandbox.host;
    },
    async stop() {
      stopForwarding();
      await sandbox.host.stop();
      await Promise.all([sink.stop(), simulator.stop()]);
    },
  };
  const stopForwarding = options.liveEvents === false ? () => undefined : simulator.onEvent((event) => void sandbox.host.fireEvent(event as { eventType: string } & Record<string, unknown>));
  try {
    // Tuning is the operator's (test's), not the admin's: it applies whether or not the app is connected.
    if (options.tuning) await settingsStore(hostStores(sandbox.host).store, hostStores(sandbox.host).secrets).saveTuning(options.tuning);
    if (options.connect !== false) await connectApp(sandbox.host, sandbox.pandev);
  } catch (error) {
    await sandbox.stop();
    throw error;
  }
  return sandbox;
}

/**
 * What an admin does on the settings page, through the page's own resolvers: save the connection,
 * check it, Activate. Activate starts the backfill of the configured window (30 days by default).
 */
export async function activateAsAdmin(sandbox: Pick<Sandbox, 'host' | 'simulator' | 'pandev'>): Promise<void> {
  const call = settingsResolver(sandbox.host, sandbox.simulator.credentials.admin.user.account_id as string);
  await call('connection/save', { baseUrl: sandbox.pandev.url, token: sandbox.pandev.token, signingSecret: sandbox.pandev.signingSecret });
  await call('connection/check', {});
  await call('connection/activate', {});
}

/** The settings page's resolver as one account calls it; a refusal throws with the resolver's own message. */
export function settingsResolver(host: ForgeHost, accountId: string) {
  return async (name: string, payload: unknown): Promise<{ ok: true; data: unknown }> => {
    const answer = (await host.invokeResolver('settings-resolver', name, payload, { accountId })) as ResolverResult<unknown>;
    if (!answer.ok) throw new Error(`the settings page's ${name} failed: ${answer.error.code} ${answer.error.message}`);
    return answer;
  };
}

/** Connected and activated without a backfill, by writing what the settings page would: for tests that count deliveries. */
export async function connectApp(host: ForgeHost, pandev: Sandbox['pandev']): Promise<void> {
  const { store, secrets } = hostStores(host);
  const settings = settingsStore(store, secrets);
  await secrets.set(secretKeys.token, pandev.token);
  await secrets.set(secretKeys.signingSecret, pandev.signingSecret);
  await settings.saveConnection({ baseUrl: pandev.url, activatedAt: Date.now() });
}
