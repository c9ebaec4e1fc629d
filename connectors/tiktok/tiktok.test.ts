import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DeliveryError, type ItemOutcome, type PlatformResponse } from '../../src/connector-kit';
import { createRegistry } from '../../src/connector-kit/registry';
import { clickFixture } from '../_shared/test-fixtures';
import { connectors } from '../index';
import { tiktokVerdict, TIKTOK_CODES } from './errors';
import { FIXTURE_NOW, TIKTOK_PIXEL, TIKTOK_TOKEN, TTCLID, tiktokContext, tiktokConversion, tiktokItem } from './fixtures';
import { tiktok } from './index';
import { TIKTOK_MAX_EVENT_AGE_MS, tiktokEventName } from './map';
import { tiktokCredentialsSchema, tiktokSettingsSchema } from './schema';

const res = (body: unknown, status = 200, headers: Record<string, string> = {}): PlatformResponse => ({
  status,
  headers,
  body: typeof body === 'string' ? body : JSON.stringify(body),
  durationMs: 3,
});
const req = () => tiktok.build([tiktokItem()], tiktokContext());

describe('tiktok build', () => {
  it('maps one conversion to the Events API 2.0 body', () => {
    const r = tiktok.build([tiktokItem()], tiktokContext());
    assert.equal(r.method, 'POST');
    assert.equal(r.url, 'https://business-api.tiktok.com/open_api/v1.3/event/track/');
    assert.deepEqual(r.headers, { 'access-token': TIKTOK_TOKEN, 'content-type': 'application/json' });
    assert.deepEqual(JSON.parse(r.body as string), {
      event_source: 'web',
      event_source_id: TIKTOK_PIXEL,
      data: [
        {
          event: 'CompletePayment',
          event_time: (FIXTURE_NOW - 60_000) / 1000,
          event_id: 'dk_tt_conv_01',
          user: { ttclid: TTCLID, ip: '203.0.113.7', user_agent: 'Mozilla/5.0 (X11; Linux x86_64)' },
          properties: { order_id: 'tx-9f8e', value: 12.5, currency: 'USD' },
          page: { url: `https://shop.example/landing?ttclid=${TTCLID}`, referrer: 'https://news.example/' },
        },
      ],
    });
  });

  it('batches items in order, one data entry each, with their own event_id', () => {
    const items = [1, 2, 3].map((n) => tiktokItem(tiktokConversion({ transactionId: `tx-${n}`, payout: `${n}.00` }), { dedupKey: `dk-${n}` }));
    const body = JSON.parse(tiktok.build(items, tiktokContext()).body as string);
    assert.deepEqual(
      body.data.map((e: { event_id: string; properties: { value: number } }) => [e.event_id, e.properties.value]),
      [
        ['dk-1', 1],
        ['dk-2', 2],
        ['dk-3', 3],
      ],
    );
  });

  it('omits value and currency without a payout, and page without a landing URL', () => {
    const conv = tiktokConversion({ payout: null });
    const click = conv.click && { ...conv.click, landingUrl: null };
    const body = JSON.parse(tiktok.build([tiktokItem({ ...conv, click })], tiktokContext()).body as string);
    assert.deepEqual(body.data[0].properties, { order_id: 'tx-9f8e' });
    assert.equal(body.data[0].page, undefined);
  });

  it('uses baseUrl without doubling slashes', () => {
    assert.equal(tiktok.build([tiktokItem()], tiktokContext({ baseUrl: 'http://127.0.0.1:9/' })).url, 'http://127.0.0.1:9/open_api/v1.3/event/track/');
  });

  const testCodeCases: Array<{ name: string; settings: Record<string, unknown>; test?: boolean; want: string | undefined }> = [
    { name: 'live delivery, no code configured', settings: {}, want: undefined },
    { name: 'live delivery ignores a configured code', settings: { testEventCode: 'TEST123' }, want: undefined },
    { name: 'test delivery sends the code', settings: { testEventCode: 'TEST123' }, test: true, want: 'TEST123' },
    { name: 'testAllEvents sends it on live deliveries', settings: { testEventCode: 'TEST123', testAllEvents: true }, want: 'TEST123' },
  ];
  for (const c of testCodeCases) {
    it(`test_event_code: ${c.name}`, () => {
      const ctx = tiktokContext(c.settings, c.test ? { test: true } : {});
      assert.equal(JSON.parse(tiktok.build([tiktokItem()], ctx).body as string).test_event_code, c.want);
    });
  }

  it('maps event names through eventMap, else defaultEvent', () => {
    const s = { eventMap: { lead: 'SubmitForm', conversion: 'PlaceAnOrder' }, defaultEvent: 'CompletePayment' };
    assert.equal(tiktokEventName('lead', s), 'SubmitForm');
    assert.equal(tiktokEventName('conversion', s), 'PlaceAnOrder');
    assert.equal(tiktokEventName('upsell', s), 'CompletePayment');
    assert.equal(tiktokEventName('constructor', s), 'CompletePayment', 'no prototype keys');
  });

  it('is deterministic and ignores attempt number', () => {
    const a = tiktok.build([tiktokItem()], tiktokContext());
    const b = tiktok.build([tiktokItem(undefined, { attempt: 4 })], { ...tiktokContext(), now: FIXTURE_NOW + 3_600_000 });
    assert.equal(a.body, b.body);
  });

  it('refuses an empty batch', () => {
    assert.throws(
      () => tiktok.build([], tiktokContext()),
      (e) => e instanceof DeliveryError && e.kind === 'payload',
    );
  });
});

