import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startFakePartner, type FakePartner } from '../fakes/partner';
import { startNetworkGateway, type NetworkGateway } from './harness';

let g: NetworkGateway;
let open: NetworkGateway;
let partner: FakePartner;
let offerId: number;
let partnerId: number;

before(async () => {
  partner = await startFakePartner();
  // No allow-list: the default, where partner URLs to our own network are refused.
  g = await startNetworkGateway({ outbound: { allowPrivateTargets: [] } });
  open = await startNetworkGateway();
  offerId = (await g.offer({ events: [{ id: 77, name: 'deposit' }] })).id;
  partnerId = (await g.partner()).id;
});
after(async () => {
  await g.close();
  await open.close();
  await partner.close();
});

const url = 'https://partner.example/pb?tx={transaction_id}';

describe('postback validation', () => {
  const cases: Array<[string, () => Record<string, unknown>, string]> = [
    ['global without partner', () => ({ level: 'global', postback_url: url }), 'level.global.partner_required'],
    ['global with an offer', () => ({ level: 'global', partner_id: partnerId, offer_id: offerId, postback_url: url }), 'level.global.offer_zero'],
    ['specific without offer', () => ({ level: 'specific', partner_id: partnerId, postback_url: url }), 'level.specific.offer_required'],
    [
      'global_offer with a partner',
      () => ({ level: 'global_offer', offer_id: offerId, partner_id: partnerId, postback_url: url }),
      'level.global_offer.partner_zero',
    ],
    ['cpc not specific', () => ({ level: 'global', type: 'cpc', partner_id: partnerId, postback_url: url }), 'type.cpc.level_specific'],
    [
      'cpc as html',
      () => ({ level: 'specific', type: 'cpc', partner_id: partnerId, offer_id: offerId, delivery_method: 'html', html_code: '<img>' }),
      'type.cpc.method_postback',
    ],
    ['postback without URL', () => ({ level: 'global', partner_id: partnerId }), 'postback_url.required'],
    ['URL not http(s)', () => ({ level: 'global', partner_id: partnerId, postback_url: 'ftp://x.example/' }), 'postback_url.http_scheme'],
    ['html without code', () => ({ level: 'global', partner_id: partnerId, delivery_method: 'html' }), 'html_code.required'],
    [
      'html with a delay',
      () => ({ level: 'global', partner_id: partnerId, delivery_method: 'html', html_code: '<img>', delay_ms: 5 }),
      'delay_ms.postback_only',
    ],
    [
      'event filter on a conversion postback',
      () => ({ level: 'global_offer', offer_id: offerId, event_id: 77, postback_url: url }),
      'event_id.event_type_only',
    ],
    ['event filter at global level', () => ({ level: 'global', type: 'event', partner_id: partnerId, event_id: 77, postback_url: url }), 'event_id.not_global'],
    ['post_body with GET', () => ({ level: 'global', partner_id: partnerId, postback_url: url, post_body: 'a=1' }), 'post_body.post_only'],
  ];
  for (const [name, body, rule] of cases) {
    it(`refuses ${name} (${rule})`, async () => {
      const r = await g.api('POST', '/v1/network/postbacks', body());
      assert.equal(r.status, 400);
      assert.equal(r.body.error.code, 'INVALID_POSTBACK');
      assert.ok(
        r.body.error.details.some((d: { rule: string }) => d.rule === rule),
        JSON.stringify(r.body),
      );
      assert.match(r.body.error.message, new RegExp(rule.replaceAll('.', '\\.')));
    });
  }

  it('refuses delay_ms above 300000 and unknown delivery methods, naming the field', async () => {
    const r = await g.api('POST', '/v1/network/postbacks', { level: 'global', partner_id: partnerId, postback_url: url, delay_ms: 300_001 });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.details[0].field, 'delay_ms');
    const fb = await g.api('POST', '/v1/network/postbacks', { level: 'global', partner_id: partnerId, delivery_method: 'facebook' });
    assert.equal(fb.status, 400);
    assert.equal(fb.body.error.details[0].field, 'delivery_method');
  });

  it('refuses unknown partners, offers and events with 422', async () => {
    const r = await g.api('POST', '/v1/network/postbacks', { level: 'specific', partner_id: 999, offer_id: offerId, postback_url: url });
    assert.equal(r.status, 422);
    assert.equal(r.body.error.code, 'UNKNOWN_PARTNER');
  });

  it('accepts post_conversion as event, and PUT replaces the whole postback', async () => {
    const created = await g.postback({
      level: 'specific',
      type: 'post_conversion',
      partner_id: partnerId,
      offer_id: offerId,
      event_id: 77,
      postback_url: url,
      delay_ms: 1000,
      description: 'd',
    });
    assert.equal(created.type, 'event');
    const replaced = await g.ok('PUT', `/v1/network/postbacks/${created.id}`, { level: 'global', partner_id: partnerId, postback_url: url });
    assert.equal(replaced.type, 'conversion');
    assert.equal(replaced.delay_ms, 0, 'an omitted field falls back to its default');
    assert.equal(replaced.description, null);
    assert.equal(replaced.event_id, 0);
    assert.equal((await g.api('DELETE', `/v1/network/postbacks/${created.id}`)).status, 204);
    assert.equal((await g.api('GET', `/v1/network/postbacks/${created.id}`)).status, 404);
  });

  it('requires the admin token', async () => {
    const r = await fetch(`${g.url}/v1/network/postbacks`);
    assert.equal(r.status, 401);
  });
});

