import type { ConversionRecord } from '../conversions/conversion';
import { multiplyPercent } from './amounts';
import type { AmountType, NetworkClick, NetworkConversion, NetworkConversionStatus, Offer, OfferEvent } from './model';

/**
 * A conversion or event as an advertiser reports it (S2S postback,
 * https://helpdesk.everflow.io/customer/accessing-editing-s2s-postback-urls, or JSON API).
 */
export interface ConversionRequest {
  transactionId: string;
  /** 0 = base conversion. */
  eventId: number;
  status: NetworkConversionStatus;
  saleAmount: string | null;
  currency: string | null;
  orderId: string | null;
  couponCode: string | null;
  /**
   * adv1…adv10 (Everflow's advertiser sub ids; adv6–10 since May 2026:
   * https://ef-helpdesk24.webflow.io/collaborator/managing-postbacks-as-a-partner).
   */
  adv: Record<string, string>;
  /** JSON API only: explicit amounts instead of the offer's. */
  payout?: string | undefined;
  revenue?: string | undefined;
}

/** The outbox's event record: its source is `network`; the unique (source, tx, event) key gets the record's own id. */
export const NETWORK_SOURCE = 'network';

/** CPC offers pay per click, so their conversions pay 0; CPS pays a percent of the sale. */
function amountFor(type: AmountType, amount: string, saleAmount: string | null): string {
  if (type === 'cps') return saleAmount ? multiplyPercent(saleAmount, amount) : '0';
  if (type === 'cpc') return '0';
  return amount;
}

const unixSeconds = (ms: number): string => String(Math.floor(ms / 1000));

/**
 * The click's part of the macro values: ids, source and subs
 * (https://helpdesk.everflow.io/en/articles/6173403-a-guide-to-parameters-and-macros).
 */
function clickParams(click: NetworkClick): Record<string, string> {
  const out: Record<string, string> = {
    transaction_id: click.transactionId,
    offer_id: String(click.offerId),
    affiliate_id: String(click.partnerId),
  };
  if (click.sourceId) out.source_id = click.sourceId;
  // Not macros (connectors/partner-postback/macros.ts): for the conversion.registered webhook.
  out.click_timestamp = unixSeconds(click.createdAt);
  for (const [k, v] of Object.entries(click.subs)) out[k] = v;
  return out;
}

/** Pure: the stored conversion, with every macro value in `params` (connectors/partner-postback/macros.ts). */
export function buildConversion(
  id: string,
  click: NetworkClick,
  offer: Offer,
  event: OfferEvent | null,
  req: ConversionRequest,
  now: number,
): NetworkConversion {
  const payout = req.payout ?? (event ? (event.payoutAmount ?? '0') : amountFor(offer.payoutType, offer.payoutAmount, req.saleAmount));
  const revenue = req.revenue ?? (event ? (event.revenueAmount ?? '0') : amountFor(offer.revenueType, offer.revenueAmount, req.saleAmount));
  // No FX: the sale amount stays in the currency the advertiser sent (Everflow converts it,
  // https://helpdesk.everflow.io/en/articles/6120678-currency-configurations; we cannot).
  const currency = req.currency ?? offer.currency;
  const params: Record<string, string> = {
    ...clickParams(click),
    conversion_id: id,
    payout,
    revenue,
    currency,
    timestamp: unixSeconds(now),
    registered_status: req.status,
  };
  for (const [k, v] of Object.entries(req.adv)) params[k] = v;
  if (req.saleAmount !== null) params.sale_amount = req.saleAmount;
  if (req.orderId !== null) params.order_id = req.orderId;
  if (req.couponCode !== null) params.coupon_code = req.couponCode;
  if (event) {
    params.event_id = String(event.id);
    params.event_name = event.name;
  }
  return {
    id,
    transactionId: click.transactionId,
    offerId: click.offerId,
    partnerId: click.partnerId,
    kind: event ? 'event' : 'conversion',
    eventId: event?.id ?? 0,
    eventName: event?.name ?? null,
    status: req.status,
    payout,
    revenue,
    saleAmount: req.saleAmount,
    currency,
    orderId: req.orderId,
    params,
    createdAt: now,
    updatedAt: now,
  };
}

/** The core record type knows approved/pending/rejected; `invalid` never fires, like rejected. */
export function outboxStatus(s: NetworkConversionStatus): ConversionRecord['status'] {
  return s === 'invalid' ? 'rejected' : s;
}

export function outboxRecord(c: NetworkConversion): ConversionRecord {
  return {
    id: c.id,
    source: NETWORK_SOURCE,
    transactionId: c.transactionId,
    event: `${c.kind}/${c.id}`,
    status: outboxStatus(c.status),
    payout: c.payout,
    currency: c.currency,
    offerId: String(c.offerId),
    clickId: c.transactionId,
    matched: true,
    click: null,
    params: c.params,
    receivedAt: c.createdAt,
    updatedAt: c.updatedAt,
  };
}

/** A unique payable click of a CPC offer, as the outbox record its `cpc` postbacks render from. */
export function cpcRecord(id: string, click: NetworkClick, offer: Offer, now: number): ConversionRecord {
  const params: Record<string, string> = {
    ...clickParams(click),
    payout: offer.payoutType === 'cpc' ? offer.payoutAmount : '0',
    revenue: offer.revenueType === 'cpc' ? offer.revenueAmount : '0',
    currency: offer.currency,
    timestamp: unixSeconds(now),
  };
  return {
    id,
    source: NETWORK_SOURCE,
    transactionId: click.transactionId,
    event: `cpc/${id}`,
    status: 'approved',
    payout: params.payout ?? null,
    currency: offer.currency,
    offerId: String(offer.id),
    clickId: click.transactionId,
    matched: true,
    click: null,
    params,
    receivedAt: now,
    updatedAt: now,
  };
}

/** A network notice (postback.deactivated) as an outbox record, so its webhook goes through the engine. */
export function noticeRecord(id: string, subject: string, event: string, params: Record<string, string>, now: number): ConversionRecord {
  return {
    id,
    source: NETWORK_SOURCE,
    transactionId: subject,
    event: `${event}/${id}`,
    status: 'approved',
    payout: null,
    currency: 'USD',
    offerId: params.offer_id ?? null,
    clickId: null,
    matched: false,
    click: null,
    params,
    receivedAt: now,
    updatedAt: now,
  };
}
