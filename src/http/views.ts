import type { ClickRecord } from '../clicks/click';
import type { ConversionRecord } from '../conversions/conversion';
import type { AttemptRow, DeliveryRow, ReceivedPostback } from '../store/ledger';

/**
 * The API's JSON shapes (snake_case, as openapi.yaml documents them). The click's ip and user
 * agent stay in the ledger for the platforms that need them; the admin API does not show them.
 */
export function conversionView(c: ConversionRecord) {
  return {
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
    click: c.click ? clickView(c.click) : null,
    params: c.params,
    // Which hashed identifiers exist, not the hashes: a hash of an email is still personal data.
    identifiers: Object.keys(c.identifiers ?? {}),
    warnings: c.warnings ?? [],
    // The conversion's own signals (the postback's, else the click's); null = not said, so each
    // destination's default decides.
    consent: {
      ad_user_data: c.consent?.adUserData ?? null,
      ad_personalization: c.consent?.adPersonalization ?? null,
      limited_data_use: c.consent?.limitedDataUse ?? null,
    },
    received_at: c.receivedAt,
    updated_at: c.updatedAt,
  };
}

export function deliveryView(d: DeliveryRow) {
  return {
    id: d.id,
    conversion_id: d.conversionId,
    destination: d.destinationId,
    connector: d.connector,
    dedup_key: d.dedupKey,
    status: d.status,
    attempt_count: d.attempts,
    max_attempts: d.maxAttempts,
    next_attempt_at: d.status === 'pending' ? d.nextAttemptAt : null,
    last_error: d.lastError,
    last_kind: d.lastKind,
    created_at: d.createdAt,
    updated_at: d.updatedAt,
  };
}

export function attemptView(a: AttemptRow) {
  return {
    attempt: a.attempt,
    started_at: a.startedAt,
    duration_ms: a.durationMs,
    request: a.request,
    response_status: a.responseStatus,
    response_body: a.responseBody,
    ...(a.responseHeaders ? { response_headers: a.responseHeaders } : {}),
    outcome: a.outcome,
    error_kind: a.errorKind,
    error_message: a.errorMessage,
    platform_code: a.platformCode,
    note: a.note,
    next_step: a.nextStep,
    next_attempt_at: a.nextAttemptAt,
  };
}

export function clickView(c: ClickRecord) {
  return {
    id: c.id,
    link: c.link,
    platform: c.platform,
    platform_click_param: c.platformClickParam,
    platform_click_id: c.platformClickId,
    fbc: c.fbc,
    landing_url: c.landingUrl,
    subs: c.subs,
    created_at: c.createdAt,
  };
}

/** A row of GET /v1/conversions: the conversion without its params, its warnings and a summary of each delivery. */
export function conversionSummaryView(c: ConversionRecord, warnings: string[], deliveries: readonly DeliveryRow[]) {
  const { params: _params, ...rest } = conversionView(c);
  return {
    ...rest,
    warnings,
    deliveries: deliveries.map((d) => ({ destination: d.destinationId, status: d.status, attempt_count: d.attempts, last_kind: d.lastKind })),
  };
}
export type ConversionSummaryView = ReturnType<typeof conversionSummaryView>;

export function receivedPostbackView(p: ReceivedPostback) {
  return {
    id: p.id,
    source: p.source,
    received_at: p.receivedAt,
    outcome: p.outcome,
    http_status: p.httpStatus,
    code: p.code,
    message: p.message,
    params: p.params,
    conversion_id: p.conversionId,
  };
}
