import type { ConversionRecord } from '../conversions/conversion';
import type { AttemptRow, DeliveryRow } from '../store/ledger';

/**
 * The API's JSON shapes (snake_case, as openapi.yaml documents them). The click's ip and user
 * agent stay in the ledger for the platforms that need them; the admin API does not show them.
 */
export function conversionView(c: ConversionRecord) {
  return {
    id: c.id, source: c.source, transaction_id: c.transactionId, event: c.event, status: c.status, payout: c.payout,
    currency: c.currency, offer_id: c.offerId, click_id: c.clickId, matched: c.matched,
    click: c.click
      ? { id: c.click.id, link: c.click.link, platform: c.click.platform, platform_click_param: c.click.platformClickParam,
          platform_click_id: c.click.platformClickId, fbc: c.click.fbc, landing_url: c.click.landingUrl, subs: c.click.subs, created_at: c.click.createdAt }
      : null,
    params: c.params,
    // Which hashed identifiers exist, not the hashes: a hash of an email is still personal data.
    identifiers: Object.keys(c.identifiers ?? {}), warnings: c.warnings ?? [],
    received_at: c.receivedAt, updated_at: c.updatedAt,
  };
}

export function deliveryView(d: DeliveryRow) {
  return {
    id: d.id, conversion_id: d.conversionId, destination: d.destinationId, connector: d.connector, dedup_key: d.dedupKey,
    status: d.status, attempt_count: d.attempts, max_attempts: d.maxAttempts, next_attempt_at: d.status === 'pending' ? d.nextAttemptAt : null,
    last_error: d.lastError, last_kind: d.lastKind, created_at: d.createdAt, updated_at: d.updatedAt,
  };
}

export function attemptView(a: AttemptRow) {
  return {
    attempt: a.attempt, started_at: a.startedAt, duration_ms: a.durationMs, request: a.request, response_status: a.responseStatus,
    response_body: a.responseBody, outcome: a.outcome, error_kind: a.errorKind, error_message: a.errorMessage, platform_code: a.platformCode, note: a.note,
    next_step: a.nextStep, next_attempt_at: a.nextAttemptAt,
  };
}
