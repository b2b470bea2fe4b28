import { isProductionEnvironment } from '../../src/core/change/environment';
import { isProduction, type DeploymentFacts } from '../../src/core/metrics/facts';

// PanDev's `is_production` and the comment's DORA figures read one rule: a deployment PanDev counts
// as production is one the comment waits for, and the other way round.

const deployment = (environment: DeploymentFacts['environment']): DeploymentFacts => ({
  repository: '{r}', uuid: '{d}', environment, result: 'SUCCESSFUL', completedOn: '2026-11-20T10:00:00.000000+00:00', commit: 'abc',
});

it.each<[DeploymentFacts['environment'], boolean]>([
  [{ uuid: 'e', type: 'Production', name: 'Live' }, true],
  [{ uuid: 'e', type: 'PRODUCTION' }, true],
  [{ uuid: 'e', type: 'Staging', name: 'prod-mirror' }, false],
  [{ uuid: 'e', name: 'Production EU' }, true],
  [{ uuid: 'e', name: 'prod' }, true],
  [{ uuid: 'e', name: 'Preview' }, false],
  [{ uuid: 'e' }, false],
])('environment %j is production: %s, in the body and in the figures alike', (environment, expected) => {
  expect(isProductionEnvironment(environment)).toBe(expected);
  expect(isProduction(deployment(environment))).toBe(expected);
});
