// A local Forge host: runs the app's real handlers with the real @forge/* SDK on one machine, for the
// sandbox and the end-to-end tests.
export { startForgeHost } from './host';
export { egressAllowed } from './egress';
export type { ForgeHost, ForgeHostOptions, HostLogLine, PlatformErrorReport, QueueStats } from './types';
export { STORAGE_CALL_KINDS, type StorageCallKind, type StorageStats } from './storage-meter';
