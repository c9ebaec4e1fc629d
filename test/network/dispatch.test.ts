import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startFakePartner, type FakePartner } from '../fakes/partner';
import { seedClick, startNetworkGateway, type NetworkGateway } from './harness';

let g: NetworkGateway;
let partner: FakePartner;

before(async () => {
  partner = await startFakePartner();
  g = await startNetworkGateway();
});
after(async () => {
  await g.close();
  await partner.close();
});

describe('dispatch', () => {
  it('fires a global AND a specific postback of the same partner, and a global_offer one, for one conversion', async () => {
    const { offer, partner: p, transactionId } = await seedClick(g, { sub1: 'a' });
    const other = await g.partner({ name: 'Other' });
    const base = `${partner.url}`;
    await g.postback({ level: 'global', partner_id: p.id, postback_url: `${base}/global?tx={transaction_id}` });
    await g.postback({ level: 'specific', partner_id: p.id, offer_id: offer.id, postback_url: `${base}/specific?tx={transaction_id}&o={offer_id}` });
    await g.postback({ level: 'global_offer', offer_id: offer.id, postback_url: `${base}/offer-wide?a={affiliate_id}` });
    // Must NOT fire: another partner's global postback, and an event postback.
    await g.postback({ level: 'global', partner_id: other.id, postback_url: `${base}/other` });
    await g.postback({ level: 'global', partner_id: p.id, type: 'event', postback_url: `${base}/event` });

    const c = await g.convert({ transaction_id: transactionId });
    assert.equal(c.deliveries.length, 3);
    const settled = await g.settled(c.conversion_id);
    assert.deepEqual(
      settled.map((d) => d.status),
      ['succeeded', 'succeeded', 'succeeded'],
    );
    assert.equal(partner.on('/global').length, 1);
    assert.equal(partner.on('/global')[0]?.query.get('tx'), transactionId);
    assert.equal(partner.on('/specific')[0]?.query.get('o'), String(offer.id));
    assert.equal(partner.on('/offer-wide')[0]?.query.get('a'), String(p.id));
    assert.equal(partner.on('/other').length, 0);
    assert.equal(partner.on('/event').length, 0);
  });
});

