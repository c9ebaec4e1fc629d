import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sha256Hex } from '../src/privacy/hash';
import { startFakeServer, type FakeServer } from './helpers/fake-server';
import { queryAll, queryOne, SOURCE_SECRET, startTestGateway, waitForDeliveries, type TestGateway } from './helpers/gateway';

/** Issue 7 item 6: personal data is hashed at intake, never stored raw, never shown or forwarded raw. */
const EMAIL = 'Jane.Doe@Example.com';
const PHONE = '+1 (650) 555-1212';
const IP = '198.51.100.23';
const RAW = [EMAIL, EMAIL.toLowerCase(), 'jane.doe%40example.com', '555-1212', '6505551212', IP, 'Jane', 'Doe', 'cust-778'];
const EXT_SECRET = 'ext-source-secret-0123456789';
const WEBHOOK_SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;

let fake: FakeServer;
let gw: TestGateway;
before(async () => {
  fake = await startFakeServer();
  gw = await startTestGateway({
    configOverrides: {
      sources: [
        { id: 'net', secret: SOURCE_SECRET, personalFields: { externalId: ['customer'] } },
        { id: 'ext', secret: EXT_SECRET, params: { clickId: 'external_id' } },
      ],
      destinations: [
        { id: 'tracker', connector: 'http-postback', acceptUnmatched: true, settings: { url: `${fake.url}/pb?tx={tx_id}&s1={sub1}` } },
        { id: 'hook', connector: 'webhook', acceptUnmatched: true, settings: { url: `${fake.url}/hook` }, credentials: { secret: WEBHOOK_SECRET } },
      ],
    },
  });
});
after(async () => {
  await gw.close();
  await fake.close();
});

function assertNoRaw(text: string, where: string): void {
  for (const raw of RAW) assert.ok(!text.toLowerCase().includes(raw.toLowerCase()), `${where} carries "${raw}": ${text.slice(0, 400)}`);
}

describe('personal data in postbacks', () => {
  test('is hashed into identifiers, and absent from params, the API answer and every delivery', async () => {
    const res = await gw.postback({
      tx_id: 'pii-1',
      sub1: 'keep-me',
      email: EMAIL,
      phone: PHONE,
      user_ip: IP,
      first_name: 'Jane',
      ln: 'Doe',
      customer: 'cust-778',
    });
    assert.equal(res.status, 200);
    const id = res.body.conversion_id as string;

    const stored = await gw.gw.ledger.getConversion(id);
    assert.ok(stored);
    assert.deepEqual(stored.params, { sub1: 'keep-me' });
    assert.deepEqual(stored.identifiers, {
      email_sha256: sha256Hex('jane.doe@example.com'),
      email_google_sha256: sha256Hex('jane.doe@example.com'),
      email_reddit_sha256: sha256Hex('janedoe@example.com'),
      phone_sha256: sha256Hex('16505551212'),
      phone_e164_sha256: sha256Hex('+16505551212'),
      ip_sha256: sha256Hex(IP),
      first_name_sha256: sha256Hex('jane'),
      last_name_sha256: sha256Hex('doe'),
      external_id_sha256: sha256Hex('cust-778'),
    });
    // Nothing raw in the database row itself.
    const row = await queryOne(gw.gw, 'SELECT * FROM conversions WHERE id = ?', id);
    assertNoRaw(JSON.stringify(row), 'the conversions row');

    const detail = await waitForDeliveries(gw, id, 'succeeded');
    assertNoRaw(JSON.stringify(detail), 'GET /v1/conversions/:id');
    assert.deepEqual(detail.params, { sub1: 'keep-me' });
    assert.ok(detail.identifiers.includes('email_sha256') && !JSON.stringify(detail).includes(sha256Hex('jane.doe@example.com')), 'names only, not hashes');

    const sent = await fake.waitFor(2);
    for (const r of sent) assertNoRaw(`${r.url} ${r.body}`, `the delivery to ${r.path}`);
    assert.equal(sent.find((r) => r.path === '/pb')?.query.get('s1'), 'keep-me', 'the other parameters still go through');
    const attempts = JSON.stringify(await queryAll(gw.gw, 'SELECT * FROM exchanges'));
    assertNoRaw(attempts, 'the delivery log');
  });

  test('a refused postback is logged without the personal values', async () => {
    const res = await gw.postback({ tx_id: 'pii-2', payout: 'abc', email: EMAIL, tel: PHONE });
    assert.equal(res.status, 400);
    const rejections = await gw.admin('/v1/rejections');
    const r = rejections.body.rejections.find((x: { params: Record<string, string> }) => x.params.tx_id === 'pii-2');
    assert.deepEqual({ email: r.params.email, tel: r.params.tel }, { email: '[redacted]', tel: '[redacted]' });
    assertNoRaw(JSON.stringify(rejections.body), 'GET /v1/rejections');
  });

  test('a phone the source cannot place in a country is dropped, and the answer says so', async () => {
    const res = await gw.postback({ tx_id: 'pii-3', phone: '650 555 1212' });
    assert.equal(res.status, 200);
    assert.ok(
      res.body.warnings.some((w: string) => /"phone".*no country code/.test(w)),
      JSON.stringify(res.body.warnings),
    );
    const stored = await gw.gw.ledger.getConversion(res.body.conversion_id);
    assert.deepEqual(stored?.identifiers, {});
    assertNoRaw(JSON.stringify(stored), 'the conversion');
  });

  test('a parameter the source maps (its click id named external_id) is not taken for personal data', async () => {
    const res = await fetch(`${gw.url}/postback/ext?key=${EXT_SECRET}&tx_id=pii-4&external_id=${'a'.repeat(32)}`);
    const body = (await res.json()) as any;
    assert.equal(res.status, 200);
    const stored = await gw.gw.ledger.getConversion(body.conversion_id);
    assert.equal(stored?.clickId, 'a'.repeat(32));
    assert.deepEqual(stored?.identifiers, {});
  });
});

