import type { FiredDelivery } from '../store/network/network-store';
import type { NetworkClick, NetworkConversion, Offer, Partner, PartnerPostback } from './model';
import type { RenderedPixel } from './tracking';

/** The network API's JSON shapes (snake_case, as openapi.yaml documents them). */
export function offerView(o: Offer) {
  return {
    id: o.id,
    name: o.name,
    status: o.status,
    currency: o.currency,
    payout_type: o.payoutType,
    payout_amount: o.payoutAmount,
    revenue_type: o.revenueType,
    revenue_amount: o.revenueAmount,
    allow_duplicates: o.allowDuplicates,
    fire_postbacks: o.firePostbacks,
    events: o.events.map((e) => ({ id: e.id, name: e.name, payout_amount: e.payoutAmount, revenue_amount: e.revenueAmount, fire_postbacks: e.firePostbacks })),
    created_at: o.createdAt,
    updated_at: o.updatedAt,
  };
}

export function partnerView(p: Partner) {
  return { id: p.id, name: p.name, status: p.status, created_at: p.createdAt, updated_at: p.updatedAt };
}

export function postbackView(p: PartnerPostback) {
  return {
    id: p.id,
    partner_id: p.partnerId,
    offer_id: p.offerId,
    level: p.level,
    type: p.type,
    delivery_method: p.deliveryMethod,
    status: p.status,
    postback_url: p.postbackUrl,
    http_method: p.httpMethod,
    post_body: p.postBody,
    post_content_type: p.postContentType,
    html_code: p.htmlCode,
    description: p.description,
    delay_ms: p.delayMs,
    event_id: p.eventId,
    deactivated_reason: p.deactivatedReason,
    deactivated_at: p.deactivatedAt,
    consecutive_failures: p.failureStreak.length,
    streak_started_at: p.failureStreak[0] ?? null,
    last_failure_at: p.lastFailureAt,
    last_success_at: p.lastSuccessAt,
    created_at: p.createdAt,
    updated_at: p.updatedAt,
  };
}

export function deliveriesView(list: readonly FiredDelivery[]) {
  return list.map((d) => ({ id: d.id, destination: d.destinationId, status: d.status }));
}

export function clickView(c: NetworkClick, payable: boolean, deliveries: readonly FiredDelivery[]) {
  return {
    transaction_id: c.transactionId,
    offer_id: c.offerId,
    partner_id: c.partnerId,
    source_id: c.sourceId,
    ...c.subs,
    unique: c.isUnique,
    payable,
    created_at: c.createdAt,
    deliveries: deliveriesView(deliveries),
  };
}

export function conversionView(c: NetworkConversion) {
  const advs = Object.fromEntries(Object.entries(c.params).filter(([k]) => /^adv\d+$/.test(k)));
  return {
    conversion_id: c.id,
    transaction_id: c.transactionId,
    offer_id: c.offerId,
    partner_id: c.partnerId,
    is_event: c.kind === 'event',
    event_id: c.eventId,
    event_name: c.eventName,
    status: c.status,
    payout: c.payout,
    revenue: c.revenue,
    sale_amount: c.saleAmount,
    currency: c.currency,
    order_id: c.orderId,
    coupon_code: c.params.coupon_code ?? null,
    ...advs,
    created_at: c.createdAt,
    updated_at: c.updatedAt,
  };
}

export function pixelsView(pixels: readonly RenderedPixel[]) {
  return { html_pixels: pixels.map((p) => ({ postback_id: p.postbackId, html: p.html })), html: pixels.map((p) => p.html).join('\n') };
}
