import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sha256Hex } from '../../src/privacy/hash';
import { startMetaFake, type MetaFake } from '../../test/fakes/meta';
import { OFFER_URL, startTestGateway, waitForDeliveries, type TestGateway } from '../../test/helpers/gateway';

/** Click → postback → Meta fake, through the whole gateway (storage, engine, HttpClient). */

const TOKEN = 'EAAB-e2e-token-0123456789abcdefghijklmnopq';
const PIXEL = '555000111222333';
const UA = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) e2e';
let fake: MetaFake;
let gw: TestGateway;

before(async () => {
  fake = await startMetaFake({ accessToken: TOKEN, pixels: [PIXEL] });
  gw = await startTestGateway({
    configOverrides: {
      destinations: [
        { id: 'fb', connector: 'meta', settings: { pixelId: PIXEL, baseUrl: fake.url, testEventCode: 'TEST777' }, credentials: { accessToken: TOKEN } },
      ],
    },
  });
});
after(async () => {
  await gw.close();
  await fake.close();
});

const postsFor = (tx: string) => fake.requests.filter((r) => r.method === 'POST' && JSON.parse(r.body).data?.some((e: any) => e.custom_data?.order_id === tx));

test('an fbclid click and its postback reach Meta as one valid website event', async () => {
  const fbclid = 'IwAR2e2E-CaseKept_xyz';
  const clickId = await gw.click('demo', { fbclid }, { 'user-agent': UA });
  const pb = await gw.postback({ click_id: clickId, payout: '12.50', tx_id: 'tx-meta-e2e-1', currency: 'EUR' });
  assert.equal(pb.status, 200);

  const detail = await waitForDeliveries(gw, pb.body.conversion_id, 'succeeded');
  const [accepted] = await fake.waitForEvents(1);
  assert.ok(accepted);
  const event = accepted.event;
  assert.equal(accepted?.pixel, PIXEL);
  assert.equal(accepted?.testEventCode, null, 'live deliveries carry no test_event_code');
  assert.equal(event.event_name, 'Purchase');
  assert.equal(event.event_id, detail.deliveries[0].dedup_key);
  assert.equal(event.event_time, Math.floor(detail.received_at / 1000));
  assert.equal(event.user_data.fbc, `fb.1.${detail.click.created_at}.${fbclid}`);
  assert.match(event.user_data.fbc, /^fb\.1\.\d{13}\./);
  assert.equal(event.user_data.client_user_agent, UA);
  assert.match(event.user_data.client_ip_address, /127\.0\.0\.1/);
  assert.deepEqual(event.custom_data, { value: 12.5, currency: 'EUR', order_id: 'tx-meta-e2e-1' });
  assert.equal(event.action_source, 'website');
  // The advertiser's offer page (Meta checks it against the verified domain), never our /c/ URL.
  assert.equal(event.event_source_url, `${OFFER_URL}&sub5=${clickId}`);
  assert.equal(event.event_source_url, detail.click.landing_url);
  assert.deepEqual(detail.deliveries[0].identifiers_sent, ['fbc', 'ip', 'user_agent'], 'a click without personal data: fbc, ip and user agent only');

  // The attempt record keeps the request, without the token or the click's ip/user agent.
  const recorded = JSON.stringify(detail.deliveries[0].attempts[0].request);
  assert.ok(!recorded.includes(TOKEN) && !recorded.includes(UA));
  assert.match(recorded, /\[redacted\]/);
});

test('a postback with email, phone, names and a customer id: Meta gets em, ph, fn, ln, external_id hashed its way, never raw', async () => {
  const clickId = await gw.click('demo', { fbclid: 'IwAR-identifiers' }, { 'user-agent': UA });
  const pb = await gw.postback({
    click_id: clickId,
    payout: '5',
    tx_id: 'tx-meta-e2e-ids',
    email: ' Al.Ice+Apple@Example.Com ',
    phone: '+1 (555) 444-1234',
    first_name: 'Alice',
    last_name: 'Doe',
    external_id: 'Cust-42',
  });
  assert.equal(pb.status, 200, JSON.stringify(pb.body));
  const detail = await waitForDeliveries(gw, pb.body.conversion_id, 'succeeded');
  const post = postsFor('tx-meta-e2e-ids')[0];
  assert.ok(post, 'Meta received the event');
  const u = JSON.parse(post.body).data[0].user_data;
  // Meta: email trimmed + lower-cased (dots and +suffix kept); phone digits with country code, no "+".
  assert.deepEqual(u.em, [sha256Hex('al.ice+apple@example.com')]);
  assert.deepEqual(u.ph, [sha256Hex('15554441234')]);
  assert.deepEqual(u.fn, [sha256Hex('alice')]);
  assert.deepEqual(u.ln, [sha256Hex('doe')]);
  assert.deepEqual(u.external_id, [sha256Hex('cust-42')]);
  // The API shows which signals went out, by name only.
  assert.deepEqual(detail.deliveries[0].identifiers_sent, ['fbc', 'ip', 'user_agent', 'email', 'phone', 'first_name', 'last_name', 'external_id']);
  for (const raw of ['Example.Com', 'apple@', '444-1234', '5554441234', 'Alice', 'Cust-42']) {
    assert.ok(!post.body.includes(raw), `the request carries "${raw}"`);
    assert.ok(!JSON.stringify(detail).includes(raw), `the API answer carries "${raw}"`);
  }
});

