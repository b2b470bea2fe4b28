import type { Command } from 'commander';
import { action, configFrom, EXIT, withConfigOption, type ConfigFlags } from '../../bridge/cli/support';
import { listDead, replayDead } from '../../bridge/cli/dead-letters';
import { printable } from '../../bridge/cli/printable';
import { stateDbPath } from '../../bridge/config/load';
import { openExistingStore } from '../../bridge/state/open-existing';
import { appendOncePerLetter } from '../../contract/dead-letters';
import { plural } from '../../core/words';

// `pandev-bitbucket dead-letters list|replay`: deliveries that failed for good, with their reasons;
// replay puts them back in the outbox with a fresh attempt budget and delivers them now.

export function registerDeadLetters(program: Command): void {
  const command = program.command('dead-letters').description('list or replay deliveries that failed for good');
  withConfigOption(command.command('list').description('list dead letters with their reasons').option('--json', 'machine-readable output')).action(
    action(async (flags: ConfigFlags & { json?: boolean }) => {
      const store = openExistingStore(stateDbPath({ ...(flags.config ? { file: flags.config } : {}) }));
      if (!store) return EXIT.failed;
      try {
        // A letter with two rows on two pages (racing burials) is listed once; its replay takes both.
        const letters = appendOncePerLetter([], await listDead(store));
        if (flags.json) console.log(JSON.stringify(letters, null, 2));
        else if (!letters.length) console.log('no dead letters');
        else for (const l of letters) console.log(printable(`${l.id}  ${new Date(l.deadAt).toISOString()}  ${l.eventKey}  ${l.repository}  after ${plural(l.attempts, 'attempt')}\n    ${l.reason}`));
        return EXIT.ok;
      } finally {
        store.close();
      }
    }),
  );
  withConfigOption(
    command
      .command('replay')
      .description('deliver dead letters again (needs the full configuration: PanDev URL, token, secret)')
      .argument('[ids...]', 'delivery ids (X-Request-UUID) to replay')
      .option('--all', 'replay every dead letter'),
  ).action(
    action(async (ids: string[], flags: ConfigFlags & { all?: boolean }) => {
      if (!ids.length && !flags.all) {
        console.error('name the delivery ids to replay, or pass --all; `pandev-bitbucket dead-letters list` shows the ids');
        // The invocation to fix, as for an argument commander refuses (README): not a replay that failed.
        return EXIT.config;
      }
      const result = await replayDead(configFrom(flags), flags.all ? 'all' : ids);
      console.log(`${result.delivered} delivered, ${result.stillWaiting} waiting for a retry, ${result.deadAgain} failed again, ${result.notFound} not found`);
      if (result.staleRows) console.log(`${plural(result.staleRows, 'listed dead letter')} had nothing left to send (replayed already): taken off the list`);
      if (result.notFound) console.error('not found: no dead letter has that id (replayed already, or mistyped); `pandev-bitbucket dead-letters list` shows the ones there are');
      return result.deadAgain || result.notFound ? EXIT.failed : EXIT.ok;
    }),
  );
}
