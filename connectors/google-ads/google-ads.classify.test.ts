import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DeliveryError, type ItemOutcome, type Outcome, type PlatformResponse } from '../../src/connector-kit';
import { contextFixture, itemFixture } from './fixtures';
import { googleAds } from './index';

const items = [itemFixture(), itemFixture(undefined, { deliveryId: 'd2', dedupKey: 'k2' }), itemFixture(undefined, { deliveryId: 'd3', dedupKey: 'k3' })];
const request = googleAds.build(items, contextFixture());
const testRequest = googleAds.build(items, contextFixture({}, {}, { test: true }));
const res = (status: number, body: unknown): PlatformResponse => ({
  status,
  headers: {},
  body: typeof body === 'string' ? body : JSON.stringify(body),
  durationMs: 3,
});
const classify = (status: number, body: unknown, req = request): Outcome => googleAds.classify(res(status, body), req, items);

/** One line per item: "ok", "ok: note" or "kind CODE". */
function summary(outcome: Outcome): string[] {
  const list: ItemOutcome[] = Array.isArray(outcome) ? outcome : items.map(() => outcome);
  return list.map((o) => (o.ok ? (o.note ? `ok: ${o.note}` : 'ok') : `${o.error.kind} ${o.error.platformCode ?? ''}`.trim()));
}
const pfe = (errors: unknown[]) => ({ results: [], partial_failure_error: { code: 3, message: 'x', errors } });

describe('google-ads classify: answered (status 200)', () => {
  it('no partial failure → every conversion delivered', () => {
    assert.deepEqual(classify(200, { results: [{}, {}, {}] }), { ok: true });
  });
  it('validate_only → delivered, with a note that nothing was recorded', () => {
    assert.deepEqual(summary(classify(200, {}, testRequest)), Array(3).fill('ok: validate_only: checked by Google, nothing recorded'));
  });
  it('a failure on row 2 of 3 fails that delivery only', () => {
    const out = classify(200, pfe([{ index: 1, type: 'conversion_upload_error', error_code: 'UNPARSEABLE_GCLID', message: 'bad gclid' }]));
    assert.deepEqual(summary(out), ['ok', 'payload UNPARSEABLE_GCLID', 'ok']);
    const failed = (out as ItemOutcome[])[1];
    assert.ok(failed && !failed.ok && failed.error.message === 'Google Ads UNPARSEABLE_GCLID: bad gclid');
  });
  it('a duplicate is success ("already recorded"); too recent retries in 6 h', () => {
    const out = classify(
      200,
      pfe([
        { index: 0, type: 'conversion_upload_error', error_code: 'ORDER_ID_ALREADY_IN_USE', message: '' },
        { index: 2, type: 'conversion_upload_error', error_code: 'TOO_RECENT_EVENT', message: '' },
      ]),
    );
    assert.deepEqual(summary(out), ['ok: already recorded (ORDER_ID_ALREADY_IN_USE)', 'ok', 'transient TOO_RECENT_EVENT']);
    const later = (out as ItemOutcome[])[2];
    assert.equal(later && !later.ok && later.error.retryAfterMs, 6 * 3_600_000);
  });
  it('several errors on one row: the most serious decides', () => {
    const out = classify(
      200,
      pfe([
        { index: 0, type: 'conversion_upload_error', error_code: 'CLICK_CONVERSION_ALREADY_EXISTS', message: '' },
        { index: 0, type: 'conversion_upload_error', error_code: 'NO_CONVERSION_ACTION_FOUND', message: '' },
      ]),
    );
    assert.deepEqual(summary(out), ['config NO_CONVERSION_ACTION_FOUND', 'ok', 'ok']);
  });
  it('an error naming no row concerns every row', () => {
    const out = classify(200, pfe([{ type: 'not_allowlisted_error', error_code: 'CUSTOMER_NOT_ALLOWLISTED_FOR_THIS_FEATURE', message: 'no' }]));
    assert.deepEqual(summary(out), Array(3).fill('config CUSTOMER_NOT_ALLOWLISTED_FOR_THIS_FEATURE'));
  });
  it('a partial failure without decodable details retries everything (order_id makes that safe)', () => {
    assert.deepEqual(summary(classify(200, { partial_failure_error: { code: 3, message: 'x', errors: [] } })), Array(3).fill('transient'));
  });
  it('an unreadable 200 retries', () => {
    assert.deepEqual(summary(classify(200, 'not json')), Array(3).fill('transient'));
  });
});

