#!/usr/bin/env node
import { Command } from 'commander';
import { EXIT } from '../bridge/cli/support';
import { registerCommands } from './commands';
import { VERSION } from '../version';

// `pandev-bitbucket`: one CLI for the sandbox, its simulators and receiver, and (later) the bridge.
// Entry point only: each command lives in ./commands/<name>.ts.
const program = new Command('pandev-bitbucket')
  .description('PanDev Metrics for Bitbucket: sandbox, simulators, receiver and bridge')
  .version(VERSION)
  .showHelpAfterError()
  // A flag or argument commander refuses (`--days 0`, an unknown option) is the invocation to fix, as a
  // configuration problem is: 2, so a script tells it from a pass that failed (1). Help and --version stay 0.
  .exitOverride((error) => process.exit(error.exitCode === 1 && error.code.startsWith('commander.') ? EXIT.config : error.exitCode));
registerCommands(program);
program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
