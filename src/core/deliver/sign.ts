import { createHmac, timingSafeEqual } from 'node:crypto';

// Bitbucket's own webhook signature: `X-Hub-Signature: sha256=<hex HMAC-SHA256 of the exact body bytes>`.

export function sign(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Constant-time check; a length mismatch is answered without comparing. */
export function verify(secret: string, body: string | Buffer, signature: string | undefined | null): boolean {
  if (!signature) return false;
  const expected = Buffer.from(sign(secret, body));
  const given = Buffer.from(signature.trim());
  return expected.length === given.length && timingSafeEqual(expected, given);
}
