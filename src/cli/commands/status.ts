import type { Command } from 'commander';
import { action, EXIT, withConfigOption, type ConfigFlags } from '../../bridge/cli/support';
import { formatStatus, readStatus } from '../../bridge/cli/status';
import { stateDbPath } from '../../bridge/config/load';
import { openExistingStore } from '../../bridge/state/open-existing';

// `pandev-bitbucket status`: what the state database says — first what needs the operator (exit 1),
// then the outbox, dead letters, the last day's deliveries and webhooks, how far the backfill has got, each
// repository's last good poll and the pull requests it had to skip, with why.

export function registerStatus(program: Command): void {
  withConfigOption(program.command('status').description('show what needs attention (exit 1 if anything does), the outbox, dead letters, recent deliveries, Data Center webhooks (on or off, last taken, last refused and why, the last day\'s counts), the backfill\'s progress and each repository\'s poll state').option('--json', 'machine-readable output'))
    .action(
      action(async (flags: ConfigFlags & { json?: boolean }) => {
        const store = openExistingStore(stateDbPath({ ...(flags.config ? { file: flags.config } : {}) }));
        if (!store) return EXIT.failed;
        try {
          const report = await readStatus(store);
          console.log(flags.json ? JSON.stringify(report, null, 2) : formatStatus(report));
          return report.attention.length ? EXIT.failed : EXIT.ok;
        } finally {
          store.close();
        }
      }),
    );
}
