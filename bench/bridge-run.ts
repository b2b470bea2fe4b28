import { loadConfig } from '../src/bridge/config/load';
import { bridgeLogger } from '../src/bridge/ops/logger';
import { startBridge } from '../src/bridge/runner';
import { rssSampler } from './measure';

// One bridge process for the benchmark: a first pass (the backfill) until PanDev has everything, then
// an idle pass. Prints one JSON line of figures. Configured by the environment, as operators do.

async function main() {
  const rss = rssSampler(10);
  const running = await startBridge(loadConfig(), { manual: true, log: bridgeLogger({ level: 'error' }) });
  const started = performance.now();
  const backfill = await running.runPass();
  const staged = performance.now();
  await running.bridge.queue.idle();
  const delivered = performance.now();
  const deliveries = running.bridge.store.count('delivered:');
  const requestsBefore = await requests(running.bridge.metrics.registry.getSingleMetricAsString('pandev_bridge_bitbucket_requests_total'));
  const idle = await running.runPass();
  const idleRequests = (await requests(running.bridge.metrics.registry.getSingleMetricAsString('pandev_bridge_bitbucket_requests_total'))) - requestsBefore;
  const peak = rss.stop();
  await running.stop();
  console.log(JSON.stringify({ repositories: backfill.repositories, failed: backfill.failed, stagedMs: staged - started, deliveredMs: delivered - started, deliveries, backfillRequests: requestsBefore, idleRequests, idleStaged: idle.staged, peakRss: peak }));
}

async function requests(text: Promise<string>): Promise<number> {
  return (await text).split('\n').filter((line) => line.startsWith('pandev_bridge_bitbucket_requests_total{')).reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
