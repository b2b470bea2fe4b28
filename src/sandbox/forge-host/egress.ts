// Forge's runtime egress control: a backend fetch must target a host declared in
// `permissions.external.fetch.backend` ('*', '*.example.com' or an address; paths and schemes are
// ignored, as Forge validates domains only).

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

export function isLoopback(hostname: string): boolean {
  return LOOPBACK.test(hostname);
}

function patternHost(pattern: string): string {
  const withoutScheme = pattern.trim().toLowerCase().replace(/^[a-z][a-z0-9+.-]*:\/\//, '');
  return withoutScheme.split('/')[0]?.replace(/:\d+$/, '') ?? '';
}

export function egressAllowed(hostname: string, patterns: string[]): boolean {
  const host = hostname.toLowerCase();
  return patterns.some((pattern) => {
    const allowed = patternHost(pattern);
    if (allowed === '*') return true;
    if (allowed.startsWith('*.')) return host.endsWith(allowed.slice(1));
    return host === allowed;
  });
}

export function createEgressCheck(patterns: string[], allowLoopback: boolean): (url: URL) => Promise<void> {
  return async (url) => {
    if (egressAllowed(url.hostname, patterns) || (allowLoopback && isLoopback(url.hostname))) return;
    // The SDK's own error, so the app sees what it would see on Forge. Loaded lazily: @forge/api
    // captures global fetch when first loaded, and must find the egress-checked one.
    const { ExternalEndpointNotAllowedError } = await import('@forge/api');
    throw new ExternalEndpointNotAllowedError(url.href);
  };
}