describe('tiktok validate', () => {
  const noClick = clickFixture({ platformClickIds: {}, ip: null, userAgent: null });
  const cases: Array<{
    name: string;
    conv?: Parameters<typeof tiktokConversion>[0];
    settings?: Record<string, unknown>;
    test?: boolean;
    now?: number;
    error: RegExp | null;
  }> = [
    { name: 'a ttclid click passes', error: null },
    { name: 'no ttclid but ip/UA passes (TikTok matches on them)', conv: { click: clickFixture({ platformClickIds: {} }) }, error: null },
    {
      name: 'no ttclid with requireTtclid fails',
      conv: { click: clickFixture({ platformClickIds: {} }) },
      settings: { requireTtclid: true },
      error: /requireTtclid/,
    },
    { name: 'nothing to match on fails', conv: { click: noClick }, error: /nothing TikTok can match on/ },
    { name: 'unmatched conversion fails', conv: { click: null, matched: false }, error: /nothing TikTok can match on/ },
    { name: 'unknown currency fails', conv: { currency: 'XXX' }, error: /ISO 4217/ },
    { name: 'lower-case currency passes', conv: { currency: 'eur' }, error: null },
    { name: 'non-decimal payout fails', conv: { payout: '12,50' }, error: /not a decimal/ },
    { name: 'negative payout fails', conv: { payout: '-1' }, error: /negative/ },
    { name: 'null payout passes', conv: { payout: null }, error: null },
    { name: 'older than 28 days fails', now: FIXTURE_NOW + TIKTOK_MAX_EVENT_AGE_MS, error: /older than 28 days/ },
    { name: 'test without testEventCode fails', test: true, error: /testEventCode/ },
    { name: 'test with testEventCode passes', test: true, settings: { testEventCode: 'TEST1' }, error: null },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const ctx = tiktokContext(c.settings, { ...(c.test ? { test: true } : {}), ...(c.now ? { now: c.now } : {}) });
      const err = tiktok.validate?.(tiktokItem(tiktokConversion(c.conv)), ctx) ?? null;
      if (c.error === null) return assert.equal(err, null);
      assert.ok(err instanceof DeliveryError);
      assert.equal(err.kind, 'payload');
      assert.match(err.message, c.error);
    });
  }

  it('a lower-case currency goes out upper-cased', () => {
    const body = JSON.parse(tiktok.build([tiktokItem(tiktokConversion({ currency: 'eur' }))], tiktokContext()).body as string);
    assert.equal(body.data[0].properties.currency, 'EUR');
  });
});

