import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { DeliveryError, type PlatformRequest, type PlatformResponse } from '../../src/connector-kit';
import { loopbackHttpClient } from '../../test/helpers/loopback-http';
import { createRegistry } from '../../src/connector-kit/registry';
import { connectors } from '../index';
import { clickFixture, contextFixture, conversionFixture, FIXTURE_NOW, itemFixture } from './fixtures';
import { httpPostback } from './index';
import { macroValues } from './map';
import { httpPostbackCredentialsSchema, httpPostbackSettingsSchema } from './schema';

const build = (settings: Record<string, unknown>, credentials: Record<string, unknown> = {}, item = itemFixture()) =>
  httpPostback.build([item], contextFixture(settings, credentials));

const response = (status: number, headers: Record<string, string> = {}, body = ''): PlatformResponse => ({
  status,
  headers,
  body,
  durationMs: 5,
});

describe('http-postback macroValues', () => {
  it('maps every macro of a matched conversion', () => {
    assert.deepEqual(macroValues(itemFixture()), {
      click_id: '0123456789abcdef0123456789abcdef',
      transaction_id: 'tx-9f8e',
      tx_id: 'tx-9f8e',
      conversion_id: 'conv_01',
      dedup_key: 'dk_conv_01_dest_01',
      payout: '12.50',
      currency: 'USD',
      offer_id: '42',
      event: 'conversion',
      status: 'approved',
      source: 'everflow',
      platform: 'google',
      platform_click_id: 'Cj0KCQ-gclid',
      gclid: 'Cj0KCQ-gclid',
      gbraid: null,
      wbraid: null,
      fbclid: 'IwAR-fbclid',
      ttclid: null,
      rdt_cid: null,
      sub1: 'campaign-7',
      sub2: 'adset-3',
      sub3: 'from-postback',
      sub4: null,
      link: 'summer-sale',
      landing_url: 'https://shop.example/landing?gclid=Cj0KCQ-gclid',
      referrer: 'https://news.example/',
      fbc: 'fb.1.1700000000000.IwAR-fbclid',
      fbp: 'fb.1.1700000000000.123',
      ip: '203.0.113.7',
      user_agent: 'Mozilla/5.0 (X11; Linux x86_64)',
      timestamp: String((FIXTURE_NOW - 60_000) / 1000),
      click_timestamp: String((FIXTURE_NOW - 3_600_000) / 1000),
    });
  });

  it('leaves click macros empty for an unmatched conversion and reads subs from the postback', () => {
    const v = macroValues(itemFixture(conversionFixture({ click: null, matched: false, params: { sub1: 'p1' } })));
    assert.equal(v.sub1, 'p1');
    for (const name of ['platform', 'gclid', 'ip', 'user_agent', 'fbc', 'link', 'click_timestamp'] as const) {
      assert.equal(v[name], null, name);
    }
  });

  it('prefers the click sub over the postback param of the same name', () => {
    const v = macroValues(itemFixture(conversionFixture({ params: { sub1: 'from-postback' } })));
    assert.equal(v.sub1, 'campaign-7');
  });
});

