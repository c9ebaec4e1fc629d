import { z } from 'zod';
import { DeliveryError, type DeliveryItem } from '../../src/connector-kit';
import type { HashedIdentifiers } from '../../src/privacy/identifiers';
import { decimalToNumber, normalizeCurrency } from './currency';

/**
 * The hashed email and phone Google matches on (enhanced conversions for leads), in Google's
 * normalisation, as intake hashed them (src/privacy/identifiers.ts): email trimmed, lower-cased,
 * dots before the `@` removed for gmail.com / googlemail.com; phone E.164 (`+` and digits); then
 * SHA-256 hex (developers.google.com/google-ads/api/docs/conversions/enhanced-conversions/leads,
 * developers.google.com/data-manager/api/devguides/concepts/formatting). A hash the network sent
 * itself is forwarded as it came. Shared by google-ads (`user_identifiers`) and
 * google-data-manager (`userData.userIdentifiers`): the same rules for the same platform.
 */
export function googleHashedIdentifiers(ids: HashedIdentifiers | undefined): { email?: string; phone?: string } {
  const email = ids?.email_google_sha256 ?? ids?.email_sha256;
  const phone = ids?.phone_e164_sha256 ?? ids?.phone_sha256;
  return { ...(email ? { email } : {}), ...(phone ? { phone } : {}) };
}

/**
 * What the two Google connectors (google-ads over gRPC, google-data-manager over REST) share:
 * the click-id rule, the conversion time, per-item checks and id/URL schemas.
 */

/** Hosts an unencrypted channel may talk to: a test fake or a local proxy, never the internet. */
export const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/**
 * Google Ads customer ids are shown as `123-456-7890` in the UI and sent as 10 digits.
 * https://developers.google.com/google-ads/api/docs/concepts/call-structure#cid
 */
export const customerIdSchema = z
  .union([z.string(), z.number().int().nonnegative()])
  .transform((v) => String(v).replace(/[\s-]/g, ''))
  .pipe(z.string().regex(/^\d{10}$/, 'a Google Ads customer id has 10 digits (dashes allowed: 123-456-7890)'));

export const numericIdSchema = (what: string) =>
  z
    .union([z.string().trim(), z.number().int().positive()])
    .transform(String)
    .pipe(z.string().regex(/^\d{1,20}$/, `${what} is the numeric id (digits only)`));

/**
 * OAuth token endpoint: https in production; plain http only to a loopback host (test fakes),
 * so a refresh token never crosses a network unencrypted.
 */
export const tokenUrlSchema = z
  .string()
  .trim()
  .default('https://oauth2.googleapis.com/token')
  .refine(isSafeUrl, 'tokenUrl must be https:// (http:// only for 127.0.0.1 or localhost)');

export function isSafeUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return u.protocol === 'https:' || (u.protocol === 'http:' && LOOPBACK_HOSTS.has(u.hostname));
  } catch {
    return false;
  }
}

/** Google's three click ids, in the order we prefer them. */
export const GOOGLE_CLICK_PARAMS = ['gclid', 'gbraid', 'wbraid'] as const;
export type GoogleClickParam = (typeof GOOGLE_CLICK_PARAMS)[number];

/**
 * Exactly one click id per conversion: Google rejects gbraid together with wbraid
 * (GBRAID_WBRAID_BOTH_SET) and a gclid with either. When a landing URL carried several, gclid
 * wins (it identifies the click itself; the braids are aggregated iOS identifiers).
 * https://developers.google.com/google-ads/api/docs/conversions/upload-clicks
 */
export function pickGoogleClickId(item: DeliveryItem): { param: GoogleClickParam; value: string } | null {
  const ids = item.conversion.click?.platformClickIds ?? {};
  for (const param of GOOGLE_CLICK_PARAMS) {
    const value = ids[param]?.trim();
    if (value) return { param, value };
  }
  return null;
}

/**
 * When the conversion happened: when its postback reached us (stable across retries, unlike
 * ctx.now). Google rejects a conversion dated before its click (CONVERSION_PRECEDES_EVENT), which
 * happens when a network stamps time loosely or in direct mode, where the "click" is recorded at
 * postback time; such conversions are moved to one second after the click.
 */
export function conversionTimeMs(item: DeliveryItem): number {
  const { receivedAt, click } = item.conversion;
  return click ? Math.max(receivedAt, click.createdAt + 1000) : receivedAt;
}

/** Per-item checks that must not sink the other conversions of a batch. */
export function validateGoogleItem(item: DeliveryItem): DeliveryError | null {
  if (!pickGoogleClickId(item)) {
    const why = item.conversion.click ? 'the click carried no gclid, gbraid or wbraid' : 'the conversion matched no click';
    return new DeliveryError('payload', `no Google click id: ${why}`, { platformCode: 'NO_CLICK_ID' });
  }
  const { payout, currency } = item.conversion;
  if (payout !== null && decimalToNumber(payout) === null) {
    return new DeliveryError('payload', `payout "${payout}" is not a decimal number`, { platformCode: 'INVALID_VALUE' });
  }
  if (payout !== null && normalizeCurrency(currency) === null) {
    return new DeliveryError('payload', `currency "${currency}" is not an ISO 4217 code`, { platformCode: 'INVALID_CURRENCY' });
  }
  return null;
}
