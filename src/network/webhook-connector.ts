import { buildSignedWebhook, webhook, webhookEnvelope } from '../../connectors/webhook/index';
import { webhookCredentialsSchema, webhookSettingsSchema } from '../../connectors/webhook/schema';
import { DeliveryError } from '../connector-kit/delivery-error';
import { defineConnector, type DeliveryItem } from '../connector-kit/define';
import type { ConversionRecord } from '../conversions/conversion';

/**
 * The network's webhooks (as Everflow's: https://developers.everflow.io/webhooks/overview): `conversion.registered`, `event.registered`
 * and our `postback.deactivated`. Signing, headers and the envelope are connectors/webhook's
 * (Standard Webhooks HMAC-SHA256; the envelope id = the `webhook-id` header = the delivery's
 * stable de-duplication key, which receivers de-duplicate on, as Everflow's webhook docs advise: "use the resource ID").
 * Only the `data` differs: Everflow's simplified conversion payload instead of ours.
 */
export const NETWORK_WEBHOOK_CONNECTOR = 'network-webhook';

/** The outbox record's event is `<kind>/<id>` (src/network/conversions.ts). */
function eventType(c: ConversionRecord): string {
  const kind = c.event.split('/')[0];
  if (kind === 'conversion') return 'conversion.registered';
  if (kind === 'event') return 'event.registered';
  if (kind === 'postback.deactivated') return kind;
  throw new DeliveryError('payload', `the network sends no webhook for "${c.event}"`);
}

const numOrNull = (v: string | undefined): number | null => (v === undefined || v === '' ? null : Number(v));

/**
 * Everflow's conversion webhook fields (https://developers-beta.everflow.io/webhooks/conversion-webhooks):
 * core (conversion_id, conversion_unix_timestamp, status,
 * transaction_id, click_unix_timestamp, is_event, event, currency_id), financial (payout,
 * revenue, sale_amount, coupon_code, order_id), tracking (sub1…, source_id, adv1…) and the
 * offer/affiliate relationships. `status` is the one the conversion was registered with.
 */
export function conversionPayload(c: ConversionRecord) {
  const p = c.params;
  const pick = (prefix: string) => Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`${prefix}${i + 1}`, p[`${prefix}${i + 1}`] ?? '']));
  return {
    conversion_id: c.id,
    conversion_unix_timestamp: Math.floor(c.receivedAt / 1000),
    status: p.registered_status ?? c.status,
    transaction_id: p.transaction_id ?? c.transactionId,
    click_unix_timestamp: numOrNull(p.click_timestamp),
    is_event: p.event_id !== undefined,
    event: p.event_name ?? '',
    event_id: numOrNull(p.event_id) ?? 0,
    is_view_through: false,
    currency_id: p.currency ?? c.currency,
    payout: p.payout ?? null,
    revenue: p.revenue ?? null,
    sale_amount: p.sale_amount ?? null,
    coupon_code: p.coupon_code ?? '',
    order_id: p.order_id ?? '',
    source_id: p.source_id ?? '',
    ...pick('sub'),
    ...pick('adv'),
    relationship: { offer: { network_offer_id: numOrNull(p.offer_id) }, affiliate: { network_affiliate_id: numOrNull(p.affiliate_id) } },
  };
}

function noticePayload(c: ConversionRecord) {
  const p = c.params;
  return {
    postback_id: numOrNull(p.postback_id),
    partner_id: numOrNull(p.partner_id),
    offer_id: numOrNull(p.offer_id),
    level: p.level ?? null,
    type: p.type ?? null,
    reason: p.reason ?? null,
    deactivated_unix_timestamp: Math.floor(Number(p.deactivated_at ?? c.receivedAt) / 1000),
  };
}

export const networkWebhook = defineConnector({
  id: NETWORK_WEBHOOK_CONNECTOR,
  displayName: 'Network webhook (Standard Webhooks)',
  apiVersion: webhook.apiVersion,
  settings: webhookSettingsSchema,
  credentials: webhookCredentialsSchema,
  limits: { maxBatch: 1, timeoutMs: 10_000 },
  build(items: readonly DeliveryItem[], ctx) {
    const item = items[0];
    if (items.length !== 1 || !item) throw new DeliveryError('payload', `a network webhook carries one event, got ${items.length}`);
    const c = item.conversion;
    const type = eventType(c);
    const data = type === 'postback.deactivated' ? noticePayload(c) : conversionPayload(c);
    const envelope = webhookEnvelope(type, item.dedupKey, c.receivedAt, data);
    return buildSignedWebhook({ url: ctx.settings.url, headers: ctx.settings.headers, secret: ctx.credentials.secret, envelope, now: ctx.now });
  },
  classify: webhook.classify,
});
