import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generateWebhookSecret, verifyWebhookSignature } from '../../connectors/webhook/index';
import { startFakePartner, type FakePartner } from '../fakes/partner';
import { startFakeServer, type FakeServer } from '../helpers/fake-server';
import { seedClick, startNetworkGateway, type NetworkGateway } from './harness';

let g: NetworkGateway;
let partner: FakePartner;
let hooks: FakeServer;
const secret = generateWebhookSecret();

before(async () => {
  partner = await startFakePartner();
  hooks = await startFakeServer(() => ({ status: 204 }));
  g = await startNetworkGateway({
    network: {
      webhooks: [
        { id: 'crm', url: `${hooks.url}/hook`, secret, events: ['conversion.registered', 'event.registered', 'postback.deactivated'] },
        { id: 'off', url: `${hooks.url}/off`, secret, events: ['conversion.registered'], enabled: false },
      ],
    },
  });
});
after(async () => {
  await g.close();
  await partner.close();
  await hooks.close();
});

const hookBodies = () =>
  hooks.requests
    .filter((r) => r.path === '/hook')
    .map((r) => ({ req: r, body: JSON.parse(r.body) as { id: string; type: string; data: Record<string, any> } }));

describe('webhooks', () => {
  it('sends conversion.registered and event.registered, signed, with a stable id', async () => {
    const offer = await g.offer({ events: [{ id: 31, name: 'ftd' }] });
    const p = await g.partner();
    const click = await g.click({ offer_id: offer.id, partner_id: p.id, sub1: 's1' });
    const c = await g.convert({ transaction_id: click.transaction_id, status: 'pending', sale_amount: '5', order_id: 'ord' });
    await g.convert({ transaction_id: click.transaction_id, event_id: 31 });
    const got = await g.until(async () => (hookBodies().length >= 2 ? hookBodies() : undefined), 'two webhooks');
    const conv = got.find((h) => h.body.type === 'conversion.registered');
    const ev = got.find((h) => h.body.type === 'event.registered');
    assert.ok(conv && ev);
    const check = verifyWebhookSignature(secret, conv.req.headers as Record<string, string>, conv.req.body, g.clock.now());
    assert.deepEqual(check.ok, true, JSON.stringify(check));
    assert.equal(conv.req.headers['webhook-id'], conv.body.id);
    assert.match(conv.body.id, /^[0-9a-f]{32}$/);
    assert.equal(conv.body.data.conversion_id, c.conversion_id);
    assert.equal(conv.body.data.status, 'pending');
    assert.equal(conv.body.data.transaction_id, click.transaction_id);
    assert.equal(conv.body.data.is_event, false);
    assert.equal(conv.body.data.sale_amount, '5');
    assert.equal(conv.body.data.order_id, 'ord');
    assert.equal(conv.body.data.sub1, 's1');
    assert.equal(conv.body.data.relationship.offer.network_offer_id, offer.id);
    assert.equal(ev.body.data.is_event, true);
    assert.equal(ev.body.data.event, 'ftd');
    assert.equal(hooks.requests.filter((r) => r.path === '/off').length, 0, 'a disabled webhook gets nothing');
  });

  it('keeps the id across retries, so receivers can de-duplicate', async () => {
    const before = hooks.requests.length;
    let calls = 0;
    const flaky = await startFakeServer(() => ({ status: ++calls === 1 ? 503 : 200 }));
    const g2 = await startNetworkGateway({ network: { webhooks: [{ id: 'f', url: `${flaky.url}/h`, secret, events: ['conversion.registered'] }] } });
    try {
      const { transactionId } = await seedClick(g2);
      await g2.convert({ transaction_id: transactionId });
      const reqs = await flaky.waitFor(2);
      assert.equal(reqs[0]?.headers['webhook-id'], reqs[1]?.headers['webhook-id']);
    } finally {
      await g2.close();
      await flaky.close();
    }
    assert.equal(hooks.requests.length, before);
  });

  it('sends postback.deactivated when the failure rule switches a postback off', async () => {
    const { offer, partner: p } = await seedClick(g);
    const pb = await g.postback({ level: 'global', partner_id: p.id, postback_url: `${partner.url}/down` });
    partner.fail(500);
    for (let i = 0; i < 10; i++) {
      const click = await g.click({ offer_id: offer.id, partner_id: p.id });
      const c = await g.convert({ transaction_id: click.transaction_id });
      await g.settled(c.conversion_id);
    }
    const notice = await g.until(async () => hookBodies().find((h) => h.body.type === 'postback.deactivated'), 'the postback.deactivated webhook');
    assert.equal(notice.body.data.postback_id, pb.id);
    assert.match(notice.body.data.reason, /10 consecutive failures/);
    partner.ok();
  });
});