describe('google-ads classify: refused (RPC error)', () => {
  it('CUSTOMER_NOT_ALLOWLISTED_FOR_THIS_FEATURE → config, pointing at google-data-manager', () => {
    const out = classify(403, {
      grpc_code: 7,
      grpc_status: 'PERMISSION_DENIED',
      message: 'denied',
      errors: [{ type: 'not_allowlisted_error', error_code: 'CUSTOMER_NOT_ALLOWLISTED_FOR_THIS_FEATURE', message: 'not allowlisted' }],
    });
    assert.ok(!Array.isArray(out) && !out.ok);
    assert.equal(out.error.kind, 'config');
    assert.equal(out.error.status, 403);
    assert.match(out.error.message, /google-data-manager connector/);
  });
  it("authentication → auth; quota → rate_limited with Google's delay; internal → transient", () => {
    const one = (type: string, error_code: string, grpc_code: number, extra = {}) =>
      classify(400, { grpc_code, errors: [{ type, error_code, message: '', ...extra }] }) as ItemOutcome;
    const auth = one('authentication_error', 'OAUTH_TOKEN_EXPIRED', 16);
    const quota = one('quota_error', 'RESOURCE_EXHAUSTED', 8, { retry_delay_ms: 42_000 });
    const internal = one('internal_error', 'INTERNAL_ERROR', 13);
    assert.deepEqual(
      [auth, quota, internal].map((o) => !o.ok && o.error.kind),
      ['auth', 'rate_limited', 'transient'],
    );
    assert.equal(!quota.ok && quota.error.retryAfterMs, 42_000);
  });
  it('request refused because of named rows: those rows fail, the others are retried', () => {
    const out = classify(400, {
      grpc_code: 3,
      errors: [{ index: 2, type: 'date_error', error_code: 'INVALID_STRING_DATE_TIME_SECONDS_WITH_OFFSET', message: '' }],
    });
    assert.deepEqual(summary(out), ['transient', 'transient', 'payload INVALID_STRING_DATE_TIME_SECONDS_WITH_OFFSET']);
  });
  it('gRPC status alone: UNAVAILABLE and DEADLINE_EXCEEDED retry, UNAUTHENTICATED pauses', () => {
    const cases: Array<[number, number, string]> = [
      [503, 14, 'transient UNAVAILABLE'],
      [504, 4, 'transient DEADLINE_EXCEEDED'],
      [429, 8, 'rate_limited RESOURCE_EXHAUSTED'],
      [401, 16, 'auth UNAUTHENTICATED'],
    ];
    for (const [status, grpc_code, want] of cases) assert.deepEqual(summary(classify(status, { grpc_code, message: 'm' })), Array(3).fill(want));
  });
});

describe('google-ads classify never throws', () => {
  const bodies: unknown[] = [
    '',
    'null',
    '[]',
    '<html>502</html>',
    '{"grpc_code":"x"}',
    { errors: [{}] },
    { partial_failure_error: 'x' },
    { grpc_code: 7, errors: [{ error_code: 5 }] },
    'a'.repeat(10_000),
  ];
  for (const status of [0, 200, 204, 400, 401, 403, 404, 429, 500, 502, 503, 504, 599]) {
    it(`HTTP-equivalent ${status}`, () => {
      for (const body of bodies) {
        const out = classify(status, body);
        const list = Array.isArray(out) ? out : [out];
        for (const o of list) assert.ok(o.ok || o.error instanceof DeliveryError);
        if (status === 429 && typeof body === 'string') assert.deepEqual(summary(out)[0], 'rate_limited');
        if (status >= 500 && typeof body === 'string') assert.deepEqual(summary(out)[0], 'transient');
      }
    });
  }
});