describe('http-postback build (GET)', () => {
  const base = 'https://t.example/pb';
  const tricky = 'café & crème = ü';
  const cases: Array<{ name: string; url: string; conversion?: Parameters<typeof conversionFixture>[0]; want: string }> = [
    {
      name: 'core macros',
      url: `${base}?cid={click_id}&tx={transaction_id}&t2={tx_id}&p={payout}&c={currency}&o={offer_id}&e={event}&s={status}`,
      want: `${base}?cid=0123456789abcdef0123456789abcdef&tx=tx-9f8e&t2=tx-9f8e&p=12.50&c=USD&o=42&e=conversion&s=approved`,
    },
    {
      name: 'unicode, &, = and space are URL-encoded',
      url: `${base}?s1={sub1}`,
      conversion: { click: clickFixture({ subs: { sub1: tricky } }) },
      want: `${base}?s1=caf%C3%A9%20%26%20cr%C3%A8me%20%3D%20%C3%BC`,
    },
    {
      name: 'unknown and case-variant macros go out literally',
      url: `${base}?a={Sub5}&b={sub5}&c={Click_ID}&d={sub_5}`,
      want: `${base}?a={Sub5}&b={sub5}&c={Click_ID}&d={sub_5}`,
    },
    {
      name: 'known macros without a value become empty',
      url: `${base}?o={offer_id}&p={payout}&tt={ttclid}&s4={sub4}`,
      conversion: { offerId: null, payout: null },
      want: `${base}?o=&p=&tt=&s4=`,
    },
    {
      name: 'platform ids, url-valued macros and timestamps',
      url: `${base}?g={gclid}&f={fbclid}&lp={landing_url}&ts={timestamp}&cts={click_timestamp}`,
      want: `${base}?g=Cj0KCQ-gclid&f=IwAR-fbclid&lp=https%3A%2F%2Fshop.example%2Flanding%3Fgclid%3DCj0KCQ-gclid&ts=${(FIXTURE_NOW - 60_000) / 1000}&cts=${(FIXTURE_NOW - 3_600_000) / 1000}`,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const req = build({ url: c.url }, {}, itemFixture(conversionFixture(c.conversion)));
      assert.deepEqual(req, { method: 'GET', url: c.want, headers: { 'idempotency-key': 'dk_conv_01_dest_01' } });
    });
  }

  const queryCases = [
    { url: `${base}?cid={click_id}`, want: `${base}?cid=0123456789abcdef0123456789abcdef&key=s%20e%26c%2Fr%2Bt&acct=7` },
    { url: base, want: `${base}?key=s%20e%26c%2Fr%2Bt&acct=7` },
    { url: `${base}?`, want: `${base}?key=s%20e%26c%2Fr%2Bt&acct=7` },
    { url: `${base}?a=1#frag`, want: `${base}?a=1&key=s%20e%26c%2Fr%2Bt&acct=7#frag` },
  ];
  for (const c of queryCases) {
    it(`appends secret query parameters to ${c.url}`, () => {
      const req = build({ url: c.url }, { query: { key: 's e&c/r+t', acct: '7' } });
      assert.equal(req.url, c.want);
    });
  }

  it('merges static and secret headers, lower-cased, secrets last', () => {
    const req = build({ url: base, headers: { 'X-Source': 'closeloop', Authorization: 'static' } }, { headers: { Authorization: 'Bearer s3cret-token' } });
    assert.deepEqual(req.headers, { 'idempotency-key': 'dk_conv_01_dest_01', 'x-source': 'closeloop', authorization: 'Bearer s3cret-token' });
    assert.equal(req.body, undefined);
  });

  it('sends the de-duplication key as Idempotency-Key by default, the same on every retry (issue 7 item 18)', () => {
    const first = build({ url: `${base}?d={dedup_key}` });
    const retry = build({ url: `${base}?d={dedup_key}` }, {}, { ...itemFixture(), attempt: 5 });
    assert.equal(first.headers['idempotency-key'], 'dk_conv_01_dest_01');
    assert.equal(retry.headers['idempotency-key'], first.headers['idempotency-key']);
    assert.equal(first.url, `${base}?d=dk_conv_01_dest_01`);
    assert.equal(build({ url: base, idempotencyHeader: 'X-Dedup' }).headers['x-dedup'], 'dk_conv_01_dest_01');
    assert.equal(build({ url: base, idempotencyHeader: false }).headers['idempotency-key'], undefined);
  });

  it('is deterministic and ignores the clock', () => {
    const settings = { url: `${base}?cid={click_id}&ts={timestamp}`, method: 'POST', body: '{"d":"{dedup_key}"}' };
    const a = httpPostback.build([itemFixture()], contextFixture(settings, { query: { k: 'v' } }));
    const b = httpPostback.build([itemFixture()], { ...contextFixture(settings, { query: { k: 'v' } }), now: FIXTURE_NOW + 86_400_000 });
    assert.deepEqual(a, b);
    assert.equal(JSON.stringify(a), JSON.stringify(b));
  });

  it('refuses anything but exactly one item', () => {
    const ctx = contextFixture({ url: base });
    for (const items of [[], [itemFixture(), itemFixture()]]) {
      assert.throws(
        () => httpPostback.build(items, ctx),
        (err) => err instanceof DeliveryError && err.kind === 'payload',
      );
    }
  });
});

