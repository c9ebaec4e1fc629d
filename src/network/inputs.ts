import { z } from 'zod';
import { urlTemplateIssues } from '../doctor/url-scan';
import { amountSchema } from './amounts';
import { AMOUNT_TYPES, DELIVERY_METHODS, ENTITY_STATUSES, POSTBACK_LEVELS, POSTBACK_TYPES, type PostbackFields } from './model';

/** API bodies of the network side, validated with zod; every rule failure names its field. */

/** Fields whose values are multi-line by nature: tab, LF and CR are allowed there, no other control character (src/text-guard.ts). */
export const MULTILINE_FIELDS: ReadonlySet<string> = new Set(['html_code', 'post_body', 'description']);
const CURRENCIES = new Set(Intl.supportedValuesOf('currency'));
const currency = z
  .string()
  .transform((c) => c.toUpperCase())
  .refine((c) => CURRENCIES.has(c), 'must be an ISO 4217 currency code, e.g. USD');
const idRef = z
  .number()
  .int()
  .min(0)
  .max(2 ** 31);
const name = z.string().trim().min(1, 'is required').max(200);

export const offerEventInput = z.object({
  id: z
    .number()
    .int()
    .min(1)
    .max(2 ** 31)
    .optional(),
  name,
  payout_amount: amountSchema.optional(),
  revenue_amount: amountSchema.optional(),
  fire_postbacks: z.boolean().default(true),
});

export const offerInput = z
  .object({
    name,
    status: z.enum(ENTITY_STATUSES).default('active'),
    currency: currency.default('USD'),
    payout_type: z.enum(AMOUNT_TYPES).default('cpa'),
    payout_amount: amountSchema.default('0'),
    revenue_type: z.enum(AMOUNT_TYPES).default('cpa'),
    revenue_amount: amountSchema.default('0'),
    allow_duplicates: z.boolean().default(false),
    fire_postbacks: z.boolean().default(true),
    events: z.array(offerEventInput).max(200).default([]),
  })
  .strict();
export type OfferInput = z.infer<typeof offerInput>;

export const partnerInput = z.object({ name, status: z.enum(ENTITY_STATUSES).default('active') }).strict();
export type PartnerInput = z.infer<typeof partnerInput>;

/**
 * The affiliate API's older spelling `post_conversion` means `event`
 * (https://developers-beta.everflow.io/api-reference/post-affiliatespixels).
 */
const postbackType = z.preprocess((v) => (v === 'post_conversion' ? 'event' : v), z.enum(POSTBACK_TYPES));

export const postbackInput = z
  .object({
    partner_id: idRef.default(0),
    offer_id: idRef.default(0),
    level: z.enum(POSTBACK_LEVELS),
    type: postbackType.default('conversion'),
    delivery_method: z.enum(DELIVERY_METHODS, { error: 'must be postback or html (facebook/tiktok/snapchat/rumble are not supported)' }).default('postback'),
    /** `deactivated` is only ever set by the failure rule; re-enable by sending `active`. */
    status: z.enum(ENTITY_STATUSES).default('active'),
    postback_url: z.string().trim().max(4096).optional(),
    http_method: z.enum(['GET', 'POST']).default('GET'),
    post_body: z.string().max(16_384).optional(),
    post_content_type: z.enum(['application/x-www-form-urlencoded', 'application/json']).default('application/x-www-form-urlencoded'),
    html_code: z.string().max(16_384).optional(),
    description: z.string().max(1000).optional(),
    delay_ms: z.number().int().min(0, 'must be 0–300000').max(300_000, 'must be at most 300000 ms = 5 min').default(0),
    event_id: idRef.default(0),
  })
  .strict();
export type PostbackInput = z.infer<typeof postbackInput>;

const SCHEME_CODES = new Set(['MISSING_SCHEME', 'MALFORMED_SCHEME', 'UNSUPPORTED_SCHEME']);

export interface RuleFailure {
  field: string;
  rule: string;
  message: string;
}

