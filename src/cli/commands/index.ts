import type { Command } from 'commander';
import { registerSink } from './sink';

// Each command module exports `register(program)`; keep this list the only place that knows them all.
export function registerCommands(program: Command): void {
  registerSink(program);
}