describe('tiktok classify', () => {
  const one = (body: unknown, status = 200, headers: Record<string, string> = {}) => tiktok.classify(res(body, status, headers), req(), [tiktokItem()]);
  const cases: Array<{
    name: string;
    body: unknown;
    status?: number;
    headers?: Record<string, string>;
    kind: string | null;
    code?: string;
    retryAfterMs?: number;
  }> = [
    { name: 'code 0', body: { code: 0, message: 'OK', request_id: 'r1', data: {} }, kind: null },
    { name: 'duplicated request 40050 is recorded', body: { code: 40050, message: 'dup' }, kind: null },
    { name: '40100 app rate limit', body: { code: 40100, message: 'Too many requests' }, kind: 'rate_limited', code: '40100' },
    { name: '40016 app rate limit', body: { code: 40016, message: 'limit' }, kind: 'rate_limited', code: '40016' },
    { name: '40133 advertiser QPS', body: { code: 40133, message: 'qps' }, kind: 'rate_limited', code: '40133' },
    {
      name: '40132 pixel QPS with Retry-After',
      body: { code: 40132, message: 'qps' },
      headers: { 'retry-after': '3' },
      kind: 'rate_limited',
      code: '40132',
      retryAfterMs: 3000,
    },
    { name: '40102 token expired', body: { code: 40102, message: 'expired' }, kind: 'auth', code: '40102' },
    { name: '40104 token empty', body: { code: 40104, message: 'empty' }, kind: 'auth', code: '40104' },
    { name: '40105 token invalid', body: { code: 40105, message: 'invalid' }, kind: 'auth', code: '40105' },
    { name: '40001 no permission → config', body: { code: 40001, message: 'no permission' }, kind: 'config', code: '40001' },
    { name: '40000 invalid params', body: { code: 40000, message: 'bad' }, kind: 'payload', code: '40000' },
    { name: '40002 parameter error', body: { code: 40002, message: 'bad' }, kind: 'payload', code: '40002' },
    { name: '50000 system error', body: { code: 50000, message: 'x' }, kind: 'transient', code: '50000' },
    { name: '50002 processing error', body: { code: 50002, message: 'x' }, kind: 'transient', code: '50002' },
    { name: '60001 maintenance', body: { code: 60001, message: 'x' }, kind: 'transient', code: '60001' },
    { name: 'unknown 4xxxx → payload', body: { code: 41999, message: 'x' }, kind: 'payload', code: '41999' },
    { name: 'unknown 5xxxx → transient', body: { code: 51234, message: 'x' }, kind: 'transient', code: '51234' },
    { name: 'unknown other → transient', body: { code: 7, message: 'x' }, kind: 'transient', code: '7' },
    { name: 'HTTP 200 with HTML → transient', body: '<html>oops</html>', kind: 'transient' },
    { name: 'HTTP 200 empty → transient', body: '', kind: 'transient' },
    { name: 'HTTP 200 code as string → transient', body: { code: '0' }, kind: 'transient' },
    { name: 'HTTP 429 → rate_limited', body: 'slow down', status: 429, headers: { 'retry-after': '9' }, kind: 'rate_limited', retryAfterMs: 9000 },
    { name: 'HTTP 404 (path without trailing slash) → config', body: 'not found', status: 404, kind: 'config' },
    { name: 'HTTP 503 → transient', body: '', status: 503, kind: 'transient' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const out = one(c.body, c.status, c.headers);
      assert.ok(!Array.isArray(out));
      if (c.kind === null) return assert.equal(out.ok, true);
      assert.ok(!out.ok);
      assert.equal(out.error.kind, c.kind);
      assert.equal(out.error.platformCode, c.code);
      assert.equal(out.error.retryAfterMs, c.retryAfterMs);
    });
  }

  it('every table entry and the default are covered', () => {
    for (const code of Object.keys(TIKTOK_CODES)) assert.ok(tiktokVerdict(Number(code)));
    assert.deepEqual(tiktokVerdict(49999).verdict, 'payload');
    assert.deepEqual(tiktokVerdict(123).verdict, 'transient');
  });

  it('20001 fails only the events the body names, by event_id', () => {
    const items = ['a', 'b', 'c'].map((k) => tiktokItem(undefined, { dedupKey: `dk-${k}` }));
    const body = { code: 20001, message: 'Partial success', data: { failed_events: [{ event_id: 'dk-b', code: 40002, message: 'invalid ttclid' }] } };
    const out = tiktok.classify(res(body), req(), items) as ItemOutcome[];
    assert.equal(out.length, 3);
    assert.equal(out[0]?.ok, true);
    assert.equal(out[2]?.ok, true);
    const bad = out[1];
    assert.ok(bad && !bad.ok);
    assert.equal(bad.error.kind, 'payload');
    assert.match(bad.error.message, /40002 invalid ttclid/);
  });

  it('20001 without per-event detail records every item with a note', () => {
    const items = [tiktokItem(), tiktokItem(undefined, { dedupKey: 'other' })];
    const out = tiktok.classify(res({ code: 20001, message: 'Partial success', data: {} }), req(), items) as ItemOutcome[];
    assert.deepEqual(
      out,
      items.map(() => ({ ok: true, note: 'TikTok code 20001 (partial success): Partial success' })),
    );
  });

  it('error messages carry the TikTok code and message, never the token', () => {
    const out = one({ code: 40105, message: 'Access token is incorrect or has been revoked.' });
    assert.ok(!Array.isArray(out) && !out.ok);
    assert.equal(out.error.message, 'TikTok code 40105 (access token invalid or revoked): Access token is incorrect or has been revoked.');
    assert.ok(!out.error.message.includes(TIKTOK_TOKEN));
  });
});