describe('personal data in clicks', () => {
  test('GET /c/:link stores the offer page it redirects to as the landing URL, without personal parameters', async () => {
    const g = await startTestGateway({
      configOverrides: { links: [{ id: 'pii', offerUrl: `https://offer.example.com/lp?aff=7&email=${encodeURIComponent(EMAIL)}` }] },
    });
    try {
      const res = await fetch(`${g.url}/c/pii?gclid=G-1&sub1=s&email=${encodeURIComponent(EMAIL)}&utm_source=x`, { redirect: 'manual' });
      const location = res.headers.get('location') as string;
      const clickId = new URL(location).searchParams.get('sub5') as string;
      const click = await g.gw.clicks.get(clickId);
      assert.equal(click?.landingUrl, `https://offer.example.com/lp?aff=7&sub1=s&sub5=${clickId}`);
      assertNoRaw(click?.landingUrl ?? '', 'the landing URL');
    } finally {
      await g.close();
    }
  });

  test('POST /v1/clicks strips them from landing_url and referrer', async () => {
    const res = await fetch(`${gw.url}/v1/clicks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'https://landing.example.com' },
      body: JSON.stringify({
        fbclid: 'F-1',
        landing_url: `https://landing.example.com/p?em=${encodeURIComponent(EMAIL)}&a=1`,
        referrer: `https://ref.example/?phone=6505551212`,
      }),
    });
    assert.equal(res.status, 201);
    const click = await gw.gw.clicks.get(((await res.json()) as { click_id: string }).click_id);
    assert.equal(click?.landingUrl, 'https://landing.example.com/p?a=1');
    assert.equal(click?.referrer, 'https://ref.example/');
  });
});

describe('landing URLs and the Host header', () => {
  test('a redirect click landing URL is the offer URL, whatever the Host header says', async () => {
    // fetch cannot forge Host; a raw request can.
    const { request } = await import('node:http');
    const port = Number(new URL(gw.url).port);
    const location = await new Promise<string>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/c/demo?gclid=H-1', headers: { host: 'evil.example' } }, (res) => {
        res.resume();
        resolve(String(res.headers.location));
      });
      req.on('error', reject);
      req.end();
    });
    const click = await gw.gw.clicks.get(new URL(location).searchParams.get('sub5') as string);
    assert.equal(click?.landingUrl, location);
    assert.ok(!location.includes('evil.example'));
  });
});

describe('cookies', () => {
  test('an oversized _fbp cookie is ignored like an oversized fbp parameter would be refused', async () => {
    const long = `fb.1.1700000000000.${'9'.repeat(300)}`;
    const bad = await gw.gw.clicks.get(await gw.click('demo', { gclid: 'C-1' }, { cookie: `_fbp=${long}` }));
    assert.equal(bad?.fbp, null);
    const good = await gw.gw.clicks.get(await gw.click('demo', { gclid: 'C-2' }, { cookie: '_fbp=fb.1.1700000000000.123456789' }));
    assert.equal(good?.fbp, 'fb.1.1700000000000.123456789');
  });
});
