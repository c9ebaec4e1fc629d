import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DeliveryError } from '../../src/connector-kit';
import { createRegistry } from '../../src/connector-kit/registry';
import { connectors } from '../index';
import { CODE_RULES, errorForEntry, errorForGrpc, ruleFor } from './errors';
import { clickFixture, contextFixture, conversionFixture, FIXTURE_NOW, itemFixture } from './fixtures';
import { googleAds } from './index';
import { conversionTimeMs, pickGoogleClickId, validateGoogleItem as validateItem } from '../_shared/google';
import { buildRequest } from './map';
import { googleAdsCredentialsSchema, googleAdsSettingsSchema } from './schema';

const withIds = (ids: Record<string, string>) => itemFixture(conversionFixture({ click: clickFixture({ platformClickIds: ids }) }));

describe('google-ads click id', () => {
  const cases: Array<[string, Record<string, string>, string | null]> = [
    ['gclid only', { gclid: 'G1' }, 'gclid=G1'],
    ['gbraid only', { gbraid: 'B1' }, 'gbraid=B1'],
    ['wbraid only', { wbraid: 'W1' }, 'wbraid=W1'],
    ['gclid wins over a braid', { gbraid: 'B1', gclid: 'G1' }, 'gclid=G1'],
    ['gbraid wins over wbraid (never both)', { wbraid: 'W1', gbraid: 'B1' }, 'gbraid=B1'],
    ['blank values do not count', { gclid: '  ', wbraid: 'W1' }, 'wbraid=W1'],
    ['other platforms only', { fbclid: 'F1', ttclid: 'T1' }, null],
  ];
  for (const [name, ids, want] of cases) {
    it(name, () => {
      const got = pickGoogleClickId(withIds(ids));
      assert.equal(got ? `${got.param}=${got.value}` : null, want);
      if (want === null) return;
      const row = JSON.parse(googleAds.build([withIds(ids)], contextFixture()).body ?? '{}').conversions[0];
      assert.deepEqual(
        ['gclid', 'gbraid', 'wbraid'].filter((k) => k in row).map((k) => `${k}=${row[k]}`),
        [want],
        'exactly one id in the row',
      );
    });
  }
});

describe('google-ads validate', () => {
  it('refuses a conversion without a Google click id, and an unmatched one', () => {
    for (const item of [withIds({ fbclid: 'F1' }), itemFixture(conversionFixture({ click: null, matched: false }))]) {
      const err = validateItem(item);
      assert.ok(err instanceof DeliveryError);
      assert.equal(err.kind, 'payload');
      assert.match(err.message, /^no Google click id/);
    }
  });
  it('refuses a payout that is not a decimal and an unknown currency; accepts no payout at all', () => {
    assert.equal(validateItem(itemFixture(conversionFixture({ payout: '12,50' })))?.kind, 'payload');
    assert.equal(validateItem(itemFixture(conversionFixture({ currency: 'XXZ' })))?.platformCode, 'INVALID_CURRENCY');
    assert.equal(validateItem(itemFixture(conversionFixture({ payout: null, currency: 'XXZ' }))), null);
    assert.equal(validateItem(itemFixture()), null);
  });
});

describe('google-ads conversion time', () => {
  const click = FIXTURE_NOW - 3_600_000;
  const cases: Array<[string, number, string, string]> = [
    ['after the click: as received, UTC by default', FIXTURE_NOW, 'UTC', '2026-01-15 12:00:00+00:00'],
    ['account time zone with its winter offset', FIXTURE_NOW, 'America/New_York', '2026-01-15 07:00:00-05:00'],
    ['half-hour offset', FIXTURE_NOW, 'Asia/Kolkata', '2026-01-15 17:30:00+05:30'],
    ['before the click: clamped to click + 1 s', click - 5_000, 'UTC', '2026-01-15 11:00:01+00:00'],
    ['same instant as the click (direct mode): click + 1 s', click, 'UTC', '2026-01-15 11:00:01+00:00'],
  ];
  for (const [name, receivedAt, timeZone, want] of cases) {
    it(name, () => {
      const item = itemFixture(conversionFixture({ receivedAt, click: clickFixture({ createdAt: click }) }));
      assert.ok(conversionTimeMs(item) >= click + 1000 || receivedAt > click);
      const body = JSON.parse(buildRequest([item], contextFixture({ timeZone })).body ?? '{}');
      assert.equal(body.conversions[0].conversion_date_time, want);
    });
  }
});

