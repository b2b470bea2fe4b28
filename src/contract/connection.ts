import { z } from 'zod';

// The Connection part of the settings page: where PanDev is, the two secrets, the check and the
// activation. Messages name what to do, because the page shows them next to the field as they are.

// Loopback hosts, as URL.hostname spells them: the sandbox's receiver runs on plain http there.
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

export const PanDevUrl = z
  .string()
  .trim()
  .min(1, 'enter the PanDev URL, e.g. https://pandev.example.com')
  .max(2000, 'at most 2,000 characters')
  .superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'not a URL: enter the address PanDev is reached at, e.g. https://pandev.example.com' });
      return;
    }
    const loopback = LOOPBACK.has(url.hostname.toLowerCase());
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
      ctx.addIssue({ code: 'custom', message: 'must start with https:// (plain http:// is accepted only for 127.0.0.1, localhost and ::1)' });
    }
    if (url.username || url.password) ctx.addIssue({ code: 'custom', message: 'must not contain a user name or password: the ingest token is entered below' });
    // Tested on the text, not url.search: a bare trailing ? or # parses as empty, yet the ingest path
    // appended to the saved text would land after it.
    if (/[?#]/.test(value)) ctx.addIssue({ code: 'custom', message: 'must not contain a ?query or #fragment' });
  });

export const IngestToken = z
  .string()
  .trim()
  .min(8, 'the ingest token is at least 8 characters: copy it whole from PanDev')
  .max(4096, 'at most 4,096 characters')
  .regex(/^\S+$/, 'the ingest token contains no spaces: copy it whole from PanDev')
  // It travels in the Authorization header: a character a header cannot carry (an invisible one picked
  // up in copying, a control or non-ASCII one) failed every delivery as if PanDev were unreachable.
  .regex(/^[\x21-\x7e]+$/, 'the ingest token has a character that cannot be sent in an HTTP header (often an invisible one picked up in copying): copy it again from PanDev');

export const SigningSecret = z
  .string()
  .trim()
  .min(16, 'use at least 16 characters, or generate one')
  .max(1024, 'at most 1,024 characters')
  .regex(/^\S+$/, 'the signing secret contains no spaces');

/** Secrets left out keep their saved value: the page never has them to send back. */
export const ConnectionSaveInput = z.strictObject({
  baseUrl: PanDevUrl,
  token: IngestToken.optional(),
  signingSecret: SigningSecret.optional(),
});

export const EmptyInput = z.strictObject({});

/** An active connection's secret is replaced only when the admin said so: PanDev refuses deliveries until it has the new one. */
export const GenerateSecretInput = z.strictObject({ replaceActive: z.boolean().optional() });

/** All the browser ever learns about a secret. */
export interface SecretView {
  set: boolean;
  /** Only for a secret of 16 characters or more. */
  last4?: string;
}

export type CheckStatus = 'pass' | 'warn' | 'fail';

export interface CheckItem {
  key: 'bitbucket' | 'access' | 'pandev';
  status: CheckStatus;
  title: string;
  detail: string;
}

export interface CheckResult {
  /** Nothing failed (warnings allow activation). */
  ok: boolean;
  at: number;
  workspace?: { slug: string; name: string };
  /** The Bitbucket identity the app's own requests run as. */
  actingAs?: string;
  /** Repositories the app can read. */
  repositories?: number;
  items: CheckItem[];
  /**
   * This check lifted a pause: how many deliveries it kept and started sending at once, how many wait
   * out a retry planned for later (they go then, not now), and both in words for the admin.
   */
  resumed?: { queued: number; waiting?: number; message: string };
}

export interface ConnectionView {
  baseUrl?: string;
  token: SecretView;
  signingSecret: SecretView;
  activatedAt?: number;
  /** Set when PanDev refused every delivery (410, a web page, the token or the signature): deliveries wait until a check passes again. */
  disabled?: { at: number; reason: string; cause?: 'gone' | 'web-page' | 'token' | 'signature' };
  /** The last check, and whether it was made with the settings saved now (only then may it activate). */
  lastCheck?: CheckResult & { current: boolean };
}

export interface ActivateOutput {
  activatedAt: number;
  /** Repositories whose backfill was asked for now. */
  backfillRequested: number;
}
