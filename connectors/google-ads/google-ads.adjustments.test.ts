import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Adjustment, PlatformResponse } from '../../src/connector-kit';
import { classifyAdjustments } from './adjust-classify';
import { buildAdjustmentRequest, toConversionAdjustment, validateAdjustment } from './adjust-map';
import { contextFixture, conversionFixture, FIXTURE_NOW, itemFixture } from './fixtures';
import { googleAds, googleAdsAdjustments } from './index';
import { buildRequest } from './map';

const adjustment = (over: Partial<Adjustment> = {}): Adjustment => ({ type: 'retraction', at: FIXTURE_NOW + 3_600_000, of: 'd-1', ...over });
const item = (adj: Adjustment, conversion = conversionFixture()) => itemFixture(conversion, { adjustment: adj, dedupKey: 'order-abc' });

describe('google-ads adjustments: build (pure)', () => {
  it('a retraction names the conversion by the order_id it was uploaded with, never with gclid_date_time_pair', () => {
    const req = buildAdjustmentRequest([item(adjustment())], contextFixture({ timeZone: 'Europe/Paris' }));
    const body = JSON.parse(req.body ?? '{}');
    assert.match(req.url, /\/google\.ads\.googleads\.v25\.services\.ConversionAdjustmentUploadService\/UploadConversionAdjustments$/);
    assert.equal(body.customer_id, '1234567890');
    assert.equal(body.partial_failure, true);
    assert.equal(body.validate_only, false);
    const [row] = body.conversion_adjustments;
    assert.deepEqual(Object.keys(row).sort(), ['adjustment_date_time', 'adjustment_type', 'conversion_action', 'order_id']);
    assert.equal(row.adjustment_type, 'RETRACTION');
    assert.equal(row.order_id, 'order-abc');
    assert.equal(row.conversion_action, 'customers/1234567890/conversionActions/555');
  });

  it('the same order_id as the upload of the same delivery', () => {
    const conversion = conversionFixture();
    const upload = JSON.parse(buildRequest([itemFixture(conversion, { dedupKey: 'order-abc' })], contextFixture()).body ?? '{}').conversions[0];
    assert.equal(toConversionAdjustment(item(adjustment(), conversion), contextFixture().settings).order_id, upload.order_id);
  });

  it('adjustment_date_time: the queued time, in the account time zone with its offset, after the conversion time', () => {
    const ctx = contextFixture({ timeZone: '+05:30' });
    const at = Date.UTC(2026, 10, 3, 10, 0, 7, 500);
    const row = toConversionAdjustment(item(adjustment({ at }), conversionFixture({ receivedAt: at - 60_000 })), ctx.settings);
    assert.equal(row.adjustment_date_time, '2026-11-03 15:30:07+05:30');
    // Queued within the conversion's own second (or with a clock behind it): one second after it.
    const same = toConversionAdjustment(item(adjustment({ at: at - 60_000 }), conversionFixture({ receivedAt: at })), ctx.settings);
    assert.equal(same.adjustment_date_time, '2026-11-03 15:30:08+05:30');
  });

  it('a restatement carries restatement_value: the new payout as a number and its currency', () => {
    const row = toConversionAdjustment(item(adjustment({ type: 'restatement', value: '20.50', currency: 'eur' })), contextFixture().settings);
    assert.equal(row.adjustment_type, 'RESTATEMENT');
    assert.deepEqual(row.restatement_value, { adjusted_value: 20.5, currency_code: 'EUR' });
  });

  it('validate refuses a restatement without a usable value, before the batch', () => {
    const err = validateAdjustment(item(adjustment({ type: 'restatement', value: 'twenty' })), contextFixture());
    assert.equal(err?.kind, 'payload');
    assert.equal(err?.platformCode, 'INVALID_VALUE');
    assert.equal(validateAdjustment(item(adjustment()), contextFixture()), null);
  });

  it('test mode and validateOnly send validate_only', () => {
    assert.equal(JSON.parse(buildAdjustmentRequest([item(adjustment())], contextFixture({}, {}, { test: true })).body ?? '{}').validate_only, true);
    assert.equal(JSON.parse(buildAdjustmentRequest([item(adjustment())], contextFixture({ validateOnly: true })).body ?? '{}').validate_only, true);
  });

  it('the connector declares both corrections; other connectors declare none', () => {
    assert.equal(googleAds.adjustments, googleAdsAdjustments);
    assert.deepEqual(googleAdsAdjustments.adjustmentTypes, ['retraction', 'restatement']);
  });
});

describe('google-ads adjustments: classify', () => {
  const answer = (errors: Array<{ index?: number; type: string; error_code: string }>): PlatformResponse => ({
    status: 200,
    headers: {},
    body: JSON.stringify({ results: [], partial_failure_error: { code: 3, message: 'x', errors: errors.map((e) => ({ message: '', ...e })) } }),
    durationMs: 1,
  });
  const req = buildAdjustmentRequest([item(adjustment()), item(adjustment())], contextFixture());
  const items = [item(adjustment()), item(adjustment())];
  const err = (code: string, type = 'conversion_adjustment_upload_error') => classifyAdjustments(answer([{ index: 0, type, error_code: code }]), req, items);

  it('already retracted, the same restatement again, a newer restatement: success with a note', () => {
    for (const code of ['CONVERSION_ALREADY_RETRACTED', 'RESTATEMENT_ALREADY_EXISTS', 'MORE_RECENT_RESTATEMENT_FOUND', 'DUPLICATE_ADJUSTMENT_IN_REQUEST']) {
      const [first, second] = err(code) as Array<{ ok: boolean; note?: string }>;
      assert.equal(first?.ok, true, code);
      assert.match(first?.note ?? '', new RegExp(code));
      assert.deepEqual(second, { ok: true });
    }
  });

  it('a conversion Google never recorded, an expired one: this correction only (payload)', () => {
    for (const code of ['CONVERSION_NOT_FOUND', 'CONVERSION_EXPIRED', 'ADJUSTMENT_PRECEDES_CONVERSION']) {
      const [first, second] = err(code) as Array<{ ok: boolean; error?: { kind: string; platformCode?: string } }>;
      assert.equal(first?.error?.kind, 'payload', code);
      assert.equal(first?.error?.platformCode, code);
      assert.equal(second?.ok, true);
    }
  });

  it('a conversion action that always uses its default value cannot be restated: config (paused, with the fix)', () => {
    const [first] = err('CANNOT_RESTATE_CONVERSION_ACTION_THAT_ALWAYS_USES_DEFAULT_CONVERSION_VALUE') as Array<{
      ok: boolean;
      error?: { kind: string; message: string };
    }>;
    assert.equal(first?.error?.kind, 'config');
    assert.match(first?.error?.message ?? '', /Use different values for each conversion/);
  });
});
