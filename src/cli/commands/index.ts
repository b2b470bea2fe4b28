import type { Command } from 'commander';
import { registerSim } from './sim';
import { registerSink } from './sink';
import { registerStart } from './start';

// Each command module exports `register<Name>(program)`; keep this list the only place that knows them all.
export function registerCommands(program: Command): void {
  registerStart(program);
  registerSim(program);
  registerSink(program);
}
