// The local PanDev receiver: verifies signatures, deduplicates on X-Request-UUID, stores what it got,
// and fails on request (faults, scripted statuses) so delivery retries can be tested end to end.
export { startPanDevSink } from './server';
export { signBody, verifySignature } from './signature';
export type { Delivery, FaultKind, FaultPlan, IngestEndpoint, PanDevSink, Rejection, SinkOptions, SinkStats } from './types';
