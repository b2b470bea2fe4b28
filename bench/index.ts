import { backfillBenchmark } from './backfill';
import { bridgeBenchmark } from './bridge';
import { commentsBenchmark } from './comments';
import { forwardingBenchmark } from './forwarding';
import { settingsBenchmark } from './settings';

// `npm run bench [-- name…]`: prints the figures BENCHMARKS.md records. Each benchmark starts its own
// loopback sandbox; nothing leaves the machine.
const benchmarks: Record<string, () => Promise<string>> = {
  forwarding: forwardingBenchmark,
  bridge: bridgeBenchmark,
  settings: settingsBenchmark,
  backfill: backfillBenchmark,
  comments: commentsBenchmark,
};

async function main() {
  const wanted = process.argv.slice(2).filter((name) => !name.startsWith('-'));
  const names = wanted.length ? wanted : Object.keys(benchmarks);
  console.log(`node ${process.version}, ${new Date().toISOString()}\n`);
  for (const name of names) {
    const run = benchmarks[name];
    if (!run) throw new Error(`unknown benchmark "${name}"; known: ${Object.keys(benchmarks).join(', ')}`);
    console.log(await run());
    console.log();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
