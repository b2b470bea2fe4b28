import type { Logger } from '../../core/ports';
import type { BridgeConfig } from '../config/schema';
import type { BridgeMetrics } from '../ops/metrics';
import { cloudEdition } from './cloud';
import { datacenterEdition } from './datacenter';
import type { EditionSetup } from './edition';

export function editionSetup(config: BridgeConfig, extras: { metrics: BridgeMetrics; log: Logger; pullRequestPages?: number }): EditionSetup {
  return config.bitbucket.edition === 'cloud' ? cloudEdition(config, extras) : datacenterEdition(config, extras);
}
