import type { Command } from 'commander';
import { registerBackfill } from './backfill';
import { registerBridge } from './bridge';
import { registerCheck } from './check';
import { registerDeadLetters } from './dead-letters';
import { registerStatus } from './status';
import { registerSim } from './sim';
import { registerSink } from './sink';
import { registerStart } from './start';

// Each command module exports `register<Name>(program)`; keep this list the only place that knows them all.
export function registerCommands(program: Command): void {
  registerStart(program);
  registerSim(program);
  registerSink(program);
  registerBridge(program);
  registerCheck(program);
  registerBackfill(program);
  registerStatus(program);
  registerDeadLetters(program);
}
