import { isIP } from 'node:net';
import { z } from 'zod';
import { hashEmail, hashPhone, hashValue, isInternationalPhone, isSha256Hex, normalizeName, normalizeText } from './hash';

/**
 * Personal data a network puts in a postback (email, phone, ip, names, external id) is never
 * stored raw: intake takes it out of the parameters, normalises and SHA-256-hashes it, and keeps
 * only the hashes on the conversion (`identifiers`). As the raw value is gone afterwards, every
 * normalisation a platform needs is hashed up front, one field per variant:
 *
 * | field                 | normalisation                                            | for |
 * |-----------------------|----------------------------------------------------------|-----|
 * | email_sha256          | trim, lower-case                                         | Meta `em`, TikTok `email` |
 * | email_google_sha256   | + dots before `@` removed for gmail.com / googlemail.com | Google Ads enhanced conversions |
 * | email_reddit_sha256   | + dots and `+suffix` removed from the local part         | Reddit `email` |
 * | phone_sha256          | digits only, with the country code, no `+`               | Meta `ph` |
 * | phone_e164_sha256     | E.164: `+` and digits                                    | Google, TikTok, Reddit |
 * | ip_sha256             | the address, trimmed and lower-cased                     | Reddit `ip_address` (hashed) |
 * | first_name_sha256     | NFC, lower-case, no punctuation, one space (normalizeName) | Meta `fn`, Data Manager `givenName` |
 * | last_name_sha256      | NFC, lower-case, no punctuation, one space (normalizeName) | Meta `ln`, Data Manager `familyName` |
 * | external_id_sha256    | trim, lower-case                                         | Meta/TikTok/Reddit `external_id` |
 *
 * A value that already is a SHA-256 hex digest (the network hashed it) is kept as the base
 * variant only (email_sha256, phone_sha256): it cannot be normalised again. A phone written
 * without a country code is hashed only when the source has `phoneCountryCode`; otherwise it
 * is ambiguous, dropped, and the postback's answer says so.
 */
const sha256 = z.string().regex(/^[0-9a-f]{64}$/);
export const hashedIdentifiersSchema = z
  .object({
    email_sha256: sha256.optional(),
    email_google_sha256: sha256.optional(),
    email_reddit_sha256: sha256.optional(),
    phone_sha256: sha256.optional(),
    phone_e164_sha256: sha256.optional(),
    ip_sha256: sha256.optional(),
    first_name_sha256: sha256.optional(),
    last_name_sha256: sha256.optional(),
    external_id_sha256: sha256.optional(),
  })
  .strict();
export type HashedIdentifiers = z.infer<typeof hashedIdentifiersSchema>;

export const PERSONAL_KINDS = ['email', 'phone', 'ip', 'firstName', 'lastName', 'externalId'] as const;
export type PersonalKind = (typeof PERSONAL_KINDS)[number];

/** Parameter names recognised by default (compared lower-cased, without `_`, `-` and `.`). */
export const DEFAULT_PERSONAL_NAMES: Record<PersonalKind, readonly string[]> = {
  email: ['email', 'em', 'e_mail', 'email_address', 'mail', 'user_email'],
  phone: ['phone', 'ph', 'tel', 'telephone', 'phone_number', 'mobile', 'user_phone'],
  ip: ['ip', 'user_ip', 'ip_address', 'client_ip', 'client_ip_address'],
  firstName: ['first_name', 'fn', 'fname', 'given_name'],
  lastName: ['last_name', 'ln', 'lname', 'surname', 'family_name'],
  externalId: ['external_id', 'ext_id'],
};

export interface PersonalFieldsConfig {
  /** Extra parameter names per kind, added to the defaults. */
  names?: Partial<Record<PersonalKind, readonly string[]>> | undefined;
  /** Country calling code for phones written without one (e.g. '1', '+44'). */
  phoneCountryCode?: string | undefined;
  /** Names that are never personal here: the source's own mapped parameters (its click id may well be `external_id`). */
  exclude?: readonly string[] | undefined;
}

const squashName = (name: string) => name.toLowerCase().replace(/[-_.]/g, '');
/** Parameter names repeat on every postback (tx_id, sub5, payout…): squashed once each, a bounded memo of short names. */
const squashed = new Map<string, string>();
function squash(name: string): string {
  if (name.length > 64) return squashName(name);
  let s = squashed.get(name);
  if (s === undefined) {
    s = squashName(name);
    if (squashed.size >= 1024) squashed.clear();
    squashed.set(name, s);
  }
  return s;
}

/** name (squashed) → kind, for one source. */
export function personalNameIndex(config: PersonalFieldsConfig = {}): Map<string, PersonalKind> {
  const index = new Map<string, PersonalKind>();
  for (const kind of PERSONAL_KINDS) {
    for (const n of [...DEFAULT_PERSONAL_NAMES[kind], ...(config.names?.[kind] ?? [])]) index.set(squash(n), kind);
  }
  for (const n of config.exclude ?? []) index.delete(squash(n));
  return index;
}

export function personalKindOf(index: ReadonlyMap<string, PersonalKind>, name: string): PersonalKind | undefined {
  return index.get(squash(name));
}

/** The hashes of one personal value, plus a warning when it could not be used. */
export function hashPersonal(
  kind: PersonalKind,
  raw: string,
  name: string,
  config: PersonalFieldsConfig = {},
): { hashes: HashedIdentifiers; warning?: string } {
  const value = raw.trim();
  if (value === '') return { hashes: {} };
  const prehashed = isSha256Hex(value);
  const unusable = (why: string) => ({ hashes: {}, warning: `parameter "${name}" (${kind}) ${why}: it was dropped, not stored` });
  switch (kind) {
    case 'email': {
      if (prehashed) return { hashes: { email_sha256: value.toLowerCase() } };
      const base = hashEmail(value);
      if (!base) return unusable('is not an email address');
      return {
        hashes: {
          email_sha256: base,
          email_google_sha256: hashEmail(value, { gmailDots: true }) ?? base,
          email_reddit_sha256: hashEmail(value, { canonical: true }) ?? base,
        },
      };
    }
    case 'phone': {
      if (prehashed) return { hashes: { phone_sha256: value.toLowerCase() } };
      const country = isInternationalPhone(value) ? undefined : config.phoneCountryCode;
      if (!isInternationalPhone(value) && !country) {
        return unusable('has no country code (+…) and the source has no phoneCountryCode, so its hash would match no one');
      }
      const options = country ? { defaultCountryCode: country } : {};
      const digits = hashPhone(value, { ...options, plus: false });
      const e164 = hashPhone(value, options);
      if (!digits || !e164) return unusable('is not a phone number (7–15 digits)');
      return { hashes: { phone_sha256: digits, phone_e164_sha256: e164 } };
    }
    case 'ip': {
      if (prehashed) return { hashes: { ip_sha256: value.toLowerCase() } };
      if (isIP(value) === 0) return unusable('is not an IP address');
      return { hashes: { ip_sha256: hashValue(value) as string } };
    }
    case 'firstName':
    case 'lastName':
    case 'externalId': {
      const h = hashValue(value, kind === 'externalId' ? normalizeText : normalizeName);
      if (!h) return { hashes: {} };
      const field = kind === 'firstName' ? 'first_name_sha256' : kind === 'lastName' ? 'last_name_sha256' : 'external_id_sha256';
      return { hashes: { [field]: h } };
    }
  }
}
