import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConversionRecord, DeliveryItem } from '../../src/connector-kit';
import { classifyPartnerResponse, partnerPostback } from './index';
import { escapeUrl, renderTemplate } from '../../src/connector-kit';
import { PARTNER_MACROS, partnerMacroValues, renderPartnerHtml, renderPartnerUrl } from './macros';
import { buildPartnerRequest } from './map';
import { partnerPostbackSettingsSchema } from './schema';

const params: Record<string, string> = {
  transaction_id: '56d75d3a4d6e433fb215698c056d0d58',
  conversion_id: '9c0534c99eb34b57bda16f92b6d5d3d4',
  offer_id: '12',
  affiliate_id: '7',
  source_id: 'src',
  sub1: 'a b',
  sub5: 'cid-5',
  adv1: 'x&y',
  payout: '0.1',
  revenue: '2.5',
  sale_amount: '0.0000001',
  currency: 'USD',
  event_id: '31',
  event_name: 'FTD',
  order_id: 'o/1',
  coupon_code: 'C',
  timestamp: '1795262400',
};

/** The macro table: every documented macro, its value, URL-encoded (https://helpdesk.everflow.io/en/articles/6173403-a-guide-to-parameters-and-macros). */
describe('partner macro table', () => {
  const cases: Array<[string, string]> = [
    ['{transaction_id}', '56d75d3a4d6e433fb215698c056d0d58'],
    ['{conversion_id}', '9c0534c99eb34b57bda16f92b6d5d3d4'],
    ['{offer_id}', '12'],
    ['{affiliate_id}', '7'],
    ['{source_id}', 'src'],
    ['{sub1}', 'a%20b'],
    ['{sub5}', 'cid-5'],
    ['{sub6}', ''],
    ['{sub10}', ''],
    ['{adv1}', 'x%26y'],
    ['{adv10}', ''],
    ['{payout}', '0.1'],
    ['{payout_amount}', '0.1'],
    ['{sale_amount}', '0.0000001'],
    ['{revenue}', '2.5'],
    ['{currency}', 'USD'],
    ['{event_id}', '31'],
    ['{event_name}', 'FTD'],
    ['{order_id}', 'o%2F1'],
    ['{coupon_code}', 'C'],
    ['{timestamp}', '1795262400'],
    ['{Sub5}', '{Sub5}'],
    ['{sub_5}', '{sub_5}'],
    ['{SUB5}', '{SUB5}'],
    ['{adv_event_id}', '{adv_event_id}'],
    ['{unknown}', '{unknown}'],
    ['{ sub5 }', '{ sub5 }'],
  ];
  for (const [template, want] of cases) {
    it(`${template} → "${want}"`, () => assert.equal(renderPartnerUrl(template, params), want));
  }

  it('lists 35 macros: 5 ids, sub1–10, adv1–10 and 10 values', () => {
    assert.equal(PARTNER_MACROS.length, 35);
    assert.equal(new Set(PARTNER_MACROS).size, 35);
  });

  it('renders exactly what the generic template renderer does with the macro table (compiled templates)', () => {
    const templates = [
      '',
      'https://p/?plain',
      '{transaction_id}',
      '{sub1}{sub1}{payout_amount}{payout}',
      'https://p/?a={Sub5}&b={sub_5}&c={unknown}&d={sub5}&e={{sub1}}&f={}&g={sub1',
      'https://p/?tx={transaction_id}&s10={sub10}&adv={adv1}&t={timestamp}&x={toString}{constructor}',
    ];
    for (const p of [params, {}, { sub1: '', payout: '{sub5}', sub5: 'v' }]) {
      for (const t of templates) {
        assert.equal(renderPartnerUrl(t, p), renderTemplate(t, partnerMacroValues(p), escapeUrl), t);
        assert.equal(renderPartnerUrl(t, p), renderPartnerUrl(t, p), `${t} (cached)`);
      }
    }
  });

  it('renders a known macro with no value as empty, even when params lack it entirely', () => {
    assert.equal(renderPartnerUrl('https://t/?p={payout}&s={sub3}', {}), 'https://t/?p=&s=');
  });

  it('URL-encodes, then HTML-escapes, in HTML pixels', () => {
    assert.equal(renderPartnerHtml('<img src="/p?s={sub1}">', { sub1: `"'<&> ` }), '<img src="/p?s=%22&#39;%3C%26%3E%20">');
  });

  it('a sub1 of x&payout=999999&tx=forged cannot inject a payout into a pixel URL (issue 7 item 7)', () => {
    const sub1 = 'x&payout=999999&tx=forged';
    const html = renderPartnerHtml('<img src="https://partner.example/px?tx={transaction_id}&amp;s1={sub1}&amp;payout={payout}" width="1">', {
      transaction_id: 'abc',
      sub1,
      payout: '12.5',
    });
    const src = /src="([^"]*)"/.exec(html)?.[1] ?? '';
    // What the browser requests: the attribute HTML-decoded, then read as a URL.
    const url = new URL(src.replace(/&amp;/g, '&').replace(/&#39;/g, "'"));
    assert.deepEqual(url.searchParams.getAll('payout'), ['12.5']);
    assert.deepEqual(url.searchParams.getAll('tx'), ['abc']);
    assert.equal(url.searchParams.get('s1'), sub1);
    // The same value in the server postback URL is encoded the same way.
    assert.equal(renderPartnerUrl('https://p/?s1={sub1}', { sub1 }), `https://p/?s1=${encodeURIComponent(sub1)}`);
  });
});