describe('google-ads build', () => {
  it('describes the gRPC upload exactly', () => {
    const req = googleAds.build([itemFixture()], contextFixture({ loginCustomerId: '999-888-7777' }, { developer_token: 'devtok-123' }));
    assert.deepEqual(req, {
      method: 'POST',
      url: 'https://googleads.googleapis.com:443/google.ads.googleads.v25.services.ConversionUploadService/UploadClickConversions',
      headers: {
        'content-type': 'application/grpc',
        'x-goog-request-params': 'customer_id=1234567890',
        'login-customer-id': '9998887777',
        'developer-token': 'devtok-123',
      },
      body: JSON.stringify({
        customer_id: '1234567890',
        conversions: [
          {
            gclid: 'Cj0KCQ-gclid',
            conversion_action: 'customers/1234567890/conversionActions/555',
            conversion_date_time: '2026-01-15 11:59:00+00:00',
            conversion_value: 12.5,
            currency_code: 'USD',
            order_id: 'dk_conv_01_dest_01',
          },
        ],
        partial_failure: true,
        validate_only: false,
      }),
    });
  });
  it('is deterministic: the clock and the attempt number change nothing', () => {
    const a = googleAds.build([itemFixture()], contextFixture());
    const b = googleAds.build([itemFixture(undefined, { attempt: 4 })], { ...contextFixture(), now: FIXTURE_NOW + 86_400_000 });
    assert.equal(JSON.stringify(a), JSON.stringify(b));
  });
  it('validate_only for test deliveries and when the setting asks; never a developer token header without one', () => {
    const body = (ctx: ReturnType<typeof contextFixture>) => JSON.parse(googleAds.build([itemFixture()], ctx).body ?? '{}');
    assert.equal(body(contextFixture({}, {}, { test: true })).validate_only, true);
    assert.equal(body(contextFixture({ validateOnly: true })).validate_only, true);
    const headers = googleAds.build([itemFixture()], contextFixture()).headers;
    assert.ok(!('developer-token' in headers) && !('login-customer-id' in headers));
  });
  it('leaves value and currency out when the postback had no payout; batches keep item order', () => {
    const items = [itemFixture(conversionFixture({ payout: null })), itemFixture(undefined, { dedupKey: 'dk2' })];
    const rows = JSON.parse(googleAds.build(items, contextFixture()).body ?? '{}').conversions;
    assert.ok(!('conversion_value' in rows[0]) && !('currency_code' in rows[0]));
    assert.deepEqual(
      rows.map((r: { order_id: string }) => r.order_id),
      ['dk_conv_01_dest_01', 'dk2'],
    );
  });
  it('shows a plain-text loopback endpoint as http://', () => {
    const req = googleAds.build([itemFixture()], contextFixture({ endpoint: { host: '::1', port: 5000, insecure: true } }));
    assert.equal(req.url, 'http://[::1]:5000/google.ads.googleads.v25.services.ConversionUploadService/UploadClickConversions');
  });
});

