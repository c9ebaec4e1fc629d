import type { Row } from '../ledger-rows';
import type { NetworkClick, NetworkConversion, Offer, OfferEvent, Partner, PartnerPostback } from '../../network/model';

/** Column ↔ record mapping of the network tables (Postgres returns BIGINT as text: Number() it). */
const num = (v: unknown): number => Number(v);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

export function rowToOffer(r: Row): Offer {
  return {
    id: num(r.id),
    name: String(r.name),
    status: r.status as Offer['status'],
    currency: String(r.currency),
    payoutType: r.payout_type as Offer['payoutType'],
    payoutAmount: String(r.payout_amount),
    revenueType: r.revenue_type as Offer['revenueType'],
    revenueAmount: String(r.revenue_amount),
    allowDuplicates: num(r.allow_duplicates) === 1,
    firePostbacks: num(r.fire_postbacks) === 1,
    events: JSON.parse(String(r.events)) as OfferEvent[],
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
  };
}

export function offerToRow(o: Offer): unknown[] {
  return [
    o.id,
    o.name,
    o.status,
    o.currency,
    o.payoutType,
    o.payoutAmount,
    o.revenueType,
    o.revenueAmount,
    o.allowDuplicates ? 1 : 0,
    o.firePostbacks ? 1 : 0,
    JSON.stringify(o.events),
    o.createdAt,
    o.updatedAt,
  ];
}

export function rowToPartner(r: Row): Partner {
  return { id: num(r.id), name: String(r.name), status: r.status as Partner['status'], createdAt: num(r.created_at), updatedAt: num(r.updated_at) };
}

export function rowToPostback(r: Row): PartnerPostback {
  return {
    id: num(r.id),
    partnerId: num(r.partner_id),
    offerId: num(r.offer_id),
    level: r.level as PartnerPostback['level'],
    type: r.type as PartnerPostback['type'],
    deliveryMethod: r.delivery_method as PartnerPostback['deliveryMethod'],
    status: r.status as PartnerPostback['status'],
    postbackUrl: strOrNull(r.postback_url),
    httpMethod: r.http_method as PartnerPostback['httpMethod'],
    postBody: strOrNull(r.post_body),
    postContentType: r.post_content_type as PartnerPostback['postContentType'],
    htmlCode: strOrNull(r.html_code),
    description: strOrNull(r.description),
    delayMs: num(r.delay_ms),
    eventId: num(r.event_id),
    deactivatedReason: strOrNull(r.deactivated_reason),
    deactivatedAt: numOrNull(r.deactivated_at),
    failureStreak: JSON.parse(String(r.failure_streak ?? '[]')) as number[],
    lastFailureAt: numOrNull(r.last_failure_at),
    lastSuccessAt: numOrNull(r.last_success_at),
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
  };
}

export function rowToClick(r: Row): NetworkClick {
  return {
    transactionId: String(r.transaction_id),
    offerId: num(r.offer_id),
    partnerId: num(r.partner_id),
    sourceId: strOrNull(r.source_id),
    subs: JSON.parse(String(r.subs)) as Record<string, string>,
    isUnique: num(r.is_unique) === 1,
    createdAt: num(r.created_at),
  };
}

export function rowToConversion(r: Row): NetworkConversion {
  return {
    id: String(r.id),
    transactionId: String(r.transaction_id),
    offerId: num(r.offer_id),
    partnerId: num(r.partner_id),
    kind: r.kind as NetworkConversion['kind'],
    eventId: num(r.event_id),
    eventName: strOrNull(r.event_name),
    status: r.status as NetworkConversion['status'],
    payout: strOrNull(r.payout),
    revenue: strOrNull(r.revenue),
    saleAmount: strOrNull(r.sale_amount),
    currency: String(r.currency),
    orderId: strOrNull(r.order_id),
    params: JSON.parse(String(r.params)) as Record<string, string>,
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
  };
}

export function conversionToRow(c: NetworkConversion): unknown[] {
  return [
    c.id,
    c.transactionId,
    c.offerId,
    c.partnerId,
    c.kind,
    c.eventId,
    c.eventName,
    c.status,
    c.payout,
    c.revenue,
    c.saleAmount,
    c.currency,
    c.orderId,
    JSON.stringify(c.params),
    c.createdAt,
    c.updatedAt,
  ];
}
