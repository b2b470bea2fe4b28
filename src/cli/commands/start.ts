import { InvalidArgumentError, type Command } from 'commander';
import { activateAsAdmin, startSandbox } from '../../sandbox/sandbox';
import type { Delivery } from '../../sandbox/pandev-sink';
import { startSettingsPage, type SettingsPage } from '../../sandbox/settings-page/server';
import { listening, port, PortInUseError, repositoryCount } from './options';

// `npm start`: the sandbox with live activity, one line per delivery as it lands at the receiver.

interface StartFlags {
  seed: string;
  repositories: number;
  activityMs: number;
  timeScale: number;
  exitAfter?: number;
  setup?: boolean;
  pagePort?: number;
  requestsPerHour: number;
}

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number');
  return n;
}

function wholeNumber(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number (0: no limit)');
  return Number(value);
}

/**
 * The simulator keeps Bitbucket Cloud's hourly limit, and the default live activity spends it in about
 * ten minutes; the app then waits out the 429s without a word, which reads as a hang. Said once per
 * run of 429s (a minute without one ends it).
 */
function noticeRateLimit(simulator: { stats(): { rateLimited: number } }, perHour: number, say: (text: string) => void): () => void {
  let seen = simulator.stats().rateLimited;
  let lastAt = 0;
  const timer = setInterval(() => {
    const now = simulator.stats().rateLimited;
    if (now === seen) return;
    seen = now;
    if (Date.now() - lastAt > 60_000) {
      say(
        `${new Date().toISOString().slice(11, 19)}  Bitbucket answers 429: the app has used this rolling hour's ${perHour.toLocaleString('en-US')} requests ` +
          '(--requests-per-hour; Bitbucket Cloud allows about 1,000). Deliveries wait until requests leave the hour, and none is lost; ' +
          'a larger --activity-ms, or --requests-per-hour 0, keeps the sandbox going.',
      );
    }
    lastAt = Date.now();
  }, 1000);
  timer.unref();
  return () => clearInterval(timer);
}

