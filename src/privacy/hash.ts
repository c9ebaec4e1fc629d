import { hash } from 'node:crypto';

/**
 * Normalise-then-hash helpers for the personal data ad platforms match on: the one home for it
 * (intake hashes with them, src/privacy/identifiers.ts; connectors forward the hashes). Every
 * platform wants SHA-256 hex of a normalised value; they differ only in the normalisation, so
 * that is an option here rather than a copy per connector:
 * - Meta: developers.facebook.com/docs/marketing-api/conversions-api/parameters/customer-information-parameters
 * - Google Ads: developers.google.com/google-ads/api/docs/conversions/enhance-conversions
 * - TikTok: business-api.tiktok.com/portal/docs (Events API 2.0, `user` parameters)
 * - Reddit: ads-api.reddit.com/docs/v3/ (Conversions API, `user` matching fields)
 */

const SHA256_HEX = /^[0-9a-f]{64}$/i;

export function sha256Hex(value: string): string {
  return hash('sha256', value, 'hex');
}

/** A value that is already a SHA-256 hex digest (the advertiser hashed it): sent as is. */
export function isSha256Hex(value: string): boolean {
  return SHA256_HEX.test(value);
}

/**
 * SHA-256 hex of `normalize(value)`; a value that already is a 64-hex digest passes through
 * (lower-cased), as Meta's SDK does (github.com/facebook/facebook-nodejs-business-sdk, src/objects/serverside/utils.js) — hashing a hash would never match.
 * Returns null when normalisation finds nothing usable, so callers omit the field.
 */
export function hashValue(value: string | null | undefined, normalize: (v: string) => string | null = normalizeText): string | null {
  if (value === null || value === undefined) return null;
  const trimmed = value.trim();
  if (isSha256Hex(trimmed)) return trimmed.toLowerCase();
  const normalized = normalize(trimmed);
  return normalized ? sha256Hex(normalized) : null;
}

/** Trim and lower-case: TikTok's and Meta's rule for external_id and free-text fields. */
export function normalizeText(value: string): string | null {
  const v = value.trim().toLowerCase();
  return v === '' ? null : v;
}

/**
 * A first or last name. Meta: "Lowercase only with no punctuation. If using special characters,
 * the text must be encoded in UTF-8 format" — `Mary` → `mary`, `Valéry` → `valéry`, `정` stays
 * (developers.facebook.com/docs/marketing-api/conversions-api/parameters/customer-information-parameters).
 * Google's Data Manager asks the same of `givenName` / `familyName`: "all lowercase, with no
 * punctuation, no leading or trailing whitespace"
 * (google.ads.datamanager.v1.AddressInfo, docs.cloud.google.com/php/docs/reference/data-manager/latest/V1.AddressInfo). Composed to NFC first,
 * so an accent typed as a combining mark hashes as the precomposed letter Meta's example uses;
 * punctuation is every Unicode punctuation character (`O'Brien` → `obrien`, `Jean-Luc` →
 * `jeanluc`, `St. John` → `st john`); runs of whitespace become one space.
 */
export function normalizeName(value: string): string | null {
  const v = value.normalize('NFC').toLowerCase().replace(/\p{P}/gu, '').replace(/\s+/gu, ' ').trim();
  return v === '' ? null : v;
}

export interface EmailOptions {
  /**
   * Reddit's canonical form: drop dots in the local part and anything from the first `+`, so
   * `Jane.Doe+ads@x.com` → `janedoe@x.com`. Off by default: for other platforms the dots are
   * significant.
   */
  canonical?: boolean;
  /**
   * Google's rule: remove every `.` before the `@` of gmail.com and googlemail.com addresses
   * only (developers.google.com/google-ads/api/docs/conversions/enhance-conversions).
   */
  gmailDots?: boolean;
}

/** Trim and lower-case; null when the text is not shaped like an address (one `@`, both sides). */
export function normalizeEmail(value: string, options: EmailOptions = {}): string | null {
  const v = value.trim().toLowerCase();
  const at = v.lastIndexOf('@');
  if (at <= 0 || at === v.length - 1 || /\s/.test(v) || v.indexOf('@') !== at) return null;
  let local = v.slice(0, at);
  const domain = v.slice(at + 1);
  if (options.canonical) local = (local.split('+')[0] ?? '').replace(/\./g, '');
  if (options.gmailDots && (domain === 'gmail.com' || domain === 'googlemail.com')) local = local.replace(/\./g, '');
  if (local === '') return null;
  return `${local}@${domain}`;
}

export interface PhoneOptions {
  /**
   * Keep the leading `+` (E.164: TikTok, Reddit, Google). Meta wants digits only with the
   * country code and no `+`, so it passes `plus: false`.
   */
  plus?: boolean;
  /** Country calling code (e.g. '1', '+44') for numbers written nationally (`020 7946 0018`). */
  defaultCountryCode?: string;
}

/**
 * E.164-ish: digits with a leading `+`. Symbols, spaces and an extension (`x12`, `ext. 12`,
 * `#12`) are dropped — Reddit wants the number "without extension"; `00` is
 * read as the international prefix; a national number loses its trunk `0`s and gets
 * `defaultCountryCode`. Returns null outside E.164's 7–15 digits.
 */
/** Written with its country code (`+…` or the `00` international prefix): unambiguous without a default country. */
export function isInternationalPhone(value: string): boolean {
  const v = value.trim();
  return v.startsWith('+') || /^\(?00/.test(v);
}

export function normalizePhone(value: string, options: PhoneOptions = {}): string | null {
  const plus = options.plus ?? true;
  const v = value.trim().replace(/\s*(?:ext\.?|extension|x|#|;ext=)\s*\d+$/i, '');
  const international = isInternationalPhone(v);
  let digits = v.replace(/\D/g, '');
  if (international) {
    if (!v.startsWith('+')) digits = digits.replace(/^00/, '');
  } else {
    digits = digits.replace(/^0+/, '');
    if (options.defaultCountryCode) digits = options.defaultCountryCode.replace(/\D/g, '') + digits;
  }
  digits = digits.replace(/^0+/, '');
  if (digits.length < 7 || digits.length > 15) return null;
  return plus ? `+${digits}` : digits;
}

export function hashEmail(value: string | null | undefined, options: EmailOptions = {}): string | null {
  return hashValue(value, (v) => normalizeEmail(v, options));
}

export function hashPhone(value: string | null | undefined, options: PhoneOptions = {}): string | null {
  return hashValue(value, (v) => normalizePhone(v, options));
}
