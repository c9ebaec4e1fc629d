import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startFakePartner, type FakePartner } from '../fakes/partner';
import { seedClick, startNetworkGateway, type NetworkGateway } from './harness';

let g: NetworkGateway;
let partner: FakePartner;

before(async () => {
  partner = await startFakePartner();
  g = await startNetworkGateway({ network: { networkId: 7 } });
});
after(async () => {
  await g.close();
  await partner.close();
});

describe('clicks', () => {
  it('returns a 32-hex transaction id and keeps sub1–sub10 and source_id', async () => {
    const offer = await g.offer();
    const p = await g.partner();
    const c = await g.click({ offer_id: offer.id, partner_id: p.id, source_id: 's', sub1: 'one', sub10: 'ten' });
    assert.match(c.transaction_id, /^[0-9a-f]{32}$/);
    assert.equal(c.sub1, 'one');
    assert.equal(c.sub10, 'ten');
    assert.equal(c.source_id, 's');
    assert.equal(c.unique, true);
  });

  it('fires cpc postbacks on unique payable clicks only', async () => {
    const offer = await g.offer({ payout_type: 'cpc', payout_amount: '0.05' });
    const cpa = await g.offer();
    const p = await g.partner();
    await g.postback({
      level: 'specific',
      type: 'cpc',
      partner_id: p.id,
      offer_id: offer.id,
      postback_url: `${partner.url}/cpc?tx={transaction_id}&p={payout}&s={sub2}`,
    });
    await g.postback({ level: 'specific', type: 'cpc', partner_id: p.id, offer_id: cpa.id, postback_url: `${partner.url}/cpc-cpa` });
    const first = await g.click({ offer_id: offer.id, partner_id: p.id, ip: '198.51.100.1', sub2: 'k' });
    assert.equal(first.payable, true);
    assert.equal(first.deliveries.length, 1);
    const again = await g.click({ offer_id: offer.id, partner_id: p.id, ip: '198.51.100.1' });
    assert.equal(again.unique, false, 'same offer, partner and IP within the session');
    assert.equal(again.deliveries.length, 0);
    const cpaClick = await g.click({ offer_id: cpa.id, partner_id: p.id });
    assert.equal(cpaClick.payable, false, 'a CPA offer pays per conversion, not per click');
    await partner.waitFor(1);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(partner.on('/cpc').length, 1);
    assert.equal(partner.on('/cpc')[0]?.query.get('p'), '0.05');
    assert.equal(partner.on('/cpc')[0]?.query.get('s'), 'k');
    assert.equal(partner.on('/cpc-cpa').length, 0);
  });

  it('refuses a click on an unknown offer or partner', async () => {
    const r = await g.api('POST', '/v1/network/clicks', { offer_id: 999, partner_id: 1 });
    assert.equal(r.status, 404);
    assert.equal(r.body.error.code, 'UNKNOWN_OFFER');
  });
});

describe('advertiser S2S postback GET /?nid=…', () => {
  it('registers a conversion and an event, with amount, currency, order_id and adv1', async () => {
    const offer = await g.offer({ payout_type: 'cps', payout_amount: '10', events: [{ id: 501, name: 'upsell', payout_amount: '1' }] });
    const p = await g.partner();
    const click = await g.click({ offer_id: offer.id, partner_id: p.id });
    await g.postback({
      level: 'global',
      partner_id: p.id,
      postback_url: `${partner.url}/s2s?p={payout}&sale={sale_amount}&c={currency}&o={order_id}&a={adv1}`,
    });
    await g.postback({ level: 'global_offer', offer_id: offer.id, type: 'event', event_id: 501, postback_url: `${partner.url}/s2s-ev?e={event_id}` });
    const unknownEvent = await g.api('POST', '/v1/network/postbacks', {
      level: 'global_offer',
      offer_id: offer.id,
      type: 'event',
      event_id: 502,
      postback_url: `${partner.url}/x`,
    });
    assert.equal(unknownEvent.status, 422);
    assert.equal(unknownEvent.body.error.code, 'UNKNOWN_EVENT');
    const res = await fetch(`${g.url}/?nid=7&transaction_id=${click.transaction_id}&amount=19,99&currency=gbp&order_id=A-1&adv1=x`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { conversion_id: string; status: string };
    assert.equal(body.status, 'approved');
    await g.settled(body.conversion_id);
    const q = partner.on('/s2s')[0]?.query;
    assert.equal(q?.get('p'), '1.999', 'cps: 10 % of 19.99');
    assert.equal(q?.get('sale'), '19.99');
    assert.equal(q?.get('c'), 'GBP');
    assert.equal(q?.get('o'), 'A-1');
    assert.equal(q?.get('a'), 'x');
    const ev = await fetch(`${g.url}/?nid=7&transaction_id=${click.transaction_id}&event_id=501`);
    assert.equal(ev.status, 200);
    await g.until(async () => partner.on('/s2s-ev').length === 1, 'the event postback');
    assert.equal(partner.on('/s2s-ev')[0]?.query.get('e'), '501');
    const dup = await fetch(`${g.url}/?nid=7&transaction_id=${click.transaction_id}&amount=1`);
    assert.equal(dup.status, 409);
  });

  it('answers clear errors: wrong nid, unknown transaction, bad amount; GET / without nid is not taken', async () => {
    const wrongNid = await fetch(`${g.url}/?nid=8&transaction_id=${'a'.repeat(32)}`);
    assert.equal(wrongNid.status, 400);
    assert.equal(((await wrongNid.json()) as { error: { code: string } }).error.code, 'INVALID_NETWORK');
    const unknown = await fetch(`${g.url}/?nid=7&transaction_id=${'a'.repeat(32)}`);
    assert.equal(unknown.status, 404);
    assert.equal(((await unknown.json()) as { error: { code: string } }).error.code, 'UNKNOWN_TRANSACTION');
    const { transactionId } = await seedClick(g);
    const bad = await fetch(`${g.url}/?nid=7&transaction_id=${transactionId}&amount=1e5`);
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: { message: string } }).error.message, /amount/);
    const root = await fetch(`${g.url}/`);
    assert.equal(root.status, 404);
    assert.equal(((await root.json()) as { error: { code: string } }).error.code, 'NOT_FOUND');
  });
});