function item(p: Record<string, string>): DeliveryItem {
  const conversion: ConversionRecord = {
    id: 'c',
    source: 'network',
    transactionId: 't',
    event: 'conversion/c',
    status: 'approved',
    payout: null,
    currency: 'USD',
    offerId: null,
    clickId: null,
    matched: true,
    click: null,
    params: p,
    receivedAt: 0,
    updatedAt: 0,
  };
  return { deliveryId: 'd', dedupKey: 'k', attempt: 1, conversion };
}
const ctx = (settings: Record<string, unknown>) => ({
  destinationId: 'pp-1',
  settings: partnerPostbackSettingsSchema.parse(settings),
  credentials: {},
  now: 0,
});

describe('buildPartnerRequest', () => {
  it('GETs the rendered URL by default', () => {
    assert.deepEqual(buildPartnerRequest([item(params)], ctx({ url: 'https://p.example/pb?tx={transaction_id}' })), {
      method: 'GET',
      url: 'https://p.example/pb?tx=56d75d3a4d6e433fb215698c056d0d58',
      headers: {},
    });
  });

  it('POSTs a form or JSON body with the same macros', () => {
    const form = buildPartnerRequest([item(params)], ctx({ url: 'https://p.example/', method: 'POST', body: 's={sub1}' }));
    assert.equal(form.body, 's=a%20b');
    assert.equal(form.headers['content-type'], 'application/x-www-form-urlencoded');
    const json = buildPartnerRequest(
      [item({ sub1: 'say "hi"' })],
      ctx({ url: 'https://p.example/', method: 'POST', body: '{"s":"{sub1}"}', contentType: 'application/json' }),
    );
    assert.equal(json.body, '{"s":"say \\"hi\\""}');
  });

  it('is deterministic: a retry sends the same bytes', () => {
    const c = ctx({ url: 'https://p.example/?{timestamp}' });
    assert.deepEqual(buildPartnerRequest([item(params)], c), buildPartnerRequest([item(params)], { ...c, now: 999 }));
  });
});

describe('classifyPartnerResponse (any 2xx succeeds, everything else is a retried failure)', () => {
  const res = (status: number, headers: Record<string, string> = {}) => ({ status, headers, body: 'b', durationMs: 1 });
  for (const status of [200, 201, 204, 299]) it(`${status} succeeds`, () => assert.equal(classifyPartnerResponse(res(status)).ok, true));
  for (const status of [301, 400, 401, 403, 404, 410, 500, 501, 503]) {
    it(`${status} is a retryable failure that counts toward deactivation`, () => {
      const out = classifyPartnerResponse(res(status));
      assert.equal(out.ok, false);
      if (!out.ok) {
        assert.equal(out.error.retryable, true);
        assert.equal(out.error.pausesDestination, false);
        assert.equal(out.error.status, status);
      }
    });
  }
  it('429 keeps Retry-After', () => {
    const out = classifyPartnerResponse(res(429, { 'retry-after': '3' }));
    assert.equal(out.ok, false);
    if (!out.ok) assert.equal(out.error.retryAfterMs, 3000);
  });
  it('is registered with maxBatch 1', () => assert.equal(partnerPostback.limits.maxBatch, 1));
});
