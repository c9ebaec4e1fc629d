/**
 * The partner-postback macros the console's picker offers. The gateway's own list is
 * PARTNER_MACROS in connectors/partner-postback/macros.ts; test/browser/macros.test.ts keeps the
 * two equal (the UI bundle does not import server code).
 */
export const PARTNER_MACROS = [
  'transaction_id', 'conversion_id', 'offer_id', 'affiliate_id', 'source_id',
  'sub1', 'sub2', 'sub3', 'sub4', 'sub5', 'sub6', 'sub7', 'sub8', 'sub9', 'sub10',
  'adv1', 'adv2', 'adv3', 'adv4', 'adv5', 'adv6', 'adv7', 'adv8', 'adv9', 'adv10',
  'payout', 'payout_amount', 'sale_amount', 'revenue', 'currency', 'event_id', 'event_name', 'order_id', 'coupon_code', 'timestamp',
] as const;
