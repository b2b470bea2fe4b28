import type { Command } from 'commander';

// Each command module exports `register(program)`; keep this list the only place that knows them all.
export function registerCommands(_program: Command): void {
}
