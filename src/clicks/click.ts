import { z } from 'zod';
import { consentSchema } from '../conversions/consent';

/** Ad platforms we forward to, and the query parameter each one appends to the ad's URL. */
export const PLATFORMS = ['google', 'meta', 'tiktok', 'reddit'] as const;
export type Platform = (typeof PLATFORMS)[number];

/** In priority order: when a URL carries several, the first one names the platform. */
export const PLATFORM_CLICK_PARAMS = [
  ['gclid', 'google'],
  ['gbraid', 'google'],
  ['wbraid', 'google'],
  ['fbclid', 'meta'],
  ['ttclid', 'tiktok'],
  ['rdt_cid', 'reddit'],
] as const satisfies ReadonlyArray<readonly [string, Platform]>;
export type PlatformClickParam = (typeof PLATFORM_CLICK_PARAMS)[number][0];
export const PLATFORM_CLICK_PARAM_NAMES = PLATFORM_CLICK_PARAMS.map(([p]) => p) as PlatformClickParam[];

export const CLICK_ID_PATTERN = /^[0-9a-f]{32}$/;

export const clickRecordSchema = z.object({
  id: z.string().regex(CLICK_ID_PATTERN),
  /** Redirect link id, or null for a direct-link click registered by a landing-page script. */
  link: z.string().nullable(),
  platform: z.enum(PLATFORMS).nullable(),
  /** Which parameter carried the platform click id (gclid, gbraid, wbraid, fbclid, ttclid, rdt_cid). */
  platformClickParam: z.enum(PLATFORM_CLICK_PARAM_NAMES as [PlatformClickParam, ...PlatformClickParam[]]).nullable(),
  platformClickId: z.string().nullable(),
  /** Every platform click id present on the click, by parameter name. */
  platformClickIds: z.record(z.string(), z.string()),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  referrer: z.string().nullable(),
  landingUrl: z.string().nullable(),
  subs: z.record(z.string(), z.string()),
  fbp: z.string().nullable(),
  fbc: z.string().nullable(),
  /** Consent the landing page or the ad's URL reported (consent_ad_user_data…); a postback's own signals win. */
  consent: consentSchema.optional(),
  /** Click time, epoch milliseconds. */
  createdAt: z.number().int(),
});
export type ClickRecord = z.infer<typeof clickRecordSchema>;