/**
 * Everflow's cross-field rules (https://developers.everflow.io/api-reference/post-networkspixels.md), each
 * with a name the 4xx answer carries. zod has
 * already checked the types and ranges.
 */
export function postbackRuleFailures(p: PostbackInput): RuleFailure[] {
  const out: RuleFailure[] = [];
  const fail = (field: string, rule: string, message: string) => out.push({ field, rule, message });
  if (p.level === 'global') {
    if (p.partner_id === 0) fail('partner_id', 'level.global.partner_required', 'a global postback belongs to one partner: partner_id is required');
    if (p.offer_id !== 0) fail('offer_id', 'level.global.offer_zero', 'a global postback fires for all offers: offer_id must be 0 or absent');
  } else if (p.level === 'specific') {
    if (p.partner_id === 0) fail('partner_id', 'level.specific.partner_required', 'a specific postback needs partner_id');
    if (p.offer_id === 0) fail('offer_id', 'level.specific.offer_required', 'a specific postback needs offer_id');
  } else {
    if (p.offer_id === 0) fail('offer_id', 'level.global_offer.offer_required', 'a global_offer postback belongs to one offer: offer_id is required');
    if (p.partner_id !== 0)
      fail('partner_id', 'level.global_offer.partner_zero', 'a global_offer postback fires for all partners: partner_id must be 0 or absent');
  }
  if (p.type === 'cpc') {
    // Everflow locks the level for CPC and the partner UI forces Specific + Postback (§1.1).
    if (p.level !== 'specific') fail('level', 'type.cpc.level_specific', 'a cpc postback must have level specific');
    if (p.delivery_method !== 'postback') fail('delivery_method', 'type.cpc.method_postback', 'a cpc postback must use delivery_method postback');
  }
  if (p.delivery_method === 'postback') {
    if (!p.postback_url) fail('postback_url', 'postback_url.required', 'postback_url is required when delivery_method is postback');
    // The postback doctor's URL checks (src/doctor/url-scan.ts): one copy for the doctor and the save.
    else
      for (const issue of urlTemplateIssues(p.postback_url))
        fail('postback_url', `postback_url.${SCHEME_CODES.has(issue.code) ? 'http_scheme' : issue.code.toLowerCase()}`, issue.message);
    if (p.html_code !== undefined) fail('html_code', 'html_code.html_only', 'html_code is only used when delivery_method is html');
  } else {
    if (!p.html_code?.trim()) fail('html_code', 'html_code.required', 'html_code is required when delivery_method is html');
    if (p.postback_url !== undefined) fail('postback_url', 'postback_url.postback_only', 'postback_url is only used when delivery_method is postback');
    if (p.delay_ms !== 0) fail('delay_ms', 'delay_ms.postback_only', 'delay_ms applies to server postbacks only');
    if (p.http_method !== 'GET') fail('http_method', 'http_method.postback_only', 'http_method applies to server postbacks only');
  }
  if (p.post_body !== undefined && p.http_method !== 'POST') fail('post_body', 'post_body.post_only', 'post_body is sent with http_method POST only');
  if (p.event_id !== 0) {
    if (p.type !== 'event') fail('event_id', 'event_id.event_type_only', 'event_id filters event postbacks only');
    else if (p.level === 'global') fail('event_id', 'event_id.not_global', 'event_id applies at level specific or global_offer only');
  }
  return out;
}

export function toPostbackFields(p: PostbackInput): PostbackFields {
  return {
    partnerId: p.partner_id,
    offerId: p.offer_id,
    level: p.level,
    type: p.type,
    deliveryMethod: p.delivery_method,
    status: p.status,
    postbackUrl: p.delivery_method === 'postback' ? (p.postback_url ?? null) : null,
    httpMethod: p.http_method,
    postBody: p.post_body ?? null,
    postContentType: p.post_content_type,
    htmlCode: p.delivery_method === 'html' ? (p.html_code ?? null) : null,
    description: p.description ?? null,
    delayMs: p.delay_ms,
    eventId: p.event_id,
  };
}
