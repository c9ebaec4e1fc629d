import { DeliveryError, escapeJson, escapeUrl, type ConnectorContext, type DeliveryItem, type PlatformRequest } from '../../src/connector-kit';
import { renderPartnerBody, renderPartnerUrl } from './macros';
import type { PartnerPostbackCredentials, PartnerPostbackSettings } from './schema';

type Ctx = ConnectorContext<PartnerPostbackSettings, PartnerPostbackCredentials>;

/**
 * One conversion → one request. Pure: the values come from the conversion's stored params only
 * (never ctx.now), so every retry sends the same URL byte for byte.
 */
export function buildPartnerRequest(items: readonly DeliveryItem[], ctx: Ctx): PlatformRequest {
  const item = items[0];
  if (items.length !== 1 || !item) throw new DeliveryError('payload', `partner-postback sends one conversion per request, got ${items.length}`);
  const { settings } = ctx;
  const params = item.conversion.params;
  const url = renderPartnerUrl(settings.url, params);
  if (settings.method === 'GET') return { method: 'GET', url, headers: {} };
  if (settings.body === undefined) return { method: 'POST', url, headers: {}, body: '' };
  const json = settings.contentType === 'application/json';
  // JSON: the template supplies the quotes, values are escaped for inside them; form: %-encoding.
  const body = renderPartnerBody(settings.body, params, json ? escapeJson : escapeUrl);
  return { method: 'POST', url, headers: { 'content-type': settings.contentType }, body };
}
