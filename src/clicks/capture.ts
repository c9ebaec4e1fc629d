import { z } from 'zod';
import { newId } from '../ids';
import { PLATFORM_CLICK_PARAMS, PLATFORMS, type ClickRecord, type Platform, type PlatformClickParam } from './click';

const SUB_KEYS = ['sub1', 'sub2', 'sub3', 'sub4'] as const;
const value = (max: number) =>
  z
    .string({ error: (i) => (Array.isArray(i.input) ? 'given more than once' : 'must be a string') })
    .max(max, `longer than ${max} characters`)
    // Control characters never occur in real click ids; they only make logs and CSVs lie.
    .regex(/^[^\u0000-\u001f\u007f]*$/, 'contains control characters');

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
  fbp: value(256).optional(),
  fbc: value(600).optional(),
});
export type ClickInput = z.infer<typeof clickInputSchema>;

export interface ClickFacts {
  link: string | null;
  input: ClickInput;
  ip: string | null;
  userAgent: string | null;
  referrer: string | null;
  landingUrl: string | null;
  /** `_fbp` / `_fbc` cookies, when the browser sent them. */
  cookies: { fbp?: string | undefined; fbc?: string | undefined };
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

export function buildClick(facts: ClickFacts): ClickRecord {
  const { input } = facts;
  const detected = detectPlatform(input);
  const platformClickIds: Record<string, string> = {};
  for (const [param] of PLATFORM_CLICK_PARAMS) {
    const v = input[param];
    if (v) platformClickIds[param] = v;
  }
  const subs: Record<string, string> = {};
  for (const k of SUB_KEYS) if (input[k] !== undefined) subs[k] = input[k] as string;
  return {
    id: newId(),
    link: facts.link,
    platform: detected?.platform ?? null,
    platformClickParam: detected?.param ?? null,
    platformClickId: detected?.id ?? null,
    platformClickIds,
    ip: facts.ip,
    userAgent: facts.userAgent,
    referrer: facts.referrer,
    landingUrl: facts.landingUrl,
    subs,
    fbp: input.fbp ?? facts.cookies.fbp ?? null,
    fbc: buildFbc(input.fbclid, input.fbc ?? facts.cookies.fbc, facts.now),
    createdAt: facts.now,
  };
}

export { PLATFORMS };
