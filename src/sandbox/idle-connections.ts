import type { Server } from 'node:http';

// The sandbox's clients run in the same process as its servers: the host's Bitbucket proxy and the
// simulators, the page server and the host, the app and the receiver. Node's server closes a
// keep-alive connection idle for keepAliveTimeout (and a second more) on a timer of the clock; fetch
// (undici) stops reusing one idle for the server's hint less 2 s on timers that count ticks, which fall
// behind the clock when the process is loaded. Under load the server's timer ran first, and a request
// sent in the same turn, before the close was read, went out on a closed connection: the proxy's 502,
// shown on the settings page as "Bitbucket did not answer in time". Only the client knows when it
// will reuse a connection, so it alone should close an idle one.

/** Leaves closing an idle keep-alive connection to the client; the server still closes them all when it stops. */
export function leaveIdleConnectionsToClients(server: Server): void {
  server.keepAliveTimeout = 0;
}