describe('google-ads errors table', () => {
  const kind = (type: string, error_code: string) => errorForEntry({ type, error_code, message: 'm' })?.kind ?? 'ok';
  const cases: Array<[string, string, string]> = [
    ['conversion_upload_error', 'ORDER_ID_ALREADY_IN_USE', 'ok'],
    ['conversion_upload_error', 'DUPLICATE_ORDER_ID', 'ok'],
    ['conversion_upload_error', 'CLICK_CONVERSION_ALREADY_EXISTS', 'ok'],
    ['conversion_upload_error', 'DUPLICATE_CLICK_CONVERSION_IN_REQUEST', 'ok'],
    ['conversion_upload_error', 'TOO_RECENT_EVENT', 'transient'],
    ['conversion_upload_error', 'TOO_RECENT_CONVERSION_ACTION', 'transient'],
    ['not_allowlisted_error', 'CUSTOMER_NOT_ALLOWLISTED_FOR_THIS_FEATURE', 'config'],
    ['conversion_upload_error', 'NO_CONVERSION_ACTION_FOUND', 'config'],
    ['conversion_upload_error', 'UNPARSEABLE_GCLID', 'payload'],
    ['conversion_upload_error', 'EXPIRED_EVENT', 'payload'],
    ['conversion_upload_error', 'CONVERSION_PRECEDES_EVENT', 'payload'],
    ['conversion_upload_error', 'CLICK_NOT_FOUND', 'payload'],
    ['authentication_error', 'OAUTH_TOKEN_REVOKED', 'auth'],
    ['authentication_error', 'CUSTOMER_NOT_FOUND', 'config'],
    ['authorization_error', 'USER_PERMISSION_DENIED', 'auth'],
    ['quota_error', 'RESOURCE_EXHAUSTED', 'rate_limited'],
    ['quota_error', 'RESOURCE_TEMPORARILY_EXHAUSTED', 'rate_limited'],
    ['internal_error', 'INTERNAL_ERROR', 'transient'],
    ['internal_error', 'TRANSIENT_ERROR', 'transient'],
    ['header_error', 'INVALID_LOGIN_CUSTOMER_ID', 'config'],
    ['database_error', 'CONCURRENT_MODIFICATION', 'transient'],
    ['conversion_upload_error', 'SOMETHING_NEW_IN_V27', 'payload'],
    ['brand_new_error_family', 'WHATEVER', 'payload'],
  ];
  for (const [type, code, want] of cases) it(`${type}.${code} → ${want}`, () => assert.equal(kind(type, code), want));

  it('every enum name in the table maps to a known kind', () => {
    for (const [code, rule] of Object.entries(CODE_RULES))
      assert.ok(['duplicate', 'transient', 'rate_limited', 'auth', 'config', 'payload'].includes(rule.kind), code);
    assert.equal(ruleFor({ type: 'x', error_code: 'y' }).kind, 'payload', 'tested default');
  });
  it('too recent → retry after 6 h; quota → Google retry delay; not allowlisted → points at google-data-manager', () => {
    assert.equal(errorForEntry({ type: 'conversion_upload_error', error_code: 'TOO_RECENT_EVENT', message: '' })?.retryAfterMs, 6 * 3_600_000);
    assert.equal(errorForEntry({ type: 'quota_error', error_code: 'RESOURCE_EXHAUSTED', message: '', retry_delay_ms: 30_000 })?.retryAfterMs, 30_000);
    const e = errorForEntry({ type: 'not_allowlisted_error', error_code: 'CUSTOMER_NOT_ALLOWLISTED_FOR_THIS_FEATURE', message: 'Customer is not allowlisted' });
    assert.match(
      e?.message ?? '',
      /^Google Ads CUSTOMER_NOT_ALLOWLISTED_FOR_THIS_FEATURE: Customer is not allowlisted — .*use the google-data-manager connector/i,
    );
    assert.equal(e?.platformCode, 'CUSTOMER_NOT_ALLOWLISTED_FOR_THIS_FEATURE');
  });
  it('gRPC status without a GoogleAdsFailure', () => {
    const cases: Array<[number, string]> = [
      [14, 'transient'],
      [4, 'transient'],
      [8, 'rate_limited'],
      [16, 'auth'],
      [7, 'auth'],
      [13, 'transient'],
      [3, 'payload'],
      [99, 'transient'],
    ];
    for (const [code, want] of cases) assert.equal(errorForGrpc(code, 'x').kind, want, String(code));
    assert.equal(errorForGrpc(14, 'No connection established').message, 'Google Ads gRPC UNAVAILABLE: No connection established');
  });
});

describe('google-ads settings and credentials', () => {
  const issues = (input: unknown) => {
    const r = googleAdsSettingsSchema.safeParse(input);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };
  it('normalises ids and applies defaults', () => {
    assert.deepEqual(googleAdsSettingsSchema.parse({ customerId: '123-456-7890', conversionActionId: 555 }), {
      customerId: '1234567890',
      conversionActionId: '555',
      timeZone: 'UTC',
      validateOnly: false,
      endpoint: { host: 'googleads.googleapis.com', port: 443, insecure: false },
      tokenUrl: 'https://oauth2.googleapis.com/token',
    });
  });
  it('refuses clear-text gRPC or token traffic to anything but loopback', () => {
    const base = { customerId: '1234567890', conversionActionId: '1' };
    assert.equal(issues({ ...base, endpoint: { host: 'googleads.googleapis.com', insecure: true } }).length, 1);
    assert.equal(issues({ ...base, tokenUrl: 'http://oauth2.googleapis.com/token' }).length, 1);
    assert.deepEqual(issues({ ...base, endpoint: { host: '127.0.0.1', port: 5000, insecure: true }, tokenUrl: 'http://127.0.0.1:9/token' }), []);
  });
  it('names the bad field', () => {
    assert.deepEqual(issues({ customerId: '12345', conversionActionId: 'customers/1/conversionActions/2', timeZone: 'Mars/Olympus' }), [
      'customerId: a Google Ads customer id has 10 digits (dashes allowed: 123-456-7890)',
      'conversionActionId: conversionActionId is the numeric id (digits only)',
      'timeZone: timeZone must be an IANA zone (Europe/Paris) or an offset (+02:00)',
    ]);
    const r = googleAdsCredentialsSchema.safeParse({ client_id: 'a' });
    assert.deepEqual(r.success ? [] : r.error.issues.map((i) => i.message), ['client_secret is required', 'refresh_token is required']);
  });
  it('is registered under its folder name with the documented limits', () => {
    assert.equal(createRegistry(connectors).get('google-ads'), googleAds);
    assert.equal(googleAds.limits.maxBatch, 2000);
  });
});
