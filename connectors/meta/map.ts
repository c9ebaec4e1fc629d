import { createHmac } from 'node:crypto';
import type { ServerEvent } from 'facebook-nodejs-business-sdk';
import { DeliveryError, type ClickRecord, type ConnectorContext, type DeliveryItem, type PlatformRequest } from '../../src/connector-kit';
import { findByKey, jsonRequest, presentIdentifiers, requestJson, type IdentifierName } from '../../src/connector-kit/identifiers-sent';
import { decimalToNumber, normalizeCurrency } from '../_shared/currency';
import { unixSeconds } from '../_shared/time';
import { META_MAX_BATCH, type MetaBody, type MetaCredentials, type MetaEvent, type MetaSettings } from './schema';
import { metaSdk } from './sdk';

type Ctx = ConnectorContext<MetaSettings, MetaCredentials>;

/**
 * "If any event in data is more than 7 days old, the whole request errors and nothing is
 * processed" (developers.facebook.com/docs/marketing-api/conversions-api/parameters/server-event).
 * We stop 10 minutes short: the event must still be young enough when Meta
 * reads it, and one borderline event would otherwise sink up to 999 good ones.
 */
export const MAX_EVENT_AGE_MS = 7 * 86_400_000;
export const AGE_MARGIN_MS = 10 * 60_000;

export function eventsUrl(settings: MetaSettings): string {
  return `${settings.baseUrl}/${settings.apiVersion}/${encodeURIComponent(settings.pixelId)}/events`;
}

export function eventNameFor(item: DeliveryItem, settings: MetaSettings): string {
  return settings.eventNames[item.conversion.event] ?? settings.defaultEventName;
}

/**
 * `website` needs event_source_url and client_user_agent (developers.facebook.com/docs/marketing-api/conversions-api/parameters);
 * we have both only when the click was captured with a landing URL and a browser UA. Otherwise
 * the conversion is a server-to-server report with no browser context, and Meta's non-web
 * sources need only action_source
 * (https://developers.facebook.com/docs/marketing-api/conversions-api/parameters):
 * `system_generated`, the SDK's value for a conversion that a system reported rather than a page or an app.
 */
export function actionSourceFor(click: ClickRecord | null): { action_source: MetaEvent['action_source']; event_source_url?: string } {
  if (click?.landingUrl && click.userAgent) return { action_source: 'website', event_source_url: click.landingUrl };
  return { action_source: 'system_generated' };
}

/**
 * test_event_code goes out for "test destination" deliveries, and on every delivery only when
 * the user opted in with testAllEvents (a staging destination). Meta: "remove it in production"
 * (developers.facebook.com/docs/marketing-api/conversions-api/using-the-api#testEvents).
 */
export function testEventCodeFor(ctx: Ctx): string | undefined {
  return ctx.test || ctx.settings.testAllEvents ? ctx.settings.testEventCode : undefined;
}

/** The SDK's own currency check (it throws inside normalize() on a code it does not know). */
function sdkAcceptsCurrency(code: string): boolean {
  try {
    metaSdk().ServerSideUtils.normalizeCurrency(code);
    return true;
  } catch {
    return false;
  }
}

/**
 * Rejects one event before it is batched: Meta rejects a whole batch for one invalid event
 * (using-the-api: "one invalid event rejects the batch"), so everything we can see is checked here.
 */
export function validateItem(item: DeliveryItem, ctx: Ctx): DeliveryError | null {
  const c = item.conversion;
  const click = c.click;
  if (ctx.test && !ctx.settings.testEventCode) {
    return new DeliveryError(
      'payload',
      'a test delivery needs settings.testEventCode (Events Manager → Test Events); without it the event would count as real',
    );
  }
  const age = ctx.now - c.receivedAt;
  if (age > MAX_EVENT_AGE_MS - AGE_MARGIN_MS) {
    return new DeliveryError('payload', `conversion is ${(age / 86_400_000).toFixed(1)} days old; Meta rejects events older than 7 days`);
  }
  const currency = normalizeCurrency(c.currency);
  if (!currency || !sdkAcceptsCurrency(currency)) return new DeliveryError('payload', `currency "${c.currency}" is not an ISO 4217 code`);
  if (c.payout !== null && decimalToNumber(c.payout) === null) return new DeliveryError('payload', `payout "${c.payout}" is not a decimal number`);
  // custom_data.value: "Required for purchase events" (…/conversions-api/parameters/custom-data).
  if (c.payout === null && eventNameFor(item, ctx.settings) === 'Purchase') {
    return new DeliveryError(
      'payload',
      'Meta requires a value on Purchase events and the postback carried no payout (map this event to another event name, or send a payout)',
    );
  }
  // Nothing to match on: Meta cannot attribute the event and may reject the batch for it. The
  // ip + user agent pair counts only together; one alone is a weak, often rejected key.
  const ids = c.identifiers ?? {};
  const hashed = ids.email_sha256 || ids.phone_sha256 || ids.external_id_sha256;
  if (!click?.fbc && !click?.fbp && !(click?.ip && click.userAgent) && !hashed) {
    return new DeliveryError(
      'payload',
      'nothing to match on: the conversion has no fbc, fbp, click ip and user agent, or hashed email/phone/external id (was the click captured?)',
    );
  }
  return null;
}

/**
 * Meta's data processing options for one conversion: its own `limited_data_use` signal, else the
 * destination's `limitedDataUse` default. LDU → ["LDU"] with a country and a state; a conversion
 * that says no → [] ("to explicitly not enable LDU", developers.facebook.com/docs/marketing-apis/data-processing-options);
 * neither → nothing.
 */
