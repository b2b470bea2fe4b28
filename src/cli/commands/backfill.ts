import { InvalidArgumentError, type Command } from 'commander';
import { runBackfill } from '../../bridge/backfill';
import type { BridgeConfig } from '../../bridge/config/schema';
import { ACCESS_TOKEN_SCOPES, API_TOKEN_SCOPES } from '../../bridge/poll/failure-reason';
import { printable } from '../../bridge/cli/printable';
import { resumeAdvice } from '../../bridge/state/connection';
import { plural } from '../../core/words';
import { action, configFrom, EXIT, stopSignals, withConfigOption, type ConfigFlags } from '../../bridge/cli/support';

// `pandev-bitbucket backfill`: one pass, wait for PanDev to take it, exit (0 when all was delivered or
// is waiting for a retry; 1 when something failed, or PanDev paused deliveries until a check, stopped or
// not; 3 when SIGTERM or Ctrl-C stopped it first, after which the next backfill or the bridge resumes it).

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
      // Listening before the start, as `bridge` does: a signal while it starts must not kill it either.
      const stops = stopSignals({
        first: 'stopping the backfill: the deliveries in flight finish or are recorded as an attempt (within half a minute), the rest stays in BRIDGE_DB for the next run',
        again: 'already stopping; it ends on its own within half a minute, and nothing is lost by waiting',
      });
      try {
        const config = configFrom(flags);
        const result = await runBackfill(config, { ...(flags.days ? { days: flags.days } : {}), waitSeconds: flags.wait, signal: stops.signal });
        const { pass } = result;
        if (result.stopped) {
          // No "deliveries found": a repository cut short does not count what it staged (that is in the outbox).
          const read = pass.repositories ? `${pass.repositories - pass.stopped - pass.failed - pass.refused} of ${pass.repositories} repositories read to the end (${pass.failed} failed${unread(pass.partial)})` : 'no repository listed yet';
          console.log(`stopped by ${stops.received() ?? 'a signal'} before the backfill was done: ${read}, ${result.delivered} delivered, ${plural(result.pending, 'delivery', 'deliveries')} waiting in the outbox, ${plural(pass.skipped, 'pull request')} skipped. Nothing is lost: run \`pandev-bitbucket backfill\` again (or start \`pandev-bitbucket bridge\`) and it resumes where this one stopped`);
        } else {
          console.log(`${plural(pass.repositories, 'repository', 'repositories')} polled (${pass.failed} failed${unread(pass.partial)}${pass.refused ? `, ${pass.refused} not read` : ''}), ${plural(pass.staged, 'delivery', 'deliveries')} found, ${result.delivered} delivered, ${plural(pass.skipped, 'pull request')} skipped`);
        }
        // The pass stopped at the first refusal: the rest were not read, and running it again changes nothing until the token does.
        if (pass.refusal) console.log(`Bitbucket refused the token: ${pass.refused ? `${plural(pass.refused, 'repository was', 'repositories were')} not read` : 'no repository was read'}. ${newToken(config)}, write it to the file BITBUCKET_TOKEN_FILE names (or set BITBUCKET_TOKEN), run \`pandev-bitbucket check\`, then this backfill again: it resumes where it stopped`);
        // Said after a stop too: running it again, all a stop asks for, sends nothing while paused.
        if (result.paused) console.log(`deliveries are paused, ${result.pending} waiting: ${printable(result.paused.reason)}. ${resumeAdvice(result.paused)}`);
        else if (result.pending && !result.stopped) console.log(`${result.pending} deliveries are still waiting to be retried; the bridge (or the next backfill) sends them`);
        if (result.dead) console.log(`${result.dead} deliveries failed for good: see \`pandev-bitbucket dead-letters list\``);
        // A failure wins over a stop: exit 3 tells a script that running it again is all it takes, and
        // a failed repository, a dead letter or a pause each need someone to look first.
        if (pass.failed || pass.partial || pass.refusal || result.dead || result.paused) return EXIT.failed;
        return result.stopped ? EXIT.stopped : EXIT.ok;
      } finally {
        stops.dispose();
      }
    }),
  );
}

/** The token to create instead of the refused one, in the edition's terms (the logged reason says more). */
function newToken(config: BridgeConfig): string {
  if (config.bitbucket.edition === 'datacenter') return 'Create a new personal access token (Project read and Repository read)';
  return config.bitbucket.username
    ? `Create a new API token with the scopes ${API_TOKEN_SCOPES} for the Atlassian account BITBUCKET_USERNAME names`
    : `Create a new workspace, project or repository access token with ${ACCESS_TOKEN_SCOPES}`;
}

/** Cloud: repositories read but for a feed the token lacks the scope for; `status` names the scope to add. */
function unread(partial: number): string {
  return partial ? `, ${partial} read but for a feed the token may not read: see \`pandev-bitbucket status\`` : '';
}