describe('http-postback build (POST)', () => {
  const tricky = 'say "hi"\nbye\\ & = ü';

  it('JSON body: macro values JSON-escaped, content-type set', () => {
    const item = itemFixture(conversionFixture({ click: clickFixture({ subs: { sub1: tricky } }) }));
    const req = build({ url: 'https://t.example/pb', method: 'POST', body: '{"cid":"{click_id}","note":"{sub1}","x":"{Sub5}"}' }, {}, item);
    assert.equal(req.method, 'POST');
    assert.equal(req.body, '{"cid":"0123456789abcdef0123456789abcdef","note":"say \\"hi\\"\\nbye\\\\ & = ü","x":"{Sub5}"}');
    assert.deepEqual(JSON.parse(req.body ?? ''), { cid: '0123456789abcdef0123456789abcdef', note: tricky, x: '{Sub5}' });
    assert.deepEqual(req.headers, { 'content-type': 'application/json', 'idempotency-key': 'dk_conv_01_dest_01' });
  });

  it('form body: macro values URL-encoded, content-type set', () => {
    const item = itemFixture(conversionFixture({ click: clickFixture({ subs: { sub1: tricky } }) }));
    const settings = {
      url: 'https://t.example/pb',
      method: 'POST',
      contentType: 'application/x-www-form-urlencoded',
      body: 'cid={click_id}&note={sub1}&p={payout}',
    };
    const req = build(settings, {}, item);
    assert.equal(req.body, 'cid=0123456789abcdef0123456789abcdef&note=say%20%22hi%22%0Abye%5C%20%26%20%3D%20%C3%BC&p=12.50');
    assert.equal(new URLSearchParams(req.body).get('note'), tricky);
    assert.deepEqual(req.headers, { 'content-type': 'application/x-www-form-urlencoded', 'idempotency-key': 'dk_conv_01_dest_01' });
  });

  it('POST without a body template sends an empty body, no content-type', () => {
    assert.deepEqual(build({ url: 'https://t.example/pb?cid={click_id}', method: 'POST' }), {
      method: 'POST',
      url: 'https://t.example/pb?cid=0123456789abcdef0123456789abcdef',
      headers: { 'idempotency-key': 'dk_conv_01_dest_01' },
      body: '',
    });
  });

  it('GET ignores a body template', () => {
    assert.equal(build({ url: 'https://t.example/pb', body: '{"a":1}' }).body, undefined);
  });
});

describe('http-postback classify', () => {
  const req: PlatformRequest = { method: 'GET', url: 'https://t.example/pb', headers: {} };
  const cases: Array<{ status: number; headers?: Record<string, string>; kind: string | null; retryAfterMs?: number }> = [
    { status: 200, kind: null },
    { status: 204, kind: null },
    { status: 301, kind: 'config' },
    { status: 400, kind: 'payload' },
    { status: 401, kind: 'auth' },
    { status: 403, kind: 'auth' },
    { status: 404, kind: 'config' },
    { status: 429, headers: { 'retry-after': '7' }, kind: 'rate_limited', retryAfterMs: 7000 },
    { status: 500, kind: 'transient' },
    { status: 503, kind: 'transient' },
  ];
  for (const c of cases) {
    it(`HTTP ${c.status} → ${c.kind ?? 'ok'}`, () => {
      const outcome = httpPostback.classify(response(c.status, c.headers, 'nope'), req, [itemFixture()]);
      if (c.kind === null) {
        assert.deepEqual(outcome, { ok: true });
        return;
      }
      assert.ok(!Array.isArray(outcome) && !outcome.ok);
      assert.ok(outcome.error instanceof DeliveryError);
      assert.equal(outcome.error.kind, c.kind);
      assert.equal(outcome.error.status, c.status);
      assert.equal(outcome.error.retryAfterMs, c.retryAfterMs);
      assert.equal(outcome.error.message, `postback URL answered HTTP ${c.status}: nope`);
    });
  }
});