describe('macros (empty value and wrong name)', () => {
  it('substitutes the documented set, URL-encodes values, leaves {Sub5} literal and empties missing values', async () => {
    const offer = await g.offer({ payout_amount: '0.1', revenue_amount: '2,50', events: [{ id: 9001, name: 'Deposit & Play', payout_amount: '3' }] });
    const p = await g.partner();
    const tpl = [
      'tx={transaction_id}',
      'cid={conversion_id}',
      'o={offer_id}',
      'a={affiliate_id}',
      'src={source_id}',
      's1={sub1}',
      's2={sub2}',
      's10={sub10}',
      'v1={adv1}',
      'v10={adv10}',
      'pay={payout}',
      'pa={payout_amount}',
      'sale={sale_amount}',
      'rev={revenue}',
      'cur={currency}',
      'ev={event_id}',
      'evn={event_name}',
      'ord={order_id}',
      'cc={coupon_code}',
      'ts={timestamp}',
      'bad={Sub5}',
      'bad2={sub_5}',
      'x={nope}',
    ].join('&');
    await g.postback({ level: 'global', partner_id: p.id, postback_url: `${partner.url}/m?${tpl}` });
    await g.postback({ level: 'specific', partner_id: p.id, offer_id: offer.id, type: 'event', event_id: 9001, postback_url: `${partner.url}/me?${tpl}` });
    const click = await g.click({ offer_id: offer.id, partner_id: p.id, source_id: 'src 1', sub1: 'a&b=c', sub10: 'ten/10', ip: '203.0.113.9' });
    const c = await g.convert({
      transaction_id: click.transaction_id,
      sale_amount: 1.5e-7,
      currency: 'eur',
      order_id: 'o#1',
      adv1: 'x y',
      coupon_code: 'SAVE10',
    });
    await g.settled(c.conversion_id);
    const q = partner.on('/m')[0]?.query;
    assert.ok(q);
    const raw = partner.on('/m')[0]?.url ?? '';
    assert.equal(q.get('tx'), click.transaction_id);
    assert.equal(q.get('cid'), c.conversion_id);
    assert.equal(q.get('o'), String(offer.id));
    assert.equal(q.get('a'), String(p.id));
    assert.equal(q.get('src'), 'src 1');
    assert.equal(q.get('s1'), 'a&b=c');
    assert.match(raw, /s1=a%26b%3Dc&/, 'values are URL-encoded');
    assert.equal(q.get('s2'), '', 'a known macro without a value is empty');
    assert.equal(q.get('s10'), 'ten/10');
    assert.equal(q.get('v1'), 'x y');
    assert.equal(q.get('v10'), '');
    assert.equal(q.get('pay'), '0.1');
    assert.equal(q.get('pa'), '0.1', '{payout_amount} is an alias of {payout}');
    assert.equal(q.get('sale'), '0.00000015', 'amounts with a dot and no exponent');
    assert.equal(q.get('rev'), '2.5', 'a decimal comma is read as a dot');
    assert.equal(q.get('cur'), 'EUR');
    assert.equal(q.get('ev'), '');
    assert.equal(q.get('evn'), '');
    assert.equal(q.get('ord'), 'o#1');
    assert.equal(q.get('cc'), 'SAVE10');
    assert.match(q.get('ts') ?? '', /^\d{10}$/);
    assert.match(raw, /bad=\{Sub5\}&bad2=\{sub_5\}&x=\{nope\}$/, 'unknown and case-variant macros go out literally');

    const ev = await g.convert({ transaction_id: click.transaction_id, event_id: 9001 });
    await g.settled(ev.conversion_id);
    const eq = partner.on('/me')[0]?.query;
    assert.equal(eq?.get('ev'), '9001');
    assert.equal(eq?.get('evn'), 'Deposit & Play');
    assert.equal(eq?.get('pay'), '3');
    assert.equal(partner.on('/m').length, 1, 'a conversion postback does not fire for an event');
  });
});

describe('statuses', () => {
  it('fires only approved conversions; a pending one fires once approved; rejected never', async () => {
    const { partner: p, transactionId } = await seedClick(g);
    await g.postback({ level: 'global', partner_id: p.id, postback_url: `${partner.url}/status?tx={transaction_id}` });
    const pending = await g.convert({ transaction_id: transactionId, status: 'pending' });
    assert.deepEqual(pending.deliveries, []);
    assert.equal(pending.html_pixels.length, 0);
    const approved = await g.ok('PATCH', `/v1/network/conversions/${pending.conversion_id}`, { status: 'approved' });
    assert.equal(approved.status, 'approved');
    assert.equal(approved.deliveries.length, 1);
    await g.settled(pending.conversion_id);
    assert.equal(partner.on('/status').length, 1);
    // Approving again does not fire twice.
    await g.ok('PATCH', `/v1/network/conversions/${pending.conversion_id}`, { status: 'approved' });
    for (const status of ['rejected', 'invalid']) {
      const c2 = await g.click({ offer_id: (await g.ok('GET', `/v1/network/conversions/${pending.conversion_id}`)).offer_id, partner_id: p.id });
      const r = await g.convert({ transaction_id: c2.transaction_id, status });
      assert.deepEqual(r.deliveries, []);
    }
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(partner.on('/status').length, 1);
  });

  it('refuses a second conversion on one transaction (Everflow error 8) unless the offer allows duplicates', async () => {
    const { transactionId } = await seedClick(g);
    await g.convert({ transaction_id: transactionId });
    const dup = await g.api('POST', '/v1/network/conversions', { transaction_id: transactionId });
    assert.equal(dup.status, 409);
    assert.equal(dup.body.error.code, 'DUPLICATE_CONVERSION');
    const allowed = await seedClick(g);
    await g.ok('PUT', `/v1/network/offers/${allowed.offer.id}`, { name: 'Subs', allow_duplicates: true });
    await g.convert({ transaction_id: allowed.transactionId });
    await g.convert({ transaction_id: allowed.transactionId });
  });
});
