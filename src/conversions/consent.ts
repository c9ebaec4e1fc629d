import { z } from 'zod';

/**
 * The visitor's consent as a postback or a click reports it. Every signal is optional: absent
 * means "not said", and then the destination's default applies (or nothing is sent).
 * - adUserData / adPersonalization: Google's EU user consent signals (Digital Markets Act),
 *   https://support.google.com/google-ads/answer/14310715
 * - limitedDataUse: the visitor opted out of the sale/sharing of their data under a US state
 *   privacy law; Meta, TikTok and Reddit each define a flag for it ("limited data use").
 */
export const CONSENT_STATES = ['granted', 'denied'] as const;
export type ConsentState = (typeof CONSENT_STATES)[number];

export const consentSchema = z.object({
  adUserData: z.enum(CONSENT_STATES).optional(),
  adPersonalization: z.enum(CONSENT_STATES).optional(),
  limitedDataUse: z.boolean().optional(),
});
export type Consent = z.infer<typeof consentSchema>;

/** The default parameter names, for a click (which belongs to no source) and for a source without its own. */
export const CONSENT_PARAMS = {
  adUserData: 'consent_ad_user_data',
  adPersonalization: 'consent_ad_personalization',
  limitedDataUse: 'limited_data_use',
} as const;

const SIGNAL_WORDS: Record<string, ConsentState> = { granted: 'granted', denied: 'denied', '1': 'granted', '0': 'denied', true: 'granted', false: 'denied' };
const FLAG_WORDS: Record<string, boolean> = { '1': true, '0': false, true: true, false: false };

/** What a network or a landing page sends: an empty value (a macro with nothing behind it) is "not said". */
function word(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const w = v.trim().toLowerCase();
  return w === '' ? undefined : w;
}

/** granted/denied, 1/0, true/false (any case; JSON booleans too) → granted | denied. */
export const consentSignalSchema = z.preprocess((v) => {
  const w = typeof v === 'boolean' ? String(v) : word(v);
  return typeof w === 'string' ? (SIGNAL_WORDS[w] ?? w) : w;
}, z.enum(CONSENT_STATES, { error: (i) => (Array.isArray(i.input) ? 'given more than once' : 'must be granted, denied, 1, 0, true or false') }).optional());

/** 1/0, true/false (any case; JSON booleans too) → boolean. */
export const consentFlagSchema = z.preprocess((v) => {
  const w = word(v);
  return typeof w === 'string' ? (FLAG_WORDS[w] ?? w) : w;
}, z.boolean({ error: (i) => (Array.isArray(i.input) ? 'given more than once' : 'must be 1, 0, true or false') }).optional());

/** Only the signals that were said; `{}` when none was. */
export function compactConsent(c: {
  adUserData?: ConsentState | undefined;
  adPersonalization?: ConsentState | undefined;
  limitedDataUse?: boolean | undefined;
}): Consent {
  return {
    ...(c.adUserData ? { adUserData: c.adUserData } : {}),
    ...(c.adPersonalization ? { adPersonalization: c.adPersonalization } : {}),
    ...(c.limitedDataUse !== undefined ? { limitedDataUse: c.limitedDataUse } : {}),
  };
}

/**
 * The conversion's consent: each signal the postback carries, else the click's. The network
 * reports what it knows at conversion time; the click's signal is what the landing page knew.
 */
export function mergeConsent(postback: Consent, click: Consent | undefined): Consent {
  return compactConsent({
    adUserData: postback.adUserData ?? click?.adUserData,
    adPersonalization: postback.adPersonalization ?? click?.adPersonalization,
    limitedDataUse: postback.limitedDataUse ?? click?.limitedDataUse,
  });
}
