import { classifyPartnerResponse } from '../../connectors/partner-postback/index';
import { renderPartnerHtml } from '../../connectors/partner-postback/macros';
import { ApiError } from '../api-error';
import { toDeliveryError } from '../connector-kit/delivery-error';
import type { HttpClient, PlatformRequest, PlatformResponse } from '../connector-kit/http-types';
import { createRedactor } from '../connector-kit/redact';
import { newId } from '../ids';
import type { AttemptRow, Ledger } from '../store/ledger';
import type { NetworkDirectory } from './directory';
import { postbackDestinationId, type PartnerPostback } from './model';
import type { NetworkStore, ReportQuery, ReportRow } from '../store/network/network-store';

const BODY_KEPT = 2048;

/**
 * What the report and the test tool show per attempt (Everflow's "View Debug Info",
 * https://helpdesk.everflow.io/customer/partner-postback-report).
 */
export interface DebugInfo {
  attempt: number;
  url: string | null;
  method: string | null;
  http_status: number | null;
  response_body: string | null;
  duration_ms: number;
  error: string | null;
  outcome: 'succeeded' | 'failed';
  started_at: number;
}

export function debugOf(a: AttemptRow): DebugInfo {
  return {
    attempt: a.attempt,
    url: a.request?.url ?? null,
    method: a.request?.method ?? null,
    http_status: a.responseStatus,
    response_body: a.responseBody,
    duration_ms: a.durationMs,
    error: a.errorMessage,
    outcome: a.outcome,
    started_at: a.startedAt,
  };
}

export interface ToolDeps {
  store: NetworkStore;
  ledger: Ledger;
  directory: NetworkDirectory;
  /** The partner pool (same guard as every request): a test fire obeys the same target rules as a real one. */
  http: HttpClient;
  now: () => number;
}

/** The synthetic conversion of the test tool: every macro the postback's scope can know. */
function syntheticParams(p: PartnerPostback, at: number, given: Record<string, string>): Record<string, string> {
  const base: Record<string, string> = {
    transaction_id: newId(),
    conversion_id: newId(),
    offer_id: p.offerId ? String(p.offerId) : '',
    affiliate_id: p.partnerId ? String(p.partnerId) : '',
    payout: '1.5',
    revenue: '2.5',
    sale_amount: '10',
    currency: 'USD',
    timestamp: String(Math.floor(at / 1000)),
  };
  if (p.type === 'event' && p.eventId) base.event_id = String(p.eventId);
  return { ...base, ...given };
}

/** The test tool and the postback report. */
export function networkTools(deps: ToolDeps) {
  return {
    /**
     * Everflow's Test tool (https://helpdesk.everflow.io/en/articles/3974779-testing-partner-postbacks): fire
     * ONE request with a synthetic conversion and show
     * what happened. No retries, nothing recorded, the failure streak untouched; works on an
     * inactive or deactivated postback too, to check a fix before re-enabling (a network's postback guide,
     * https://www.ourdreamaiaffiliate.com/onboarding/postbacks).
     */
    async test(id: number, given: Record<string, string>) {
      const p = await deps.store.getPostback(id);
      if (!p || p.status === 'deleted') throw new ApiError(404, 'NOT_FOUND', `no postback ${id}`);
      const at = deps.now();
      const params = syntheticParams(p, at, given);
      if (p.deliveryMethod === 'html') return { postback_id: id, delivery_method: 'html', params, html: renderPartnerHtml(p.htmlCode ?? '', params) };
      const dest = deps.directory.directory.get(postbackDestinationId(id));
      if (!dest) throw new ApiError(409, 'NOT_TESTABLE', `postback ${id} has no URL to send to`);
      const conversion = {
        id: params.conversion_id ?? newId(),
        source: 'network-test',
        transactionId: params.transaction_id ?? '',
        event: 'test',
        status: 'approved' as const,
        payout: params.payout ?? null,
        currency: params.currency ?? 'USD',
        offerId: params.offer_id ?? null,
        clickId: null,
        matched: true,
        click: null,
        params,
        receivedAt: at,
        updatedAt: at,
      };
      const item = { deliveryId: 'test', dedupKey: 'test', attempt: 1, conversion };
      const ctx = { destinationId: dest.config.id, settings: dest.settings, credentials: dest.credentials, now: at, test: true };
      let request: PlatformRequest | null = null;
      let response: PlatformResponse | null = null;
      let error: string | null = null;
      const started = Date.now();
      try {
        const built = dest.connector.build([item], ctx);
        request = built;
        response = await deps.http.send(built, { timeoutMs: dest.connector.limits.timeoutMs });
        const outcome = classifyPartnerResponse(response);
        if (!outcome.ok) error = outcome.error.message;
      } catch (err) {
        error = toDeliveryError(err).message;
      }
      // A token in the partner's URL is redacted here as in the attempt records.
      const redact = createRedactor(dest.secrets);
      const debug: DebugInfo = {
        attempt: 1,
        url: request ? redact.request(request).url : null,
        method: request?.method ?? null,
        http_status: response?.status ?? null,
        response_body: response ? redact.text(response.body.slice(0, BODY_KEPT)) : null,
        duration_ms: response?.durationMs ?? Date.now() - started,
        error: error === null ? null : redact.text(error),
        outcome: error === null ? 'succeeded' : 'failed',
        started_at: at,
      };
      return { postback_id: id, delivery_method: 'postback', params, debug, request_body: request?.body === undefined ? null : redact.text(request.body) };
    },

    /**
     * The partner postback report (https://helpdesk.everflow.io/customer/partner-postback-report): one row
     * per fired postback, newest first.
     */
    async report(q: ReportQuery, withAttempts: boolean) {
      const rows = await deps.store.report(q);
      const attempts = await deps.ledger.listAttempts(rows.map((r) => r.deliveryId));
      const byDelivery = new Map<string, AttemptRow[]>();
      for (const a of attempts) byDelivery.set(a.deliveryId, [...(byDelivery.get(a.deliveryId) ?? []), a]);
      return rows.map((r: ReportRow) => {
        const list = byDelivery.get(r.deliveryId) ?? [];
        const last = list.at(-1);
        return {
          delivery_id: r.deliveryId,
          postback_id: r.postbackId,
          conversion_id: r.conversionId,
          transaction_id: r.transactionId,
          offer_id: r.offerId,
          partner_id: r.partnerId,
          type: r.kind,
          fired_at: r.createdAt,
          result: resultOf(r.status),
          delivery_status: r.status,
          attempt_count: r.attempts,
          next_attempt_at: r.status === 'pending' ? r.nextAttemptAt : null,
          debug: last ? debugOf(last) : null,
          ...(withAttempts ? { attempts: list.map(debugOf) } : {}),
        };
      });
    },
  };
}

function resultOf(status: string): 'success' | 'failure' | 'pending' | 'skipped' | 'cancelled' {
  if (status === 'succeeded') return 'success';
  if (status === 'dead') return 'failure';
  return status as 'pending' | 'skipped' | 'cancelled';
}
