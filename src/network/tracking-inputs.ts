import { isIP } from 'node:net';
import { z } from 'zod';
import { amountSchema } from './amounts';
import { NETWORK_CONVERSION_STATUSES } from './model';

/** Inputs of clicks, conversions and the report; every failure names its field (zodDetails). */
const CURRENCIES = new Set(Intl.supportedValuesOf('currency'));
const text = (max: number) =>
  z
    .string({ error: (i) => (Array.isArray(i.input) ? 'given more than once' : 'must be a string') })
    .max(max, `longer than ${max} characters`)
    .regex(/^[^\u0000-\u001f\u007f]*$/, 'contains control characters');
const currency = text(3)
  .transform((c) => c.toUpperCase())
  .refine((c) => CURRENCIES.has(c), 'must be an ISO 4217 currency code, e.g. USD');
const positiveId = z.coerce.number({ error: 'must be a positive integer' }).int('must be a positive integer').min(1, 'must be a positive integer');
const transactionId = text(32).regex(/^[0-9a-f]{32}$/, 'must be 32 lowercase hex characters (a transaction id from POST /v1/network/clicks)');

const numbered = (prefix: string, max: number) => Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`${prefix}${i + 1}`, text(max).optional()]));
const subs = numbered('sub', 500) as Record<`sub${number}`, z.ZodOptional<ReturnType<typeof text>>>;
const advs = numbered('adv', 500) as Record<`adv${number}`, z.ZodOptional<ReturnType<typeof text>>>;

/**
 * Pick the set keys of sub1…sub10 / adv1…adv10 (an empty value is "no value": failure mode 1 of a network's
 * postback guide, https://www.ourdreamaiaffiliate.com/onboarding/postbacks).
 */
export function numberedValues(input: Record<string, unknown>, prefix: 'sub' | 'adv'): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 1; i <= 10; i++) {
    const v = input[`${prefix}${i}`];
    if (typeof v === 'string' && v !== '') out[`${prefix}${i}`] = v;
  }
  return out;
}

/**
 * POST /v1/network/clicks (as Everflow's,
 * https://everflowtechnologies.mintlify.app/api-reference/post-networkstrackingoffersclicks: offer, partner,
 * source_id, sub1…).
 */
export const clickInput = z
  .object({
    offer_id: positiveId,
    partner_id: positiveId,
    source_id: text(255).optional(),
    ...subs,
    /** The visitor's IP, only to tell unique clicks (stored hashed). */
    ip: z
      .string()
      .refine((v) => isIP(v) !== 0, 'must be an IPv4 or IPv6 address')
      .optional(),
  })
  .strict();

/** POST /v1/network/conversions: the advertiser's JSON API. */
export const conversionInput = z
  .object({
    transaction_id: transactionId,
    event_id: z.number().int().min(0).default(0),
    status: z.enum(NETWORK_CONVERSION_STATUSES).default('approved'),
    sale_amount: amountSchema.optional(),
    currency: currency.optional(),
    order_id: text(255).optional(),
    coupon_code: text(255).optional(),
    payout: amountSchema.optional(),
    revenue: amountSchema.optional(),
    ...advs,
  })
  .strict();

/**
 * GET /?nid=…&transaction_id=… (https://helpdesk.everflow.io/customer/accessing-editing-s2s-postback-urls).
 * Unknown parameters (user_ip, email, device ids…)
 * are accepted and ignored, as a tracker's global postback carries many.
 */
export const s2sInput = z.object({
  nid: z.coerce.number({ error: 'must be the network id' }).int().min(1),
  transaction_id: transactionId,
  amount: amountSchema.optional(),
  currency: currency.optional(),
  event_id: z.coerce.number({ error: 'must be an integer' }).int().min(0).default(0),
  order_id: text(255).optional(),
  coupon_code: text(255).optional(),
  verification_token: text(255).optional(),
  ...advs,
});

/**
 * PATCH /v1/network/conversions/:id — via API a conversion moves to approved or rejected only
 * (https://developers.everflow.io/docs/network/conversion_updates/).
 */
export const statusInput = z.object({ status: z.enum(['approved', 'rejected']) }).strict();

export const REPORT_STATUS = { all: undefined, success: ['succeeded'], failure: ['dead'], pending: ['pending'], skipped: ['skipped'] } as const;

/**
 * GET /v1/network/reports/postbacks (as Everflow's,
 * https://helpdesk.everflow.io/customer/partner-postback-report: date range, offer, partner,
 * success/failure).
 */
export const reportQuery = z.object({
  from: z.coerce.number().int().min(0).optional(),
  to: z.coerce.number().int().min(0).optional(),
  offer_id: positiveId.optional(),
  partner_id: positiveId.optional(),
  postback_id: positiveId.optional(),
  status: z.enum(Object.keys(REPORT_STATUS) as [keyof typeof REPORT_STATUS, ...Array<keyof typeof REPORT_STATUS>]).default('all'),
  include: z.enum(['attempts']).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  before: z.coerce.number().int().min(0).optional(),
});

/** POST /v1/network/postbacks/:id/test: macro values of the synthetic conversion, all optional. */
export const testInput = z.object({ params: z.record(z.string().max(64), text(500)).default({}) }).strict();

/** POST /v1/network/postbacks/:id/enable. */
export const enableInput = z.object({ replay_skipped: z.boolean().default(false) }).strict();