describe('http-postback settings and credentials', () => {
  const issues = (input: unknown) => {
    const r = httpPostbackSettingsSchema.safeParse(input);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('rejects non-http(s) URLs with a clear message', () => {
    // The postback doctor's wording (src/doctor/url-scan.ts): what is wrong, then the fix.
    assert.deepEqual(issues({ url: 'ftp://x' }), [
      'url: "ftp:" is not a web address. Postbacks are sent over https:// (or http://) only. Use the https:// address your tracker or partner gave you.',
    ]);
    assert.match(issues({ url: 'javascript:alert(1)' }).join(), /^url: "javascript:" is not a web address/);
    assert.match(
      issues({ url: 'https://t.example/pb?cid=%7Bclick_id%7D' }).join(),
      /^url: %7Bclick_id%7D is a macro with URL-encoded braces.*Write \{click_id\}/,
    );
    assert.match(issues({ url: 'http:///pb' }).join(), /^url: The URL has no domain/);
  });

  it('rejects a missing url', () => {
    assert.deepEqual(issues({}), ['url: url is required']);
  });

  it('rejects header names that are not HTTP tokens and values with line breaks', () => {
    assert.equal(issues({ url: 'https://x', headers: { 'X Bad': 'v' } }).length, 1);
    assert.equal(issues({ url: 'https://x', headers: { 'X-Ok': 'a\r\nInjected: 1' } }).length, 1);
  });

  it('applies defaults', () => {
    assert.deepEqual(httpPostbackSettingsSchema.parse({ url: ' HTTPS://t.example/pb ' }), {
      url: 'HTTPS://t.example/pb',
      method: 'GET',
      contentType: 'application/json',
      idempotencyHeader: 'Idempotency-Key',
    });
    assert.deepEqual(httpPostbackCredentialsSchema.parse(undefined), {});
  });

  it('is registered under its folder name', () => {
    assert.equal(createRegistry(connectors).get('http-postback'), httpPostback);
  });
});

describe('http-postback contract (real HttpClient → fake receiver)', () => {
  it('delivers the exact rendered path and query, then classifies ok', async () => {
    const seen: Array<{ method?: string; url?: string; headers: IncomingMessage['headers']; body: string }> = [];
    const server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, headers: req.headers, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const client = loopbackHttpClient();
    try {
      const item = itemFixture(conversionFixture({ click: clickFixture({ subs: { sub1: 'a b&c=ü' } }) }));
      const ctx = contextFixture(
        { url: `http://127.0.0.1:${port}/pb?cid={click_id}&s1={sub1}&x={Sub5}&p={payout}` },
        { query: { key: 'tok/en' }, headers: { Authorization: 'Bearer abc' } },
      );
      const request = httpPostback.build([item], ctx);
      const res = await client.send(request, { timeoutMs: httpPostback.limits.timeoutMs });
      assert.deepEqual(httpPostback.classify(res, request, [item]), { ok: true });

      assert.equal(seen.length, 1);
      assert.equal(seen[0]?.method, 'GET');
      assert.equal(seen[0]?.url, '/pb?cid=0123456789abcdef0123456789abcdef&s1=a%20b%26c%3D%C3%BC&x={Sub5}&p=12.50&key=tok%2Fen');
      assert.equal(seen[0]?.headers.authorization, 'Bearer abc');
      assert.equal(seen[0]?.headers['idempotency-key'], item.dedupKey);
      assert.equal(seen[0]?.body, '');
    } finally {
      await client.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