export function dataProcessingFor(item: DeliveryItem, settings: MetaSettings): { options: string[]; country?: number; state?: number } | null {
  const own = item.conversion.consent?.limitedDataUse;
  const ldu = own ?? (settings.limitedDataUse ? true : undefined);
  if (ldu === undefined) return null;
  if (!ldu) return { options: [] };
  return { options: ['LDU'], country: settings.limitedDataUse?.country ?? 0, state: settings.limitedDataUse?.state ?? 0 };
}

/** One delivery → the SDK's ServerEvent. PII hashing and currency checks happen in its normalize(). */
export function toServerEvent(item: DeliveryItem, settings: MetaSettings): ServerEvent {
  const { CustomData, ServerEvent, UserData } = metaSdk();
  const c = item.conversion;
  const click = c.click;
  const user = new UserData();
  // Never hashed: Meta matches ip, user agent, fbc and fbp as sent
  // (https://developers.facebook.com/documentation/ads-commerce/conversions-api/parameters).
  if (click?.ip) user.setClientIpAddress(click.ip);
  if (click?.userAgent) user.setClientUserAgent(click.userAgent);
  if (click?.fbc) user.setFbc(click.fbc);
  if (click?.fbp) user.setFbp(click.fbp);
  // Hashed at intake (src/privacy/identifiers.ts) in Meta's normalisation: em = trimmed,
  // lower-cased address; ph = digits with the country code, no `+`; fn/ln lower-cased without
  // punctuation (normalizeName); external_id trimmed and lower-cased
  // (developers.facebook.com/docs/marketing-api/conversions-api/parameters/customer-information-parameters).
  // The SDK's normalize() passes a 64-hex value through unchanged, so they go out as we hashed them.
  const ids = c.identifiers ?? {};
  if (ids.email_sha256) user.setEmail(ids.email_sha256);
  if (ids.phone_sha256) user.setPhone(ids.phone_sha256);
  if (ids.first_name_sha256) user.setFirstName(ids.first_name_sha256);
  if (ids.last_name_sha256) user.setLastName(ids.last_name_sha256);
  if (ids.external_id_sha256) user.setExternalId(ids.external_id_sha256);

  const custom = new CustomData().setCurrency(c.currency).setOrderId(c.transactionId);
  const value = decimalToNumber(c.payout);
  if (value !== null) custom.setValue(value);

  const source = actionSourceFor(click);
  const event = new ServerEvent()
    .setEventName(eventNameFor(item, settings))
    // Unix seconds of when we received the conversion: the network's postback is the event.
    .setEventTime(unixSeconds(c.receivedAt))
    // Stable across retries: Meta collapses a re-sent event_id + event_name within 48 h.
    .setEventId(item.dedupKey)
    .setActionSource(source.action_source)
    .setUserData(user)
    .setCustomData(custom);
  if (source.event_source_url) event.setEventSourceUrl(source.event_source_url);
  const dpo = dataProcessingFor(item, settings);
  if (dpo) {
    event.setDataProcessingOptions(dpo.options);
    if (dpo.country !== undefined) event.setDataProcessingOptionsCountry(dpo.country);
    if (dpo.state !== undefined) event.setDataProcessingOptionsState(dpo.state);
  }
  return event;
}

/**
 * Items → POST {baseUrl}/{version}/{pixel}/events. Pure: the SDK objects are built and
 * normalised here, and the body is serialised the way EventRequest.execute() builds its params
 * (data, test_event_code, access_token, appsecret_proof) — without constructing an EventRequest,
 * whose constructor calls FacebookAdsApi.init(): a process-wide default API and crash reporter
 * (the SDK's src/api.js and src/crash-reporter.js). The token goes in the body, so it is never in a URL or an access log.
 */
export function buildEventsRequest(items: readonly DeliveryItem[], ctx: Ctx): PlatformRequest {
  if (items.length === 0 || items.length > META_MAX_BATCH) {
    throw new DeliveryError('payload', `meta: a request carries 1 to ${META_MAX_BATCH} events, got ${items.length}`);
  }
  const data = items.map((item, i) => {
    try {
      return toServerEvent(item, ctx.settings).normalize() as MetaEvent;
    } catch (err) {
      throw new DeliveryError('payload', `event ${i} (${item.dedupKey}) rejected by the SDK: ${(err as Error).message}`, { cause: err });
    }
  });
  const testCode = testEventCodeFor(ctx);
  const { accessToken, appSecret } = ctx.credentials;
  const body: MetaBody = {
    data,
    ...(testCode ? { test_event_code: testCode } : {}),
    access_token: accessToken,
    ...(appSecret ? { appsecret_proof: createHmac('sha256', appSecret).update(accessToken).digest('hex') } : {}),
  };
  return jsonRequest('POST', eventsUrl(ctx.settings), { 'content-type': 'application/json', accept: 'application/json' }, body);
}

const META_FIELDS: Record<string, IdentifierName> = {
  fbc: 'fbc',
  fbp: 'fbp',
  client_ip_address: 'ip',
  client_user_agent: 'user_agent',
  em: 'email',
  ph: 'phone',
  fn: 'first_name',
  ln: 'last_name',
  external_id: 'external_id',
};

/** Names of the user_data signals the event with this event_id carries (never values). */
export function metaIdentifiersSent(request: PlatformRequest, dedupKey: string): string[] | null {
  const event = findByKey(requestJson(request)?.data, dedupKey, (e) => e.event_id);
  return event ? presentIdentifiers(event.user_data, META_FIELDS) : null;
}