describe('tiktok settings and credentials', () => {
  const issues = (input: unknown) => {
    const r = tiktokSettingsSchema.safeParse(input);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };
  it('applies defaults', () => {
    assert.deepEqual(tiktokSettingsSchema.parse({ pixelCode: TIKTOK_PIXEL }), {
      baseUrl: 'https://business-api.tiktok.com',
      pixelCode: TIKTOK_PIXEL,
      eventMap: {},
      defaultEvent: 'CompletePayment',
      testAllEvents: false,
      requireTtclid: false,
    });
  });
  it('rejects a missing or malformed pixel code', () => {
    assert.deepEqual(issues({}), ['pixelCode: pixelCode is required']);
    assert.equal(issues({ pixelCode: 'has spaces in it' }).length, 1);
  });
  it('testAllEvents needs testEventCode', () => {
    assert.deepEqual(issues({ pixelCode: TIKTOK_PIXEL, testAllEvents: true }), ['testAllEvents: testAllEvents needs testEventCode']);
  });
  it('rejects a non-http baseUrl', () => {
    assert.equal(issues({ pixelCode: TIKTOK_PIXEL, baseUrl: 'ftp://x' }).length, 1);
  });
  it('requires a plausible access token', () => {
    assert.equal(tiktokCredentialsSchema.safeParse({}).success, false);
    assert.equal(tiktokCredentialsSchema.safeParse({ accessToken: 'short' }).success, false);
    assert.equal(tiktokCredentialsSchema.safeParse({ accessToken: TIKTOK_TOKEN }).success, true);
  });
  it('is registered under its folder name', () => {
    assert.equal(createRegistry(connectors).get('tiktok'), tiktok);
  });
});