function line(d: Delivery): string {
  const body = d.body as { repository?: { full_name?: string }; pullrequest?: { id?: number } };
  const where = `${body.repository?.full_name ?? '?'}${body.pullrequest?.id ? `#${body.pullrequest.id}` : ''}`;
  const time = new Date(d.receivedAt).toISOString().slice(11, 19);
  const origin = d.headers['x-pandev-origin'] ?? '?';
  return `${time}  ${origin.padEnd(9)} ${d.eventKey.padEnd(38)} ${where.padEnd(32)} ${d.id}  attempt ${d.attempt}  → ${d.endpoint}`;
}

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('run the sandbox: Bitbucket Cloud simulator, PanDev receiver and the Forge app on a local host, offline')
    .option('--seed <s>', 'workspace seed (same seed, same workspace)', 'pandev')
    .option('--repositories <n>', 'repositories in the simulated workspace', repositoryCount, 5)
    .option('--activity-ms <n>', 'milliseconds between live changes in the workspace', positive, 2000)
    .option('--time-scale <x>', 'multiply queue and retry delays (1 = real Forge timing)', positive, 1)
    .option('--exit-after <n>', 'stop after this many deliveries (for smoke tests)', positive)
    .option('--setup', 'start unconnected, as right after installation: connect, check and activate on the settings page')
    .option('--page-port <n>', 'port of the settings page on 127.0.0.1 (default: any free port)', port)
    .option('--requests-per-hour <n>', "Bitbucket requests the simulator takes from the app per rolling hour, as Bitbucket Cloud (0: no limit)", wholeNumber, 1000)
    .action(async (flags: StartFlags) => {
      let count = 0;
      let done: () => void = () => undefined;
      const finished = new Promise<void>((resolve) => (done = resolve));
      const sandbox = await startSandbox({
        simulator: { seed: flags.seed, repositories: flags.repositories, rateLimitPerHour: flags.requestsPerHour },
        timeScale: flags.timeScale,
        // Connected below the way an admin does it, so that Activate starts the backfill.
        connect: false,
        logger: (entry) => entry.level !== 'info' && entry.level !== 'debug' && console.log(`  [${entry.source} ${entry.level}] ${entry.message}`),
        onDelivery: (delivery) => {
          console.log(line(delivery));
          if (flags.exitAfter && ++count >= flags.exitAfter) done();
        },
      });
      const { simulator, sink, host } = sandbox;
      const accounts = { admin: simulator.credentials.admin.user.account_id as string, member: simulator.credentials.member.user.account_id as string };
      // The sandbox still runs without the page (e.g. before the first `npm run build`); the line below
      // says why. A port that is taken is a mistake to fix, as for every other command: nothing runs.
      const page = await listening(startSettingsPage({ hostUrl: host.url, accounts, ...(flags.pagePort !== undefined ? { port: flags.pagePort } : {}) }), flags.pagePort ?? 0, '--page-port').catch(
        async (error: Error): Promise<SettingsPage | Error> => {
          if (!(error instanceof PortInUseError)) return error;
          await sandbox.stop();
          throw error;
        },
      );
      console.log(
        [
          'PanDev Metrics for Bitbucket — sandbox (offline, loopback only)',
          `  Bitbucket Cloud simulator  ${simulator.url}/2.0   workspace ${simulator.workspace.slug} ${simulator.workspace.uuid}`,
          `                             as the admin: Authorization: Bearer ${simulator.credentials.admin.token}   (fake, for this simulator only)`,
          `  PanDev receiver            ${sink.url}/_sink/deliveries   (ingest: /v1/bitbucket/webhook/{merge-request,repository})`,
          `  local Forge host           ${host.url}   (POST /events takes Forge product events)`,
          page instanceof Error
            ? `  settings page              not served: ${page.message}`
            : `  settings page              ${page.url}   (as the workspace admin; ${page.url}?as=member as a member who is not)`,
          ...(page instanceof Error ? [] : [`  pull request card          ${page.url}card/?repository=${encodeURIComponent(firstRepository(simulator))}&pullRequest=1   (any repository uuid and pull request id)`]),
          ...(flags.setup
            ? ['', '  Not connected yet. On the settings page, enter these sandbox values, save, check, activate:', `    PanDev URL ${sandbox.pandev.url}   ingest token ${sandbox.pandev.token}   signing secret ${sandbox.pandev.signingSecret}`]
            : []),
          '',
        ].join('\n'),
      );
      process.once('SIGINT', done);
      process.once('SIGTERM', done);
      if (!flags.setup) {
        // Refused (say, by a --requests-per-hour too small to connect), nothing is left listening.
        const refused = await activateAsAdmin(sandbox).then(() => undefined, (error: Error) => error);
        if (refused) {
          if (!(page instanceof Error)) await page.stop();
          await sandbox.stop();
          const hint = simulator.stats().rateLimited ? ` The simulator takes ${flags.requestsPerHour} Bitbucket requests an hour (--requests-per-hour): a larger number, or 0 for no limit, lets the app connect.` : '';
          throw new Error(`the sandbox could not connect and activate the app as the workspace admin: ${refused.message}${hint}`);
        }
        console.log('  connected and activated as the workspace admin: the backfill of the last 30 days comes first (origin backfill)');
      }
      console.log('  live activity: pull requests opened, reviewed, merged, pushes, builds, deployments (origin trigger) — Ctrl-C to stop\n');
      const stopActivity = simulator.startActivity({ intervalMs: flags.activityMs });
      const stopNotice = noticeRateLimit(simulator, flags.requestsPerHour, (text) => console.log(text));
      await finished;
      stopNotice();
      stopActivity();
      if (!(page instanceof Error)) await page.stop();
      await sandbox.stop();
      const byOrigin = new Map<string, number>();
      for (const d of sink.deliveries()) {
        const origin = d.headers['x-pandev-origin'] ?? '?';
        byOrigin.set(origin, (byOrigin.get(origin) ?? 0) + 1);
      }
      const split = [...byOrigin].map(([origin, n]) => `${n} ${origin}`).join(', ');
      console.log(`stopped after ${sink.deliveries().length} deliveries${split ? ` (${split})` : ''}`);
    });
}

function firstRepository(simulator: { model: { repositories: Map<string, { uuid: string }> } }): string {
  return [...simulator.model.repositories.values()][0]?.uuid ?? '';
}
