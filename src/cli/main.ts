#!/usr/bin/env node
import { Command } from 'commander';
import { registerCommands } from './commands';

// `pandev-bitbucket`: one CLI for the sandbox, its simulators and receiver, and (later) the bridge.
// Entry point only: each command lives in ./commands/<name>.ts.
const program = new Command('pandev-bitbucket')
  .description('PanDev Metrics for Bitbucket: sandbox, simulators, receiver and bridge')
  .showHelpAfterError();
registerCommands(program);
program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
