import type { Command } from 'commander';
import { action, configFrom, withConfigOption, type ConfigFlags } from '../../bridge/cli/support';
import { startBridge } from '../../bridge/runner';

// `pandev-bitbucket bridge`: run the bridge until SIGTERM or SIGINT.

export function registerBridge(program: Command): void {
  withConfigOption(
    program
      .command('bridge')
      .description('poll Bitbucket (Data Center or Cloud) and forward its events to PanDev, until stopped'),
  ).action(
    action(async (flags: ConfigFlags) => {
      // Listening before the start: a SIGTERM while it starts (a restart right after a start) would
      // otherwise end the process by the signal's default action, skipping the orderly stop.
      const stopAsked = new Promise<void>((resolve) => {
        process.once('SIGTERM', resolve);
        process.once('SIGINT', resolve);
      });
      const running = await startBridge(configFrom(flags));
      await stopAsked;
      await running.stop();
    }),
  );
}
