// No imports on purpose: the console's macro picker (ui/src/components/postback-form.tsx) bundles
// this file, so the gateway and the console offer one list.

/**
 * The Everflow partner-postback macro table (https://helpdesk.everflow.io/en/articles/6173403-a-guide-to-parameters-and-macros). Each name is a fixed, case-sensitive
 * token: `{Sub5}` or `{sub_5}` is not one of them and goes out literally (a network's postback guide, https://www.ourdreamaiaffiliate.com/onboarding/postbacks, failure mode 2);
 * a listed macro without a value becomes '' (the same guide, failure mode 1). Sources, per row:
 *
 * - transaction_id, event_id, event_name, order_id, sale_amount — mrpostback.com/everflow [3p];
 *   transaction_id also in Everflow's own example postback URL [doc].
 * - payout — Everflow partner help ("a basic URL with {transaction_id} and {payout}") [doc];
 *   payout_amount — seen in third-party templates, kept as an alias of payout (our choice: no doc settles which is canonical).
 * - revenue — Everflow affiliate-API example URL [doc].
 * - offer_id [doc], affiliate_id [3p terraform example], source_id [infer: tracking-link param].
 * - sub1…sub10, adv1…adv10 — Everflow partner help, sub6–10/adv6–10 added May 2026 [doc].
 * - conversion_id, currency, timestamp — named by the issue; fields of Everflow's conversion data
 *   model (conversion_id, currency_id, conversion_unix_timestamp) [doc, macro name inferred].
 * - coupon_code — a field of the same conversion data model and an advertiser-postback parameter
 *   (https://developers.everflow.io/api-reference/get-networksreportingeventspertransaction, https://helpdesk.everflow.io/customer/accessing-editing-s2s-postback-urls) [macro name inferred].
 *
 * Not here on purpose: adv_event_id (advertiser postback only), unique_click and
 * impression_tracking_id (landing-page only) — mrpostback lists them outside PP.
 */
export const PARTNER_MACROS = [
  'transaction_id',
  'conversion_id',
  'offer_id',
  'affiliate_id',
  'source_id',
  ...(Array.from({ length: 10 }, (_, i) => `sub${i + 1}`) as SubName[]),
  ...(Array.from({ length: 10 }, (_, i) => `adv${i + 1}`) as AdvName[]),
  'payout',
  'payout_amount',
  'sale_amount',
  'revenue',
  'currency',
  'event_id',
  'event_name',
  'order_id',
  'coupon_code',
  'timestamp',
] as const;
type SubName = `sub${1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10}`;
type AdvName = `adv${1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10}`;
export type PartnerMacro = (typeof PARTNER_MACROS)[number];