describe('test tool, HTML pixels and report', () => {
  it('fires one test postback and returns the debug info, without touching the streak', async () => {
    const { partner: p } = await seedClick(g);
    const pb = await g.postback({
      level: 'global',
      partner_id: p.id,
      http_method: 'POST',
      post_body: 'tx={transaction_id}&p={payout}',
      postback_url: `${partner.url}/test?s={sub1}`,
    });
    partner.next({ status: 418, body: 'teapot' });
    const r = await g.ok('POST', `/v1/network/postbacks/${pb.id}/test`, { params: { sub1: 'hello world', transaction_id: 'tx1' } });
    assert.equal(r.debug.method, 'POST');
    assert.equal(r.debug.url, `${partner.url}/test?s=hello%20world`);
    assert.equal(r.debug.http_status, 418);
    assert.equal(r.debug.response_body, 'teapot');
    assert.equal(r.debug.outcome, 'failed');
    assert.equal(r.debug.attempt, 1);
    assert.match(r.debug.error, /HTTP 418/);
    assert.equal(partner.on('/test')[0]?.body, 'tx=tx1&p=1.5');
    assert.equal((await g.ok('GET', `/v1/network/postbacks/${pb.id}`)).consecutive_failures, 0);
  });

  it('renders HTML pixels with URL-encoded, HTML-escaped values (test tool, conversion, pixels endpoint)', async () => {
    const { offer, partner: p } = await seedClick(g);
    const pb = await g.postback({
      level: 'specific',
      partner_id: p.id,
      offer_id: offer.id,
      delivery_method: 'html',
      html_code: '<iframe src="https://t.example/?s={sub1}&p={payout}"></iframe>',
    });
    const t = await g.ok('POST', `/v1/network/postbacks/${pb.id}/test`, { params: { sub1: '"><script>x&payout=999999&tx=forged' } });
    // URL-encoded, then HTML-escaped: no markup, and no second payout in the partner's URL.
    assert.equal(t.html, '<iframe src="https://t.example/?s=%22%3E%3Cscript%3Ex%26payout%3D999999%26tx%3Dforged&p=1.5"></iframe>');
    const click = await g.click({ offer_id: offer.id, partner_id: p.id, sub1: "a'b" });
    const c = await g.convert({ transaction_id: click.transaction_id });
    const px = await g.ok('GET', `/v1/network/conversions/${c.conversion_id}/pixels`);
    assert.equal(px.html_pixels[0].html, '<iframe src="https://t.example/?s=a&#39;b&p=12.5"></iframe>');
    const html = await g.api('GET', `/v1/network/conversions/${c.conversion_id}/pixels?format=html`);
    assert.equal(html.body, px.html);
  });

  it('filters the report by date, offer, partner and success/failure', async () => {
    const a = await seedClick(g);
    const b = await seedClick(g);
    await g.postback({ level: 'global', partner_id: a.partner.id, postback_url: `${partner.url}/ra` });
    await g.postback({ level: 'global', partner_id: b.partner.id, postback_url: `${partner.url}/rb` });
    partner.ok();
    const from = g.clock.now();
    await g.settled((await g.convert({ transaction_id: a.transactionId })).conversion_id);
    partner.fail(502);
    await g.settled((await g.convert({ transaction_id: b.transactionId })).conversion_id);
    partner.ok();
    const all = await g.ok('GET', `/v1/network/reports/postbacks?from=${from}`);
    assert.equal(all.rows.length, 2);
    const ok = await g.ok('GET', `/v1/network/reports/postbacks?from=${from}&status=success`);
    assert.deepEqual(
      ok.rows.map((r: { partner_id: number }) => r.partner_id),
      [a.partner.id],
    );
    assert.equal(ok.rows[0].debug.http_status, 200);
    assert.equal(ok.rows[0].debug.method, 'GET');
    assert.equal(ok.rows[0].debug.url, `${partner.url}/ra`);
    assert.equal(typeof ok.rows[0].debug.duration_ms, 'number');
    const failed = await g.ok('GET', `/v1/network/reports/postbacks?from=${from}&status=failure&offer_id=${b.offer.id}`);
    assert.equal(failed.rows.length, 1);
    assert.equal(failed.rows[0].debug.attempt, 6);
    assert.equal(failed.rows[0].debug.response_body, 'partner error 502');
    assert.equal((await g.ok('GET', `/v1/network/reports/postbacks?from=${from}&partner_id=${b.partner.id}&status=success`)).rows.length, 0);
    assert.equal((await g.ok('GET', `/v1/network/reports/postbacks?to=${from}&offer_id=${a.offer.id}`)).rows.length, 0);
    const bad = await g.api('GET', '/v1/network/reports/postbacks?status=maybe');
    assert.equal(bad.status, 400);
  });
});
