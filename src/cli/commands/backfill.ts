import { InvalidArgumentError, type Command } from 'commander';
import { runBackfill } from '../../bridge/backfill';
import { action, configFrom, EXIT, withConfigOption, type ConfigFlags } from '../../bridge/cli/support';

// `pandev-bitbucket backfill`: one pass, wait for PanDev to take it, exit (0 when all was delivered or
// is waiting for a retry; 1 when something failed, or PanDev paused deliveries until a check).

interface BackfillFlags extends ConfigFlags {
  days?: number;
  wait: number;
}

function positive(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError('expected a positive whole number');
  return parsed;
}

export function registerBackfill(program: Command): void {
  withConfigOption(
    program
      .command('backfill')
      .description('poll every selected repository once (replaying history on the first run), deliver, and exit')
      .option('--days <n>', 'replay this many days (default BRIDGE_BACKFILL_DAYS); a wider window than before is read again', positive)
      .option('--wait <seconds>', 'how long to wait for deliveries that are being retried', positive, 600),
  ).action(
    action(async (flags: BackfillFlags) => {
      const result = await runBackfill(configFrom(flags), { ...(flags.days ? { days: flags.days } : {}), waitSeconds: flags.wait });
      const { pass } = result;
      console.log(`${pass.repositories} repositories polled (${pass.failed} failed), ${pass.staged} deliveries found, ${result.delivered} delivered, ${pass.skipped} pull requests skipped`);
      if (result.paused) console.log(`deliveries are paused, ${result.pending} waiting: ${result.paused}. Set PANDEV_URL to PanDev's ingest URL, or run \`pandev-bitbucket check\` once PanDev answers: a check that passes resumes them`);
      else if (result.pending) console.log(`${result.pending} deliveries are still waiting to be retried; the bridge (or the next backfill) sends them`);
      if (result.dead) console.log(`${result.dead} deliveries failed for good: see \`pandev-bitbucket dead-letters list\``);
      return pass.failed || result.dead || result.paused ? EXIT.failed : EXIT.ok;
    }),
  );
}
