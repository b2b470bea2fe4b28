import type { Command } from 'commander';
import { action, configFrom, stopSignals, withConfigOption, type ConfigFlags } from '../../bridge/cli/support';
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
      // otherwise end the process by the signal's default action, skipping the orderly stop. Listening
      // until the end: a second Ctrl-C (an impatient operator) would otherwise kill it mid-stop, with
      // the attempts in flight never recorded.
      const stops = stopSignals({
        first: 'stopping the bridge: the deliveries in flight finish or are recorded as an attempt (within half a minute), the rest stays in BRIDGE_DB for the next start',
        again: 'already stopping; it ends on its own within half a minute, and nothing is lost by waiting',
      });
      try {
        const stopAsked = new Promise<void>((resolve) => (stops.signal.aborted ? resolve() : stops.signal.addEventListener('abort', () => resolve(), { once: true })));
        const running = await startBridge(configFrom(flags));
        await stopAsked;
        await running.stop();
      } finally {
        stops.dispose();
      }
    }),
  );
}