test('the fake refuses user_data that is not SHA-256 hex (as Meta requires for em/ph/fn/ln)', async () => {
  const body = {
    data: [{ event_name: 'Lead', event_time: Math.floor(Date.now() / 1000), action_source: 'system_generated', user_data: { em: ['Jane@Example.com'] } }],
    access_token: TOKEN,
  };
  const res = await fetch(`${fake.url}/v24.0/${PIXEL}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(res.status, 400);
  assert.match(await res.text(), /em\] must be SHA-256 hex/);
});

test('a 500 then OK: the retry carries the same event_id', async () => {
  fake.script({ status: 500, body: '{"error":{"message":"An unexpected error has occurred.","code":2,"is_transient":true}}' });
  const clickId = await gw.click('demo', { fbclid: 'IwAR-retry' }, { 'user-agent': UA });
  const pb = await gw.postback({ click_id: clickId, payout: '3', tx_id: 'tx-meta-e2e-2' });
  const detail = await waitForDeliveries(gw, pb.body.conversion_id, 'succeeded');

  const posts = postsFor('tx-meta-e2e-2');
  assert.equal(posts.length, 2);
  const ids = posts.map((r) => JSON.parse(r.body).data[0].event_id);
  assert.deepEqual(ids, [detail.deliveries[0].dedup_key, detail.deliveries[0].dedup_key]);
  assert.deepEqual(
    detail.deliveries[0].attempts.map((a: any) => [a.response_status, a.outcome, a.error_kind]),
    [
      [500, 'failed', 'transient'],
      [200, 'succeeded', null],
    ],
  );
});

test('"test destination" sends one event with test_event_code; verify reads the pixel', async () => {
  const before = fake.accepted.length;
  const res = await gw.admin('/v1/destinations/fb/test', { method: 'POST', body: JSON.stringify({ payout: '2.00' }) });
  assert.equal(res.body.ok, true, JSON.stringify(res.body));
  assert.equal(fake.accepted.length, before + 1);
  assert.equal(fake.accepted.at(-1)?.testEventCode, 'TEST777');
  assert.ok(!JSON.stringify(res.body).includes(TOKEN), 'the token never comes back');
  assert.deepEqual((await gw.admin('/v1/destinations/fb/verify', { method: 'POST' })).body, { destination: 'fb', supported: true, ok: true });
});

test('code 190 (expired token) pauses the destination with the reason', async () => {
  fake.script({ graphError: { code: 190, subcode: 463, type: 'OAuthException', message: 'Error validating access token: Session has expired' } });
  const clickId = await gw.click('demo', { fbclid: 'IwAR-expired' }, { 'user-agent': UA });
  const pb = await gw.postback({ click_id: clickId, payout: '1', tx_id: 'tx-meta-e2e-3' });

  const deadline = Date.now() + 5_000;
  let dest: any;
  for (;;) {
    dest = (await gw.admin('/v1/destinations')).body.destinations.find((d: any) => d.id === 'fb');
    if (dest?.paused || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 30));
  }
  assert.equal(dest.paused, true);
  assert.match(dest.paused_reason, /^auth: Meta error 190\/463 .*Session has expired/);
  const detail = (await gw.admin(`/v1/conversions/${pb.body.conversion_id}`)).body;
  assert.equal(detail.deliveries[0].status, 'pending', 'the delivery waits for the destination to be resumed');
  assert.equal(detail.deliveries[0].attempts[0].platform_code, '190/463');
});
