import { createHmac, timingSafeEqual } from 'node:crypto';

// Bitbucket's own webhook signing scheme (`X-Hub-Signature: sha256=<hex>`), which PanDev already verifies.

export function signBody(secret: string, body: Buffer | string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Compares in constant time so response timing does not leak how much of a forged value matched. */
export function safeEqual(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  // timingSafeEqual throws on a length mismatch; the expected length is public anyway.
  return a.length === b.length && timingSafeEqual(a, b);
}

export function verifySignature(secret: string, body: Buffer, header: string | undefined): boolean {
  return header !== undefined && safeEqual(header, signBody(secret, body));
}
