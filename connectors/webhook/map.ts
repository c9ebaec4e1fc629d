import {
  DeliveryError,
  type ClickRecord,
  type ConnectorContext,
  type ConversionRecord,
  type DeliveryItem,
  type PlatformRequest,
} from '../../src/connector-kit';
import { rfc3339, unixSeconds } from '../_shared/time';
import type { WebhookCredentials, WebhookSettings } from './schema';
import { webhookHeaders } from './sign';

/**
 * The webhook payload, version 1: a Standard Webhooks envelope (`type`, `timestamp`, `data`,
 * https://www.standardwebhooks.com/ "Payload structure") plus our `id` and `version`.
 * Additive changes (new fields) keep version 1; renaming or removing a field is version 2.
 * Field names are snake_case, like the admin API.
 */
export const WEBHOOK_PAYLOAD_VERSION = 1;

/** Known types; other senders (the network side) add theirs, e.g. 'event.registered'. */
export type WebhookEventType = 'conversion.received' | 'conversion.registered' | 'event.registered' | (string & {});

export interface WebhookEnvelope<T> {
  /** Same as the `webhook-id` header; stable across retries, so receivers de-duplicate on it. */
  id: string;
  type: WebhookEventType;
  version: typeof WEBHOOK_PAYLOAD_VERSION;
  /** When the event happened (RFC 3339, UTC), not when this attempt was sent. */
  timestamp: string;
  data: T;
}

export interface WebhookConversion {
  id: string;
  source: string;
  transaction_id: string;
  event: string;
  status: ConversionRecord['status'];
  /** Decimal string exactly as received ("0.10" stays "0.10"), or null. */
  payout: string | null;
  currency: string;
  offer_id: string | null;
  click_id: string | null;
  matched: boolean;
  params: Record<string, string>;
  received_at: string;
}

export interface WebhookClick {
  id: string;
  link: string | null;
  platform: ClickRecord['platform'];
  platform_click_param: ClickRecord['platformClickParam'];
  platform_click_id: string | null;
  platform_click_ids: Record<string, string>;
  referrer: string | null;
  landing_url: string | null;
  subs: Record<string, string>;
  fbc: string | null;
  fbp: string | null;
  created_at: string;
  /** Only with settings.includeClientData. */
  ip?: string | null;
  user_agent?: string | null;
}

export interface ConversionReceivedData {
  conversion: WebhookConversion;
  click: WebhookClick | null;
}

export function webhookEnvelope<T>(type: WebhookEventType, id: string, occurredAt: number, data: T): WebhookEnvelope<T> {
  return { id, type, version: WEBHOOK_PAYLOAD_VERSION, timestamp: rfc3339(occurredAt), data };
}

export function conversionData(c: ConversionRecord, options: { includeClientData: boolean }): ConversionReceivedData {
  const click = c.click;
  return {
    conversion: {
      id: c.id,
      source: c.source,
      transaction_id: c.transactionId,
      event: c.event,
      status: c.status,
      payout: c.payout,
      currency: c.currency,
      offer_id: c.offerId,
      click_id: c.clickId,
      matched: c.matched,
      params: c.params,
      received_at: rfc3339(c.receivedAt),
    },
    click: click
      ? {
          id: click.id,
          link: click.link,
          platform: click.platform,
          platform_click_param: click.platformClickParam,
          platform_click_id: click.platformClickId,
          platform_click_ids: click.platformClickIds,
          referrer: click.referrer,
          landing_url: click.landingUrl,
          subs: click.subs,
          fbc: click.fbc,
          fbp: click.fbp,
          created_at: rfc3339(click.createdAt),
          ...(options.includeClientData ? { ip: click.ip, user_agent: click.userAgent } : {}),
        }
      : null,
  };
}

export interface SignedWebhookInput<T> {
  url: string;
  /** Static extra headers (lower-cased; the signature headers win). */
  headers?: Readonly<Record<string, string>>;
  secret: string;
  envelope: WebhookEnvelope<T>;
  /** This attempt's time (epoch ms): `webhook-timestamp`, so the receiver can refuse replays. */
  now: number;
}

/** Any envelope → a signed JSON POST. What the network side calls for its own event types. */
export function buildSignedWebhook<T>(input: SignedWebhookInput<T>): PlatformRequest {
  const body = JSON.stringify(input.envelope);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(input.headers ?? {})) headers[k.toLowerCase()] = v;
  headers['content-type'] = 'application/json';
  Object.assign(headers, webhookHeaders(input.secret, input.envelope.id, unixSeconds(input.now), body));
  return { method: 'POST', url: input.url, headers, body };
}

/** One conversion → one signed `conversion.received` webhook. */
export function buildRequest(items: readonly DeliveryItem[], ctx: ConnectorContext<WebhookSettings, WebhookCredentials>): PlatformRequest {
  const item = items[0];
  if (items.length !== 1 || !item) throw new DeliveryError('payload', `webhook sends one conversion per request, got ${items.length}`);
  const { settings, credentials } = ctx;
  const envelope = webhookEnvelope('conversion.received', item.dedupKey, item.conversion.receivedAt, conversionData(item.conversion, settings));
  return buildSignedWebhook({ url: settings.url, headers: settings.headers, secret: credentials.secret, envelope, now: ctx.now });
}
