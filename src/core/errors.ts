// Typed errors of the core. Each carries what an admin needs to fix it; hosts turn them into log lines,
// dead-letter reasons, resolver answers or CLI exit codes, never into silence.

export type BitbucketFailureKind = 'not-found' | 'forbidden' | 'unauthorized' | 'rate-limited' | 'server' | 'malformed' | 'network' | 'client';

/** Bitbucket answered something other than the object we asked for. */
export class BitbucketError extends Error {
  constructor(
    readonly kind: BitbucketFailureKind,
    readonly status: number | undefined,
    readonly path: string,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'BitbucketError';
  }

  /** Worth trying again later: the same request may well succeed. */
  get transient(): boolean {
    return this.kind === 'rate-limited' || this.kind === 'server' || this.kind === 'network' || this.kind === 'malformed';
  }
}

/** An event or API object did not have the shape we need. Never retried: the input will not change. */
export class InvalidInputError extends Error {
  constructor(
    message: string,
    readonly issues: string[] = [],
  ) {
    super(message);
    this.name = 'InvalidInputError';
  }
}

/** The app is not set up to deliver yet (no PanDev URL or token). */
export class NotConfiguredError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotConfiguredError';
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * `text` with each of `values` masked. For answers quoted in reasons, which are logged, stored and
 * shown: an error page that echoes the request's headers (some proxies do) would carry a credential
 * there. Values under four characters are left alone: masking them would mangle the text, not protect it.
 */
export function withoutValues(text: string, values: ReadonlyArray<string | undefined>): string {
  return values.filter((value): value is string => value !== undefined && value.length >= 4).reduce((masked, value) => masked.split(value).join('[redacted]'), text);
}
