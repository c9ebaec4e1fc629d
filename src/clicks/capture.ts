import { z } from 'zod';
import type { Config } from '../config';
import { newId } from '../ids';
import { personalNameIndex, type PersonalKind } from '../privacy/identifiers';
import { stripPersonalQuery } from '../privacy/personal-params';
import { type Consent, compactConsent, CONSENT_PARAMS, consentFlagSchema, consentSignalSchema } from '../conversions/consent';
import { shapeOf } from '../schema-shape';
import { unsafeCharacter } from '../text-guard';
import { PLATFORM_CLICK_PARAMS, PLATFORMS, type ClickRecord, type Platform, type PlatformClickParam } from './click';

const SUB_KEYS = ['sub1', 'sub2', 'sub3', 'sub4'] as const;
const FBP_MAX = 256;
const FBC_MAX = 600;
/**
 * No control-character regex per field: every caller has refused them before this schema runs
 * (the redirect and POST /v1/clicks with assertCleanText, 422 INVALID_CHARACTERS; ids read from a
 * landing URL with unsafeCharacter, withClickIdsFromUrl below), so it would only repeat the check
 * on every click.
 */
const value = (max: number) =>
  z.string({ error: (i) => (Array.isArray(i.input) ? 'given more than once' : 'must be a string') }).max(max, `longer than ${max} characters`);

/** What a click carries, from the redirect's query string or the landing-page script's JSON. */
export const clickInputSchema = z.object({
  gclid: value(512).optional(),
  gbraid: value(512).optional(),
  wbraid: value(512).optional(),
  fbclid: value(512).optional(),
  ttclid: value(512).optional(),
  rdt_cid: value(512).optional(),
  sub1: value(512).optional(),
  sub2: value(512).optional(),
  sub3: value(512).optional(),
  sub4: value(512).optional(),
  fbp: value(FBP_MAX).optional(),
  fbc: value(FBC_MAX).optional(),
});
export type ClickInput = z.infer<typeof clickInputSchema>;

/** Each field's bound, read from the schema once (the fast path below must agree with it). */
const INPUT_BOUNDS = Object.entries(clickInputSchema.shape).map(([name, field]) => {
  const max = (field.unwrap() as z.ZodString).maxLength;
  // The fast path checks the type and the length only: a field with any other check or transform
  // (a regex, a trim) must not be read past zod, so the module refuses to load rather than skip it.
  if (max === null || shapeOf(field) !== `string[max_length${max}]?`)
    throw new Error(`clickInputSchema.${name} is ${shapeOf(field)}, not an optional string with a max length: update parseClickInput`);
  return [name as keyof ClickInput, max] as const;
});

/**
 * clickInputSchema.safeParse without zod when every field present is a string within its bound
 * (nearly every click): the same data, fields absent from the input absent from the output. Any
 * other input goes to zod, which gives the issues (and the same data when it passes after all).
 */
export function parseClickInput(params: Record<string, unknown>): ReturnType<typeof clickInputSchema.safeParse> {
  const data: ClickInput = {};
  for (const [name, max] of INPUT_BOUNDS) {
    const v = params[name];
    if (v === undefined) {
      // zod keeps a field given as undefined (only a JSON body or a test can have one).
      if (name in params) data[name] = undefined;
      continue;
    }
    if (typeof v !== 'string' || v.length > max) return clickInputSchema.safeParse(params);
    data[name] = v;
  }
  return { success: true, data };
}

/**
 * Consent as the landing page's consent banner (or the ad's URL) reports it, in the same words as
 * a postback. Read apart from clickInputSchema and only when present: most clicks carry none.
 */
const clickConsentSchema = z.object({
  [CONSENT_PARAMS.adUserData]: consentSignalSchema,
  [CONSENT_PARAMS.adPersonalization]: consentSignalSchema,
  [CONSENT_PARAMS.limitedDataUse]: consentFlagSchema,
});
const CONSENT_NAMES = Object.values(CONSENT_PARAMS);

/** The click's consent (`{}` when it carries none) and the problems with it, named by parameter. */
export function readClickConsent(params: Record<string, unknown>): { consent: Consent; issues: z.core.$ZodIssue[] } {
  if (!CONSENT_NAMES.some((n) => params[n] !== undefined)) return { consent: {}, issues: [] };
  const parsed = clickConsentSchema.safeParse(params);
  if (!parsed.success) return { consent: {}, issues: parsed.error.issues };
  const c = parsed.data;
  return {
    consent: compactConsent({ adUserData: c.consent_ad_user_data, adPersonalization: c.consent_ad_personalization, limitedDataUse: c.limited_data_use }),
    issues: [],
  };
}

type PersonalIndex = ReturnType<typeof personalNameIndex>;

export interface ClickFacts {
  link: string | null;
  input: ClickInput;
  ip: string | null;
  userAgent: string | null;
  referrer: string | null;
  landingUrl: string | null;
  /** `_fbp` / `_fbc` cookies, when the browser sent them. */
  cookies: { fbp?: string | undefined; fbc?: string | undefined };
  /** readClickConsent's answer; none when absent. */
  consent?: Consent;
  now: number;
}

