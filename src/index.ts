// Forge entry points, as manifest.yml names them (`index.<export>`). Re-exports only.

// product triggers
export { onBitbucketEvent } from './forge/triggers/on-bitbucket-event';
// queue consumers
export { forward } from './forge/consumers/forward';
// scheduled triggers
export { tick } from './forge/scheduled/tick';
// UI resolvers
export { settingsResolver } from './forge/resolvers';
export { pullRequestCardResolver } from './forge/resolvers/pull-request-card';