describe('SSRF: partner URLs to our own network are refused', () => {
  const refused = [
    'http://127.0.0.1:9/x',
    'http://localhost/x',
    'http://169.254.169.254/latest/meta-data',
    'http://[::1]/x',
    'http://[fd00::1]/x',
    'http://[::ffff:127.0.0.1]/x',
    'http://0.0.0.0/x',
    'http://2130706433/x',
    'http://10.1.2.3/x',
    'https://192.168.1.1/x',
  ];
  for (const target of refused) {
    it(`refuses ${target} without the allow-list`, async () => {
      const r = await g.api('POST', '/v1/network/postbacks', { level: 'global', partner_id: partnerId, postback_url: target });
      assert.equal(r.status, 422);
      assert.equal(r.body.error.code, 'PRIVATE_TARGET');
      assert.equal(r.body.error.details[0].rule, 'postback_url.public_target');
    });
  }

  it('accepts a public host, and 127.0.0.1 once outbound.allowPrivateTargets lists it', async () => {
    await g.postback({ level: 'global', partner_id: partnerId, postback_url: 'https://93.184.215.14/pb?x={sub1}' });
    const o = await open.offer();
    const p = await open.partner();
    await open.postback({ level: 'specific', partner_id: p.id, offer_id: o.id, postback_url: `${partner.url}/ok` });
  });

  it('refuses at send time too: a macro in the host that renders to localhost is never sent, and pauses as a config failure (issue 7 item 9)', async () => {
    const o = await g.offer();
    const p = await g.partner();
    const pb = await g.postback({ level: 'specific', partner_id: p.id, offer_id: o.id, postback_url: `http://{sub1}:${partner.port}/ssrf` });
    const click = await g.click({ offer_id: o.id, partner_id: p.id, sub1: 'localhost' });
    await g.convert({ transaction_id: click.transaction_id });
    const row = await g.until(async () => {
      const r = (await g.ok('GET', `/v1/network/reports/postbacks?offer_id=${o.id}`)).rows[0];
      return r?.debug ? r : undefined;
    }, 'the refused attempt');
    assert.equal(partner.on('/ssrf').length, 0);
    assert.match(row.debug.error, /localhost.*loopback/);
    await new Promise((r) => setTimeout(r, 200)); // room for a retry that must not come
    const again = (await g.ok('GET', `/v1/network/reports/postbacks?offer_id=${o.id}`)).rows[0];
    assert.equal(again.delivery_status, 'pending', 'not dead: it waits for the URL to be fixed');
    assert.equal(again.attempt_count, 1, 'one attempt, no retries');
    // Not a failure of the partner: the deactivation streak stays empty.
    const after = await g.ok('GET', `/v1/network/postbacks/${pb.id}`);
    assert.equal(after.status, 'active');
    assert.equal(after.consecutive_failures, 0);
  });
});