/** An fbc value as Meta defines it: fb.<subdomainIndex>.<creation ms>.<fbclid>. */
const FBC_FORM = /^fb\.\d\.\d{10,}\..+$/;

/**
 * fbc = fb.1.<click time ms>.<fbclid> (developers.facebook.com/docs/marketing-api/conversions-api/parameters/fbp-and-fbc).
 * A value already in that form — an fbclid that a tracker already wrapped, or the `_fbc` cookie
 * for this same fbclid — is kept as it is: wrapping it twice makes Meta drop the match. A cookie
 * that carries an OLDER fbclid loses to the new one: a new fbclid means a new fbc.
 */
export function buildFbc(fbclid: string | undefined, existing: string | undefined, clickMs: number): string | null {
  if (fbclid && FBC_FORM.test(fbclid)) return fbclid;
  if (existing && FBC_FORM.test(existing) && (!fbclid || existing.endsWith(`.${fbclid}`))) return existing;
  if (!fbclid) return null;
  return `fb.1.${clickMs}.${fbclid}`;
}

export function detectPlatform(input: ClickInput): { platform: Platform; param: PlatformClickParam; id: string } | null {
  for (const [param, platform] of PLATFORM_CLICK_PARAMS) {
    const id = input[param];
    if (id) return { platform, param, id };
  }
  return null;
}

/**
 * The platform click ids a landing page's URL carries (`?ttclid=…`, `?fbclid=…`), for a
 * landing-page script that posts its URL without copying them into the body. Only the ones
 * the body lacks are taken (the body wins), and each passes the same bounds as in a body; one
 * that fails them is ignored — the URL is the visitor's, not the script's. Priority between
 * several ids is detectPlatform's, as for a redirect click.
 */
export function withClickIdsFromUrl(input: ClickInput, url: string | undefined): ClickInput {
  if (!url) return input;
  let query: URLSearchParams;
  try {
    query = new URL(url).searchParams;
  } catch {
    return input;
  }
  const out: ClickInput = { ...input };
  for (const [param] of PLATFORM_CLICK_PARAMS) {
    if (out[param]) continue;
    const found = query.get(param);
    if (found && clickInputSchema.shape[param].safeParse(found).success && unsafeCharacter(found) === null) out[param] = found;
  }
  return out;
}

/** Personal parameter names for clicks: the defaults plus every source's own (clicks belong to no source). */
export function clickPersonalIndex(config: Config): PersonalIndex {
  const names: Partial<Record<PersonalKind, string[]>> = {};
  for (const s of config.sources) {
    for (const [kind, list] of Object.entries(s.personalFields) as Array<[PersonalKind, string[] | undefined]>)
      names[kind] = [...(names[kind] ?? []), ...(list ?? [])];
  }
  return personalNameIndex({ names });
}
const DEFAULT_INDEX = personalNameIndex();

/** The cookies' bounds, built once (not per click). */
const COOKIE_SCHEMAS = new Map([FBP_MAX, FBC_MAX].map((max) => [max, value(max)]));

/** A cookie is the browser's to set: one that would fail the parameter's own bounds is ignored, not stored. */
function cookie(v: string | undefined, max: number): string | undefined {
  const schema = COOKIE_SCHEMAS.get(max) ?? value(max);
  return v !== undefined && schema.safeParse(v).success && unsafeCharacter(v) === null ? v : undefined;
}

export function buildClick(facts: ClickFacts, personal: PersonalIndex = DEFAULT_INDEX): ClickRecord {
  const { input } = facts;
  const cookies = { fbp: cookie(facts.cookies.fbp, FBP_MAX), fbc: cookie(facts.cookies.fbc, FBC_MAX) };
  const detected = detectPlatform(input);
  const platformClickIds: Record<string, string> = {};
  for (const [param] of PLATFORM_CLICK_PARAMS) {
    const v = input[param];
    if (v) platformClickIds[param] = v;
  }
  const subs: Record<string, string> = {};
  for (const k of SUB_KEYS) if (input[k] !== undefined) subs[k] = input[k] as string;
  const consent = facts.consent ?? {};
  return {
    id: newId(),
    link: facts.link,
    platform: detected?.platform ?? null,
    platformClickParam: detected?.param ?? null,
    platformClickId: detected?.id ?? null,
    platformClickIds,
    ip: facts.ip,
    userAgent: facts.userAgent,
    // `?email=…` on a landing page or in a referrer is never stored, so never forwarded either.
    referrer: stripPersonalQuery(facts.referrer, personal),
    landingUrl: stripPersonalQuery(facts.landingUrl, personal),
    subs,
    fbp: input.fbp ?? cookies.fbp ?? null,
    fbc: buildFbc(input.fbclid, input.fbc ?? cookies.fbc, facts.now),
    ...(Object.keys(consent).length > 0 ? { consent } : {}),
    createdAt: facts.now,
  };
}

export { PLATFORMS };
