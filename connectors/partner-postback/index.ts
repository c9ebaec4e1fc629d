import { DeliveryError, defineConnector, parseRetryAfter, redirectHint, type ItemOutcome, type PlatformResponse } from '../../src/connector-kit';
import { buildPartnerRequest } from './map';
import { partnerPostbackCredentialsSchema, partnerPostbackSettingsSchema } from './schema';

/**
 * Everflow-style partner postback (https://developers.everflow.io/api-reference/post-networkspixels.md): a templated GET (or POST) to the URL a
 * partner entered. Used by the network side, which resolves `pp-<id>` destinations to it.
 */
export const partnerPostback = defineConnector({
  id: 'partner-postback',
  displayName: 'Partner postback (network)',
  apiVersion: 'n/a',
  settings: partnerPostbackSettingsSchema,
  credentials: partnerPostbackCredentialsSchema,
  // One conversion per URL; 10 s unless network.timeoutMs says otherwise (Everflow documents none: the
  // timeout is ours to choose).
  limits: { maxBatch: 1, timeoutMs: 10_000 },
  build: buildPartnerRequest,
  classify: classifyPartnerResponse,
});

/**
 * Seed 001: "a failure is no response or an error code; any 2xx (including 204) counts as
 * success", and every failed attempt is retried. So unlike the kit's default reading, a 4xx is
 * NOT a terminal payload/auth/config error here: every non-2xx is a retryable failure, and the
 * streak it feeds is what deactivates a postback. 429 keeps its Retry-After.
 */
export function classifyPartnerResponse(response: PlatformResponse): ItemOutcome {
  const { status } = response;
  if (status >= 200 && status < 300) return { ok: true };
  const text = response.body.replace(/\s+/g, ' ').trim();
  const message = `partner answered HTTP ${status}${redirectHint(response)}${text ? `: ${text.length > 200 ? `${text.slice(0, 200)}…` : text}` : ''}`;
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(response.headers['retry-after']);
    return { ok: false, error: new DeliveryError('rate_limited', message, { status, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) }) };
  }
  return { ok: false, error: new DeliveryError('transient', message, { status }) };
}
