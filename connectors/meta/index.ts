import { createHmac } from 'node:crypto';
import {
  defineConnector,
  DeliveryError,
  errorForResponse,
  parseRetryAfter,
  type DeliveryItem,
  type Outcome,
  type PlatformResponse,
} from '../../src/connector-kit';
import { parseJsonObject } from '../_shared/json';
import { blamedEventIndex, metaPlatformCode, metaVerdict, type MetaGraphError } from './errors';
import { buildEventsRequest, metaIdentifiersSent, validateItem } from './map';
import { META_API_VERSION, META_MAX_BATCH, metaCredentialsSchema, metaSettingsSchema } from './schema';
import { metaSdk } from './sdk';

/** A non-2xx Graph answer → one DeliveryError (body `{error:{…}}` first, the status otherwise). */
export function graphError(res: PlatformResponse): { error: DeliveryError; graph: MetaGraphError | null } {
  const graph = parseJsonObject(res.body)?.error;
  if (!graph || typeof graph !== 'object') {
    return {
      error: errorForResponse(res, 'Meta') ?? new DeliveryError('transient', `Meta answered HTTP ${res.status} without an error body`, { status: res.status }),
      graph: null,
    };
  }
  const e = graph as MetaGraphError;
  const verdict = metaVerdict(e, res.status);
  const headerWait = parseRetryAfter(res.headers['retry-after']);
  const retryAfterMs = Math.max(verdict.retryAfterMs ?? 0, headerWait ?? 0) || undefined;
  const user = [e.error_user_title, e.error_user_msg].filter(Boolean).join(': ');
  const text = `Meta error ${metaPlatformCode(e) ?? '?'} (${verdict.meaning}): ${e.message ?? 'no message'}${user ? ` — ${user}` : ''}${e.fbtrace_id ? ` [fbtrace_id ${e.fbtrace_id}]` : ''}`;
  const platformCode = metaPlatformCode(e);
  return {
    error: new DeliveryError(verdict.kind, text.length > 600 ? `${text.slice(0, 600)}…` : text, {
      status: res.status,
      ...(platformCode ? { platformCode } : {}),
      ...(retryAfterMs ? { retryAfterMs } : {}),
    }),
    graph: e,
  };
}

/**
 * Success is HTTP 2xx AND events_received equal to the events sent (our reading of https://developers.facebook.com/docs/marketing-api/conversions-api/using-the-api). A batch
 * rejected for one event (code 100) is split when Meta names the event: that one fails as
 * payload, the others are retried (they were not processed) and go out again without it.
 */
export function classifyResponse(res: PlatformResponse, items: readonly DeliveryItem[]): Outcome {
  if (res.status >= 200 && res.status < 300) {
    const body = parseJsonObject(res.body);
    const received = body?.events_received;
    if (received === items.length) {
      const trace = typeof body?.fbtrace_id === 'string' ? ` fbtrace_id ${body.fbtrace_id}` : '';
      return { ok: true, note: `events_received ${received}${trace}` };
    }
    // Unknown which ones arrived: re-send all; Meta de-duplicates event_id + event_name (48 h).
    const got = typeof received === 'number' ? String(received) : 'no count';
    return {
      ok: false,
      error: new DeliveryError('transient', `Meta acknowledged ${got} of ${items.length} events; re-sending (event_id de-duplicates)`, { status: res.status }),
    };
  }
  const { error, graph } = graphError(res);
  if (error.kind === 'payload' && graph && items.length > 1) {
    const blamed = blamedEventIndex(graph, items.length);
    if (blamed !== null) {
      const retry = new DeliveryError('transient', `not processed: Meta rejected the batch because of event ${blamed}; re-sent without it`, {
        status: res.status,
        ...(error.platformCode ? { platformCode: error.platformCode } : {}),
      });
      return items.map((_, i) => ({ ok: false as const, error: i === blamed ? error : retry }));
    }
  }
  return { ok: false, error };
}

/**
 * Meta Conversions API (CAPI) through facebook-nodejs-business-sdk's server-side objects. No
 * custom `send`: the request is complete after `build`, so the engine's HttpClient sends it
 * (timeout, base URL and redaction included) and the SDK never opens a socket.
 */
export const meta = defineConnector({
  id: 'meta',
  displayName: 'Meta Conversions API',
  apiVersion: META_API_VERSION,
  settings: metaSettingsSchema,
  credentials: metaCredentialsSchema,
  // 1,000 events per request (using-the-api). Meta answers most requests in <600 ms and
  // suggests a short client timeout; 10 s leaves room for a full batch.
  limits: { maxBatch: META_MAX_BATCH, timeoutMs: 10_000 },
  validate: validateItem,
  build: buildEventsRequest,
  identifiersSent: metaIdentifiersSent,
  // The SDK only when a Meta destination is configured (sdk.ts).
  load: () => void metaSdk(),
  signals: ['fbc', 'fbp', 'ip', 'user_agent', 'email', 'phone', 'first_name', 'last_name', 'external_id'],
  classify: (response, _request, items) => classifyResponse(response, items),
  /** Reads the pixel with the token: proves the token is valid and can see this dataset. */
  async verify(io, ctx) {
    const { baseUrl, apiVersion, pixelId } = ctx.settings;
    const { accessToken, appSecret } = ctx.credentials;
    const proof = appSecret ? `&appsecret_proof=${createHmac('sha256', appSecret).update(accessToken).digest('hex')}` : '';
    const res = await io.http.send(
      {
        method: 'GET',
        url: `${baseUrl}/${apiVersion}/${encodeURIComponent(pixelId)}?fields=id,name${proof}`,
        // Header, not ?access_token=: URLs end up in logs.
        headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
      },
      { timeoutMs: io.timeoutMs },
    );
    if (res.status >= 200 && res.status < 300) return;
    throw graphError(res).error;
  },
});
